"""The one way to read log files: the reader registry, one file, and a set of files.

Owns the registry that maps a format name (as `sniff_log` returns it and as stored in
`LogEvent.log_format`) to its reader, `read_log` (one file in a known format) and
`read_log_files`, the only path by which a set of log files is read: each file sniffed (or
taken as already sniffed), rotated sets oldest first, the years of year-less stamps planned
through each set (`rotation.plan_years`), per-file counts of events and skips, and notes on
the years that a damaged file made a guess. Damage to a file (a truncated or corrupt gzip, an
I/O error) ends that file's reading with one `Skipped` naming it; the rest of the set is still
read. A file's malformed lines are listed one by one up to `MALFORMED_EXAMPLES`, and the rest
counted in one entry as they are read (a garbage file of millions of lines is never held as
millions of entries). `stream_log_files` is that path as it goes (events handed on in
reading order as they are read, never all held: `tracecheck logs`); `read_log_files` is the
same stream gathered. Never prints, and never raises for bad input.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import gc
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tracecheck.logs.audit import GmailAuditReader, O365AuditReader
from tracecheck.logs.base import (
    DAMAGE,
    MALFORMED_EXAMPLES,
    UNLISTED,
    LogReader,
    LogSource,
    read_head,
    zone,
)
from tracecheck.logs.exchange import ExchangeReader
from tracecheck.logs.exim import EximReader
from tracecheck.logs.google import GoogleReader
from tracecheck.logs.join import ExportIndex
from tracecheck.logs.m365 import M365Reader
from tracecheck.logs.postfix import PostfixReader
from tracecheck.logs.rotation import YearPlan, plan_years, rotation_order
from tracecheck.logs.sendmail import SendmailReader
from tracecheck.logs.sniff import sniff_log
from tracecheck.logs.years import MatchedYear, chained_detail, describe, disagreement, match_years
from tracecheck.model import (
    Locator,
    LogEvent,
    LogRecipient,
    LogYear,
    LogYearBasis,
    MessageRef,
    Note,
    NoteKind,
    SkipKind,
    Skipped,
)

if TYPE_CHECKING:
    from tracecheck.logs.analysis import IsConsumer
    from tracecheck.logs.tables import Totals

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
    """Malformed lines (every one, also those counted in one entry), and the file's damage if
    it has any."""
    malformed: int = 0
    """Malformed lines (every one)."""


@dataclass(frozen=True)
class LogRead:
    """Everything `read_log_files` read, in order: files of each rotated set oldest first."""

    events: tuple[LogEvent, ...]
    skipped: tuple[Skipped, ...]
    """Paths that are not logs first, then each file's malformed lines and damage."""
    notes: tuple[Note, ...]
    """Per file with year-less stamps, its year and what that rests on (`years.describe`);
    a `--log-year` the export's matched messages contradict; files whose year was chained
    across a damaged file of their set (inferred)."""
    files: tuple[FileCount, ...]
    """One per log file read, in reading order."""
    years: tuple[LogYear, ...] = ()
    """One per log file read, in reading order: what the year of its stamps rests on."""


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
    """The reader's events and malformed-line skips (`_collapsed`; every malformed line is
    counted in `src.malformed`); damage ends up in `src.damage`."""
    try:
        yield from _collapsed(reader.read(src), src)
    except (*DAMAGE, csv.Error) as exc:
        # Damage is caught where bytes are read (`LogSource.lines`); this is what is left,
        # e.g. a file that vanished before its year could be worked out.
        if not src.damage:
            src.damage.append(Skipped(locator=Locator(path=src.path), kind=SkipKind.UNREADABLE,
                                      reason=f"cannot read {reader.name} log: {exc}"))


