"""Order of rotated log files, and the year each one starts in.

Owns the naming conventions of log rotation: logrotate numbering (`mail.log`, `mail.log.1`,
`mail.log.2.gz`: a higher number is older, the unnumbered file is the newest), dated names
(`maillog-20240107.gz`, Exchange `MSGTRK20240125-1.LOG`: older date first, then sequence), and
the chaining of year-less syslog stamps across such a set, and what anchors the chain, strongest
first: `--log-year` (the oldest file's first year), the files whose events match dated messages
of the export (`years.match_years` finds their years; the other files of the set are chained
from them: the rotation order), or else the newest file's mtime (the year of its last line). A
damaged file in the set makes the other files' years `inferred`. Dated names are never taken
as years: a copy is often named after the day it was collected. Never opens a file except to
read its stamps' months, and never raises for a damaged one.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timezone
from zoneinfo import ZoneInfo

from tracecheck.logs.base import zone
from tracecheck.logs.syslog import (
    ROLLBACK_MONTHS,
    MonthProfile,
    last_year_from_mtime,
    month_profile,
)
from tracecheck.model import LogYearBasis

_COMPRESSED = re.compile(r"\.(?:gz|bz2|xz|zst|z)$", re.IGNORECASE)
_NUMBERED = re.compile(r"(?P<stem>.+)\.(?P<n>\d{1,4})")
_DATED = re.compile(r"(?P<pre>.*?)[-_.]?(?P<date>(?:19|20)\d{6})(?:-(?P<seq>\d+))?(?P<ext>\.\w+)?")


def _key(path: str) -> tuple[str, str, tuple[int, ...]]:
    folder, name = os.path.split(path)
    bare = _COMPRESSED.sub("", name)
    m = _NUMBERED.fullmatch(bare)
    if m and not _DATED.fullmatch(bare):
        return folder, m.group("stem"), (1, -int(m.group("n")))
    m = _DATED.fullmatch(bare)
    if m:
        stem = m.group("pre") + (m.group("ext") or "")
        return folder, stem, (0, int(m.group("date")), int(m.group("seq") or 0))
    return folder, bare, (2,)


def rotation_order(paths: list[str]) -> list[str]:
    """Paths oldest first within each rotated set (sets ordered by folder and name)."""
    return sorted(paths, key=lambda p: (*_key(p), p))


def rotation_sets(paths: Iterable[str]) -> list[list[str]]:
    """Paths grouped into rotated sets (same folder and stem), each oldest first."""
    groups: dict[tuple[str, str], list[str]] = {}
    for p in rotation_order(list(paths)):
        folder, stem, _ = _key(p)
        groups.setdefault((folder, stem), []).append(p)
    return list(groups.values())


@dataclass(frozen=True)
class YearPlan:
    """The year of each file's first year-less stamp, what it rests on, and which years rest
    on a guess."""

    years: dict[str, int]
    """Path → year of its first year-less stamp. A file that cannot be opened is absent."""
    damaged: tuple[str, ...] = ()
    """Files whose stream is damaged or that cannot be opened: their stamps are known only in
    part (or not at all), so the chain of years through their set crosses a gap."""
    inferred: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Path → the damaged files of its rotated set: its year was chained across them and is
    inferred (right unless the unread part held a turn of the year the stamps do not show)."""
    basis: dict[str, LogYearBasis] = field(default_factory=dict)
    """Path → what its year rests on (`STAMPED` for a file without year-less stamps)."""
    chained_from: dict[str, str] = field(default_factory=dict)
    """Path → the file of its set whose matched year it was chained from (`ROTATION`)."""
    last_years: dict[str, int] = field(default_factory=dict)
    """Path → year of its last year-less stamp (files with year-less stamps only)."""


def plan_years(paths: list[str], *, year: int | None = None, tz: str = "Europe/London",
               matched: Mapping[str, int] | None = None) -> YearPlan:
    """The year of the first year-less stamp of every file, for `read_log(..., year=...)`.

    Files are chained within each rotated set: a file starts in the year the previous (older)
    one ended in, plus one when the turn between them goes back in the calendar (Dec → Jan).
    What anchors the chain, strongest first:
    - `year` (`--log-year`): the oldest file of each set starts in it (`GIVEN`);
    - `matched` (path → the first year that the export's messages its events match show, see
      `years.match_years`): those files start there (`MATCHED`), and each other file of their
      set is chained from the nearest of them, the newer one on a tie (`ROTATION`);
    - else the newest file's mtime gives the year of its last stamp and the chain runs
      backwards from there (`MTIME`).
    A damaged file is chained with the stamps it still holds and one that cannot be opened is
    left out; the years of the other files of its set are then marked `inferred`.
    """
    zi = zone(tz)
    plan = YearPlan({})
    damaged: list[str] = []
    for whole in rotation_sets(paths):
        profiles: dict[str, MonthProfile] = {}
        for p in whole:
            try:
                profiles[p] = month_profile(p)
            except OSError:
                continue  # reading it will fail the same way and list it
        gaps = tuple(p for p in whole if p not in profiles or profiles[p].damaged)
        damaged.extend(gaps)
        group = [p for p in whole if p in profiles]
        _plan_set(plan, group, [profiles[p] for p in group], year, zi, matched or {})
        # A file dated by its own matched messages is not chained across anything.
        plan.inferred.update((p, gaps) for p in group if gaps and p not in gaps
                             and plan.basis[p] is not LogYearBasis.MATCHED)
    return dataclasses.replace(plan, damaged=tuple(damaged))


def _offsets(profiles: list[MonthProfile]) -> list[int]:
    """First year of each file of a set (oldest first) relative to the oldest one's."""
    rel: list[int] = []
    cur = 0
    prev_last: tuple[int, int] | None = None
    for prof in profiles:
        if prev_last and prof.first and prof.first[0] < prev_last[0] - ROLLBACK_MONTHS:
            cur += 1
        rel.append(cur)
        cur += prof.rollovers
        prev_last = prof.last or prev_last
    return rel


def _plan_set(plan: YearPlan, group: list[str], profiles: list[MonthProfile],
              year: int | None, zi: ZoneInfo | timezone, matched: Mapping[str, int]) -> None:
    """Fill `plan` for one rotated set (the files that could be opened, oldest first)."""
    if not group:
        return
    rel = _offsets(profiles)
    anchors = [i for i, p in enumerate(group) if p in matched]
    for i, (p, prof) in enumerate(zip(group, profiles, strict=True)):
        if year is not None:
            first, basis = year + rel[i], LogYearBasis.GIVEN
        elif anchors:
            # the nearest matched file; the newer one on a tie
            j = min(anchors, key=lambda a: (abs(a - i), -a))
            first = matched[group[j]] + rel[i] - rel[j]
            basis = LogYearBasis.MATCHED if j == i else LogYearBasis.ROTATION
            if j != i:
                plan.chained_from[p] = group[j]
        else:
            newest = profiles[-1]
            first = last_year_from_mtime(newest, zi) - newest.rollovers + rel[i] - rel[-1]
            basis = LogYearBasis.MTIME
        plan.years[p] = first
        if prof.first is None:
            basis = LogYearBasis.STAMPED
            plan.chained_from.pop(p, None)
        else:
            plan.last_years[p] = first + prof.rollovers
        plan.basis[p] = basis
