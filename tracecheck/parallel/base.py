"""What every executor shares: the `Executor` interface, task batches, and joining results.

Owns the contract between `api.scan` and a backend: an executor takes the input files, the
scan config and an optional progress callback, and yields one `ShardResult` per input file
(byte ranges already joined, in any order — the api sorts). It also owns batching many small
files into one task and turning a failed task into `Skipped` values, never an exception.
Never decides where files are cut (`sources.shards`) and never scans (`scanner`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from tracecheck.model import Locator, ShardResult, SkipKind, Skipped, SourceSummary
from tracecheck.scanner import ScanConfig, join_ranges, scan_shard
from tracecheck.sources.files import InputFile
from tracecheck.sources.shards import Shard

Progress = Callable[[int], None]
Executor = Callable[[Sequence[InputFile], ScanConfig, Progress | None], Iterator[ShardResult]]
"""`executor(inputs, cfg, progress)` → one ShardResult per input file, in any order."""

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


def failed(shard: Shard, exc: BaseException) -> ShardResult:
    """The result of a shard whose task failed (worker died, lost, out of memory)."""
    inp = shard.input
    skip = Skipped(locator=Locator(path=inp.path), kind=SkipKind.WORKER_LOST,
                   reason=f"not scanned: worker failed ({type(exc).__name__}) while scanning "
                          f"{shard.key}")
    source = SourceSummary(path=inp.path, type=inp.kind, bytes=0, sha256="", messages=0,
                           skipped=1)
    return ShardResult(key=shard.key, source=source, found=0, scanned=0, skipped=(skip,),
                       notes=(), messages=(), matches=(), refs=(), sender_domains=(),
                       order=shard.order)


class Joiner:
    """Collects range results and hands back each file's joined result once complete."""

    def __init__(self, plan: Sequence[Shard]) -> None:
        self.expected: dict[tuple[int, str], int] = defaultdict(int)
        for shard in plan:
            self.expected[(shard.input.order, shard.input.path)] += 1
        self.parts: dict[tuple[int, str], list[ShardResult]] = defaultdict(list)

    def add(self, result: ShardResult) -> Iterator[ShardResult]:
        """Yield the file's result when `result` was its last missing part."""
        path = result.source.path if result.source is not None else result.key
        key = (result.order[0] if result.order else 0, path)
        parts = self.parts[key]
        parts.append(result)
        if len(parts) >= self.expected.get(key, 1):
            del self.parts[key]
            yield join_ranges(parts)
