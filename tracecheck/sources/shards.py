"""Shards: the units of parallel work — whole files, or byte ranges of large mbox files.

Owns where a large uncompressed mbox may be cut (only at a real message separator, found by
the splitter's own rule, `sources.mbox.next_separator_line`, so a cut never falls inside a
message) and reading one byte range so that it yields exactly the messages, offsets, locators
and hashes a whole-file read yields for that range. Compressed files, single-message files and
mboxcl files (where a message ends depends on its Content-Length) are never cut. Never parses
MIME and never holds a file whole: cut points are found by reading windows around each target
offset.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol, cast

from tracecheck.model import Locator, Note, RawMessage, Skipped
from tracecheck.sources.files import InputFile, open_evidence
from tracecheck.sources.mbox import MBOXCL, Window, next_separator_line, read_mbox

DEFAULT_TARGET = 64 * 1024 * 1024
"""Default shard size: big enough that per-shard overhead is noise, small enough to balance."""
MIN_TARGET = 1024 * 1024
"""Smallest target that `choose_target` picks (tests may pass smaller ones explicitly)."""
_WINDOW = 1 << 20


@dataclass(frozen=True, slots=True)
class Shard:
    """One unit of work: a whole input file, or the byte range [start, end) of an mbox."""

    input: InputFile
    start: int = 0
    end: int | None = None
    """Exclusive end offset; None reads to the end of the file."""
    hash_file: bool = True
    """The range at offset 0 also hashes the whole file; False when the executor hashes the
    file itself (in a thread beside the workers, off the critical path)."""

    @property
    def ranged(self) -> bool:
        """True when this shard is a byte range rather than the whole file."""
        return self.start != 0 or self.end is not None

    @property
    def key(self) -> str:
        """`path` for a whole file, `path@start-end` for a byte range (end = file size for
        the last range)."""
        if not self.ranged:
            return self.input.path
        end = self.input.size if self.end is None else self.end
        return f"{self.input.path}@{self.start}-{end}"

    @property
    def order(self) -> tuple[int, int]:
        """Sort key: the file's discovery order, then the start offset."""
        return (self.input.order, self.start)


def whole(inp: InputFile) -> Shard:
    """The shard covering all of `inp`."""
    return Shard(input=inp)


def can_cut(inp: InputFile) -> bool:
    """True for inputs that may be split into byte ranges: plain, uncompressed mbox (an
    mboxcl file is not, because where its messages end depends on each Content-Length)."""
    return inp.kind == "mbox" and not inp.gz and inp.container != MBOXCL


