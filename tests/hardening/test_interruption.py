"""kill -9 in the middle of a scan into a case, then a rerun: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import eml, mbox_of
from tracecheck.case import CaseStore

BODY = "NHS no {nhs}, PCR came back positive. " + "Case notes follow. " * 400


def _nhs(i: int) -> str:
    from tracecheck.rules.validators import nhs_check_digit

    n = 401_000_000 + i * 7
    while nhs_check_digit(f"{n:09d}") is None:
        n += 1
    return f"{n:09d}{nhs_check_digit(f'{n:09d}')}"


def _corpus(root: Path, files: int = 40, per_file: int = 25) -> None:
    root.mkdir()
    k = 0
    for f in range(files):
        msgs = []
        for _ in range(per_file):
            msgs.append(eml(to=f"p{k}@gmail.com", msgid=f"<m{k}@tracecall.co.uk>",
                            body=BODY.format(nhs=_nhs(k))))
            k += 1
        (root / f"box{f:02d}.mbox").write_bytes(mbox_of(*msgs))


def _scan(corpus: Path, case: Path) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).parent / "tracecheck"
    return subprocess.Popen(
        [str(exe), "scan", str(corpus), "--case", str(case), "--workers", "1",
         "--format", "json", "--output", os.devnull, "--fail-on", "never"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _saved_shards(case: Path) -> int:
    db = case / "case.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM shards").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_kill_9_then_rerun(tmp_path: Path) -> None:
    corpus = tmp_path / "export"
    _corpus(corpus)
    clean_case = tmp_path / "clean"
    assert _scan(corpus, clean_case).wait(timeout=300) == 0
    with CaseStore.open(clean_case) as store:
        expected = sorted(f.fingerprint for f in store.findings())
    assert len(expected) == 40 * 25 * 2

    case = tmp_path / "case"
    proc = _scan(corpus, case)
    deadline = time.monotonic() + 120
    while _saved_shards(case) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the scan finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    saved = _saved_shards(case)
    assert 3 <= saved < 40

    rerun = _scan(corpus, case)
    assert rerun.wait(timeout=300) == 0, rerun.stderr.read() if rerun.stderr else ""
    with CaseStore.open(case) as store:
        got = sorted(f.fingerprint for f in store.findings())
        runs = store.runs()
    assert got == expected  # none lost, none duplicated
    assert [r.status for r in runs] == ["interrupted", "complete"]
