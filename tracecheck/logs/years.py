"""The year of year-less syslog stamps, from the dates of the export's messages a log matches.

Owns the strongest evidence for that year short of `--log-year`: a log event joined to an
exported message (`join.ExportIndex`: Message-ID or queue id) dates it, because the export's
`Date` is a full date. Each match votes for the year shift that brings the event's month, day
and time within `TOLERANCE` of that date; a file's year is the shift most matches agree on
(`MatchedYear`, with the counts for the coverage). A match too far from every candidate year is
not the same sending (queue ids are reused) and gives no vote. Also owns how the year basis of
a file is said (`describe`). Never reads files: `reading.read_log_files` hands it the events
it read with a provisional year, and `rotation.plan_years` chains the result through each set.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracecheck.logs.join import ExportIndex
from tracecheck.model import LogEvent, LogYear, LogYearBasis

TOLERANCE = timedelta(days=7)
"""How far a log event may lie from the `Date` of the exported message it matches and still
date it: clock skew, time zones, a message written offline or held in a queue. Far less than
the half year that would make two candidate years ambiguous."""

_ISO = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True, slots=True)
class MatchedYear:
    """The year of a file's first year-less stamp as the export's matched messages show it."""

    first_year: int
    agree: int
    """Matched messages that put the file in that year."""
    matched: int
    """Matched messages close enough to their export date to vote (`agree` of them agree)."""

    @property
    def detail(self) -> str:
        """How the coverage says it."""
        return (f"the dates of {self.matched} message{'s' if self.matched != 1 else ''} of the "
                f"export it matches ({self.agree} of {self.matched} agree)")


def _parse(iso: str) -> datetime | None:
    try:
        return datetime.strptime(iso, _ISO)
    except ValueError:
        return None


def year_shift(log_time: str, export_date: str) -> int | None:
    """Years to add to `log_time` (read with a provisional year) so that it lies within
    `TOLERANCE` of `export_date`, the nearest such shift; None when no year does."""
    t, d = _parse(log_time), _parse(export_date)
    if t is None or d is None:
        return None
    best: tuple[timedelta, int] | None = None
    base = d.year - t.year
    for k in (base - 1, base, base + 1):  # a message sent just before or after New Year
        try:
            moved = t.replace(year=t.year + k)
        except ValueError:  # 29 February in a year that has none: not this year
            continue
        gap = abs(moved - d)
        if gap <= TOLERANCE and (best is None or gap < best[0]):
            best = (gap, k)
    return None if best is None else best[1]


def match_years(events: Mapping[str, Sequence[LogEvent]], first_years: Mapping[str, int],
                export: ExportIndex) -> dict[str, MatchedYear]:
    """Per file (only those in `first_years`, read with that provisional first year), the
    first year that its events' matches in the export show; files without a dated match are
    left out. The shift most matches agree on wins; on a tie the smaller one (then the earlier
    year) does, and the counts say that the evidence was split."""
    out: dict[str, MatchedYear] = {}
    for path, provisional in first_years.items():
        votes: Counter[int] = Counter()
        for ev in events.get(path, ()):
            if ev.kind != "message" or not ev.time:
                continue
            shifts = {year_shift(ev.time, r.date) for r in export.refs_for(ev) if r.date}
            shifts.discard(None)
            if len(shifts) == 1:  # copies of one message that disagree give no vote
                votes[next(s for s in shifts if s is not None)] += 1
        if votes:
            shift, agree = min(votes.items(), key=lambda kv: (-kv[1], abs(kv[0]), kv[0]))
            out[path] = MatchedYear(provisional + shift, agree, sum(votes.values()))
    return out


def describe(year: LogYear) -> str:
    """The coverage note for a file with year-less stamps: the year and what it rests on."""
    head = f"year of year-less stamps: {year.years}"
    if year.basis is LogYearBasis.GIVEN:
        return f"{head}, given with --log-year"
    if year.basis is LogYearBasis.MATCHED:
        return f"{head}, from {year.detail}"
    if year.basis is LogYearBasis.ROTATION:
        return f"{head}, from the rotation order: {year.detail}"
    return (f"{head}, INFERRED from the file's modification time ({year.detail}); pass "
            "--log-year if the year is known")


def chained_detail(anchor: str) -> str:
    """`LogYear.detail` of a file chained from the matched file `anchor` of its set."""
    return (f"chained from {os.path.basename(anchor)} (matched messages in the export) "
            "through the rotated set")


def disagreement(matched: MatchedYear) -> str:
    """The note for a file whose matched messages put it in another year than the one given
    with `--log-year` (which still wins: it is the user's call, but never a silent one)."""
    n = matched.agree
    return (f"the {n} message{'s' if n != 1 else ''} of the export that this log matches "
            f"date it to {matched.first_year}, not to the year given with --log-year")
