"""Engine errors are loud: a bug in tracecheck is never recorded as unscanned input.

Reproduces the bug of issue 13: a matcher raising TypeError turned the samples into 141
"content not scanned (TypeError)" entries, 0 findings and exit 0. Now each affected message
is an `internal-error` entry, the run exits 3 and says so on stderr, strict mode raises, and a
worker process that dies is `worker-lost`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SAMPLES, eml, mbox_of
from tracecheck import api
from tracecheck.cli import app
from tracecheck.isolation import STRICT_ENV
from tracecheck.model import SkipKind
from tracecheck.rules.matcher import Matcher

PLANTED = "9434765919"
"""A value the planted bug puts in its exception message: it must never reach any output."""

SAMPLE_DIRS = [str(SAMPLES / d) for d in ("mbox", "eml", "maildir")]


@pytest.fixture
def broken_matcher(monkeypatch: pytest.MonkeyPatch) -> None:
    def scan(self, unit, tally, bulk=False, until=None):  # type: ignore[no-untyped-def]
        raise TypeError(f"planted bug near {PLANTED}")

    monkeypatch.setattr(Matcher, "scan_into", scan)


@pytest.fixture
def lenient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STRICT_ENV, raising=False)


@pytest.mark.usefixtures("broken_matcher", "lenient")
def test_a_matcher_bug_is_an_internal_error_not_unscanned_input() -> None:
    result = api.scan(SAMPLE_DIRS)
    internal = [s for s in result.skipped if s.kind is SkipKind.INTERNAL_ERROR]
    # every message whose content was to be scanned is named, and none is counted as scanned
    assert len(internal) > 50 and len({str(s.locator) for s in internal}) == len(internal)
    assert result.messages_found == result.messages_scanned + len(internal)
    assert all(s.locator.path and "TypeError at tracecheck/" in s.reason for s in internal)
    assert not any("TypeError" in s.reason for s in result.skipped
                   if s.kind is not SkipKind.INTERNAL_ERROR)
    assert list(result.findings) == []
    assert result.incomplete == tuple(internal)
    assert api.exit_code(result, None) == api.EXIT_INCOMPLETE  # --fail-on never cannot hide it
    assert api.exit_code(result, None, exit_zero=True) == api.EXIT_INCOMPLETE


@pytest.mark.usefixtures("broken_matcher", "lenient")
def test_the_cli_exits_3_names_each_message_and_still_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["scan", *SAMPLE_DIRS, "--workers", "1", "--format", "json",
                                   "--output", str(out), "--fail-on", "never"])
    assert res.exit_code == 3, res.output
    assert "internal-error" in res.output and "INCOMPLETE" in res.output
    assert SAMPLE_DIRS[0] in res.output  # the message locator is named
    assert PLANTED not in res.output
    text = out.read_text(encoding="utf-8")
    assert '"kind": "internal-error"' in text and PLANTED not in text


@pytest.mark.usefixtures("broken_matcher")
def test_strict_mode_raises() -> None:
    assert os.environ[STRICT_ENV] == "1"  # the test suite's default
    with pytest.raises(TypeError, match="planted bug"):
        api.scan(SAMPLE_DIRS)


@pytest.mark.usefixtures("lenient")
def test_a_reader_bug_marks_the_file_not_its_messages(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    box = tmp_path / "a.mbox"
    box.write_bytes(mbox_of(eml(), eml(msgid="<m2@x>")))
    import tracecheck.sources.mbox as mbox

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AttributeError("reader bug")
        yield  # pragma: no cover

    monkeypatch.setattr(mbox, "read_mbox", broken)
    result = api.scan([str(box)])
    assert [(s.kind, str(s.locator)) for s in result.skipped] == [
        (SkipKind.INTERNAL_ERROR, str(box))]
    assert api.exit_code(result, None) == api.EXIT_INCOMPLETE


@pytest.mark.usefixtures("lenient")
def test_a_dead_worker_is_worker_lost_and_exit_3(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(4):
        (tmp_path / f"m{i}.eml").write_bytes(eml(msgid=f"<m{i}@x>"))
    import tracecheck.parallel.base as base

    real = base.scan_shard

    def dies_on_m2(shard, cfg, progress=None):  # type: ignore[no-untyped-def]
        if shard.input.path.endswith("m2.eml"):
            os._exit(1)  # the worker process dies (killed, out of memory)
        return real(shard, cfg, progress)

    monkeypatch.setattr(base, "scan_shard", dies_on_m2)  # forked workers inherit it
    result = api.scan([str(tmp_path)], api.ScanOptions(workers=2))
    lost = [s for s in result.skipped if s.kind is SkipKind.WORKER_LOST]
    assert lost and any(str(s.locator).endswith("m2.eml") for s in lost)
    assert all(s.kind is SkipKind.WORKER_LOST for s in result.skipped)
    assert api.exit_code(result, None) == api.EXIT_INCOMPLETE


def test_a_bug_outside_any_message_is_one_line_and_exit_3(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    import subprocess
    import sys

    code = ("import sys; import tracecheck.api as api\n"
            "def boom(*a, **k): raise KeyError('" + PLANTED + "')\n"
            "api.scan = boom\n"
            "from tracecheck.cli import main\n"
            "sys.argv = ['tracecheck', 'scan', sys.argv[1]]\n"
            "main()\n")
    (tmp_path / "m.eml").write_bytes(eml())
    env = {k: v for k, v in os.environ.items() if k != STRICT_ENV}
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and "internal error: KeyError" in proc.stderr
    assert "Traceback" not in proc.stderr and PLANTED not in proc.stderr


@pytest.mark.usefixtures("lenient")
def test_an_error_the_user_must_fix_stops_the_run_instead_of_being_recorded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tracecheck.deps import MissingDependencyError

    def scan(self, unit, tally, bulk=False, until=None):  # type: ignore[no-untyped-def]
        raise MissingDependencyError("openpyxl is not installed")

    monkeypatch.setattr(Matcher, "scan_into", scan)
    with pytest.raises(MissingDependencyError):
        api.scan(SAMPLE_DIRS)
