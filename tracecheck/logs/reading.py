"""The one way to read log files: the reader registry, one file, and a set of files.

Owns the registry that maps a format name (as `sniff_log` returns it and as stored in
`LogEvent.log_format`) to its reader, `read_log` (one file in a known format) and
`read_log_files`, the only path by which a set of log files is read: each file sniffed (or
taken as already sniffed), rotated sets oldest first, the years of year-less stamps planned
through each set (`rotation.plan_years`), per-file counts of events and skips, and notes on
the years that a damaged file made a guess. Damage to a file (a truncated or corrupt gzip, an
I/O error) ends that file's reading with one `Skipped` naming it; the rest of the set is still
read. Never prints, and never raises for bad input.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from tracecheck.logs.audit import GmailAuditReader, O365AuditReader
from tracecheck.logs.base import DAMAGE, LogReader, LogSource, read_head, zone
from tracecheck.logs.exchange import ExchangeReader
from tracecheck.logs.exim import EximReader
from tracecheck.logs.google import GoogleReader
from tracecheck.logs.m365 import M365Reader
from tracecheck.logs.postfix import PostfixReader
from tracecheck.logs.rotation import YearPlan, plan_years, rotation_order
from tracecheck.logs.sendmail import SendmailReader
from tracecheck.logs.sniff import sniff_log
from tracecheck.model import Locator, LogEvent, Note, NoteKind, SkipKind, Skipped

READERS: dict[str, LogReader] = {
    r.name: r
    for r in (
        PostfixReader(),
        EximReader(),
        SendmailReader(),
        ExchangeReader(),
        M365Reader(),
        GoogleReader(),
        O365AuditReader(),
        GmailAuditReader(),
    )
}
"""Format name → reader. Every name `sniff_log` can return is a key."""

FORMATS = tuple(READERS)

SYSLOG_FORMATS = frozenset({"postfix", "sendmail", "exim"})
"""Formats whose stamps may lack a year (BSD syslog)."""

SNIFF_BYTES = 16 * 1024
"""How much of a file `sniff_log` should be given."""


@dataclass(frozen=True, slots=True)
class FileCount:
    """What reading one log file gave."""

    path: str
    log_format: str
    events: int
    skips: int
    """Malformed lines, and the file's damage if it has any."""


@dataclass(frozen=True)
class LogRead:
    """Everything `read_log_files` read, in order: files of each rotated set oldest first."""

    events: tuple[LogEvent, ...]
    skipped: tuple[Skipped, ...]
    """Paths that are not logs first, then each file's malformed lines and damage."""
    notes: tuple[Note, ...]
    """Files whose year was chained across a damaged file of their set (inferred)."""
    files: tuple[FileCount, ...]
    """One per log file read, in reading order."""


def sniff_path(path: str) -> str | None:
    """`sniff_log` over the first `SNIFF_BYTES` of a file's content (gunzipped when it is gzip;
    a damaged gzip gives what it holds before the damage); None when it cannot be opened."""
    try:
        head = read_head(path, SNIFF_BYTES)
    except OSError:
        return None
    return sniff_log(head)


def _unknown(path: str, fmt: str) -> Skipped:
    return Skipped(locator=Locator(path=path), reason=f"unknown log format {fmt!r}",
                   kind=SkipKind.UNSUPPORTED)


def _read(src: LogSource, reader: LogReader) -> Iterator[LogEvent | Skipped]:
    """The reader's events and malformed-line skips; damage ends up in `src.damage`."""
    try:
        yield from reader.read(src)
    except (*DAMAGE, csv.Error) as exc:
        # Damage is caught where bytes are read (`LogSource.lines`); this is what is left,
        # e.g. a file that vanished before its year could be worked out.
        if not src.damage:
            src.damage.append(Skipped(locator=Locator(path=src.path), kind=SkipKind.UNREADABLE,
                                      reason=f"cannot read {reader.name} log: {exc}"))


