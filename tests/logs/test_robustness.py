"""Bad input is never fatal: any bytes, any mangling of a real log, give events and skips."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from logkit import FIXTURES

from tracecheck.logs import FORMATS, read_log, sniff_log
from tracecheck.logs.tabular import csv_row
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


DEEP = b"[" * 100_000 + b"]" * 100_000
"""JSON nested far deeper than the decoder's stack (it raises RecursionError, not ValueError)."""


def test_json_nested_too_deep_is_never_a_crash(tmp_path: Path) -> None:
    assert sniff_log(DEEP) is None
    from tracecheck.sources.files import sniff_file

    deep = tmp_path / "deep.json"
    deep.write_bytes(DEEP)
    assert isinstance(sniff_file(str(deep)), Skipped)
    record = (b'{"MessageTraceId": "t1", "SenderAddress": "a@example.org", '
              b'"RecipientAddress": "b@gmail.com", "Received": "2021-01-01T10:00:00Z"}\n')
    ndjson = tmp_path / "trace.json"
    ndjson.write_bytes(record + DEEP + b"\n" + record.replace(b"t1", b"t2"))
    for fmt in ("m365", "google", "o365-audit", "gmail-audit"):
        skips = [(str(i.locator), i.reason) for i in _read(ndjson, fmt) if isinstance(i, Skipped)]
        assert (f"{ndjson}:2", "not a JSON record") in skips
    events = [i for i in _read(ndjson, "m365") if isinstance(i, LogEvent)]
    assert [e.queue_id for e in events] == ["t1", "t2"]
    # One pretty-printed document that is too deep: one skip for the document.
    doc = tmp_path / "doc.json"
    doc.write_bytes(b"[\n" + DEEP + b"\n]\n")
    assert [(str(s.locator), s.reason) for s in _read(doc, "m365")] == [
        (f"{doc}:1", "not JSON: nested too deep")]
    # A Purview AuditData cell or a RuleActions value too deep is a skip or nothing.
    purview = tmp_path / "purview.csv"
    purview.write_text('CreationDate,UserIds,Operations,AuditData\n'
                       f'2021-01-01,a@example.org,New-InboxRule,"{DEEP[40_000:-40_000].decode()}"\n')
    assert [s.reason for s in _read(purview, "o365-audit")] == ["AuditData is not JSON"]


def test_a_garbage_log_lists_a_hundred_bad_lines_and_counts_the_rest(tmp_path: Path) -> None:
    """A log of millions of garbage lines once gave one entry each, held in memory and
    written out (issue 15, item 9): the first 100 are listed, the rest are one counted
    entry; every bad line still counts in the file's coverage and in `tracecheck logs`."""
    from tests.hostile_gen import write_garbage_exchange_log
    from tracecheck import api

    path = tmp_path / "MSGTRK2021011109-1.LOG"
    bad = write_garbage_exchange_log(path, 500_000)  # 18,724 lines
    result = api.scan([str(path)])
    malformed = [s for s in result.skipped if s.kind == "malformed-log-line"]
    assert len(malformed) == 101
    assert [s.locator.line for s in malformed[:3]] == [7, 8, 9]  # after 5 directives, 1 row
    last = malformed[-1]
    assert last.locator.line == 107
    assert last.reason == (f"{bad - 100:,} more malformed lines, lines 107 to {6 + bad:,}, "
                           "not listed one by one (the first 100 are)")
    (source,) = result.sources
    assert source.skipped == bad and source.messages == 1
    table = api.read_log_table([str(path)], api.ScanOptions())
    assert table.skipped == {"malformed-log-line": bad}
    assert len(table.skips) == 101


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('a,"\r\n\x00 \t;\\\'x\u00e9\u2028')), max_size=30))
def test_a_csv_row_split_on_commas_is_what_the_csv_module_reads(text: str) -> None:
    """`tabular.csv_row` splits a plain row on commas: the same fields as the stdlib `csv`
    module (not strict) gives, for any row; a row the module cannot read is None."""
    try:
        want: list[str] | None = next(csv.reader([text], strict=False))
    except (csv.Error, StopIteration):
        want = None
    assert csv_row(text) == want


def test_malformed_lines_past_the_first_hundred_are_counted_not_built() -> None:
    """`LogSource.bad` builds an entry for each of a file's first 100 malformed lines and
    only counts the rest (their first and last line kept), handing back one shared marker:
    a garbage file of millions of lines costs a count, not an object per line."""
    from datetime import UTC

    from tracecheck.logs.base import UNLISTED, LogSource

    src = LogSource(path="mail.log", tz=UTC)
    got = [src.bad(n, f"line {n}") for n in range(1, 203)]
    assert [g.locator.line for g in got[:100]] == list(range(1, 101))
    assert all(g is UNLISTED for g in got[100:])
    assert (src.malformed.count, src.malformed.unlisted) == (202, 102)
    assert (src.malformed.first, src.malformed.last) == (101, 202)
