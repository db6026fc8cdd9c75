"""`ExtractLimits` for container extractors (zip, tar, gzip, Office zips), as skips.

Owns the form of a refusal inside an attachment (a `Skipped` of kind `limit` at the member's
relative locator) and the check of a zip-based document before its library expands it. The
rules themselves (admission, ratio, bounded reading) are `tracecheck.limits`, which the
archive sources apply too. Never decides what a member holds and never reads more than the
budget allows.
"""

from __future__ import annotations

import zipfile

from tracecheck.content.extract import Context
from tracecheck.limits import ratio_refusal, read_bounded, refusal
from tracecheck.model import Locator, SkipKind, Skipped

__all__ = ["admit", "read_bounded", "zip_refusal"]


def admit(ctx: Context, locator: str, size: int, packed: int | None, label: str) -> Skipped | None:
    """Charge one member of `size` expanded bytes (`packed` compressed) to the budget.

    Returns a `Skipped` (kind `limit`) without charging when the member must not be expanded.
    The ratio check applies to members larger than `limits.ratio_floor_bytes` only.
    """
    reason = refusal(ctx, size, packed, label)
    if reason is None:
        return None
    return Skipped(locator=Locator(within=locator), kind=SkipKind.LIMIT, reason=reason)


def zip_refusal(zf: zipfile.ZipFile, ctx: Context, label: str) -> Skipped | None:
    """Check a zip-based document (DOCX, XLSX, ODT) against the limits before a library
    expands it; a refusal covers the whole document. Charges nothing."""
    lim = ctx.limits
    total = ctx.total_bytes
    for info in zf.infolist():
        if info.flag_bits & 0x1:
            return Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED,
                           reason=f"encrypted: not scanned ({label} with encrypted members)")
        bomb = ratio_refusal(lim, info.file_size, info.compress_size, "zip")
        if bomb is not None:
            return Skipped(locator=Locator(), kind=SkipKind.LIMIT, reason=bomb)
        total += info.file_size
    if total > lim.max_total_bytes:
        return Skipped(locator=Locator(), kind=SkipKind.LIMIT,
                       reason=f"limit: expanded size over {lim.max_total_bytes} bytes")
    return None
