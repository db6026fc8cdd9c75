"""Exchange message tracking logs (MSGTRK*.LOG): rows joined into one event per message.

Owns the tracking-row vocabulary shared with the Microsoft 365 extended message-trace export:
columns come from the `#Fields:` line (any Exchange version; a UTF-8 BOM is allowed), and a file
without one falls back to the 2016/2019 30-column list (27 columns: 2013, 26: 2010). Rows are
joined by Message-ID (else network/internal message id). `recipient-address` and
`recipient-status` are `;` lists; the event id decides the status (DELIVER/SEND/SENDEXTERNAL
delivered, FAIL/DROP failed, DEFER deferred, EXPAND expanded, RECEIVE/SUBMIT received; REDIRECT
adds the new address with the old as `orig_to`). Rows whose source is MAILBOXRULE were made by an
inbox rule: the event carries the rule's target in `forwarding`. Never reads the protocol logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tracecheck.logs.base import LogSource, clean_addr, merge_status, parse_time
from tracecheck.logs.tabular import csv_lines, lower_keys
from tracecheck.model import LogEvent, LogRecipient, Skipped

NAME = "exchange"

FIELDS_2016 = (
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
    "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
    "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
    "message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
    "original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,"
    "schema-version"
).split(",")
FIELDS_2013 = FIELDS_2016[:27]
FIELDS_2010 = [f for f in FIELDS_2013 if f != "network-message-id"]
FALLBACK = {len(f): f for f in (FIELDS_2016, FIELDS_2013, FIELDS_2010)}

EVENT_STATUS = {
    "DELIVER": "delivered",
    "DUPLICATEDELIVER": "delivered",
    "SEND": "delivered",
    "SENDEXTERNAL": "delivered",
    "TRANSFER": "expanded",
    "EXPAND": "expanded",
    "DUPLICATEEXPAND": "expanded",
    "FAIL": "failed",
    "DELIVERFAIL": "failed",
    "DROP": "failed",
    "BADMAIL": "failed",
    "POISONMESSAGE": "failed",
    "MODERATORREJECT": "failed",
    "MODERATIONEXPIRE": "failed",
    "SUBMITFAIL": "failed",
    "RESUBMITFAIL": "failed",
    "DEFER": "deferred",
    "SUBMITDEFER": "deferred",
    "RESUBMITDEFER": "deferred",
    "RECEIVE": "received",
    "SUBMIT": "received",
    "HARECEIVE": "received",
    "RESUBMIT": "received",
}
"""Event ids that say something about where a recipient's copy went."""

QUIET_EVENTS = frozenset({"NOTIFYMAPI", "NOTIFYSHADOW", "HAREDIRECT", "HADISCARD", "LOAD",
                          "THROTTLE", "INITMESSAGECREATED", "CLIENTSUBMISSION"})
"""Bookkeeping events that do not open a message on their own."""


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";")] if value.strip() else []


@dataclass
class _Msg:
    lineno: int
    time: str | None
    sender: str = ""
    message_id: str = ""
    queue_id: str = ""
    size: int | None = None
    subject: str = ""
    direction: str = ""
    forwarding: str = ""
    rcpts: dict[str, LogRecipient] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, addr: str, status: str, detail: str, orig: str = "") -> None:
        key = addr.lower()
        old = self.rcpts.get(key)
        if old is None:
            self.rcpts[key] = LogRecipient(addr, status, detail, orig)
            return
        keep = merge_status(old.status, status)
        self.rcpts[key] = LogRecipient(old.addr, keep, detail if keep == status else old.detail,
                                       old.orig_to or orig)


