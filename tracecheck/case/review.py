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
