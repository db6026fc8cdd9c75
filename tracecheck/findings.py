"""Findings: matches joined to their message and flow, with a stable identity.

Owns how detector matches in one message become `Finding`s (one per message, part, rule and
normalised value; occurrences counted, the highest confidence kept; a reserved test-range value
is `info`), the fingerprint that identifies a finding across reruns, tools and offsets, and the
one definition of a counted finding and a flagged message (`counts`, `flagged_messages`) that
the scan summary, the exit code, SARIF, JUnit and the ICO report all use. Never scans and never
decides flows (it is given the flow).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from tracecheck.model import Finding, Flow, Match, MessageInfo, Severity


def fingerprint(message_sha256: str, part: str, rule: str, value: str) -> str:
    """Stable identity of a finding: message raw hash, part path, rule id, normalised value."""
    text = "\x1f".join((message_sha256, part, rule, value))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def findings_for(
    info: MessageInfo, matches: Sequence[Match], flow: Flow, consumer_addrs: tuple[str, ...],
    custodian: str = "",
) -> Iterator[Finding]:
    """The findings of one message, in the order their first match was found (`custodian`:
    whose mailbox it came from, `custodians.Custodians.of`)."""
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
            # A reserved test-range value is test data whatever the detector's severity.
            severity=Severity.INFO if first.test_data else first.severity,
            evidence=first.evidence,
            value=value,
            confidence=max(m.confidence for m in group),
            occurrences=sum(m.occurrences for m in group),
            test_data=first.test_data,
            message_sha256=info.sha256,
            pack=first.pack,
            quoted=all(m.quoted for m in group),
            reasons=max(group, key=lambda m: m.confidence).reasons,
            custodian=custodian,
        )


def counts(f: Finding) -> bool:
    """The one definition of a counted finding: health data carried to or from a consumer
    mailbox. Its flow involves a consumer address, and it is neither reserved test data nor
    `info`. A message with at least one counted finding is a flagged message; nothing else
    is, in any output or exit code."""
    return f.flow.is_consumer and not f.test_data and f.severity > Severity.INFO


def flagged_messages(findings: Iterable[Finding]) -> set[str]:
    """Locators of the flagged messages: those with at least one counted finding."""
    return {f.locator for f in findings if counts(f)}


def failing(findings: Iterable[Finding], fail_on: Severity | None) -> Iterator[Finding]:
    """Findings that fail a run: counted findings (`counts`) at or above `fail_on`.
    `fail_on=None` means never fail."""
    if fail_on is None:
        return
    for f in findings:
        if counts(f) and f.severity >= fail_on:
            yield f


@dataclass(frozen=True, slots=True)
class CustodianCount:
    """One custodian's share of a run's findings (`by_custodian`)."""

    custodian: str
    """"" for findings no custodian was attributed to."""
    findings: int
    consumer_findings: int
    """Counted findings (`counts`)."""
    messages_flagged: int
    """Flagged messages (at least one counted finding)."""

    def as_dict(self) -> dict[str, object]:
        """The JSON summary's record."""
        return {"custodian": self.custodian, "findings": self.findings,
                "consumer_findings": self.consumer_findings,
                "messages_flagged": self.messages_flagged}


class Tallies:
    """What the summaries count over a run's findings, in one pass (packed findings are decoded
    as they are read, so each pass costs a decode of every block): flagged messages, counted
    findings and test data (`counts`), and each custodian's share (`by_custodian`)."""

    __slots__ = ("addresses", "consumer_findings", "consumer_flagged", "counted", "flagged",
                 "flagged_by", "test_data", "total")

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self.flagged: set[str] = set()
        """Locators of messages with any finding."""
        self.consumer_flagged: set[str] = set()
        """Locators of flagged messages (`flagged_messages`)."""
        self.addresses: set[str] = set()
        """Consumer addresses of the counted findings."""
        self.consumer_findings = 0
        self.test_data = 0
        """Findings not counted because they are reserved test data."""
        self.total: Counter[str] = Counter()
        self.counted: Counter[str] = Counter()
        self.flagged_by: dict[str, set[str]] = {}
        for f in findings:
            self.add(f)

    def add(self, f: Finding) -> None:
        """Count one finding."""
        self.flagged.add(f.locator)
        self.total[f.custodian] += 1
        if counts(f):
            self.consumer_flagged.add(f.locator)
            self.addresses.update(f.consumer_addresses)
            self.consumer_findings += 1
            self.counted[f.custodian] += 1
            self.flagged_by.setdefault(f.custodian, set()).add(f.locator)
        elif f.test_data:
            self.test_data += 1

    def by_custodian(self) -> list[CustodianCount]:
        """`by_custodian` of the findings counted."""
        total = self.total
        if not any(total) or set(total) == {""}:
            return []
        return [CustodianCount(c, total[c], self.counted[c], len(self.flagged_by.get(c, ())))
                for c in sorted(total)]


def by_custodian(findings: Iterable[Finding]) -> list[CustodianCount]:
    """Findings, counted findings and flagged messages per custodian, by custodian name (the
    unattributed, "", first); empty when no finding has a custodian. The scan summary and the
    ICO report both use it."""
    return Tallies(findings).by_custodian()
