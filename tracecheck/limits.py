"""Applying `ExtractLimits` to nested containers: one budget and one admission rule.

Owns the budget of one top-level container (`Budget`: members opened and bytes expanded so
far), the admission of one member (member count, compression ratio, expanded size), the cap on
how far one compressed stream may expand, and the bounded reading of a decompressing stream.
The attachment extractors (`tracecheck.content`, one budget per top-level attachment) and the
archive sources (`tracecheck.sources.archive`, one budget per archive given as input) sit in
different layers and both apply the limits through here, so each rule is written once. Never
decides what a member holds, never reads more than it is allowed to, and never touches disk.
"""

from __future__ import annotations

import struct
from typing import IO

from tracecheck.model import ExtractLimits

CHUNK = 1 << 20


class Budget:
    """What one top-level container has used of its limits; shared by everything nested in
    it (mutable: the recursion charges it as it goes)."""

    def __init__(self, limits: ExtractLimits) -> None:
        self.limits = limits
        self.members = 0
        self.total_bytes = 0


def ratio_refusal(limits: ExtractLimits, size: int, packed: int | None, label: str
                  ) -> str | None:
    """`limit: LABEL bomb refused (ratio N)` when `size` expanded bytes from `packed` bytes
    break `max_ratio`; members that expand to at most `ratio_floor_bytes` are exempt."""
    if packed is None or size <= limits.ratio_floor_bytes:
        return None
    ratio = size / max(packed, 1)
    if ratio > limits.max_ratio:
        return f"limit: {label} bomb refused (ratio {int(ratio)})"
    return None


def gzip_declared_refusal(limits: ExtractLimits, data: bytes) -> str | None:
    """The ratio refusal of a whole gzip stream from the size its trailer declares (ISIZE),
    before anything is expanded (`ratio_refusal` with label `gz`)."""
    if len(data) < 18:
        return None
    declared = struct.unpack_from("<I", data, len(data) - 4)[0]
    return ratio_refusal(limits, declared, len(data), "gz")


def refusal(budget: Budget, size: int, packed: int | None, label: str) -> str | None:
    """Charge one member of `size` expanded bytes (`packed` compressed, None when unknown) to
    the budget, or say why it must not be expanded (then nothing is charged).

    The reasons: `limit: more than N members`, `limit: LABEL bomb refused (ratio N)`,
    `limit: expanded size over N bytes`."""
    lim = budget.limits
    if budget.members >= lim.max_members:
        return f"limit: more than {lim.max_members} members"
    bomb = ratio_refusal(lim, size, packed, label)
    if bomb is not None:
        return bomb
    if budget.total_bytes + size > lim.max_total_bytes:
        return f"limit: expanded size over {lim.max_total_bytes} bytes"
    budget.members += 1
    budget.total_bytes += size
    return None


def members_exhausted(budget: Budget) -> bool:
    """True once the budget has admitted `max_members` members (no further one will be)."""
    return budget.members >= budget.limits.max_members


def further_members(rest: int, limits: ExtractLimits) -> str:
    """The reason of the one entry that counts the members after the first one refused by
    `max_members` (one entry, not one each: a hostile archive can hold millions)."""
    return f"limit: {rest} further members not opened (max_members {limits.max_members})"


def ratio_cap(limits: ExtractLimits, packed: int) -> int:
    """How many bytes a compressed stream of `packed` bytes may expand to by `max_ratio`
    (at least `ratio_floor_bytes`)."""
    return max(int(limits.max_ratio * packed), limits.ratio_floor_bytes)


def expansion_cap(budget: Budget, packed: int, label: str) -> tuple[int, str]:
    """How many bytes a compressed stream of `packed` bytes may expand to (the ratio limit,
    the budget left), and the reason to give when it holds more."""
    lim = budget.limits
    by_ratio = ratio_cap(lim, packed)
    by_budget = lim.max_total_bytes - budget.total_bytes
    if by_ratio <= by_budget:
        return by_ratio, f"limit: {label} bomb refused (ratio over {int(lim.max_ratio)})"
    return by_budget, f"limit: expanded size over {lim.max_total_bytes} bytes"


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
