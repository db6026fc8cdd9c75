"""Microsoft 365 / Exchange Online message trace: CSV exports and Reporting-web-service JSON.

Owns the message-trace shapes: the summary export (Date, Sender, Recipient, Subject, Status,
one row per recipient; also the classic Get-MessageTrace column names), the enhanced summary
(`origin_timestamp_utc`, `recipient_status` as `addr##Receive, Send;addr2##...`), the extended
report (tracking-log columns with underscores; joined by the Exchange tracking joiner), and the
JSON records of the Reporting web service / Get-MessageTrace / Graph (`Received` UTC with or
without `Z`, or `/Date(ms)/`). UTF-8 or UTF-16 files. Rows of one message (same Message-ID and
sender) become one event. Dates without a zone are UTC, as the exports document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracecheck.logs.base import LogSource, clean_addr, parse_time
from tracecheck.logs.exchange import EVENT_STATUS, TrackingJoiner, hyphen_keys
from tracecheck.logs.message import MessageBuilder, built_events
from tracecheck.logs.tabular import export_rows, lower_keys
from tracecheck.model import LogEvent, Skipped

NAME = "m365"

STATUS = {
    "delivered": "delivered",
    "expanded": "expanded",
    "resolved": "expanded",
    "failed": "failed",
    "pending": "pending",
    "quarantined": "quarantined",
    "filteredasspam": "filtered",
    "spam": "filtered",
    "gettingstatus": "unknown",
    "none": "unknown",
}

TIME = ("date_time_utc", "origin_timestamp_utc", "received", "date (utc)", "date", "time",
        "receiveddatetime", "date/time", "timestamp")
SENDER = ("sender_address", "senderaddress", "sender address", "sender", "from")
RECIPIENT = ("recipient_address", "recipientaddress", "recipient address", "recipient", "to")
SUBJECT = ("message_subject", "subject")
STATUS_COL = ("status", "delivery status", "deliverystatus")
SIZE = ("total_bytes", "size", "message size", "size (bytes)")
MSGID = ("message_id", "messageid", "message id", "internetmessageid")
TRACEID = ("network_message_id", "messagetraceid", "message trace id", "networkmessageid")
DIRECTION = ("directionality", "direction")


def pick(row: dict[str, Any], names: tuple[str, ...]) -> str:
    """The first non-empty value among `names` (keys already lower-case)."""
    for n in names:
        v = row.get(n)
        if v is not None and str(v).strip():
            return str(v).strip()
    return ""


def pick_time(row: dict[str, Any], names: tuple[str, ...]) -> str:
    """The time column: one of `names`, else the first column named `date…`/`received…`
    (exports label it with the chosen zone, e.g. `Date (UTC+01:00)`)."""
    found = pick(row, names)
    if found:
        return found
    for key, value in row.items():
        if key.startswith(("date", "received")) and value is not None and str(value).strip():
            return str(value).strip()
    return ""


def norm_status(text: str) -> str:
    """Message-trace status word → normalised status."""
    return STATUS.get("".join(text.lower().split()), "unknown")


class _Grouper:
    def __init__(self, src: LogSource) -> None:
        self.src = src
        self.msgs: dict[tuple[str, str], MessageBuilder] = {}

    def add(self, lineno: int, row: dict[str, Any]) -> Skipped | None:
        when = parse_time(pick_time(row, TIME))
        if when is None:
            return self.src.bad(lineno, "no readable date in message-trace row")
        sender = clean_addr(pick(row, SENDER))
        mid = clean_addr(pick(row, MSGID))
        trace = pick(row, TRACEID)
        key = (mid or trace or f"row{lineno}", sender.lower())
        msg = self.msgs.get(key)
        if msg is None:
            msg = self.msgs[key] = MessageBuilder(lineno, when, sender, mid, trace,
                                                  fold_case=True)
        size = pick(row, SIZE)
        if size.isdigit() and msg.size is None:
            msg.size = int(size)
        msg.subject = msg.subject or pick(row, SUBJECT)
        msg.direction = msg.direction or _direction(pick(row, DIRECTION))
        status_text = pick(row, STATUS_COL)
        rstat = row.get("recipient_status")
        if isinstance(rstat, str) and "##" in rstat:
            for part in rstat.split(";"):
                addr, _, events = part.partition("##")
                last = events.split(",")[-1].strip().upper()
                if addr.strip():
                    msg.add(clean_addr(addr), EVENT_STATUS.get(last, "unknown"), events.strip())
            return None
        for addr in pick(row, RECIPIENT).replace(",", ";").split(";"):
            if addr.strip():
                msg.add(clean_addr(addr), norm_status(status_text), status_text)
        return None

    def events(self) -> list[LogEvent]:
        return built_events(self.src, self.msgs.values(), NAME)


def _direction(text: str) -> str:
    return {"1": "Inbound", "2": "Outbound"}.get(text, text)


class M365Reader:
    """Reader for Microsoft 365 message trace exports (CSV or JSON)."""

    name = NAME

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield skips as met, then the joined messages."""
        grouper = _Grouper(src)
        joiner: TrackingJoiner | None = None

        def header(row: list[str]) -> list[str]:
            nonlocal joiner
            if "event_id" in lower_keys(row):
                # The extended report: tracking-log columns, joined like Exchange's.
                joiner = TrackingJoiner(src, NAME)
                return hyphen_keys(row)
            return lower_keys(row)

        for item in export_rows(src, header=header):
            if isinstance(item, Skipped):
                yield item
                continue
            if item.from_json:
                low = {k.lower(): v for k, v in item.fields.items()}
                if not pick(low, RECIPIENT) and not pick(low, SENDER):
                    continue  # metadata envelope or an empty record
                bad = grouper.add(item.lineno, low)
            elif joiner is not None:
                bad = joiner.add(item.lineno, item.fields)
            else:
                bad = grouper.add(item.lineno, item.fields)
            if bad is not None:
                yield bad
        yield from (joiner.events() if joiner else grouper.events())
