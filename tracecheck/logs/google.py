"""Google Workspace mail logs: Email Log Search CSV exports and Gmail logs in BigQuery.

Owns two shapes. The Email Log Search (Admin console, Reporting > Email log search) export:
one row per message and recipient with Message ID, date, Sender, Recipient address, Subject,
Message size, Direction, Event target and status columns (matched by name, loosely; stamps
without a zone are read in `--log-tz`). Gmail logs exported from BigQuery as JSON rows, either
plain (`event_info`, `message_info`) or in the API's positional `{"row": {"f": [{"v": ..}]},
"schema": ..}` form, decoded by the schema that comes with each row. Rows of one message (same
Message-ID) become one event; `mail_event_type` 11 (auto-forwarded by the account's forwarding
setting) sets `forwarding`. Never reads Google's audit (admin/login) logs: see `audit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracecheck.logs.base import LogSource, clean_addr, parse_time
from tracecheck.logs.m365 import pick, pick_time
from tracecheck.logs.message import MessageBuilder, built_events
from tracecheck.logs.tabular import export_rows
from tracecheck.model import LogEvent, Skipped

NAME = "google"

TIME = ("start date", "date", "start time", "timestamp", "time", "event date", "date (utc)")
SENDER = ("sender", "sender address", "from", "sender email")
RECIPIENT = ("recipient address", "recipient", "recipients", "to", "recipient email")
SUBJECT = ("subject",)
MSGID = ("message id", "message-id", "rfc 822 message id", "rfc822 message id")
SIZE = ("message size (bytes)", "message size", "size", "size (bytes)")
DIRECTION = ("direction",)
STATUS = ("event status", "status", "result", "event description", "description")
TARGET = ("event target", "target")

NO_ID = "SMTPIN_ADDED_REJECT_SESSION"

EVENT_TYPE_STATUS = {"1": "received", "2": "delivered", "4": "filtered", "5": "quarantined",
                     "10": "delivered", "11": "delivered", "30": "bounced"}


def els_status(status: str, target: str) -> str:
    """Email Log Search status and event target → normalised status."""
    text = f"{status} {target}".lower()
    for words, result in (
        (("bounce",), "bounced"),
        (("reject", "fail", "drop"), "failed"),
        (("quarantin",), "quarantined"),
        (("spam",), "filtered"),
        (("defer", "retry", "temporar"), "deferred"),
        (("deliver", "gmail_inbox", "success", "sent"), "delivered"),
        (("receiv", "smtp_in", "accept"), "received"),
    ):
        if any(w in text for w in words):
            return result
    return "unknown"


def decode_bigquery(schema: list[dict[str, Any]], row: Any) -> dict[str, Any]:
    """A positional BigQuery API row (`{"f": [{"v": ...}]}`) as a nested dict."""
    out: dict[str, Any] = {}
    cells = row.get("f", []) if isinstance(row, dict) else []
    for spec, cell in zip(schema, cells, strict=False):
        v = cell.get("v") if isinstance(cell, dict) else None
        name = spec.get("name", "")
        record = spec.get("type") in ("RECORD", "STRUCT")
        if spec.get("mode") == "REPEATED":
            items = [x.get("v") if isinstance(x, dict) else x for x in (v or [])]
            out[name] = [decode_bigquery(spec.get("fields", []), x) if record else x
                         for x in items]
        elif record:
            out[name] = decode_bigquery(spec.get("fields", []), v) if v else None
        else:
            out[name] = v
    return out


def _get(obj: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj


class GoogleReader:
    """Reader for Google Workspace Email Log Search CSVs and Gmail BigQuery JSON rows."""

    name = NAME

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield skips as met, then the joined messages."""
        msgs: dict[str, MessageBuilder] = {}
        joiner = GmailJoiner(src, NAME)
        for item in export_rows(src):
            if isinstance(item, Skipped):
                yield item
                continue
            if item.from_json:
                rec = item.fields
                if "row" in rec and isinstance(rec.get("schema"), dict):
                    rec = decode_bigquery(rec["schema"].get("fields", []), rec["row"])
                bad = joiner.add(item.lineno, rec)
            else:
                bad = _els_row(src, msgs, item.lineno, item.fields)
            if bad is not None:
                yield bad
        # A file is JSON (Gmail logs, joined) or CSV (Email Log Search rows): one is empty.
        yield from joiner.events()
        yield from built_events(src, msgs.values(), NAME)


