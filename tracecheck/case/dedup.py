"""Disclosures: the same message found in several exports counts once.

Owns the rule that two stored messages are copies of one disclosure when they share a
non-empty Message-ID or the SHA-256 of their raw bytes (transitively: A~B by Message-ID and
B~C by hash puts A, B and C together). Never reads the database and never looks at content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tracecheck.model import MessageRef


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One message as disclosed, with every stored copy of it."""

    key: str
    """Stable id: the first locator of the group in sorted order."""
    locators: tuple[str, ...]
    """Every copy's locator, sorted; the first is `key`."""
    message_ids: tuple[str, ...]
    sha256s: tuple[str, ...]
    date: str | None
    """Earliest date among the copies."""

    @property
    def copies(self) -> int:
        """Number of stored copies (1 when the message was found once)."""
        return len(self.locators)


def _norm_id(message_id: str) -> str:
    return message_id.strip().strip("<>").strip().lower()


def group(refs: Iterable[MessageRef]) -> tuple[Disclosure, ...]:
    """Group message refs into disclosures, sorted by key."""
    by_locator: dict[str, MessageRef] = {}
    for ref in refs:
        by_locator.setdefault(ref.locator, ref)
    parent: dict[str, str] = {loc: loc for loc in by_locator}

    def find(loc: str) -> str:
        while parent[loc] != loc:
            parent[loc] = parent[parent[loc]]
            loc = parent[loc]
        return loc

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first_by: dict[tuple[str, str], str] = {}
    for loc in sorted(by_locator):
        ref = by_locator[loc]
        keys = [("sha", ref.sha256)] if ref.sha256 else []
        mid = _norm_id(ref.message_id)
        if mid:
            keys.append(("mid", mid))
        for k in keys:
            if k in first_by:
                union(first_by[k], loc)
            else:
                first_by[k] = loc
    members: dict[str, list[str]] = {}
    for loc in sorted(by_locator):
        members.setdefault(find(loc), []).append(loc)
    out = []
    for locs in members.values():
        refs_in = [by_locator[loc] for loc in locs]
        dates = sorted(r.date for r in refs_in if r.date)
        out.append(
            Disclosure(
                key=locs[0],
                locators=tuple(locs),
                message_ids=tuple(sorted({r.message_id for r in refs_in if r.message_id})),
                sha256s=tuple(sorted({r.sha256 for r in refs_in if r.sha256})),
                date=dates[0] if dates else None,
            )
        )
    return tuple(sorted(out, key=lambda d: d.key))


def index(disclosures: Iterable[Disclosure]) -> dict[str, Disclosure]:
    """Map every copy's locator to its disclosure."""
    return {loc: d for d in disclosures for loc in d.locators}
