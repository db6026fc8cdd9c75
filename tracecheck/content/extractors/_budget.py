"""Shared accounting of `ExtractLimits` for container extractors (zip, tar, gzip, Office zips).

Owns the admission decision for one nested member (member count, total expanded bytes,
compression ratio) and the bounded reading of a decompressing stream. Never decides what a
member holds and never reads more than the budget allows.
"""

from __future__ import annotations

import zipfile
from typing import IO

from tracecheck.content.extract import Context
from tracecheck.model import Locator, SkipKind, Skipped

CHUNK = 1 << 20


def admit(ctx: Context, locator: str, size: int, packed: int | None, label: str) -> Skipped | None:
    """Charge one member of `size` expanded bytes (`packed` compressed) to the budget.

    Returns a `Skipped` (kind `limit`) without charging when the member must not be expanded.
    The ratio check applies to members larger than `limits.ratio_floor_bytes` only.
    """
    lim = ctx.limits
    if ctx.members >= lim.max_members:
        return Skipped(locator=Locator(within=locator), kind=SkipKind.LIMIT,
                       reason=f"limit: more than {lim.max_members} members")
    if packed is not None and size > lim.ratio_floor_bytes:
        ratio = size / max(packed, 1)
        if ratio > lim.max_ratio:
            return Skipped(locator=Locator(within=locator), kind=SkipKind.LIMIT,
                           reason=f"limit: {label} bomb refused (ratio {int(ratio)})")
    if ctx.total_bytes + size > lim.max_total_bytes:
        return Skipped(locator=Locator(within=locator), kind=SkipKind.LIMIT,
                       reason=f"limit: expanded size over {lim.max_total_bytes} bytes")
    ctx.members += 1
    ctx.total_bytes += size
    return None


def read_bounded(stream: IO[bytes], limit: int) -> bytes | None:
    """Read at most `limit` bytes; None when the stream holds more than that."""
    chunks: list[bytes] = []
    got = 0
    while True:
        chunk = stream.read(min(CHUNK, limit + 1 - got))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        got += len(chunk)
        if got > limit:
            return None


def zip_refusal(zf: zipfile.ZipFile, ctx: Context, label: str) -> Skipped | None:
    """Check a zip-based document (DOCX, XLSX, ODT) against the limits before a library
    expands it; a refusal covers the whole document. Charges nothing."""
    lim = ctx.limits
    total = ctx.total_bytes
    for info in zf.infolist():
        if info.flag_bits & 0x1:
            return Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED,
                           reason=f"encrypted: not scanned ({label} with encrypted members)")
        if info.file_size > lim.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > lim.max_ratio:
                return Skipped(locator=Locator(), kind=SkipKind.LIMIT,
                               reason=f"limit: zip bomb refused (ratio {int(ratio)})")
        total += info.file_size
    if total > lim.max_total_bytes:
        return Skipped(locator=Locator(), kind=SkipKind.LIMIT,
                       reason=f"limit: expanded size over {lim.max_total_bytes} bytes")
    return None