def _collapsed(items: Iterator[LogEvent | Skipped], src: LogSource
               ) -> Iterator[LogEvent | Skipped]:
    """`items` as they come, except that malformed lines past the first
    `MALFORMED_EXAMPLES` (which `LogSource.bad` only counts) are listed in one skip at the
    end (`N more malformed lines, lines A to B, not listed one by one`, at line A)."""
    for item in items:
        if item is not UNLISTED:
            yield item
    bad = src.malformed
    if bad.unlisted:
        yield Skipped(locator=Locator(path=src.path, line=bad.first),
                      kind=SkipKind.MALFORMED_LOG_LINE,
                      reason=f"{bad.unlisted:,} more malformed lines, lines {bad.first:,} to "
                             f"{bad.last:,}, not listed one by one (the first "
                             f"{MALFORMED_EXAMPLES} are)")


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
    export: Iterable[MessageRef] | ExportIndex | None = None,
    map_files: FileMap | None = None,
) -> LogRead:
    """Read a set of log files: the one reading path (`stream_log_files`), its events held.

    `map_files` reads the files on other workers (an executor's `map`: local processes or
    Dask); each file is read whole by one worker and the results are put in reading order, so
    the result is the same as a serial read.

    `formats` gives the format of paths already sniffed (as `discover` does); other paths are
    sniffed, and one that is not a log this package reads is a `Skipped(kind=unsupported)`.
    Rotated sets are read oldest first. The year of year-less stamps: `year` is the first year
    of the oldest file of each set; without it, the dates of the `export`'s messages that a
    file's events match give its year (files read again when that moves them), the other files
    of its set are chained from it, and only a set with no such match is anchored by its newest
    file's mtime (`plan_years`). `LogRead.years` and one note per file say which. A damaged
    file is read up to the damage and listed; the other files of its set are read whole, and
    each gets a note that its year was inferred across the gap.
    """
    stream = stream_log_files(paths, formats=formats, year=year, tz=tz, export=export,
                              map_files=map_files)
    events = tuple(stream)
    return dataclasses.replace(stream.result, events=events)


class LogStream:
    """A set of log files being read (`stream_log_files`): iterating gives the events in
    reading order, each file's as it is read; `result` is the rest of the `LogRead` (its
    `events` empty) once they have all been taken."""

    def __init__(self, items: Generator[LogEvent, None, LogRead],
                 totals: Totals | None = None) -> None:
        self._items = items
        self._result: LogRead | None = None
        self.totals = totals
        """The summary totals of the files counted on workers (`stream_log_files(count=)`),
        filled as they come; None when no count was asked for."""

    def __iter__(self) -> Iterator[LogEvent]:
        self._result = yield from self._items

    @property
    def result(self) -> LogRead:
        """Skips, notes, per-file counts and years: known when every event has been taken."""
        if self._result is None:
            raise RuntimeError("LogStream.result before its events were all taken")
        return self._result


def stream_log_files(
    paths: Iterable[str],
    *,
    formats: Mapping[str, str] | None = None,
    year: int | None = None,
    tz: str = "Europe/London",
    export: Iterable[MessageRef] | ExportIndex | None = None,
    map_files: FileMap | None = None,
    count: IsConsumer | None = None,
) -> LogStream:
    """`read_log_files` as it goes: the events in the same order, handed on as each file is
    read (serially, one at a time; from `map_files`' workers, a file at a time in reading
    order), never all held. Only when the `export` must date year-less files (no `year`) are
    those files' events held until their year is known (they may be read again).

    `count`: only the summary totals are wanted (`tables.Totals`, with this consumer test).
    Files read on `map_files`' workers are then counted there, and their counts added to
    `LogStream.totals` instead of their events handed on (nothing of a file is sent back but
    its counts, so the workers' memory stays flat); events read here are handed on as ever,
    for the caller to count into the same totals."""
    totals = None
    if count is not None:
        from tracecheck.logs.tables import totals_for

        totals = totals_for(count)
    return LogStream(_reading(paths, formats, year, tz, export, map_files, count, totals),
                     totals)


