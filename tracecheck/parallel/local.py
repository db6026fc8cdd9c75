"""The local executor: shards scanned by a pool of worker processes on this machine.

Owns running shard tasks on `concurrent.futures.ProcessPoolExecutor` (one process per core by
default) and reporting progress as tasks finish. With one worker it scans in this process,
in order (large mbox files in 64 MiB ranges, so no file's results are held whole, hashed by a
thread as they are read). Results do not depend on the worker count: the api joins ranges and
sorts files (`merge`). A worker process that dies is recorded (`worker-lost`); any other
exception is tracecheck's and propagates. A worker whose parent dies (kill -9 leaves no one
to tell it) ends at once instead of waiting forever on its task pipe (`exit_with_parent`).
Never prints, never decides cut points (`sources.shards`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from tracecheck.model import ShardResult
from tracecheck.parallel.base import Progress, R, T, batches, lost, scan_batch, shard_bytes
from tracecheck.scanner import ScanConfig, scan_shard, warm
from tracecheck.sources.files import InputFile
from tracecheck.sources.shards import Shard, choose_target, plan_shards, whole

MAP_AHEAD = 2
"""Files `LocalExecutor.map` has read or is reading ahead of the one the caller waits for, per
worker: enough to keep the workers busy while the caller writes, few enough that the parent
never holds more than a handful of files' results."""


def file_digest(path: str) -> tuple[int, str]:
    """(bytes, sha256) of a whole file, read through the evidence opener."""
    from tracecheck.sources.files import open_evidence

    h = hashlib.sha256()
    n = 0
    with open_evidence(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
            n += len(block)
    return n, h.hexdigest()


def _with_digest(result: ShardResult, digests: dict[str, Future[tuple[int, str]]]
                 ) -> ShardResult:
    src = result.source
    if src is None or src.path not in digests:
        return result
    size, sha = digests[src.path].result()
    return dataclasses.replace(result, source=dataclasses.replace(src, bytes=size, sha256=sha))


def _ready(task: Sequence[Shard], results: list[ShardResult],
           digests: dict[str, Future[tuple[int, str]]],
           waiting: list[ShardResult]) -> Iterator[ShardResult]:
    """A task's results, except the first range of a file still being hashed (kept in
    `waiting`); then every waiting result whose file hash has arrived, with that hash."""
    for shard, result in zip(task, results, strict=True):
        if shard.ranged and shard.start == 0 and shard.input.path in digests:
            waiting.append(result)
        else:
            yield result
    results.clear()
    ready = [r for r in waiting if r.source is None or r.source.path not in digests
             or digests[r.source.path].done()]
    if ready:
        waiting[:] = [r for r in waiting if not any(r is d for d in ready)]
        yield from (_with_digest(r, digests) for r in ready)


PARENT_POLL = 0.5
"""Seconds between checks that the parent lives, where the OS gives no parent-death event."""


def exit_with_parent() -> None:
    """Worker initializer: a thread that ends this process as soon as the process that
    started it has died. Waits on a pidfd of the parent where Linux has one (the wake-up is
    the exit itself), else checks the parent's pid every `PARENT_POLL` seconds."""
    parent = os.getppid()
    threading.Thread(target=_watch, args=(parent,), name="tracecheck-parent-watch",
                     daemon=True).start()


def _watch(parent: int) -> None:
    try:
        fd = os.pidfd_open(parent)
    except (AttributeError, OSError):  # no pidfd here (or the parent is gone already)
        fd = -1
    if fd >= 0 and os.getppid() == parent:
        select.select([fd], [], [])  # readable when the parent exits
    else:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
    os._exit(1)  # no one is left to hand a result to; never run cleanup meant for the parent


def default_workers() -> int:
    """All cores this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


class LocalExecutor:
    """`Executor` on this machine's cores (`workers` processes; 1 scans in this process)."""

    def __init__(self, workers: int | None = None, target_bytes: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers or default_workers()
        self.target_bytes = target_bytes

    def plan(self, inputs: Sequence[InputFile]) -> list[Shard]:
        """The shards this executor would run for `inputs`."""
        if self.workers <= 1 and self.target_bytes is None:
            return [whole(i) for i in inputs]
        target = self.target_bytes
        if target is None:
            target = choose_target(inputs, self.workers)
        return plan_shards(inputs, target)

    def map(self, fn: Callable[[T], R], items: Sequence[T],
            lost: Callable[[T, BaseException], R]) -> Iterator[R]:
        """`fn` over `items` on the pool (in this process with one worker), each result given
        in order as soon as it and those before it are ready. At most `MAP_AHEAD` results per
        worker are ever waiting in this process: results are large (a log file's events)."""
        if self.workers <= 1 or len(items) <= 1:
            yield from (fn(x) for x in items)
            return
        workers = min(self.workers, len(items))
        with ProcessPoolExecutor(max_workers=workers, initializer=exit_with_parent) as pool:
            pending: deque[tuple[T, Future[R]]] = deque()
            todo = iter(items)
            for item in itertools.islice(todo, workers * MAP_AHEAD):
                pending.append((item, pool.submit(fn, item)))
            while pending:
                item, fut = pending.popleft()
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:  # the worker process died (killed, OOM)
                    result = lost(item, exc)
                del fut
                for nxt in itertools.islice(todo, 1):
                    pending.append((nxt, pool.submit(fn, nxt)))
                yield result
                del result

    def run(
        self, plan: Sequence[Shard], cfg: ScanConfig, progress: Progress | None = None
    ) -> Iterator[ShardResult]:
        """Each shard's result as it finishes (ranges are not joined here: the caller never
        holds a whole large file's results at once)."""
        # Ranged files are hashed here, in a thread, while the ranges are scanned (hashlib
        # releases the GIL), instead of by the scan of the first range reading to the end.
        ranged = sorted({s.input.path for s in plan if s.ranged})
        hashing = ThreadPoolExecutor(max_workers=1)
        digests = {path: hashing.submit(file_digest, path) for path in ranged}
        hashing.shutdown(wait=False)
        plan = [dataclasses.replace(s, hash_file=False) if s.input.path in digests else s
                for s in plan]
        if self.workers <= 1 or len(plan) <= 1:
            waiting: list[ShardResult] = []
            for shard in plan:
                yield from _ready([shard], [scan_shard(shard, cfg, progress)], digests, waiting)
            yield from (_with_digest(result, digests) for result in waiting)
            return
        tasks = batches(plan)
        warm(cfg)  # forked workers inherit the loaded packs
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)),
                                   initializer=exit_with_parent)
        waiting = []  # first ranges whose file is still being hashed
        try:
            futures: dict[Future[list[ShardResult]], list[Shard]] = {
                pool.submit(scan_batch, task, cfg): task for task in tasks
            }
            for fut in as_completed(futures):
                task = futures.pop(fut)
                try:
                    results = fut.result()
                except BrokenProcessPool as exc:  # the worker process died (killed, OOM)
                    results = [lost(s, exc) for s in task]
                del fut
                if progress is not None:
                    progress(sum(shard_bytes(s) for s in task))
                yield from _ready(task, results, digests, waiting)
                del results  # the generator keeps no finished result while it waits
            yield from (_with_digest(result, digests) for result in waiting)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
