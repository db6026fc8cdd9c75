"""`tracecheck logs` tables: log events, one row per recipient, and totals for auditors.

Owns the table views (`LogView`), their pandas frames (`events_frame`, `summary_frames`) and
how they are written (`LogTableFormat`: CSV, JSON records indented by two, or Parquet through
`reports.parquet`; `write_view`). The events view's rows are built once (`event_rows`).
Subjects and the servers' replies (`detail`) are masked (`rules.mask.mask_subject`,
`mask_reply`) unless `reveal`, and a CSV cell a spreadsheet would run as a formula is written
as text, its control characters as visible escapes (`reports.safe_text.spreadsheet_cell`).
Never reads files and never decides what a consumer domain is (the caller's `is_consumer`
does).
"""

from __future__ import annotations

import csv
import enum
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

if TYPE_CHECKING:
    import pandas as pd

    from tracecheck.logs.analysis import IsConsumer
    from tracecheck.model import LogEvent


class LogView(enum.StrEnum):
    """The tables of `tracecheck logs`."""

    EVENTS = "events"
    """One row per event and recipient (`events_frame`)."""
    BY_SENDER = "by_sender"
    BY_DOMAIN = "by_domain"
    """By recipient domain, with whether it is a consumer domain."""
    BY_DAY = "by_day"
    BY_MONTH = "by_month"


class LogTableFormat(enum.StrEnum):
    """How a table is written."""

    CSV = "csv"
    JSON = "json"
    """A list of records (one object per row), indented by two, non-ASCII kept."""
    PARQUET = "parquet"
    """Typed columns (`EVENT_KINDS`), written to the byte stream under the text stream."""

    @property
    def binary(self) -> bool:
        """True for a format written as bytes, never to a terminal."""
        return self is LogTableFormat.PARQUET


def write_view(events: Iterable[LogEvent], view: LogView, fmt: LogTableFormat, out: TextIO,
               is_consumer: IsConsumer, *, reveal: bool = False,
               totals: Totals | None = None) -> None:
    """Write one table of `events` to `out` (subjects and replies unmasked only with
    `reveal`). `events` is taken once, one event at a time, and never held: the events view
    writes each row as its event comes, a summary counts it (`Totals`; `totals`: what was
    counted already, which the summary adds to)."""
    if fmt is LogTableFormat.JSON:
        write_json_rows(view_rows(events, view, is_consumer, reveal=reveal, totals=totals),
                        out)
        out.write("\n")
    elif fmt is LogTableFormat.PARQUET:
        _write_parquet(events, view, out.buffer, is_consumer, reveal=reveal, totals=totals)
    elif view is LogView.EVENTS:
        _write_events_csv(events, out, reveal=reveal)
    else:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        from tracecheck.reports.safe_text import spreadsheet_cell

        frame = summary_frames(events, is_consumer, totals)[view.value]
        # Logged text (addresses) is the input's: never a spreadsheet formula.
        for col in frame.columns:
            if not (is_numeric_dtype(frame[col]) or is_bool_dtype(frame[col])):
                frame[col] = frame[col].map(spreadsheet_cell)
        frame.to_csv(out, index=False, lineterminator="\n")


def view_rows(events: Iterable[LogEvent], view: LogView, is_consumer: IsConsumer, *,
              reveal: bool = False, totals: Totals | None = None
              ) -> Iterator[dict[str, Any]]:
    """The rows of one view as the JSON formats hold them (`None` as null), the events
    view's one at a time as its events come (`totals`: as `write_view`)."""
    if view is LogView.EVENTS:
        names = {"subject_masked": "subject"} if reveal else {}
        for row in event_rows(events, reveal=reveal):
            yield {names.get(k, k): row[k] for k in EVENT_COLUMNS}
        return
    frame = summary_frames(events, is_consumer, totals)[view.value]
    yield from json.loads(frame.to_json(orient="records", date_format="iso"))


def write_json_rows(rows: Iterable[dict[str, Any]], out: TextIO, depth: int = 0) -> None:
    """A list of rows as `json.dump(list(rows), indent=2, ensure_ascii=False)` writes it,
    nested `depth` levels deep in a document so indented (no newline after): written one row
    at a time."""
    inner = "  " * (depth + 1)
    sep = "[\n"
    for row in rows:
        text = json.dumps(row, indent=2, ensure_ascii=False)
        out.write(sep + inner + text.replace("\n", "\n" + inner))
        sep = ",\n"
    out.write("[]" if sep == "[\n" else "\n" + "  " * depth + "]")


