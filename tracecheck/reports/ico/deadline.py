"""The Art. 33(1) clock: 72 hours from becoming aware, checked as of a time the case or the
settings give (never the wall clock, so a report is reproducible).

Owns the deadline arithmetic and which time it is checked against: `incident.reported_at`
when set, else the end of the case's last complete run. Never formats text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracecheck.case.snapshot import CaseSnapshot
from tracecheck.reports.ico.config import IcoConfig, parse_time

DEADLINE_HOURS = 72


@dataclass(frozen=True)
class Deadline:
    """The Art. 33(1) clock."""

    discovered_at: datetime | None
    deadline: datetime | None
    as_of: datetime | None
    as_of_source: str
    hours_elapsed: float | None
    late: bool | None


def compute(snapshot: CaseSnapshot, config: IcoConfig) -> Deadline:
    as_of: datetime | None = config.reported_at
    source = "incident.reported_at in the configuration"
    if as_of is None:
        ended = [r.ended for r in snapshot.runs if r.status == "complete" and r.ended]
        if ended:
            as_of = parse_time(ended[-1], "run end time")
            source = "end of the case's last complete scan run"
        else:
            source = "no report time known"
    disc = config.discovered_at
    if disc is None:
        return Deadline(None, None, as_of, source, None, None)
    deadline = disc + timedelta(hours=DEADLINE_HOURS)
    if as_of is None:
        return Deadline(disc, deadline, None, source, None, None)
    elapsed = round((as_of - disc).total_seconds() / 3600, 1)
    return Deadline(disc, deadline, as_of, source, elapsed, as_of > deadline)
