"""Standalone TNEF files (`winmail.dat`, `.tnef`) as a source: one file, one message.

Owns the recognition of a TNEF stream by its signature, the reading of its attributes with
tnefparse into plain values (`read_item`: sender, recipients, subject, date, Message-ID,
transport headers, bodies, attachments, embedded messages; the library call guarded), the
legacy TNEF message classes, and the text decoding TNEF values need (shared with the
attachment extractor, `content.extractors.tnef`). `sources.outlook.build` makes the message,
as for MSG and PST items. `RawMessage.raw` holds the file's bytes, which are hashed. Never
writes anything and never scans text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from typing import Any, BinaryIO

from tracecheck.deps import Requirement
from tracecheck.model import Locator, Note, NoteKind, RawMessage, SkipKind, Skipped
from tracecheck.sources import outlook
from tracecheck.sources.base import Detected, InputFile, SourceType
from tracecheck.sources.mapi import (
    PR_ATTACH_MIME_TAG,
    PR_CLIENT_SUBMIT_TIME,
    PR_DISPLAY_NAME,
    PR_EMAIL_ADDRESS,
    PR_INTERNET_MESSAGE_ID,
    PR_MESSAGE_CLASS,
    PR_MESSAGE_DELIVERY_TIME,
    PR_RCVD_REPRESENTING_EMAIL,
    PR_RCVD_REPRESENTING_NAME,
    PR_RECEIVED_BY_EMAIL,
    PR_RECEIVED_BY_NAME,
    PR_RECIPIENT_TYPE,
    PR_SENDER_EMAIL,
    PR_SENDER_NAME,
    PR_SENDER_SIMPLE_NAME,
    PR_SENDER_SMTP,
    PR_SENT_REPRESENTING_EMAIL,
    PR_SENT_REPRESENTING_NAME,
    PR_SENT_REPRESENTING_SIMPLE_NAME,
    PR_SENT_REPRESENTING_SMTP,
    PR_SMTP_ADDRESS,
    PR_SUBJECT,
    PR_TRANSPORT_MESSAGE_HEADERS,
    RECIPIENT_FIELDS,
)
from tracecheck.sources.outlook import Attachment, Issue, Item

SIGNATURE = b"\x78\x9f\x3e\x22"
MAX_EMBED_DEPTH = 16
"""Messages embedded in messages deeper than this are listed as skipped (a loop guard)."""

# TNEF attributes (MS-OXTNEF 2.1.3.2) read here; MAPI property tags are mapi.py's.
ATT_FROM, ATT_SUBJECT, ATT_DATE_SENT, ATT_MESSAGE_CLASS = 0x8000, 0x8004, 0x8005, 0x8008
ATT_RECIPIENT_TABLE = 0x9004

LEGACY_CLASSES = {
    "ipm.microsoft mail.note": "IPM.Note",
    "ipm.microsoft mail.read receipt": "Report.IPM.Note.IPNRN",
    "ipm.microsoft mail.non-delivery": "Report.IPM.Note.NDR",
    "ipm.microsoft schedule.mtgrespp": "IPM.Schedule.Meeting.Resp.Pos",
    "ipm.microsoft schedule.mtgrespn": "IPM.Schedule.Meeting.Resp.Neg",
    "ipm.microsoft schedule.mtgrespa": "IPM.Schedule.Meeting.Resp.Tent",
    "ipm.microsoft schedule.mtgreq": "IPM.Schedule.Meeting.Request",
    "ipm.microsoft schedule.mtgcncl": "IPM.Schedule.Meeting.Canceled",
}
"""attMessageClass values and the MAPI message classes they stand for (MS-OXTNEF 2.1.3.3.1)."""


class TnefUnreadable(Exception):
    """tnefparse could not read the stream; `reason` says so for a `Skipped`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def as_text(value: object, codepage: str | None) -> str:
    """A TNEF string value as text: UTF-8, else the stream's code page, else Latin-1."""
    if isinstance(value, str):
        return value.rstrip("\x00")
    if not isinstance(value, bytes):
        return ""
    for enc in ("utf-8", codepage or "cp1252"):
        try:
            return value.decode(enc).rstrip("\x00")
        except (UnicodeDecodeError, LookupError):
            continue
    return value.decode("latin-1").rstrip("\x00")