def _reading(paths: Iterable[str], formats: Mapping[str, str] | None, year: int | None,
             tz: str, export: Iterable[MessageRef] | ExportIndex | None,
             map_files: FileMap | None, count: IsConsumer | None = None,
             totals: Totals | None = None) -> Generator[LogEvent, None, LogRead]:
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
    syslog = [p for p in ordered if fmts[p] in SYSLOG_FORMATS]
    plan = plan_years(syslog, year=year, tz=tz)
    index = export if isinstance(export, ExportIndex) else ExportIndex(export or ())
    undated = {p: plan.years[p] for p in syslog
               if plan.basis.get(p, LogYearBasis.STAMPED) is not LogYearBasis.STAMPED}
    matched: dict[str, MatchedYear] = {}
    results: Iterator[_FileRead | FileTask | None]
    if index and undated:
        # The export dates these files from their events: every file read (and held) before
        # any is handed on, since a file's year may move and it is then read again.
        read = dict(zip(ordered, _read_files(
            [FileTask(p, fmts[p], plan.years.get(p, year), tz) for p in ordered], map_files),
            strict=True))
        matched = match_years({p: held.events for p in undated if (held := read[p])},
                              undated, index)
        if matched and year is None:
            provisional = plan
            plan = plan_years(syslog, tz=tz,
                              matched={p: m.first_year for p, m in matched.items()})
            again = [FileTask(p, fmts[p], plan.years.get(p), tz) for p in syslog
                     if plan.years.get(p) != provisional.years.get(p)]
            read.update(zip((t.path for t in again), _read_files(again, map_files),
                            strict=True))
        results = (read.pop(p) for p in ordered)
    elif map_files is not None and len(ordered) > 1:
        results = iter(map_files(read_file_task, [
            FileTask(p, fmts[p], plan.years.get(p, year), tz, count) for p in ordered], _lost))
    else:
        results = (FileTask(p, fmts[p], plan.years.get(p, year), tz) for p in ordered)
    notes: list[Note] = []
    files: list[FileCount] = []
    years: list[LogYear] = []
    for p, task in zip(ordered, results, strict=True):
        got: _FileRead | None
        if isinstance(task, FileTask):  # read here, serially: each event handed on as read
            got = yield from _file_items(task.path, task.fmt, task.year, zone(task.tz))
        else:
            got = task
            del task
            if got is not None:
                if got.counts is not None and totals is not None:
                    totals.merge(got.counts)
                yield from got.events
        if got is None:
            skipped.append(_unknown(p, fmts[p]))
            continue
        skipped.extend(got.skips)
        skipped.extend(_with_gap(damage, p, plan) for damage in got.damage)
        files.append(FileCount(p, fmts[p], got.count, got.malformed + len(got.damage),
                               got.malformed))
        del got
        record = _year_record(p, fmts[p], plan, matched, bool(index))
        if record is not None:
            years.append(record)
            if record.basis is not LogYearBasis.STAMPED:
                notes.append(Note(locator=Locator(path=p), kind=NoteKind.SOURCE,
                                  reason=describe(record)))
        if year is not None and p in matched and matched[p].first_year != plan.years.get(p):
            notes.append(Note(locator=Locator(path=p), kind=NoteKind.SOURCE,
                              reason=disagreement(matched[p])))
        if p in plan.inferred:
            notes.append(_inferred_note(p, plan.inferred[p]))
    return LogRead((), tuple(skipped), tuple(notes), tuple(files), tuple(years))


@dataclass(frozen=True, slots=True)
class _FileRead:
    """What the reader of one file gave, before it is put in reading order."""

    events: list[LogEvent]
    skips: list[Skipped]
    """Malformed lines (the first few one by one, the rest in one entry)."""
    damage: list[Skipped]
    malformed: int = 0
    """Every malformed line."""
    streamed: int = 0
    """Events handed on as they were read, or counted (not in `events`)."""
    counts: dict[str, dict[str, Any]] | None = None
    """The events counted into summary totals by a worker (`FileTask.count`), not sent."""

    @property
    def count(self) -> int:
        """Events the file gave."""
        return self.streamed + len(self.events)

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent back from a worker: events as plain tuples, which pickle in C, rebuilt in the
        # parent (a slotted dataclass pickles through Python code: 4x the time, and the
        # parent's share of it is serial). The parallel read's differential test holds the
        # rebuilt events equal to the read ones.
        return (_unpacked, ([_pack(e) for e in self.events], self.skips, self.damage,
                            self.malformed, self.streamed, self.counts))


_EVENT_FIELDS = tuple(f.name for f in fields(LogEvent))
_LOCATOR_FIELDS = tuple(f.name for f in fields(Locator))
_RECIPIENT_FIELDS = tuple(f.name for f in fields(LogRecipient))


def _pack(e: LogEvent) -> tuple[Any, ...]:
    values = [getattr(e, name) for name in _EVENT_FIELDS]
    values[_EVENT_FIELDS.index("locator")] = tuple(
        getattr(e.locator, n) for n in _LOCATOR_FIELDS)
    values[_EVENT_FIELDS.index("recipients")] = tuple(
        tuple(getattr(r, n) for n in _RECIPIENT_FIELDS) for r in e.recipients)
    return tuple(values)


_AT_LOCATOR = _EVENT_FIELDS.index("locator")
_AT_RECIPIENTS = _EVENT_FIELDS.index("recipients")


