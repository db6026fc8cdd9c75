"""Order of rotated log files, and the year each one starts in.

Owns the naming conventions of log rotation: logrotate numbering (`mail.log`, `mail.log.1`,
`mail.log.2.gz`: a higher number is older, the unnumbered file is the newest), dated names
(`maillog-20240107.gz`, Exchange `MSGTRK20240125-1.LOG`: older date first, then sequence), and
the chaining of year-less syslog stamps across such a set (the oldest file starts in `--log-year`,
or the newest file's mtime anchors the year of its last line). Never opens a file except to
read its stamps' months.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from tracecheck.logs.base import zone
from tracecheck.logs.syslog import ROLLBACK_MONTHS, last_year_from_mtime, month_profile

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


def plan_years(paths: list[str], *, year: int | None = None, tz: str = "Europe/London"
               ) -> dict[str, int]:
    """The year of the first year-less stamp of every file, for `read_log(..., year=...)`.

    Files are chained within each rotated set: a file starts in the year the previous (older)
    one ended in, plus one when the turn between them goes back in the calendar (Dec → Jan).
    With `year`, the oldest file of each set starts in `year`; without it, the newest file's
    mtime gives the year of its last stamp and the chain runs backwards from there.
    """
    zi = zone(tz)
    out: dict[str, int] = {}
    for group in rotation_sets(paths):
        profiles = [month_profile(p) for p in group]
        firsts: list[int] = [0] * len(group)
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
            for i in range(len(group) - 1, -1, -1):
                prof = profiles[i]
                if nxt_first and prof.last and nxt_first[0] < prof.last[0] - ROLLBACK_MONTHS:
                    last_year -= 1
                firsts[i] = last_year - prof.rollovers
                last_year = firsts[i]
                nxt_first = prof.first or nxt_first
        out.update(zip(group, firsts, strict=True))
    return out