def _write_events_csv(events: Iterable[LogEvent], out: TextIO, *, reveal: bool) -> None:
    """The events view as CSV, a row at a time, as pandas' `to_csv` wrote its frame: the
    same csv dialect, `size` a number (empty when unknown), every other cell text a
    spreadsheet shows and never runs (`spreadsheet_cell`; an unknown time is empty)."""
    from tracecheck.reports.safe_text import spreadsheet_cell

    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["subject" if reveal and c == "subject_masked" else c
                     for c in EVENT_COLUMNS])
    for row in event_rows(events, reveal=reveal):
        writer.writerow(["" if row[c] is None else str(row[c]) if c == "size"
                         else spreadsheet_cell(row[c]) for c in EVENT_COLUMNS])


EVENT_COLUMNS = [
    "log_format", "kind", "time", "sender", "recipient", "status", "detail", "orig_to",
    "message_id", "queue_id", "size", "subject_masked", "direction", "forwarding", "actor",
    "notes", "source", "locator",
]


def events_frame(events: Iterable[LogEvent], *, reveal: bool = False) -> pd.DataFrame:
    """One row per event and recipient (an event without recipients gives one row). The
    subject (`subject_masked`) and each recipient's `detail` (the server's reply) are masked;
    with `reveal` they are as logged, and the subject column is named `subject`."""
    # Imported here, not with the module: the command line loads the enums at start-up.
    import pandas as pd

    frame = pd.DataFrame(list(event_rows(events, reveal=reveal)), columns=EVENT_COLUMNS)
    frame["size"] = frame["size"].astype("Int64")
    if reveal:
        frame = frame.rename(columns={"subject_masked": "subject"})
    return frame


def event_rows(events: Iterable[LogEvent], *, reveal: bool = False
               ) -> Iterator[dict[str, Any]]:
    """The rows of the events view, one at a time (`events_frame` and the Parquet file are
    made of them): one per event and recipient, subjects and replies masked unless
    `reveal`; keyed by `EVENT_COLUMNS` (the subject always as `subject_masked`)."""
    from tracecheck.rules.mask import mask_reply, mask_subject

    for ev in events:
        base = {
            "log_format": ev.log_format,
            "kind": ev.kind,
            "time": ev.time,
            "sender": ev.sender,
            "message_id": ev.message_id,
            "queue_id": ev.queue_id,
            "size": ev.size,
            "subject_masked": mask_subject(ev.subject, reveal=reveal),
            "direction": ev.direction,
            "forwarding": ev.forwarding,
            "actor": ev.actor,
            "notes": "; ".join(ev.notes),
            "source": ev.source,
            "locator": str(ev.locator),
        }
        recips = ev.recipients or ()
        if not recips:
            yield {**base, "recipient": "", "status": "", "detail": "", "orig_to": ""}
        for r in recips:
            yield {**base, "recipient": r.addr, "status": r.status,
                   "detail": mask_reply(r.detail, reveal=reveal), "orig_to": r.orig_to}


EVENT_KINDS: dict[str, str] = {
    "log_format": "category", "kind": "category", "time": "time", "sender": "string",
    "recipient": "string", "status": "category", "detail": "string", "orig_to": "string",
    "message_id": "string", "queue_id": "string", "size": "int",
    "subject_masked": "string", "direction": "category", "forwarding": "string",
    "actor": "string", "notes": "string", "source": "category", "locator": "string",
}
"""The Parquet type kind of every events column (`reports.parquet.schema_of`)."""
assert list(EVENT_KINDS) == EVENT_COLUMNS


