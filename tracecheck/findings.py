"""Findings: matches joined to their message and flow, with a stable identity.

Owns how detector matches in one message become `Finding`s (one per message, part, rule and
normalised value; occurrences counted, the highest confidence kept), the fingerprint that
identifies a finding across reruns, tools and offsets, and which findings make a run fail.
Never scans and never decides flows (it is given the flow).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence

from tracecheck.model import Finding, Flow, Match, MessageInfo, Severity


def fingerprint(message_sha256: str, part: str, rule: str, value: str) -> str:
    """Stable identity of a finding: message raw hash, part path, rule id, normalised value."""
    text = "\x1f".join((message_sha256, part, rule, value))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def findings_for(
    info: MessageInfo, matches: Sequence[Match], flow: Flow, consumer_addrs: tuple[str, ...]
) -> Iterator[Finding]:
    """The findings of one message, in the order their first match was found."""
    sender = info.senders[0].addr if info.senders else ""
    recipients = tuple(dict.fromkeys(a.addr for a in info.recipients))
    grouped: dict[tuple[str, str, str], list[Match]] = {}
    for m in matches:
        grouped.setdefault((m.part, m.rule, m.value), []).append(m)
    for (part, rule, value), group in grouped.items():
        first = group[0]
        yield Finding(
            fingerprint=fingerprint(info.sha256, part, rule, value),
            message_id=info.message_id,
            source=info.source,
            at=info.at,
            part=part,
            where=first.where,
            date=info.date,
            sender=sender,
            recipients=recipients,
            flow=flow,
            consumer_addresses=consumer_addrs,
            rule=rule,
            category=first.category,
            severity=first.severity,
            evidence=first.evidence,
            value=value,
            confidence=max(m.confidence for m in group),
            occurrences=len(group),
            test_data=first.test_data,
            message_sha256=info.sha256,
            pack=first.pack,
            quoted=all(m.quoted for m in group),
        )


def failing(findings: Iterable[Finding], fail_on: Severity | None) -> Iterator[Finding]:
    """Findings that fail a run: consumer flows, at or above `fail_on`, not reserved test
    data. `fail_on=None` means never fail."""
    if fail_on is None:
        return
    for f in findings:
        if f.flow.is_consumer and f.severity >= fail_on and not f.test_data:
            yield f
