"""Executors: any worker count, and Dask, give byte-identical reports."""

from __future__ import annotations

import contextlib
import io
import os
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, corpus, eml, free_loopback
from tracecheck import api
from tracecheck.merge import Joiner
from tracecheck.model import ScanResult
from tracecheck.parallel import BACKENDS, LocalExecutor, executor_for
from tracecheck.parallel.base import Executor
from tracecheck.reports.base import ReportFormat, reporter_for

CORPUS = [str(SAMPLES / d) for d in ("mbox", "eml", "maildir", "archive")]


def _json(result: ScanResult) -> str:
    out = io.StringIO()
    reporter_for(ReportFormat.JSON, color=False).write(result, out, reveal=True)
    return out.getvalue()


class _Progress:
    def __init__(self) -> None:
        self.total = 0
        self.done: list[int] = []

    def set_total(self, total: int) -> None:
        self.total = total

    def advance(self, n: int) -> None:
        self.done.append(n)


def _scan(paths: list[str], executor: Executor | None, *, all_messages: bool = True,
          progress: _Progress | None = None) -> str:
    return _json(api.scan(paths, api.ScanOptions(all_messages=all_messages), executor=executor,
                          progress=progress))


@pytest.fixture(scope="module")
def big_mbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A multi-shard mbox: the samples' mbox three times over, plus plain internal mail."""
    src = (SAMPLES / "mbox" / "vault-export.mbox").read_bytes()
    extra = b"".join(
        b"From a@tracecall.co.uk Mon Jan 11 09:30:00 2021\n"
        + eml(sender="a@tracecall.co.uk", to=f"b{i}@tracecall.co.uk", msgid=f"<x{i}@t>",
              body="From time to time the rota changes.\n\nNHS 943 476 5919") + b"\n"
        for i in range(40))
    path = tmp_path_factory.mktemp("big") / "big.mbox"
    path.write_bytes(src + extra + src + extra + src)
    return path


@pytest.mark.parametrize("all_messages", [True, False])
def test_workers_1_and_2_give_identical_reports_on_the_samples(all_messages: bool) -> None:
    one = _scan(CORPUS, executor_for(workers=1), all_messages=all_messages)
    two = _scan(CORPUS, executor_for(workers=2, target_bytes=3000), all_messages=all_messages)
    assert one == two
    assert one == _scan(CORPUS, None, all_messages=all_messages)  # and the api's own default


def test_a_multi_shard_mbox_gives_the_same_report_as_one_worker(big_mbox: Path) -> None:
    ex = LocalExecutor(workers=2, target_bytes=8192)
    from tracecheck.sources.files import discover

    inputs = [i for i in discover([str(big_mbox)]) if not hasattr(i, "reason")]
    assert len(ex.plan(inputs)) > 10  # really cut into many ranges
    progress = _Progress()
    two = _scan([str(big_mbox)], ex, progress=progress)
    one = _scan([str(big_mbox)], executor_for(workers=1))
    assert two == one
    assert sum(progress.done) == progress.total == big_mbox.stat().st_size
    assert '"fingerprint"' in one and big_mbox.name in one


def test_ranges_merged_in_any_order_give_the_report_of_joined_files(big_mbox: Path) -> None:
    from tracecheck.packed_records import Packed

    ex = LocalExecutor(workers=2, target_bytes=8192)

    class LastFirst:  # the executor's byte ranges, unjoined, last one first
        def plan(self, inputs):  # type: ignore[no-untyped-def]
            return ex.plan(inputs)

        def run(self, plan, cfg, progress=None):  # type: ignore[no-untyped-def]
            return reversed(list(ex.run(plan, cfg, progress)))

    class Joined:  # one joined result per file, as the case store saves them
        def plan(self, inputs):  # type: ignore[no-untyped-def]
            return ex.plan(inputs)

        def run(self, plan, cfg, progress=None):  # type: ignore[no-untyped-def]
            joiner = Joiner(Counter((s.input.order, s.input.path) for s in plan))
            for result in ex.run(plan, cfg, progress):
                yield from joiner.add(result)

    paths = [str(big_mbox), *CORPUS]
    result = api.scan(paths, api.ScanOptions(all_messages=True), executor=LastFirst())
    assert isinstance(result.findings, Packed) and isinstance(result.refs, Packed)
    assert _json(result) == _scan(paths, Joined()) == _scan(paths, executor_for(workers=1))


def test_every_shared_corpus_gives_the_same_report_with_ranges() -> None:
    folder = corpus()
    one = _scan([str(folder)], executor_for(workers=1))
    assert _scan([str(folder)], LocalExecutor(workers=2, target_bytes=64)) == one