def choose_target(inputs: Sequence[InputFile], workers: int) -> int:
    """A shard size that gives each worker several shards (for balance), at most 64 MiB."""
    if workers <= 1:
        return 0
    total = sum(i.size for i in inputs if can_cut(i))
    return max(MIN_TARGET, min(DEFAULT_TARGET, total // (workers * 16) or MIN_TARGET))


def plan_shards(inputs: Sequence[InputFile], target_bytes: int = DEFAULT_TARGET) -> list[Shard]:
    """Shards for `inputs` in order; mbox files larger than `target_bytes` are cut into ranges
    at message boundaries. `target_bytes <= 0` never cuts."""
    shards: list[Shard] = []
    for inp in inputs:
        if target_bytes <= 0 or not can_cut(inp) or inp.size <= target_bytes:
            shards.append(whole(inp))
            continue
        try:
            cuts = find_cuts(inp.path, inp.size, target_bytes)
        except OSError:
            cuts = []  # unreadable now: one whole shard, whose read reports the error
        if not cuts:
            shards.append(whole(inp))
            continue
        bounds = [0, *cuts]
        for i, start in enumerate(bounds):
            end = bounds[i + 1] if i + 1 < len(bounds) else None
            shards.append(Shard(input=inp, start=start, end=end))
    return shards


def find_cuts(path: str, size: int, target_bytes: int) -> list[int]:
    """Offsets (> 0, ascending) of message separators near every multiple of `target_bytes`.

    Each cut is the first separator at or after its target; targets that fall inside a
    message already passed are dropped, so a huge message is never cut.
    """
    cuts: list[int] = []
    with open_evidence(path) as f:
        target = target_bytes
        while target < size:
            found = next_separator(f, target)
            if found is None or found >= size:
                break
            cuts.append(found)
            target = max(found + 1, (found // target_bytes + 1) * target_bytes)
    return cuts


def next_separator(f: BinaryIO, pos: int) -> int | None:
    """Offset of the first message separator at or after `pos` (> 0), or None at EOF: the
    splitter's own rule (`mbox.next_separator_line`), read from a few bytes before `pos` (they
    decide whether the line before it is empty)."""
    base = max(pos - 3, 0)
    f.seek(base)
    w = Window(f, _WINDOW)
    w.base = base
    found = next_separator_line(w, pos, 0, forget=True)
    return None if found < 0 else found


class Readable(Protocol):
    """Anything with `read(n)` (an open file, a hashing reader)."""

    def read(self, n: int = -1, /) -> bytes:
        """Up to `n` bytes."""
        ...


class RangeReader:
    """A read-only binary stream over bytes [start, end) of an open file (seeked to `start`
    when start > 0, so a non-seekable reader works for ranges that start at 0)."""

    def __init__(self, inner: Readable, start: int, end: int | None) -> None:
        if start:
            inner.seek(start)  # type: ignore[attr-defined]
        self.inner = inner
        self.left = None if end is None else max(end - start, 0)
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        """Up to `n` bytes (all that is left when n < 0), never past the range end."""
        if self.left is not None:
            if n < 0 or n > self.left:
                n = self.left
            if n == 0:
                return b""
        data = self.inner.read(n)
        if self.left is not None:
            self.left -= len(data)
        self.count += len(data)
        return data


def read_range(
    stream: Readable, source: str, start: int, *, hash_messages: bool = True,
    max_bytes: int | None = None,
) -> Iterator[RawMessage | Skipped | Note]:
    """Messages of an mbox byte range that starts at a separator (or at 0), with offsets and
    locators relative to the whole file, exactly as a whole-file read gives them (a message
    longer than `max_bytes` streamed, as `read_mbox` streams it)."""
    for item in read_mbox(cast(BinaryIO, stream), source, hash_messages=hash_messages,
                          max_bytes=max_bytes):
        if start == 0:
            yield item
        elif isinstance(item, RawMessage):
            yield _moved(item, start)
        else:
            yield dataclasses.replace(item, locator=_shift(item.locator, start))


def _field_getter(cls: type) -> tuple[operator.attrgetter[Any], list[str]]:
    names = [f.name for f in dataclasses.fields(cls)]
    assert all(f.init for f in dataclasses.fields(cls))  # the constructor takes every field
    return operator.attrgetter(*names), names


_RAW_VALUES, _RAW_NAMES = _field_getter(RawMessage)
_LOC_VALUES, _LOC_NAMES = _field_getter(Locator)
_RAW_OFFSET, _RAW_LOCATOR = _RAW_NAMES.index("offset"), _RAW_NAMES.index("locator")
_LOC_OFFSET = _LOC_NAMES.index("offset")


def _moved(item: RawMessage, start: int) -> RawMessage:
    """`item` with its offset (and its locator's) moved by `start`: what `dataclasses.replace`
    gives, built from every field in order without its per-call field look-ups (about 5 to
    2 us a message, for every message of every range but the first)."""
    offset = (item.offset or 0) + start
    where = list(_LOC_VALUES(item.locator))
    where[_LOC_OFFSET] = offset
    values = list(_RAW_VALUES(item))
    values[_RAW_OFFSET] = offset
    values[_RAW_LOCATOR] = Locator(*where)
    return RawMessage(*values)


def _shift(locator: Locator, start: int) -> Locator:
    if locator.offset is None:
        return locator
    return dataclasses.replace(locator, offset=locator.offset + start)