def _write_parquet(events: Iterable[LogEvent], view: LogView, out: BinaryIO,
                   is_consumer: IsConsumer, *, reveal: bool, totals: Totals | None) -> None:
    """One view as Parquet: the events streamed in row groups, a summary from its frame."""
    from tracecheck.reports.parquet import schema_of, write_rows

    if view is LogView.EVENTS:
        names = {"subject_masked": "subject"} if reveal else {}
        schema = schema_of((names.get(c, c), k) for c, k in EVENT_KINDS.items())
        rows = ({names.get(k, k): v for k, v in row.items()}
                for row in event_rows(events, reveal=reveal))
        write_rows(rows, schema, out, table=f"logs.{view.value}")
        return
    frame = summary_frames(events, is_consumer, totals)[view.value]
    kinds = {c: ("string" if frame[c].dtype == object or str(frame[c].dtype) == "str"
                 else "bool" if frame[c].dtype == bool else "int") for c in frame.columns}
    rows = ({str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records"))
    write_rows(rows, schema_of(kinds.items()), out,
               table=f"logs.{view.value}")


def _domain(addr: str) -> str:
    return addr.rpartition("@")[2].lower() if "@" in addr else ""


SUMMARY_COUNTS = ("messages", "recipients", "consumer_messages", "consumer_recipients",
                  "delivered_recipients")
"""The counts of every summary row, in column order after its key."""


@dataclass(slots=True)
class _Count:
    """One key's counts while events are added (`Totals`)."""

    messages: int = 0
    recipients: int = 0
    consumer_messages: int = 0
    consumer_recipients: int = 0
    delivered_recipients: int = 0


@dataclass
class Totals:
    """The summary views counted as events come (`add`), never holding the events: per key,
    the recipient rows (a message event's recipients), consumer and delivered ones among
    them, and the messages (distinct locators) with a row under the key.

    Two events may share a locator (a JSON document of several records on one line): as the
    table always has, they count as one message. Locators only repeat within a file (a
    locator names its file), so the locators seen are kept for the file being read only.
    """

    is_consumer: IsConsumer
    """Memoised by the caller: the same addresses recur on every line."""
    counts: dict[str, dict[str, _Count]] = field(
        default_factory=lambda: {v.value: defaultdict(_Count) for v in LogView
                                 if v is not LogView.EVENTS})
    _source: str | None = None
    _done: set[str] = field(default_factory=set)
    """Files whose events have all come (a file's events come together, as read)."""
    _seen: dict[tuple[str, str, bool], set[object]] = field(default_factory=dict)

    def add(self, ev: LogEvent) -> None:
        """Count one event (only message events with recipients count)."""
        if ev.kind != "message" or not ev.recipients:
            return
        from tracecheck.logs.analysis import consumer_address, day_of

        if ev.source != self._source:
            if ev.source in self._done:
                raise ValueError(f"events of {ev.source!r} come apart: a summary counts each "
                                 "file's events together, in reading order")
            if self._source is not None:
                self._done.add(self._source)
            self._source = ev.source
            self._seen.clear()
        loc = ev.locator
        day = day_of(ev.time)
        sender = ev.sender.lower()
        fixed = ((LogView.BY_SENDER.value, sender), (LogView.BY_DAY.value, day),
                 (LogView.BY_MONTH.value, day[:7]))
        for r in ev.recipients:
            consumer = consumer_address(self.is_consumer, r.addr)
            delivered = r.status == "delivered"
            for view, key in (*fixed, (LogView.BY_DOMAIN.value, _domain(r.addr))):
                c = self.counts[view][key]
                c.recipients += 1
                c.delivered_recipients += delivered
                c.messages += self._first(view, key, False, loc)
                if consumer:
                    c.consumer_recipients += 1
                    c.consumer_messages += self._first(view, key, True, loc)

    def merge(self, counts: dict[str, dict[str, _Count]]) -> None:
        """Add the counts of files counted elsewhere (`counts` of a `Totals` that a worker
        filled from whole files this one has not seen: messages are distinct per file, so
        the counts add up)."""
        for view, by_key in counts.items():
            mine = self.counts[view]
            for key, c in by_key.items():
                t = mine[key]
                for name in SUMMARY_COUNTS:
                    setattr(t, name, getattr(t, name) + getattr(c, name))

    def _first(self, view: str, key: str, consumer: bool, loc: object) -> bool:
        """True the first time this file's `loc` is counted under (view, key, consumer)."""
        seen = self._seen.setdefault((view, key, consumer), set())
        if loc in seen:
            return False
        seen.add(loc)
        return True

    def frames(self) -> dict[str, pd.DataFrame]:
        """The summary views as frames: one row per key, sorted by key."""
        import pandas as pd

        out: dict[str, pd.DataFrame] = {}
        for view, counts in self.counts.items():
            by = view.removeprefix("by_")
            if not counts:
                out[view] = pd.DataFrame(columns=[by, *SUMMARY_COUNTS])
                continue
            keys = sorted(counts)
            frame = pd.DataFrame({by: keys, **{
                name: [getattr(counts[k], name) for k in keys] for name in SUMMARY_COUNTS}})
            frame = frame.astype(dict.fromkeys(SUMMARY_COUNTS, "int64")).sort_values(
                by, kind="stable", ignore_index=True)
            if view == LogView.BY_DOMAIN.value:
                frame.insert(1, "consumer_domain", [bool(d) and self.is_consumer(f"x@{d}")
                                                    for d in frame["domain"]])
            out[view] = frame
        return out


def totals_for(is_consumer: IsConsumer) -> Totals:
    """An empty `Totals`. The same few thousand addresses recur on millions of lines: each
    is classified once."""
    return Totals(functools.lru_cache(maxsize=1 << 16)(is_consumer))


def summary_frames(events: Iterable[LogEvent], is_consumer: IsConsumer,
                   totals: Totals | None = None) -> dict[str, pd.DataFrame]:
    """Totals for auditors: `by_sender`, `by_domain` (recipient domain), `by_day`, `by_month`,
    counted one event at a time (`Totals`); `totals` holds what was counted already (files
    counted on workers, `logs.stream_log_files(count=...)`).

    Counts cover message events only; forwarding rules are listed by `events_frame`.
    """
    if totals is None:
        totals = totals_for(is_consumer)
    for ev in events:
        totals.add(ev)
    return totals.frames()
