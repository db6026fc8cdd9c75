"""Reviewer decisions on findings: the vocabulary and how they classify findings for reports.

Owns the three decisions (confirmed, false-positive, needs-review), the decision record, and
the rule that reports count confirmed and unreviewed findings separately and leave false
positives out. Never writes to the store (the store persists decisions) and never changes a
finding.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tracecheck.model import Finding
from tracecheck.rules.mask import mask_address


class Decision(enum.StrEnum):
    """What a reviewer decided about one finding."""

    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false-positive"
    NEEDS_REVIEW = "needs-review"

    @classmethod
    def parse(cls, text: str) -> Decision:
        """Parse a decision name as typed on the command line."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(d.value for d in cls)
            raise ValueError(f"unknown decision {text!r} ({names})") from None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """The current decision on one finding, with who made it, when and why."""

    fingerprint: str
    decision: Decision
    reason: str
    who: str
    at: str
    """ISO 8601 UTC time of the decision."""


class Status(enum.StrEnum):
    """How a report treats a finding."""

    CONFIRMED = "confirmed"
    UNREVIEWED = "unreviewed"
    """No decision yet, or marked needs-review."""
    FALSE_POSITIVE = "false-positive"


class StatusFilter(enum.StrEnum):
    """What `review list --status` selects: a report status, or the findings marked
    needs-review (which reports count as unreviewed)."""

    CONFIRMED = "confirmed"
    UNREVIEWED = "unreviewed"
    """No decision, or marked needs-review: as reports count them."""
    NEEDS_REVIEW = "needs-review"
    """Marked needs-review."""
    FALSE_POSITIVE = "false-positive"

    def selects(self, status: Status, decision: Decision | None) -> bool:
        """True when a finding with this report status and decision is listed."""
        if self is StatusFilter.NEEDS_REVIEW:
            return decision is Decision.NEEDS_REVIEW
        return status.value == self.value


def status_of(finding: Finding, decisions: Mapping[str, DecisionRecord]) -> Status:
    """The report status of one finding given the case's decisions."""
    record = decisions.get(finding.fingerprint)
    if record is None or record.decision is Decision.NEEDS_REVIEW:
        return Status.UNREVIEWED
    if record.decision is Decision.CONFIRMED:
        return Status.CONFIRMED
    return Status.FALSE_POSITIVE


def counted(
    findings: Iterable[Finding], decisions: Mapping[str, DecisionRecord]
) -> list[tuple[Finding, Status]]:
    """Findings a report counts (false positives dropped), each with its status."""
    out: list[tuple[Finding, Status]] = []
    for finding in findings:
        status = status_of(finding, decisions)
        if status is not Status.FALSE_POSITIVE:
            out.append((finding, status))
    return out


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One finding as `tracecheck review list` shows it: consumer addresses masked (and the
    sender, when it is one) unless revealed; the value only when revealed."""

    fingerprint: str
    date: str | None
    flow: str
    rule: str
    category: str
    severity: str
    sender: str
    consumer_addresses: tuple[str, ...]
    locator: str
    where: str
    evidence: str
    status: Status
    decision: Decision | None
    reason: str | None
    who: str | None
    value: str | None
    """Only when revealed."""

    def as_dict(self) -> dict[str, object]:
        """The JSON object of `review list --format json` (keys in this order)."""
        out: dict[str, object] = {
            "fingerprint": self.fingerprint, "date": self.date, "flow": self.flow,
            "rule": self.rule, "category": self.category, "severity": self.severity,
            "sender": self.sender, "consumer_addresses": list(self.consumer_addresses),
            "locator": self.locator, "where": self.where, "evidence": self.evidence,
            "status": self.status.value,
            "decision": self.decision.value if self.decision else None,
            "reason": self.reason, "who": self.who,
        }
        if self.value is not None:
            out["value"] = self.value
        return out


def review_rows(
    findings: Iterable[Finding],
    decisions: Mapping[str, DecisionRecord],
    *,
    rule: str | None = None,
    sender: str | None = None,
    status: StatusFilter | Status | None = None,
    reveal: bool = False,
) -> list[ReviewRow]:
    """The findings a review listing shows (filtered by rule, sender and status), masked."""
    wanted = None if status is None else StatusFilter(status.value)
    rows: list[ReviewRow] = []
    for f in findings:
        if rule is not None and f.rule != rule:
            continue
        if sender is not None and f.sender.lower() != sender.strip().lower():
            continue
        st = status_of(f, decisions)
        rec = decisions.get(f.fingerprint)
        if wanted is not None and not wanted.selects(st, rec.decision if rec else None):
            continue
        consumer = {a.lower() for a in f.consumer_addresses}
        rows.append(ReviewRow(
            fingerprint=f.fingerprint, date=f.date, flow=f.flow.value, rule=f.rule,
            category=f.category, severity=f.severity.label,
            sender=mask_address(f.sender, reveal) if f.sender.lower() in consumer else f.sender,
            consumer_addresses=tuple(mask_address(a, reveal) for a in f.consumer_addresses),
            locator=f.locator, where=f.where, evidence=f.evidence, status=st,
            decision=rec.decision if rec else None, reason=rec.reason if rec else None,
            who=rec.who if rec else None, value=f.value if reveal else None))
    return rows
