"""Compact read-only sequences for the records a large scan keeps: findings and message refs.

A 2 GB mailbox yields tens of thousands of findings and consumer-flow message references. As
Python objects a finding costs about 1 KB (its strings, its fingerprint, the message facts),
which made the parent process grow with the input. `Packed` keeps records as pickled blocks
of up to `BLOCK` records, each zlib-compressed (about 130 bytes a finding and 60 a reference:
masked evidence and message facts repeat a lot), and decodes one block at a time when read.
It behaves like the tuple it stands for: `len`, indexing, slices (tuples), iteration, `==`
against tuples and other packed sequences, pickling.

Never holds anything on disk: the records may carry health data (`Finding.value`).
"""

from __future__ import annotations

import bisect
import pickle
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")

BLOCK = 256
"""Records per compressed block (larger blocks compress a little better, cost more per
random access)."""
_LEVEL = 1
"""zlib level: 1 is several times faster than the default and within 15% of its size."""


def _pack(items: list[Any]) -> bytes:
    return zlib.compress(pickle.dumps(items, pickle.HIGHEST_PROTOCOL), _LEVEL)


def _unpack(blob: bytes) -> list[Any]:
    items: list[Any] = pickle.loads(zlib.decompress(blob))  # our own bytes, never input
    return items


class Packer(Generic[T]):
    """Builds a `Packed` sequence: `add`, `extend` or `add_packed`, then `done`."""

    __slots__ = ("_blocks", "_ends", "_tail")

    def __init__(self) -> None:
        self._blocks: list[bytes] = []
        self._ends: list[int] = []
        self._tail: list[T] = []

    def __len__(self) -> int:
        return (self._ends[-1] if self._ends else 0) + len(self._tail)

    def add(self, item: T) -> None:
        """Append one record."""
        self._tail.append(item)
        if len(self._tail) >= BLOCK:
            self._flush()

    def extend(self, items: Iterable[T]) -> None:
        """Append records in order."""
        for item in items:
            self.add(item)

    def add_packed(self, other: Packed[T]) -> None:
        """Append a packed sequence's records. Its well-filled blocks that lost no record
        (`Packed.without`) are taken as they are, without decoding; the records of the
        others one by one (so small blocks do not pile up)."""
        start = 0
        gone = other._gone
        for n, (blob, end) in enumerate(zip(other._blocks, other._ends, strict=True)):
            lo, hi = bisect.bisect_left(gone, start), bisect.bisect_left(gone, end)
            if end - start >= BLOCK // 2 and lo == hi:
                self._flush()
                self._blocks.append(blob)
                self._ends.append(len(self) + end - start)
            else:
                drop = set(gone[lo:hi])
                self.extend(x for i, x in enumerate(other._block(n), start) if i not in drop)
            start = end

    def _flush(self) -> None:
        if self._tail:
            self._blocks.append(_pack(self._tail))
            self._ends.append((self._ends[-1] if self._ends else 0) + len(self._tail))
            self._tail = []

    def done(self) -> Packed[T]:
        """The finished sequence (the packer is left empty)."""
        self._flush()
        out: Packed[T] = Packed._of(self._blocks, self._ends, ())
        self._blocks, self._ends = [], []
        return out


class Packed(Sequence[T]):
    """A read-only sequence held as compressed blocks of pickled records."""

    __slots__ = ("_blocks", "_cache", "_ends", "_gone")

    def __init__(self, items: Iterable[T] = ()) -> None:
        packer: Packer[T] = Packer()
        packer.extend(items)
        done = packer.done()
        self._blocks: list[bytes] = done._blocks
        self._ends: list[int] = done._ends
        """Position one past each block's last record."""
        self._gone: tuple[int, ...] = ()
        """Positions (sorted) of records left out by `without`."""
        self._cache: tuple[int, list[T]] | None = None

    @classmethod
    def _of(cls, blocks: list[bytes], ends: list[int], gone: tuple[int, ...]) -> Packed[T]:
        new: Packed[T] = cls.__new__(cls)
        new._blocks = blocks
        new._ends = ends
        new._gone = gone
        new._cache = None
        return new

    @property
    def packed_bytes(self) -> int:
        """Bytes of compressed data held (for measurements)."""
        return sum(len(b) for b in self._blocks)

    def _block(self, n: int) -> list[T]:
        cached = self._cache
        if cached is not None and cached[0] == n:
            return cached[1]
        items: list[T] = _unpack(self._blocks[n])
        self._cache = (n, items)
        return items

    def _position(self, index: int) -> int:
        """Position in the blocks of the record at `index` (0 <= index < len)."""
        pos = index
        for g in self._gone:
            if g > pos:
                break
            pos += 1
        return pos

    def __len__(self) -> int:
        return (self._ends[-1] if self._ends else 0) - len(self._gone)

    def without(self, indices: Iterable[int]) -> Packed[T]:
        """The sequence without the records at `indices` (nothing is decoded or copied: the
        blocks are shared and the records skipped when read)."""
        size = len(self)
        drop = {self._position(i if i >= 0 else i + size) for i in indices}
        if any(not 0 <= p < (self._ends[-1] if self._ends else 0) for p in drop):
            raise IndexError("Packed index out of range")
        return Packed._of(self._blocks, self._ends, tuple(sorted(drop.union(self._gone))))

    def __iter__(self) -> Iterator[T]:
        if not self._gone:
            for blob in self._blocks:
                yield from _unpack(blob)
            return
        gone = set(self._gone)
        pos = 0
        for blob in self._blocks:
            for item in _unpack(blob):
                if pos not in gone:
                    yield item
                pos += 1

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        size = len(self)
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(size)))
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("Packed index out of range")
        pos = self._position(index)
        n = bisect.bisect_right(self._ends, pos)
        return self._block(n)[pos - (self._ends[n - 1] if n else 0)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (Packed, tuple)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"<Packed: {len(self)} records, {self.packed_bytes} bytes>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Packed._of, (self._blocks, self._ends, self._gone))


def packed(items: Iterable[T]) -> Packed[T]:
    """`items` as a `Packed` sequence (a `Packed` is returned as it is)."""
    return items if isinstance(items, Packed) else Packed(items)


__all__ = ["BLOCK", "Packed", "Packer", "packed"]
