"""The quoted-reply policy: health data quoted back in a thread is counted once.

Owns one decision: a finding that exists only in quoted reply text is dropped (and noted)
when the same rule and value were already found, unquoted, in another message to the same
consumer addresses. A quote that reaches a new address is kept: forwarding health data to
someone new is a disclosure of its own. Never scans and never changes a kept finding.
"""

from __future__ import annotations

from collections import defaultdict

from tracecheck.model import Finding, Locator, Note, NoteKind
from tracecheck.packed_records import Packed


def drop_counted_quotes(
    findings: Packed[Finding], quoted_keys: set[tuple[str, str]] | None = None
) -> tuple[Packed[Finding], list[Note]]:
    """The findings without quotes already counted, and a note for each one dropped.

    `quoted_keys`, when known, are the (rule, value) pairs of the quoted findings: only
    unquoted findings with one of them are indexed."""
    # (rule, value) → locators of unquoted findings, in order, and per consumer address
    # (each locator string kept once: packed findings decode a new one every time).
    anywhere: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_addr: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    locators: dict[str, str] = {}
    quoted: list[tuple[int, str, str, Locator, str, tuple[str, ...]]] = []
    for i, f in enumerate(findings):
        key = (f.rule, f.value)
        if f.quoted:
            quoted.append((i, f.rule, f.value, f.at, f.part, f.consumer_addresses))
        elif quoted_keys is None or key in quoted_keys:
            loc = locators.setdefault(f.locator, f.locator)
            anywhere[key].append(loc)
            for a in f.consumer_addresses:
                by_addr[key][a].add(loc)
    dropped: dict[int, Note] = {}
    for i, rule, value, at, part, addresses in quoted:
        key = (rule, value)
        locator = str(at)
        common: set[str] | None = None
        if addresses:
            common = set.intersection(*(by_addr[key].get(a, set()) for a in addresses))
        earlier = next((loc for loc in anywhere.get(key, ())
                        if loc != locator and (common is None or loc in common)), None)
        if earlier is not None:
            dropped[i] = Note(locator=at, part=part, kind=NoteKind.SUPPRESSED,
                              reason=f"quoted {rule} already counted in {earlier}")
    if not dropped:
        return findings, []
    return findings.without(dropped), list(dropped.values())
