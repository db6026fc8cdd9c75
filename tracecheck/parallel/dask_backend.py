"""The Dask executor: the same shard tasks as the local pool, run on a Dask cluster.

Owns connecting to a scheduler (`distributed.Client(address)`), or starting a small
`LocalCluster` on loopback for `"local"`, submitting one task per shard batch and collecting
results as they finish. Workers read sources by path, so every worker must see the input
files at the same paths (a shared or network file system) and have tracecheck installed.
Results are joined per file exactly as locally, so they are identical to a local run.
Never starts anything listening on a non-loopback address itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tracecheck.errors import UsageError
from tracecheck.model import ShardResult
from tracecheck.parallel.base import Progress, R, T, batches, lost, scan_batch, shard_bytes
from tracecheck.scanner import ScanConfig
from tracecheck.sources.files import InputFile
from tracecheck.sources.shards import Shard, choose_target, plan_shards

LOCAL = "local"
LOCAL_WORKERS = 2


def _client(address: str, stack: contextlib.ExitStack) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - distributed is a declared dependency
        raise UsageError("--dask needs the 'distributed' package") from exc
    if address == LOCAL:
        cluster = stack.enter_context(LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None))
        return stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
    try:
        return stack.enter_context(
            Client(address, timeout="30s"))  # type: ignore[no-untyped-call]
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address} ({exc})") from None


class DaskExecutor:
    """`Executor` on a Dask cluster (`address`: a scheduler, or `local`)."""

    def __init__(self, address: str, target_bytes: int | None = None) -> None:
        if not address:
            raise UsageError("--dask needs a scheduler address (tcp://host:8786) or 'local'")
        self.address = address
        self.target_bytes = target_bytes

    def plan(self, inputs: Sequence[InputFile]) -> list[Shard]:
        """Shards sized for the cluster: several per worker thread (for balance)."""
        target = self.target_bytes
        if target is None:
            threads = LOCAL_WORKERS if self.address == LOCAL else self._threads()
            target = choose_target(inputs, max(threads, 2))
        return plan_shards(inputs, target)

    def _threads(self) -> int:
        with contextlib.ExitStack() as stack:
            client = _client(self.address, stack)
            return sum(client.nthreads().values()) or 1

    def map(self, fn: Callable[[T], R], items: Sequence[T],
            lost: Callable[[T, BaseException], R]) -> Iterator[R]:
        """`fn` over `items` on the cluster, each result fetched in order and given on as soon
        as it is ready (released on the cluster once fetched; never all held here)."""
        from distributed import KilledWorker

        with contextlib.ExitStack() as stack:
            client = _client(self.address, stack)
            futures = client.map(fn, list(items), pure=False)
            for item, fut in zip(items, futures, strict=True):
                try:
                    result = fut.result()
                except KilledWorker as exc:  # distributed gave up: workers died holding it
                    result = lost(item, exc)
                fut.release()
                yield result
                del result

    def run(
        self, plan: Sequence[Shard], cfg: ScanConfig, progress: Progress | None = None
    ) -> Iterator[ShardResult]:
        """Each shard's result as it finishes (ranges are joined by the caller)."""
        from distributed import KilledWorker, as_completed

        with contextlib.ExitStack() as stack:
            client = _client(self.address, stack)
            tasks = batches(plan)
            futures = client.map(scan_batch, tasks, cfg=cfg, pure=False)
            by_key = {f.key: task for f, task in zip(futures, tasks, strict=True)}
            for fut in as_completed(futures):  # type: ignore[no-untyped-call]
                task = by_key.pop(fut.key)
                try:
                    results = fut.result()
                except KilledWorker as exc:  # distributed gave up: workers died holding it
                    results = [lost(s, exc) for s in task]
                fut.release()
                if progress is not None:
                    progress(sum(shard_bytes(s) for s in task))
                yield from results
