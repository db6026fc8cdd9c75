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

import enum
import functools
import json
from collections.abc import Iterable, Iterator
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
               is_consumer: IsConsumer, *, reveal: bool = False) -> None:
    """Write one table of `events` to `out` (subjects and replies unmasked only with
    `reveal`)."""
    if fmt is LogTableFormat.PARQUET:
        _write_parquet(events, view, out.buffer, is_consumer, reveal=reveal)
        return
    frame = (events_frame(events, reveal=reveal) if view is LogView.EVENTS
             else summary_frames(events, is_consumer)[view.value])
    if fmt is LogTableFormat.CSV:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        from tracecheck.reports.safe_text import spreadsheet_cell

        # Logged text (addresses, details, notes) is the input's: never a spreadsheet formula.
        for col in frame.columns:
            if not (is_numeric_dtype(frame[col]) or is_bool_dtype(frame[col])):
                frame[col] = frame[col].map(spreadsheet_cell)
        frame.to_csv(out, index=False, lineterminator="\n")
    else:
        json.dump(json.loads(frame.to_json(orient="records", date_format="iso")), out,
                  indent=2, ensure_ascii=False)
        out.write("\n")


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
                   is_consumer: IsConsumer, *, reveal: bool) -> None:
    """One view as Parquet: the events streamed in row groups, a summary from its frame."""
    from tracecheck.reports.parquet import schema_of, write_rows

    if view is LogView.EVENTS:
        names = {"subject_masked": "subject"} if reveal else {}
        schema = schema_of((names.get(c, c), k) for c, k in EVENT_KINDS.items())
        rows = ({names.get(k, k): v for k, v in row.items()}
                for row in event_rows(events, reveal=reveal))
        write_rows(rows, schema, out, table=f"logs.{view.value}")
        return
    frame = summary_frames(events, is_consumer)[view.value]
    kinds = {c: ("string" if frame[c].dtype == object or str(frame[c].dtype) == "str"
                 else "bool" if frame[c].dtype == bool else "int") for c in frame.columns}
    rows = ({str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records"))
    write_rows(rows, schema_of(kinds.items()), out,
               table=f"logs.{view.value}")


def _domain(addr: str) -> str:
    return addr.rpartition("@")[2].lower() if "@" in addr else ""


def summary_frames(events: Iterable[LogEvent], is_consumer: IsConsumer) -> dict[str, pd.DataFrame]:
    """Totals for auditors: `by_sender`, `by_domain` (recipient domain), `by_day`, `by_month`.

    Counts cover message events only; forwarding rules are listed by `events_frame`.
    """
    import pandas as pd

    from tracecheck.logs.analysis import consumer_address, day_of, flow_of

    # The same few thousand addresses recur on millions of lines: each is classified once.
    is_consumer = functools.lru_cache(maxsize=1 << 16)(is_consumer)
    rows: list[dict[str, Any]] = []
    for ev in events:
        if ev.kind != "message":
            continue
        flow = flow_of(ev, is_consumer)
        rows.extend(
            {
                "locator": str(ev.locator),
                "sender": ev.sender.lower(),
                "day": day_of(ev.time),
                "month": day_of(ev.time)[:7],
                "domain": _domain(r.addr),
                "consumer": consumer_address(is_consumer, r.addr),
                "consumer_flow": flow.is_consumer,
                "delivered": r.status == "delivered",
                "size": ev.size or 0,
            }
            for r in ev.recipients or ()
        )
    df = pd.DataFrame(rows, columns=["locator", "sender", "day", "month", "domain", "consumer",
                                     "consumer_flow", "delivered", "size"])

    def agg(by: str) -> pd.DataFrame:
        if df.empty:
            return pd.DataFrame(columns=[by, "messages", "recipients", "consumer_messages",
                                         "consumer_recipients", "delivered_recipients"])
        consumer = df[df["consumer"]]
        out = pd.DataFrame({
            "messages": df.groupby(by)["locator"].nunique(),
            "recipients": df.groupby(by).size(),
            "consumer_messages": consumer.groupby(by)["locator"].nunique(),
            "consumer_recipients": consumer.groupby(by).size(),
            "delivered_recipients": df.groupby(by)["delivered"].sum(),
        }).fillna(0).astype("int64")
        return out.reset_index().rename(columns={"index": by}).sort_values(by, kind="stable",
                                                                             ignore_index=True)

    by_domain = agg("domain")
    if not by_domain.empty:
        by_domain.insert(1, "consumer_domain", [bool(d) and is_consumer(f"x@{d}")
                                                for d in by_domain["domain"]])
    return {
        LogView.BY_SENDER.value: agg("sender"),
        LogView.BY_DOMAIN.value: by_domain,
        LogView.BY_DAY.value: agg("day"),
        LogView.BY_MONTH.value: agg("month"),
    }
