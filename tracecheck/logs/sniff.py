"""Which log format a file holds, decided from its first bytes (never from its name).

Owns the content tests: mail (an mbox `From ` line or RFC 5322 header fields) is refused first,
then Exchange tracking directives and rows, CSV headers of the cloud exports, JSON records by
their keys, and syslog/Exim lines by program name (the most frequent wins). Never reads a whole
file and never parses records beyond the first few.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC
from typing import Any

from tracecheck.logs.base import decode_head
from tracecheck.logs.syslog import YearClock, parse_frame
from tracecheck.logs.tabular import JSON_ERRORS, unwrap

_MBOX_FROM = re.compile(r"From \S+ +.*(?:\d{1,2}:\d\d|\b\d{4}\b)")
_HEADER = re.compile(r"[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = re.compile(
    r"(?im)^(received|from|to|subject|date|message-id|return-path|delivered-to|mime-version|"
    r"x-[a-z0-9-]+|content-type|reply-to|cc|sender|dkim-signature|arc-[a-z-]+|"
    r"authentication-results):[ \t]"
)
_EXCH_ROW = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z,")
_EXIM = re.compile(
    r"(?:\S+ exim\[\d+\]: )?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})?"
    r"(?: \S+ exim\[\d+\]:)?(?: \[\d+\])? "
)
_EXIM_WORDS = re.compile(
    r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} (?:<=|=>|->|\*>|==|\*\*|Completed)"
    r"| H=| F=<|SMTP connection|authenticator failed|queue run|exim"
)
_POSTFIX = re.compile(r"postfix[\w.-]*(?:/[\w.-]+)*/[\w.-]+")
_SENDMAIL = re.compile(r"(?:sendmail|sm-[\w-]+)")


def looks_like_mail(text: str) -> bool:
    """True for an mbox or an RFC 5322 message: never a log."""
    first = text.lstrip("\ufeff\r\n").split("\n", 1)[0].rstrip("\r")
    if first.startswith("From ") and _MBOX_FROM.match(first):
        return True
    if first.startswith(">From "):
        return True
    if _HEADER.match(first):
        block = text.split("\n\n", 1)[0].split("\r\n\r\n", 1)[0]
        return len(_MAIL_HEADERS.findall(block)) >= 1
    return False


def _csv_format(header: str) -> str | None:
    cols = {c.strip().strip('"').strip().lower() for c in header.lstrip("\ufeff").split(",")}
    if "auditdata" in cols:
        return "o365-audit"
    if "event target" in cols or ({"start date", "end date"} <= cols):
        return "google"
    if {"date_time_utc", "event_id"} <= cols or "origin_timestamp_utc" in cols:
        return "m365"
    if {"senderaddress", "recipientaddress"} <= cols or "messagetraceid" in cols:
        return "m365"
    sender = cols & {"sender", "sender address"}
    rcpt = cols & {"recipient", "recipient address"}
    if sender and rcpt and ("status" in cols or "message trace id" in cols):
        return "m365"
    if sender and rcpt and ("message id" in cols or "direction" in cols):
        return "google"
    return None


def _json_kind(rec: dict[str, Any]) -> str | None:
    keys = set(rec)
    low = {k.lower() for k in keys}
    if "Operation" in keys and ({"Workload", "RecordType", "CreationTime"} & keys):
        return "o365-audit"
    if "messagetraceid" in low or {"senderaddress", "recipientaddress"} <= low:
        return "m365"
    if ("row" in keys and "schema" in keys) or {"event_info", "message_info"} <= keys:
        return "google"
    proto = rec.get("protoPayload")
    if isinstance(proto, dict) and isinstance(proto.get("metadata"), dict):
        if "event" in proto["metadata"]:
            return "gmail-audit"
    if str(rec.get("kind", "")).startswith("admin#reports#activit"):
        return "gmail-audit"
    return None


def _json_format(text: str) -> str | None:
    body = text.lstrip()
    values: list[Any] = []
    first_line = body.split("\n", 1)[0]
    for candidate in (first_line, body):
        try:
            values.append(json.loads(candidate))
            break
        except JSON_ERRORS:
            continue
    if not values:
        try:
            values.append(json.JSONDecoder().raw_decode(body)[0])
        except JSON_ERRORS:
            return _json_keys_guess(body)
    for rec in unwrap(values[0]):
        kind = _json_kind(rec)
        if kind:
            return kind
    return None


def _json_keys_guess(text: str) -> str | None:
    """Key-based guess for a JSON document cut off by the sniffing window."""
    if '"Operation"' in text and '"Workload"' in text:
        return "o365-audit"
    if '"MessageTraceId"' in text:
        return "m365"
    if '"message_info"' in text or ('"row"' in text and '"schema"' in text):
        return "google"
    if '"protoPayload"' in text and "forward" in text:
        return "gmail-audit"
    return None


def _line_format(lines: list[str]) -> str | None:
    votes: Counter[str] = Counter()
    clock = YearClock(2000)
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        if _EXIM.match(line):
            # A bare date stamp is common to many programs; Exim's own words decide.
            if _EXIM_WORDS.search(line):
                votes["exim"] += 1
            continue
        frame = parse_frame(line, clock, UTC)
        if frame is None:
            continue
        if _POSTFIX.fullmatch(frame.prog):
            votes["postfix"] += 1
        elif _SENDMAIL.fullmatch(frame.prog):
            votes["sendmail"] += 1
        elif frame.prog.startswith("exim"):
            votes["exim"] += 1
    if not votes:
        return None
    return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def sniff_text(text: str) -> str | None:
    """The log format of decoded head text, or None."""
    text = text.lstrip("\ufeff")
    if not text.strip() or looks_like_mail(text):
        return None
    lines = text.splitlines()
    if len(text) >= 4096 and lines:
        lines = lines[:-1]  # the last line may be cut by the window
    head = "\n".join(lines[:20]).lower()
    if "#software: microsoft exchange" in head or "#log-type: message tracking" in head:
        return "exchange"
    if "#fields: date-time," in head:
        return "exchange"
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        return _json_format(text)
    first = next((ln for ln in lines if ln.strip()), "")
    if _EXCH_ROW.match(first) and first.count(",") >= 25:
        return "exchange"
    if "," in first:
        fmt = _csv_format(first)
        if fmt:
            return fmt
    return _line_format(lines[:400])


def sniff_log(head: bytes) -> str | None:
    """Detect the log format from the first ~16 KB of a file's (gunzipped) content.

    Returns one of postfix, exim, sendmail, exchange, m365, google, o365-audit, gmail-audit,
    or None when the bytes are not a log this package reads - in particular for mbox files and
    RFC 5322 messages.
    """
    return sniff_text(decode_head(head))

