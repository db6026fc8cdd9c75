"""Opening evidence: read-only, access times untouched, gzip transparent, every byte hashed.

Owns `open_evidence` (O_RDONLY, O_NOATIME where allowed, so reading evidence does not even
touch access times), the hashing pass-through reader, and the gzip reader that hands over what
it decompressed before a truncation. Never writes, never decides what a file is.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from tracecheck.sources.base import InputFile


def open_evidence(path: str) -> BinaryIO:
    """Open a file read-only without updating its access time where the OS allows."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    try:
        fd = os.open(path, flags | noatime)
    except PermissionError:
        if not noatime:
            raise
        fd = os.open(path, flags)
    return os.fdopen(fd, "rb", buffering=1 << 20)


class HashingReader(io.RawIOBase):
    """Passes reads through and hashes every byte read from the underlying file."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.hasher = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(b))
        n = len(data)
        b[:n] = data
        self.hasher.update(data)
        self.count += n
        return n

    def finish(self) -> tuple[int, str]:
        """Read to the end (so the hash covers the whole file); return (bytes, sha256)."""
        while True:
            data = self.inner.read(1 << 20)
            if not data:
                break
            self.hasher.update(data)
            self.count += len(data)
        return self.count, self.hasher.hexdigest()


class SalvagingGzip(io.RawIOBase):
    """A gzip stream that hands over everything it could decompress before a truncation.

    `GzipFile.read(n)` discards the bytes it decompressed in a call that hits the end of a
    truncated file; reading through `read1` keeps them, and the error comes on the next read.
    """

    def __init__(self, inner: gzip.GzipFile) -> None:
        self.inner = inner
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.error is not None:
            raise self.error
        got = 0
        view = memoryview(b)
        while got < len(view):
            try:
                data = self.inner.read1(len(view) - got)
            except (EOFError, OSError, zlib.error) as exc:
                self.error = exc
                break
            if not data:
                break
            view[got : got + len(data)] = data
            got += len(data)
        if got == 0 and self.error is not None:
            raise self.error
        return got


@contextlib.contextmanager
def open_stream(inp: InputFile) -> Iterator[tuple[BinaryIO, HashingReader]]:
    """A binary stream of the (decompressed) content, and the hasher over the stored bytes."""
    with open_evidence(inp.path) as f:
        hasher = HashingReader(f)
        buffered = io.BufferedReader(hasher, buffer_size=1 << 20)
        if inp.gz:
            with gzip.GzipFile(fileobj=buffered, mode="rb") as gz:
                yield SalvagingGzip(gz), hasher  # type: ignore[misc]
        else:
            yield buffered, hasher
