"""Single-stream compression (gzip, bzip2, xz): the decompressed stream as one member.

Owns the bounded decompression: a declared size (gzip ISIZE) that breaks the ratio limit is
refused before anything is expanded, and the actual expansion stops at the ratio and budget
limits whatever the header claims. Never inspects what the decompressed bytes hold.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
from collections.abc import Iterator
from typing import IO, cast

from tracecheck.content.extract import Context, Extracted, Member, Unreadable, register
from tracecheck.content.extractors._budget import admit, read_bounded
from tracecheck.deps import Requirement
from tracecheck.limits import expansion_cap, gzip_declared_refusal
from tracecheck.model import Locator, SkipKind, Skipped

_KINDS = {
    "application/gzip": "gz", "application/x-gzip": "gz",
    "application/x-bzip2": "bz2",
    "application/x-xz": "xz",
}


def gzip_name(data: bytes) -> str | None:
    """The original file name stored in a gzip header (FNAME), if any."""
    if len(data) < 10 or not data[3] & 0x08:
        return None
    pos = 10
    if data[3] & 0x04:  # FEXTRA
        if len(data) < 12:
            return None
        pos += 2 + struct.unpack_from("<H", data, 10)[0]
    end = data.find(b"\x00", pos)
    if end < 0:
        return None
    return data[pos:end].decode("latin-1") or None


def _open(kind: str, data: bytes) -> IO[bytes]:
    raw = io.BytesIO(data)
    if kind == "gz":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    if kind == "bz2":
        return bz2.BZ2File(raw, mode="rb")
    return lzma.LZMAFile(raw, mode="rb")


class CompressedExtractor:
    """gzip/bzip2/xz stream → `Member("gz:NAME", decompressed)`."""

    name = "compressed"
    requires: tuple[Requirement, ...] = ()

    def accepts(self, mime: str, head: bytes) -> bool:
        return mime in _KINDS

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        kind = _KINDS.get(_sniffed_kind(data), "gz")
        name = (gzip_name(data) if kind == "gz" else None) or "data"
        loc = f"{kind}:{name}"
        if kind == "gz":
            bomb = gzip_declared_refusal(ctx.limits, data)
            if bomb is not None:
                yield Skipped(locator=Locator(within=loc), kind=SkipKind.LIMIT, reason=bomb)
                return
        cap, over = expansion_cap(ctx, len(data), kind)
        try:
            with _open(kind, data) as fh:
                body = read_bounded(fh, cap)
        except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            yield Skipped(locator=Locator(within=loc), kind=SkipKind.UNREADABLE,
                          reason=f"{kind}: stream unreadable ({type(exc).__name__})")
            return
        except Exception as exc:  # gzip/bz2/lzma (zlib.error...) failing on a hostile stream
            raise Unreadable(exc) from exc
        if body is None:
            yield Skipped(locator=Locator(within=loc), kind=SkipKind.LIMIT, reason=over)
            return
        refused = admit(ctx, loc, len(body), len(data), kind)
        if refused is not None:
            yield refused
            return
        yield Member(loc, body)


def _sniffed_kind(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        return "application/gzip"
    if data[:3] == b"BZh":
        return "application/x-bzip2"
    return "application/x-xz"


register(CompressedExtractor())
