"""What every executor shares: the `Executor` interface, task batches, and lost work.

Owns the contract between `api.scan` and a backend: `plan(inputs)` says which shards (whole
files, byte ranges of big mbox files) the executor will run, and `run(plan, cfg, progress)`
yields one `ShardResult` per shard, in any order (`merge` puts them back together); `map(fn,
items, lost)` runs a function over whole files (the log files) in order. It also
owns batching many small files into one task, and the one failure an executor records rather
than raises: a worker process that died or was lost (`worker-lost`, never an input kind).
Never decides where files are cut (`sources.shards`) and never scans (`scanner`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

from tracecheck.model import Locator, ShardResult, SkipKind, Skipped, SourceSummary
from tracecheck.scanner import ScanConfig, scan_shard, source_type
from tracecheck.sources.files import InputFile
from tracecheck.sources.shards import Shard

Progress = Callable[[int], None]


T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs shards: one interface for every backend (`parallel.BACKENDS`). `map` runs one
    function over whole files (log files) on the same workers."""

    def map(self, fn: Callable[[T], R], items: Sequence[T],
            lost: Callable[[T, BaseException], R]) -> Iterator[R]:
        """`fn` over `items`, results given one at a time in the order of `items` (the caller
        takes each before the next: results are not all held); an item whose worker died or
        was lost gets `lost(item, exc)` instead (tracecheck's own exceptions propagate)."""
        ...

    def plan(self, inputs: Sequence[InputFile]) -> list[Shard]:
        """The shards this executor runs for `inputs`, in input order."""
        ...

    def run(self, plan: Sequence[Shard], cfg: ScanConfig, progress: Progress | None = None
            ) -> Iterator[ShardResult]:
        """One result per shard of `plan`, in any order; `progress(n)` with bytes done."""
        ...


BATCH_BYTES = 4 * 1024 * 1024
"""Small whole files are grouped into one task until the group holds this many bytes…"""
BATCH_FILES = 256
"""…or this many files (one task per tiny Maildir message would cost more than the scan)."""


def batches(plan: Sequence[Shard]) -> list[list[Shard]]:
    """Tasks: every byte range alone; consecutive small whole files grouped."""
    out: list[list[Shard]] = []
    group: list[Shard] = []
    size = 0
    for shard in plan:
        if shard.ranged or shard.input.size >= BATCH_BYTES:
            out.append([shard])
            continue
        group.append(shard)
        size += shard.input.size
        if size >= BATCH_BYTES or len(group) >= BATCH_FILES:
            out.append(group)
            group, size = [], 0
    if group:
        out.append(group)
    return out


def scan_batch(shards: Sequence[Shard], cfg: ScanConfig) -> list[ShardResult]:
    """Scan a task's shards in order (runs inside a worker process or a Dask worker)."""
    return [scan_shard(s, cfg) for s in shards]


def shard_bytes(shard: Shard) -> int:
    """Bytes a shard covers (for progress)."""
    end = shard.input.size if shard.end is None else shard.end
    return max(end - shard.start, 0)


def lost(shard: Shard, exc: BaseException) -> ShardResult:
    """The result of a shard whose worker died or was lost (`worker-lost`): not scanned,
    through no fault of the input."""
    inp = shard.input
    skip = Skipped(locator=Locator(path=inp.path), kind=SkipKind.WORKER_LOST,
                   reason=f"not scanned: the worker scanning {shard.key} was lost "
                          f"({type(exc).__name__}); rerun to scan it")
    source = SourceSummary(path=inp.path, type=source_type(inp), bytes=0, sha256="",
                           messages=0, skipped=1)
    return ShardResult(key=shard.key, source=source, found=0, scanned=0, skipped=(skip,),
                       notes=(), messages=(), matches=(), refs=(), sender_domains=(),
                       order=shard.order)
