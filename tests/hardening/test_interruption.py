"""kill -9 in the middle of a scan into a case, then a rerun: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
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
    with sqlite3.connect(f"file:{case / 'case.sqlite'}?mode=ro", uri=True, timeout=5) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM shards").fetchone()[0])


# A scan into a case, in a child process that says when it has saved its third file and then
# stops there until it is killed: the kill lands at a known point, not after a polling race.
STOP_AFTER_THREE = """
import sys
from tracecheck import api
from tracecheck.case.store import CaseStore

save = CaseStore.save_shard
saved = 0

def save_then_stop(self, run_id, shard, size, mtime_ns):
    global saved
    save(self, run_id, shard, size, mtime_ns)
    saved += 1
    if saved == 3:
        print("saved 3", flush=True)
        sys.stdin.read()  # blocks: the test kills the process here

CaseStore.save_shard = save_then_stop
api.scan_into_case([sys.argv[1]], api.ScanOptions(workers=1), sys.argv[2])
"""


def test_kill_9_then_rerun(tmp_path: Path) -> None:
    corpus = tmp_path / "export"
    _corpus(corpus)
    clean_case = tmp_path / "clean"
    assert _scan(corpus, clean_case).wait(timeout=300) == 0
    with CaseStore.open(clean_case) as store:
        expected = sorted(f.fingerprint for f in store.findings())
    assert len(expected) == 40 * 25 * 2

    case = tmp_path / "case"
    proc = subprocess.Popen([sys.executable, "-c", STOP_AFTER_THREE, str(corpus), str(case)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "saved 3"  # the event: three files saved
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert _saved_shards(case) == 3

    rerun = _scan(corpus, case)
    assert rerun.wait(timeout=300) == 0, rerun.stderr.read() if rerun.stderr else ""
    with CaseStore.open(case) as store:
        got = sorted(f.fingerprint for f in store.findings())
        runs = store.runs()
    assert got == expected  # none lost, none duplicated
    assert [r.status for r in runs] == ["interrupted", "complete"]
