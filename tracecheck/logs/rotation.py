"""Order of rotated log files, and the year each one starts in.

Owns the naming conventions of log rotation: logrotate numbering (`mail.log`, `mail.log.1`,
`mail.log.2.gz`: a higher number is older, the unnumbered file is the newest), dated names
(`maillog-20240107.gz`, Exchange `MSGTRK20240125-1.LOG`: older date first, then sequence), and
the chaining of year-less syslog stamps across such a set (the oldest file starts in `--log-year`,
or the newest file's mtime anchors the year of its last line; a damaged file in the set makes
the other files' years `inferred`). Never opens a file except to read its stamps' months, and
never raises for a damaged one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
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
    """The year of each file's first year-less stamp, and which years rest on a guess."""

    years: dict[str, int]
    """Path → year of its first year-less stamp. A file that cannot be opened is absent."""
    damaged: tuple[str, ...] = ()
    """Files whose stream is damaged or that cannot be opened: their stamps are known only in
    part (or not at all), so the chain of years through their set crosses a gap."""
    inferred: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Path → the damaged files of its rotated set: its year was chained across them and is
    inferred (right unless the unread part held a turn of the year the stamps do not show)."""


def plan_years(paths: list[str], *, year: int | None = None, tz: str = "Europe/London"
               ) -> YearPlan:
    """The year of the first year-less stamp of every file, for `read_log(..., year=...)`.

    Files are chained within each rotated set: a file starts in the year the previous (older)
    one ended in, plus one when the turn between them goes back in the calendar (Dec → Jan).
    With `year`, the oldest file of each set starts in `year`; without it, the newest file's
    mtime gives the year of its last stamp and the chain runs backwards from there. A damaged
    file is chained with the stamps it still holds and one that cannot be opened is left out;
    the years of the other files of its set are then marked `inferred`.
    """
    zi = zone(tz)
    years: dict[str, int] = {}
    damaged: list[str] = []
    inferred: dict[str, tuple[str, ...]] = {}
    for whole in rotation_sets(paths):
        profiles: dict[str, MonthProfile] = {}
        for p in whole:
            try:
                profiles[p] = month_profile(p)
            except OSError:
                continue  # reading it will fail the same way and list it
        gaps = tuple(p for p in whole if p not in profiles or profiles[p].damaged)
        damaged.extend(gaps)
        inferred.update((p, gaps) for p in profiles if gaps and p not in gaps)
        group = [p for p in whole if p in profiles]
        if group:
            years.update(zip(group, _chain([profiles[p] for p in group], year, zi),
                             strict=True))
    return YearPlan(years, tuple(damaged), inferred)


def _chain(profiles: list[MonthProfile], year: int | None, zi: ZoneInfo | timezone
           ) -> list[int]:
    """First years of a rotated set's files (oldest first), chained from `year` forwards or
    from the newest file's mtime backwards."""
    firsts: list[int] = [0] * len(profiles)
    if year is not None:
        cur = year
        prev_last: tuple[int, int] | None = None
        for i, prof in enumerate(profiles):
            if prev_last and prof.first and prof.first[0] < prev_last[0] - ROLLBACK_MONTHS:
                cur += 1
            firsts[i] = cur
            cur += prof.rollovers
            prev_last = prof.last or prev_last
    else:
        last_year = last_year_from_mtime(profiles[-1], zi)
        nxt_first: tuple[int, int] | None = None
        for i in range(len(profiles) - 1, -1, -1):
            prof = profiles[i]
            if nxt_first and prof.last and nxt_first[0] < prof.last[0] - ROLLBACK_MONTHS:
                last_year -= 1
            firsts[i] = last_year - prof.rollovers
            last_year = firsts[i]
            nxt_first = prof.first or nxt_first
    return firsts