def _els_row(src: LogSource, msgs: dict[str, MessageBuilder], lineno: int, r: dict[str, str]
             ) -> Skipped | None:
    """Add one Email Log Search row to its message; a skip when its date cannot be read."""
    when = parse_time(pick_time(r, TIME), src.tz)
    if when is None:
        return src.bad(lineno, "no readable date in Email Log Search row")
    mid = clean_addr(pick(r, MSGID))
    if mid == NO_ID:
        mid = ""
    sender = clean_addr(pick(r, SENDER))
    key = mid or f"row{lineno}"
    msg = msgs.get(key)
    if msg is None:
        msg = msgs[key] = MessageBuilder(lineno, when, sender, mid, fold_case=True)
        if not mid and pick(r, MSGID) == NO_ID:
            msg.notes.append("rejected in the SMTP session (no Message-ID)")
    size = pick(r, SIZE)
    if size.isdigit() and msg.size is None:
        msg.size = int(size)
    msg.subject = msg.subject or pick(r, SUBJECT)
    msg.direction = msg.direction or pick(r, DIRECTION)
    status_text, target = pick(r, STATUS), pick(r, TARGET)
    status = els_status(status_text, target)
    for addr in pick(r, RECIPIENT).replace(",", ";").split(";"):
        if addr.strip():
            msg.add(clean_addr(addr), status, f"{target} {status_text}".strip()[:200])
    return None


class GmailJoiner:
    """Joins Gmail log records (`event_info` + `message_info`) into one event per message."""

    def __init__(self, src: LogSource, fmt: str) -> None:
        self.src = src
        self.fmt = fmt
        self.msgs: dict[str, MessageBuilder] = {}

    def add(self, lineno: int, rec: dict[str, Any], when: str | None = None) -> Skipped | None:
        """Add one record; a skip when it is not a Gmail message record or has no time."""
        info, mi = rec.get("event_info"), rec.get("message_info")
        if not isinstance(mi, dict) or not isinstance(info, dict):
            return self.src.bad(lineno, "JSON record without event_info/message_info")
        when = parse_time(str(info.get("timestamp_usec") or rec.get("time_usec") or "")) or when
        if when is None:
            return self.src.bad(lineno, "no readable timestamp_usec")
        mid = clean_addr(str(mi.get("rfc2822_message_id") or ""))
        key = mid or str(rec.get("unique_identifier") or f"row{lineno}")
        msg = self.msgs.get(key)
        sender = clean_addr(str(_get(mi, "source", "address") or
                                _get(mi, "source", "from_header_address") or ""))
        if msg is None:
            msg = self.msgs[key] = MessageBuilder(lineno, when, sender, mid, fold_case=True)
        msg.sender = msg.sender or sender
        if str(mi.get("payload_size") or "").isdigit() and msg.size is None:
            msg.size = int(mi["payload_size"])
        msg.subject = msg.subject or str(mi.get("subject") or "")
        etype = str(info.get("mail_event_type") or "0")
        status = EVENT_TYPE_STATUS.get(etype, "unknown")
        if str(mi.get("is_spam")).lower() == "true":
            status = "filtered"
        code = str(_get(mi, "connection_info", "smtp_reply_code") or "")
        if status == "unknown" and code[:1] in ("4", "5"):
            status = "deferred" if code.startswith("4") else "failed"
        dests = mi.get("destination") or []
        dests = [d for d in (dests if isinstance(dests, list) else [dests]) if isinstance(d, dict)]
        for d in dests:
            addr = clean_addr(str(d.get("address") or ""))
            if addr:
                msg.add(addr, status, str(d.get("service") or ""))
        if etype == "11":
            msg.note("auto-forwarded by the account's forwarding setting")
            if dests and not msg.forwarding:
                msg.forwarding = clean_addr(str(dests[0].get("address") or ""))
        return None

    def events(self) -> list[LogEvent]:
        """All joined messages, in order of their first record."""
        return built_events(self.src, self.msgs.values(), self.fmt)