def _unpacked(packed: list[tuple[Any, ...]], skips: list[Skipped], damage: list[Skipped],
              malformed: int, streamed: int = 0,
              counts: dict[str, dict[str, Any]] | None = None) -> _FileRead:
    events = []
    with _no_cycle_collection():
        for values in packed:
            vals = list(values)
            vals[_AT_LOCATOR] = Locator(*vals[_AT_LOCATOR])
            vals[_AT_RECIPIENTS] = tuple(LogRecipient(*r) for r in vals[_AT_RECIPIENTS])
            events.append(LogEvent(*vals))
    return _FileRead(events, skips, damage, malformed, streamed, counts)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic collector off while a whole file's events (or a file's counted locators)
    are built and held: they make no reference cycles, and it would walk them all again and
    again (about a fifth of a worker's time on a large file). On again after, if it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class FileTask:
    """One file to read whole, as a worker is handed it."""

    path: str
    fmt: str
    year: int | None
    tz: str
    count: IsConsumer | None = None
    """Count the file's events into summary totals (`tables.Totals`) with this consumer
    test, and send back the counts instead of the events."""


FileMap = Callable[[Callable[[FileTask], "_FileRead | None"], Sequence[FileTask],
                    Callable[[FileTask, BaseException], "_FileRead | None"]],
                   Iterable["_FileRead | None"]]
"""An executor's `map(fn, items, lost)`: `fn` over the items, in order, on its workers (each
result given as it is ready, in order: taken one at a time, never all held)."""


def read_file_task(task: FileTask) -> _FileRead | None:
    """A worker's job: one file read in full (`_read_file`), or counted (`_count_file`),
    with the cyclic collector off (`_no_cycle_collection`)."""
    with _no_cycle_collection():
        if task.count is not None:
            return _count_file(task.path, task.fmt, task.year, zone(task.tz), task.count)
        return _read_file(task.path, task.fmt, task.year, zone(task.tz))


def _count_file(path: str, fmt: str, year: int | None, zi: ZoneInfo | timezone,
                is_consumer: IsConsumer) -> _FileRead | None:
    """One file's events counted as they are read (`tables.Totals`), none held: its counts,
    skips and damage (None when no reader has that name)."""
    from tracecheck.logs.tables import totals_for

    totals = totals_for(is_consumer)
    got = _each(_file_items(path, fmt, year, zi), totals.add)
    return None if got is None else dataclasses.replace(got, counts=totals.counts)


def _each(items: Generator[LogEvent, None, _FileRead | None],
          take: Callable[[LogEvent], object]) -> _FileRead | None:
    """Hand every event of one file's `items` to `take`; then what the file gave."""
    while True:
        try:
            take(next(items))
        except StopIteration as done:
            got: _FileRead | None = done.value
            return got


def _lost(task: FileTask, exc: BaseException) -> _FileRead:
    """A file whose worker died or was lost: not read, through no fault of the file."""
    return _FileRead([], [], [Skipped(
        locator=Locator(path=task.path), kind=SkipKind.WORKER_LOST,
        reason=f"not read: the worker reading it was lost ({type(exc).__name__}); rerun to "
               "read it")])


def _read_files(tasks: Sequence[FileTask], map_files: FileMap | None
                ) -> list[_FileRead | None]:
    """Each task's file read, in order: on `map_files`' workers when there are two or more."""
    if map_files is None or len(tasks) < 2:
        return [read_file_task(t) for t in tasks]
    return list(map_files(read_file_task, tasks, _lost))


def _read_file(path: str, fmt: str, year: int | None, zi: ZoneInfo | timezone
               ) -> _FileRead | None:
    """One file read in full by its format's reader (None when no reader has that name)."""
    events: list[LogEvent] = []
    got = _each(_file_items(path, fmt, year, zi), events.append)
    return None if got is None else dataclasses.replace(got, events=events, streamed=0)


def _file_items(path: str, fmt: str, year: int | None, zi: ZoneInfo | timezone
                ) -> Generator[LogEvent, None, _FileRead | None]:
    """One file's events as its format's reader gives them; then its skips, damage and
    count (None, and no events, when no reader has that name)."""
    reader = READERS.get(fmt)
    if reader is None:
        return None
    src = LogSource(path=path, tz=zi, year=year)
    skips: list[Skipped] = []
    n = 0
    for item in _read(src, reader):
        if isinstance(item, Skipped):
            skips.append(item)
        else:
            n += 1
            yield item
    return _FileRead([], skips, list(src.damage), src.malformed.count, n)


def _year_record(path: str, fmt: str, plan: YearPlan, matched: Mapping[str, MatchedYear],
                 have_export: bool) -> LogYear | None:
    """What the year of `path`'s stamps rests on; None for a year-less format's file that
    could not be opened to plan it (it was not read either)."""
    if fmt not in SYSLOG_FORMATS:
        return LogYear(path, fmt, LogYearBasis.STAMPED)
    basis = plan.basis.get(path)
    if basis is None:
        return None
    if basis is LogYearBasis.STAMPED:
        return LogYear(path, fmt, basis)
    detail = ""
    if basis is LogYearBasis.MATCHED:
        detail = matched[path].detail
    elif basis is LogYearBasis.ROTATION:
        detail = chained_detail(plan.chained_from[path])
    elif basis is LogYearBasis.MTIME:
        detail = ("no dated message of the export matches it" if have_export
                  else "no mailbox export to match it against")
    return LogYear(path, fmt, basis, plan.years[path], plan.last_years.get(path), detail)


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