class TrackingJoiner:
    """Joins tracking rows (dicts keyed by hyphenated lower-case field names) into events."""

    def __init__(self, src: LogSource, fmt: str) -> None:
        self.src = src
        self.fmt = fmt
        self.msgs: dict[str, _Msg] = {}

    def add(self, lineno: int, row: dict[str, str]) -> Skipped | None:
        """Add one row; a skip when its time cannot be read."""
        stamp = row.get("date-time", "")
        when = parse_time(stamp)
        if when is None:
            return self.src.bad(lineno, "unreadable date-time in tracking row")
        event_id = row.get("event-id", "").strip().upper()
        mid = clean_addr(row.get("message-id", ""))
        key = mid or row.get("network-message-id", "") or row.get("internal-message-id", "")
        if not key or (event_id in QUIET_EVENTS and key not in self.msgs):
            return None
        msg = self.msgs.get(key)
        if msg is None:
            msg = self.msgs[key] = _Msg(lineno, when, message_id=mid)
        msg.queue_id = msg.queue_id or row.get("internal-message-id", "").strip()
        msg.sender = msg.sender or clean_addr(row.get("sender-address", "")) or clean_addr(
            row.get("return-path", "")
        )
        if row.get("total-bytes", "").strip().isdigit() and msg.size is None:
            msg.size = int(row["total-bytes"])
        msg.subject = msg.subject or row.get("message-subject", "")
        msg.direction = msg.direction or row.get("directionality", "").strip()
        source = row.get("source", "").strip().upper()
        rcpts = [clean_addr(a) for a in _split(row.get("recipient-address", ""))]
        details = _split(row.get("recipient-status", ""))
        if source == "MAILBOXRULE":
            ref = row.get("reference", "").strip()
            note = "generated by an inbox rule" + (f" (reference {ref})" if ref else "")
            if note not in msg.notes:
                msg.notes.append(note)
            if rcpts and not msg.forwarding:
                msg.forwarding = rcpts[0]
        status = EVENT_STATUS.get(event_id)
        for i, addr in enumerate(rcpts):
            if not addr:
                continue
            detail = details[i] if i < len(details) else (details[-1] if details else "")
            if event_id == "REDIRECT":
                msg.add(addr, "expanded", "redirected")
                for new in _split(row.get("related-recipient-address", "")):
                    msg.add(clean_addr(new), "received", "redirect target", orig=addr)
            else:
                msg.add(addr, status or "unknown", f"{event_id} {detail}".strip()[:200])
        return None

    def events(self) -> list[LogEvent]:
        """All joined messages, in order of their first row."""
        return [
            LogEvent(
                log_format=self.fmt,
                source=self.src.path,
                locator=self.src.loc(m.lineno),
                time=m.time,
                sender=m.sender,
                recipients=tuple(m.rcpts.values()),
                message_id=m.message_id,
                queue_id=m.queue_id,
                size=m.size,
                subject=m.subject,
                direction=m.direction,
                forwarding=m.forwarding,
                notes=tuple(m.notes),
            )
            for m in sorted(self.msgs.values(), key=lambda m: m.lineno)
        ]


def hyphen_keys(header: list[str]) -> list[str]:
    """`date_time_utc` / `Date-Time` → `date-time` (the tracking-log spelling)."""
    out = []
    for h in lower_keys(header):
        h = h.replace("_", "-")
        out.append(h.removesuffix("-utc"))
    return out


class ExchangeReader:
    """Reader for Exchange Server message tracking logs."""

    name = NAME

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield skips as met, then the joined messages."""
        joiner = TrackingJoiner(src, NAME)
        fields: list[str] | None = None
        for lineno, row in csv_lines(src, directives=True):
            if isinstance(row, str):
                if row.startswith("\x00"):
                    yield src.bad(lineno, "unbalanced quotes in CSV row")
                    continue
                text = row.lstrip("\ufeff")
                if text.lower().startswith("#fields:"):
                    fields = hyphen_keys(text.split(":", 1)[1].split(","))
                continue
            cols = fields or FALLBACK.get(len(row))
            if cols is None or len(row) != len(cols):
                yield src.bad(lineno, f"{len(row)} columns, expected {len(cols or FIELDS_2016)}")
                continue
            bad = joiner.add(lineno, dict(zip(cols, row, strict=True)))
            if bad is not None:
                yield bad
        yield from joiner.events()