def as_bytes(value: object) -> bytes:
    """A TNEF body or attachment value as bytes (text as UTF-8)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return b""


def truncated(data: bytes) -> bool:
    """True when the attribute chain (level, id, type, length, data, checksum) does not end
    exactly at the end of the stream: cut short, or bytes after the last attribute."""
    pos = 6
    while pos + 11 <= len(data):
        length = int.from_bytes(data[pos + 5:pos + 9], "little")
        pos += 11 + length
    return pos != len(data)


def parse(data: bytes) -> Any:
    """A tnefparse `TNEF` for the bytes; `TnefUnreadable` when the library fails on them."""
    from tnefparse.tnef import TNEF

    logging.getLogger("tnefparse").setLevel(logging.ERROR)
    try:
        return TNEF(data, do_checksum=False)
    except Exception as exc:  # tnefparse raises bare struct/index/assertion errors on damage
        raise TnefUnreadable(f"tnef: not readable ({type(exc).__name__})") from exc


class _Damaged:
    """Counts MAPI property values tnefparse could not decode (noted on the message)."""

    def __init__(self) -> None:
        self.count = 0


def _mapi(props: Any, damaged: _Damaged) -> dict[int, object]:
    """MAPI properties as plain values, by tag (named properties, which share ids, left
    out); a value tnefparse fails to decode is counted and left out, the rest is read."""
    out: dict[int, object] = {}
    for prop in props or ():
        if prop.name >= 0x8000 or prop.name in out:
            continue
        try:
            out[prop.name] = prop.data
        except Exception:  # tnefparse decodes values lazily: a bad time or string raises
            damaged.count += 1
    return out


def _props(tnef: Any, damaged: _Damaged | None = None) -> dict[int, object]:
    """MAPI properties of the message."""
    return _mapi(getattr(tnef, "mapiprops", None), damaged or _Damaged())


def _attributes(tnef: Any) -> dict[int, object]:
    out: dict[int, object] = {}
    for obj in getattr(tnef, "msgprops", None) or ():
        out.setdefault(obj.name, obj.data)
    return out


def _str(value: object, codepage: str | None) -> str:
    return as_text(value, codepage).strip() if isinstance(value, str | bytes) else ""


def _sender(attrs: dict[int, object], props: dict[int, object], codepage: str | None
            ) -> tuple[str, str] | None:
    found = attrs.get(ATT_FROM)
    if isinstance(found, tuple) and len(found) == 3:  # tnefparse: (name, address type, email)
        name, addr = _str(found[0], codepage), _str(found[2], codepage)
        if name or "@" in addr:
            return name, addr if "@" in addr else ""
    for name_tag, smtp_tag, addr_tag in (
        (PR_SENT_REPRESENTING_NAME, PR_SENT_REPRESENTING_SMTP, PR_SENT_REPRESENTING_EMAIL),
        (PR_SENDER_NAME, PR_SENDER_SMTP, PR_SENDER_EMAIL),
    ):
        name = _str(props.get(name_tag), codepage)
        addr = _address(props.get(smtp_tag), props.get(addr_tag), codepage)
        if name or addr:
            return name, addr
    for tag in (PR_SENT_REPRESENTING_SIMPLE_NAME, PR_SENDER_SIMPLE_NAME):
        addr = _address(props.get(tag), None, codepage)  # old clients put the address here
        if addr:
            return "", addr
    return None


def _received_by(props: dict[int, object], codepage: str | None) -> list[tuple[str, str]]:
    """The mailbox that received the message (PR_RECEIVED_BY, else PR_RCVD_REPRESENTING),
    when it is an address."""
    for name_tag, addr_tag in ((PR_RECEIVED_BY_NAME, PR_RECEIVED_BY_EMAIL),
                               (PR_RCVD_REPRESENTING_NAME, PR_RCVD_REPRESENTING_EMAIL)):
        addr = _address(props.get(addr_tag), None, codepage)
        if addr:
            return [(_str(props.get(name_tag), codepage), addr)]
    return []


def _address(smtp: object, other: object, codepage: str | None) -> str:
    """The SMTP address, else an address property that holds one (an Exchange DN is not)."""
    addr = _str(smtp, codepage)
    if addr:
        return addr
    addr = _str(other, codepage)
    return addr if "@" in addr else ""


def _recipients(attrs: dict[int, object], codepage: str | None, damaged: _Damaged
                ) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {"to": [], "cc": [], "bcc": []}
    rows = attrs.get(ATT_RECIPIENT_TABLE)
    for row in rows if isinstance(rows, list) else ():
        props = _mapi(row, damaged)
        kind = props.get(PR_RECIPIENT_TYPE)
        field = RECIPIENT_FIELDS.get(kind if isinstance(kind, int) else 1, "to")
        name = _str(props.get(PR_DISPLAY_NAME), codepage)
        addr = _address(props.get(PR_SMTP_ADDRESS), props.get(PR_EMAIL_ADDRESS), codepage)
        if name or addr:
            out[field].append((name, addr))
    return out


def _date(attrs: dict[int, object], props: dict[int, object]
          ) -> tuple[dt.datetime | None, Issue | None]:
    """Submit or delivery time (UTC), else attDateSent, a local time with no zone."""
    for tag in (PR_CLIENT_SUBMIT_TIME, PR_MESSAGE_DELIVERY_TIME):
        value = props.get(tag)
        if isinstance(value, dt.datetime):
            return value, None
    sent = attrs.get(ATT_DATE_SENT)
    if isinstance(sent, dt.datetime):
        return sent, Issue("tnef: Date taken from attDateSent, the sender's local time with "
                           "no time zone (written as UTC)")
    return None, None


def message_class(tnef: Any) -> str:
    """The MAPI message class (`IPM.Note`...), legacy TNEF class names translated."""
    codepage = _codepage(tnef)
    cls = _str(_props(tnef).get(PR_MESSAGE_CLASS), codepage)
    if not cls:
        cls = _str(_attributes(tnef).get(ATT_MESSAGE_CLASS), codepage)
    return LEGACY_CLASSES.get(cls.lower(), cls)


def _codepage(tnef: Any) -> str | None:
    return tnef.codepage if isinstance(getattr(tnef, "codepage", None), str) else None


def read_item(tnef: Any, depth: int = 0) -> Item:
    """Everything the message is built from, from a parsed TNEF (plain values; tnefparse
    has decoded everything when `parse` returned, except the compressed RTF body)."""
    codepage = _codepage(tnef)
    damaged = _Damaged()
    attrs, props = _attributes(tnef), _props(tnef, damaged)
    people = _recipients(attrs, codepage, damaged)
    issues: list[Issue] = []
    if not any(people.values()):
        people["to"] = _received_by(props, codepage)
        if people["to"]:
            issues.append(Issue("tnef: no recipient table; the mailbox that received the "
                                "message (PR_RECEIVED_BY) is written as To"))
    date, date_issue = _date(attrs, props)
    subject = _str(props.get(PR_SUBJECT), codepage) or _str(attrs.get(ATT_SUBJECT), codepage)
    plain = as_text(tnef.body, codepage) if tnef.body else None
    html = as_bytes(tnef.htmlbody) or None
    rtf = None
    if not (plain or "").strip() and not html:
        try:
            rtf = as_bytes(tnef.rtfbody) or None
        except Exception:  # tnefparse/compressed_rtf: a damaged compressed RTF body
            issues.append(Issue("tnef: compressed RTF body not readable", SkipKind.UNREADABLE))
    item = Item(
        transport=_str(props.get(PR_TRANSPORT_MESSAGE_HEADERS), codepage) or None,
        sender=_sender(attrs, props, codepage), to=people["to"], cc=people["cc"],
        bcc=people["bcc"], subject=subject or None, date=date,
        message_id=_str(props.get(PR_INTERNET_MESSAGE_ID), codepage) or None,
        plain=plain, html=html, rtf=rtf, issues=issues, date_issue=date_issue)
    for num, att in enumerate(tnef.attachments, start=1):
        item.attachments.append(_attachment(att, num, depth, damaged))
    if damaged.count:
        item.issues.append(Issue(f"tnef: {damaged.count} property value(s) not readable; "
                                 "the rest was read"))
    return item


def _attachment(att: Any, num: int, depth: int, damaged: _Damaged) -> Attachment:
    try:
        name = str(att.long_filename() or att.name or "")
    except Exception:  # tnefparse: an undecodable name must not lose the data
        name = ""
    name = name.strip("\x00") or f"attachment-{num}"
    embedded = getattr(att, "embed", None)
    if embedded is not None:
        if depth + 1 > MAX_EMBED_DEPTH:
            return Attachment(name, issue=Issue(
                f"tnef: embedded message {name} deeper than {MAX_EMBED_DEPTH}", SkipKind.LIMIT))
        return Attachment(name, inner=read_item(embedded, depth + 1))  # notes its own damage
    mime = _mapi(getattr(att, "mapi_attrs", None), damaged).get(PR_ATTACH_MIME_TAG)
    return Attachment(name, as_bytes(att.data), mime if isinstance(mime, str) and mime else None)


def _read(path: str, data: bytes) -> Iterator[RawMessage | Skipped | Note]:
    locator = Locator(path=path)
    try:
        tnef = parse(data)
    except TnefUnreadable as exc:
        yield Skipped(locator=locator, kind=SkipKind.UNREADABLE, reason=exc.reason)
        return
    kind = outlook.non_mail_kind(message_class(tnef))
    if kind is not None:
        yield Skipped(locator=locator, kind=SkipKind.NON_MAIL, reason=f"non-mail item: {kind}")
        return
    digest = hashlib.sha256(data).hexdigest()
    found = read_item(tnef)
    message, issues = outlook.build(found, f"tnef{digest[:16]}")
    yield RawMessage(source=path, locator=locator, raw=data, sha256=digest, container="tnef",
                     parsed=message)
    # What the message could not carry, and how it was read, are notes on the one message
    # (a message-level Skipped would count as a message not scanned).
    for issue in issues:
        yield Note(locator=locator, kind=NoteKind.SOURCE, reason=issue.reason)
    if truncated(data):
        yield Note(locator=locator, kind=NoteKind.SOURCE,
                   reason="tnef: the attributes do not end at the end of the file (cut short, "
                          "or bytes after the last one); what is there was read")
    if found.sender is None and not (found.to or found.cc or found.bcc) and not found.transport:
        yield Note(locator=locator, kind=NoteKind.SOURCE,
                   reason="tnef: no sender or recipients in the file (a winmail.dat leaves "
                          "them to the mail that carried it): its flow is unknown")


class TnefSource:
    """A standalone TNEF file: the TNEF signature starts it."""

    type = SourceType.TNEF
    gzip = True
    requires: tuple[Requirement, ...] = (Requirement("tnefparse", "tnefparse"),)

    def sniff(self, head: bytes, path: str) -> Detected | None:
        return Detected(SourceType.TNEF) if head.startswith(SIGNATURE) else None

    def read(self, inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
             ) -> Iterator[RawMessage | Skipped | Note]:
        return _read(inp.path, stream.read())
