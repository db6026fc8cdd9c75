"""Bad input is never fatal: any bytes, any mangling of a real log, give events and skips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from logkit import FIXTURES

from tracecheck.logs import FORMATS, read_log, sniff_log
from tracecheck.model import LogEvent, Skipped

SAMPLES = {
    "postfix": "postfix_dec_jan.log",
    "exim": "exim_mainlog",
    "sendmail": "sendmail_maillog",
    "exchange": "MSGTRK20210201-1.LOG",
    "m365": "m365_enhanced.csv",
    "google": "google_email_log_search.csv",
    "o365-audit": "purview_audit.csv",
    "gmail-audit": "google_login_audit.json",
}

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _read(path: Path, fmt: str) -> list[LogEvent | Skipped]:
    out = list(read_log(str(path), fmt, year=2021))
    assert all(isinstance(x, (LogEvent, Skipped)) for x in out)
    return out


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path: Path, fmt: str, data: bytes) -> None:
    path = tmp_path / "random.log"
    path.write_bytes(data)
    _read(path, fmt)
    sniff_log(data)


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(cuts=st.lists(st.integers(min_value=0, max_value=4000), min_size=1, max_size=6),
       junk=st.text(max_size=20))
def test_mangled_real_logs(tmp_path: Path, fmt: str, cuts: list[int], junk: str) -> None:
    text = (FIXTURES / SAMPLES[fmt]).read_text(encoding="utf-8-sig")
    for c in sorted(cuts, reverse=True):
        c %= max(len(text), 1)
        text = text[:c] + junk + text[c + len(junk) // 2:]
    path = tmp_path / "mangled.log"
    path.write_text(text, encoding="utf-8")
    _read(path, fmt)
