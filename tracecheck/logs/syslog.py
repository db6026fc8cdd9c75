"""Syslog line framing and the year of year-less stamps.

Owns the three syslog stamp shapes mail servers write (BSD/RFC 3164 `Mmm dd hh:mm:ss host
prog[pid]: msg`, RFC 3339 `2023-07-29T04:15:01.889+02:00 host prog[pid]: msg` as written by
rsyslog's file format or `journalctl -o short-iso`, and RFC 5424 `<PRI>1 TS host app procid
msgid SD msg`), the year inference for BSD stamps (a given first year, or the file's mtime
anchoring the last stamp, with December→January turns counted) and the conversion to UTC.
Never interprets the message part: the postfix and sendmail modules do that.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from tracecheck.logs.base import DAMAGE, LogSource, local_to_utc, open_binary, parse_time
from tracecheck.model import Skipped

MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}

_BSD = re.compile(
    r"(?:<\d{1,3}>)?(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?P<day>\d{1,2}) "
    r"(?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)(?:\.\d+)? +(?:<[a-z0-9]+\.[a-z]+> )?(?P<rest>.*)"
)
_ISO = re.compile(
    r"(?:<\d{1,3}>)?(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r" +(?P<rest>.*)"
)
_5424 = re.compile(
    r"<\d{1,3}>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) \S+ "
    r"(?:-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(?P<msg>.*)"
)
_TAG = re.compile(r"(?P<host>\S+) (?P<prog>[^\s\[:]+)(?:\[(?P<pid>[^\]]*)\])?: ?(?P<msg>.*)")
_MONTH_BYTES = re.compile(
    rb"(?:<\d{1,3}>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) "
)

ROLLBACK_MONTHS = 6
"""A stamp more than this many months *before* the previous one starts a new year."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One syslog line split into its parts."""

    time: str | None
    """UTC ISO, or None when the stamp could not be placed in a real date."""
    host: str
    prog: str
    pid: str
    msg: str


class YearClock:
    """Turns year-less `Mmm dd` stamps into dates, moving to the next year at Dec→Jan."""

    def __init__(self, first_year: int) -> None:
        self.year = first_year
        self.prev: int | None = None

    def year_for(self, month: int) -> int:
        """Year of a stamp in `month`, given the stamps seen before it."""
        prev = self.prev
        if prev is not None and month < prev - ROLLBACK_MONTHS:
            self.year += 1
        elif prev is not None and month > prev + ROLLBACK_MONTHS:
            # A straggler from December written after the first January line.
            return self.year - 1
        self.prev = month
        return self.year


@dataclass(frozen=True, slots=True)
class MonthProfile:
    """What the year inference needs to know about a file's BSD stamps."""

    first: tuple[int, int] | None
    """(month, day) of the first BSD stamp."""
    last: tuple[int, int] | None
    rollovers: int
    """Number of December→January turns between the first and last stamp."""
    mtime: float
    damaged: bool = False
    """The file's stream is damaged: the profile covers only what comes before the damage."""


def month_profile(path: str) -> MonthProfile:
    """Scan a file's BSD stamps (month and day only) for year inference. Damage to the stream
    ends the scan (`damaged`); an `OSError` opening or stat-ing the file is raised."""
    first: tuple[int, int] | None = None
    last: tuple[int, int] | None = None
    clock = YearClock(0)
    prev_head = b""
    mtime = os.stat(path).st_mtime
    damaged = False
    # Bytes, not text: this pass only needs the stamp's first characters and must be quick.
    with open_binary(path) as fh:
        try:
            for line in fh:
                head = line[:7]
                if head == prev_head:
                    continue  # same month and day as the line before
                m = _MONTH_BYTES.match(line)
                if not m:
                    continue
                prev_head = head
                md = (MONTHS[m.group(1).decode()], int(m.group(2)))
                if first is None:
                    first = md
                before = clock.prev
                clock.year_for(md[0])
                if clock.prev == md[0] or before is None:
                    last = md
        except DAMAGE:
            damaged = True
    return MonthProfile(first, last, clock.year, mtime, damaged)


def last_year_from_mtime(profile: MonthProfile, tz: ZoneInfo | timezone) -> int:
    """Year of the last stamp: the mtime's year, or the year before when the last stamp's
    month/day lies after the mtime's (a file cannot hold lines written after it was saved)."""
    mt = datetime.fromtimestamp(profile.mtime, UTC).astimezone(tz)
    if profile.last is None:
        return mt.year
    if profile.last > (mt.month, mt.day + 1):
        return mt.year - 1
    return mt.year


def first_year(path: str, year: int | None, tz: ZoneInfo | timezone) -> int:
    """Year of a file's first year-less stamp: `year` when given, else from its mtime."""
    if year is not None:
        return year
    profile = month_profile(path)
    return last_year_from_mtime(profile, tz) - profile.rollovers


def _tagged(rest: str) -> tuple[str, str, str, str] | None:
    m = _TAG.fullmatch(rest)
    if not m:
        return None
    return m.group("host"), m.group("prog"), m.group("pid") or "", m.group("msg")


@lru_cache(maxsize=8192)
def _bsd_time(year: int, month: int, day: str, h: str, mi: str, s: str,
              tz: ZoneInfo | timezone) -> str | None:
    """UTC ISO of a BSD stamp (cached: neighbouring lines share their second)."""
    try:
        return local_to_utc(datetime(year, month, int(day), int(h), int(mi), int(s)), tz)
    except ValueError:
        return None


def parse_frame(line: str, clock: YearClock, tz: ZoneInfo | timezone) -> Frame | None:
    """Split a syslog line; None when it is not one of the three syslog shapes."""
    m = _BSD.match(line)
    if m:
        parts = _tagged(m.group("rest"))
        if parts is None:
            return None
        month = MONTHS[m.group("mon")]
        year = clock.year_for(month)
        when = _bsd_time(year, month, m.group("day"), m.group("h"), m.group("m"), m.group("s"),
                         tz)
        return Frame(when, *parts)
    m = _5424.match(line)
    if m:
        msg = m.group("msg").removeprefix("\ufeff")
        return Frame(parse_time(m.group("ts"), tz), m.group("host"), m.group("app"),
                     "" if m.group("pid") == "-" else m.group("pid"), msg)
    m = _ISO.match(line)
    if m:
        parts = _tagged(m.group("rest"))
        if parts is None:
            return None
        return Frame(parse_time(m.group("ts"), tz), *parts)
    return None


def frames(src: LogSource) -> Iterator[tuple[int, Frame | Skipped]]:
    """Every non-blank line of `src` as a frame, or a malformed-line skip."""
    clock = YearClock(first_year(src.path, src.year, src.tz))
    for lineno, line in src.lines():
        if not line.strip():
            continue
        frame = parse_frame(line, clock, src.tz)
        if frame is None:
            yield lineno, src.bad(lineno, "not a syslog line")
        elif frame.time is None:
            yield lineno, src.bad(lineno, "impossible date in syslog stamp")
        else:
            yield lineno, frame