def test_every_registered_backend_has_a_factory() -> None:
    assert set(BACKENDS) == {"local", "dask"}
    assert isinstance(executor_for(workers=3), LocalExecutor)
    with pytest.raises(ValueError):
        LocalExecutor(workers=0)


@pytest.mark.dask
@pytest.mark.timeout(120)
def test_dask_local_cluster_gives_the_same_report_as_a_local_run(big_mbox: Path) -> None:
    pytest.importorskip("distributed")
    if not free_loopback():
        pytest.skip("no loopback networking")
    paths = [str(big_mbox), *CORPUS]
    local = _scan(paths, LocalExecutor(workers=1))
    t0 = time.monotonic()
    dask = _scan(paths, executor_for(dask="local", target_bytes=8192))
    assert dask == local
    assert time.monotonic() - t0 < 60


def test_files_without_a_discovery_order_are_never_joined_together(big_mbox: Path) -> None:
    from tracecheck.scanner import ScanConfig
    from tracecheck.sources.files import InputFile

    size = big_mbox.stat().st_size
    small = SAMPLES / "mbox" / "vault-export.mbox"
    inputs = [InputFile(path=str(big_mbox), kind="mbox", size=size),
              InputFile(path=str(small), kind="mbox", size=small.stat().st_size)]
    cfg = ScanConfig(pack_paths=tuple(p.path for p in api.resolve_packs(())))
    ex = LocalExecutor(workers=2, target_bytes=8192)
    plan = ex.plan(inputs)
    joiner = Joiner(Counter((s.input.order, s.input.path) for s in plan))
    results = [j for r in ex.run(plan, cfg, None) for j in joiner.add(r)]
    assert sorted(r.key for r in results) == sorted(i.path for i in inputs)
    by_key = {r.key: r for r in results}
    assert by_key[str(big_mbox)].source is not None
    assert by_key[str(big_mbox)].source.bytes == size


def test_one_worker_scans_a_large_mbox_in_ranges_with_the_same_report(big_mbox: Path) -> None:
    from tracecheck.scanner import ScanConfig
    from tracecheck.shipped_rules import default_pack_paths
    from tracecheck.sources.files import discover

    one_by_ranges = LocalExecutor(workers=1, target_bytes=8192)
    inputs = [i for i in discover([str(big_mbox)]) if not hasattr(i, "reason")]
    assert len(one_by_ranges.plan(inputs)) > 10
    # in order, in this process, each range its own result (merged as it arrives)
    cfg = ScanConfig(pack_paths=tuple(str(p) for p in default_pack_paths()))
    results = list(one_by_ranges.run(one_by_ranges.plan(inputs), cfg))
    assert len(results) == len(one_by_ranges.plan(inputs))
    assert sum(1 for r in results if r.source is not None and r.source.sha256) == 1
    progress = _Progress()
    assert _scan([str(big_mbox)], one_by_ranges, progress=progress) == \
        _scan([str(big_mbox)], LocalExecutor(workers=2, target_bytes=8192))
    assert sum(progress.done) == big_mbox.stat().st_size


# A scan with two worker processes whose tasks announce their pid and then block: the test
# kills the scan's process at a known point (both workers running) and waits for the workers'
# exit as an event (a pidfd), not by sleeping.
HOLD_IN_WORKERS = """
import os, sys, threading
import tracecheck.parallel.base as base
import tracecheck.parallel.local as local

def hold(shards, cfg):
    os.write(1, f"worker {os.getpid()}\\n".encode())  # one write: two workers share the pipe
    threading.Event().wait()

hold.__module__, hold.__qualname__ = base.__name__, "scan_batch"  # pickled by that name
base.scan_batch = local.scan_batch = hold
from tracecheck import api
api.scan([sys.argv[1]], api.ScanOptions(workers=2))
"""


def _exited(pid: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for process `pid` (not a child of ours) to exit."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(fd)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")
def test_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    for i in range(300):  # two tasks (256 small files each at most)
        (tmp_path / f"m{i:03d}.eml").write_bytes(eml(msgid=f"<m{i}@x>"))
    proc = subprocess.Popen([sys.executable, "-c", HOLD_IN_WORKERS, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    workers: list[int] = []
    try:
        assert proc.stdout is not None
        while len(workers) < 2:
            line = proc.stdout.readline()
            assert line.startswith("worker "), line
            workers.append(int(line.split()[1]))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert all(_exited(pid, timeout=10) for pid in workers)
    finally:  # whatever failed, nothing of the scan outlives the test
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