def read_log(
    path: str, fmt: str, *, year: int | None = None, tz: str = "Europe/London"
) -> Iterator[LogEvent | Skipped]:
    """Read one log file as message events (and skips for what could not be read).

    `fmt` is a name from `FORMATS` (usually from `sniff_log`). `year` is the year of the
    file's first year-less syslog stamp (default: inferred from the file's mtime; a set of
    files is read with `read_log_files`, which chains the years). `tz` is the zone of stamps
    written without one (syslog, Exim, Google exports). Times come out as UTC
    `YYYY-MM-DDTHH:MM:SSZ`. Malformed lines become `Skipped(kind=SkipKind.MALFORMED_LOG_LINE)`;
    damage to the file ends its reading with one `Skipped` for the path (`truncated` or
    `unreadable`), after the events read before it.
    """
    reader = READERS.get(fmt)
    if reader is None:
        yield _unknown(path, fmt)
        return
    src = LogSource(path=path, tz=zone(tz), year=year)
    yield from _read(src, reader)
    yield from src.damage


def read_log_files(
    paths: Iterable[str],
    *,
    formats: Mapping[str, str] | None = None,
    year: int | None = None,
    tz: str = "Europe/London",
) -> LogRead:
    """Read a set of log files: the one reading path (the scan and `tracecheck logs` use it).

    `formats` gives the format of paths already sniffed (as `discover` does); other paths are
    sniffed, and one that is not a log this package reads is a `Skipped(kind=unsupported)`.
    Rotated sets are read oldest first; `year` is the first year of the oldest file of each
    set (else the newest file's mtime anchors the chain, see `plan_years`). A damaged file is
    read up to the damage and listed; the other files of its set are read whole, and each
    gets a note that its year was inferred across the gap.
    """
    known = dict(formats or {})
    skipped: list[Skipped] = []
    fmts: dict[str, str] = {}
    for p in paths:
        fmt = known.get(p) or sniff_path(p)
        if fmt is None:
            skipped.append(Skipped(locator=Locator(path=p), kind=SkipKind.UNSUPPORTED,
                                   reason="not a mail-server or audit log"))
        else:
            fmts[p] = fmt
    ordered = rotation_order(list(fmts))
    plan = plan_years([p for p in ordered if fmts[p] in SYSLOG_FORMATS], year=year, tz=tz)
    zi = zone(tz)
    events: list[LogEvent] = []
    notes: list[Note] = []
    files: list[FileCount] = []
    for p in ordered:
        reader = READERS.get(fmts[p])
        if reader is None:
            skipped.append(_unknown(p, fmts[p]))
            continue
        src = LogSource(path=p, tz=zi, year=plan.years.get(p, year))
        n_events = n_skips = 0
        for item in _read(src, reader):
            if isinstance(item, Skipped):
                skipped.append(item)
                n_skips += 1
            else:
                events.append(item)
                n_events += 1
        for damage in src.damage:
            skipped.append(_with_gap(damage, p, plan))
            n_skips += 1
        files.append(FileCount(p, fmts[p], n_events, n_skips))
        if p in plan.inferred:
            notes.append(_inferred_note(p, plan.inferred[p]))
    return LogRead(tuple(events), tuple(skipped), tuple(notes), tuple(files))


def _with_gap(damage: Skipped, path: str, plan: YearPlan) -> Skipped:
    """The damage skip of a file, saying when the years of its set were chained across it."""
    if not any(path in gaps for gaps in plan.inferred.values()):
        return damage
    return Skipped(locator=damage.locator, part=damage.part, kind=damage.kind,
                   reason=f"{damage.reason}; the years of the other files of its rotated set "
                          "are inferred across it")


def _inferred_note(path: str, gaps: Sequence[str]) -> Note:
    names = ", ".join(os.path.basename(g) for g in gaps)
    return Note(locator=Locator(path=path), kind=NoteKind.SOURCE,
                reason=f"year of year-less stamps inferred: chained across {names} of the same "
                       "rotated set, which could not be read whole")
