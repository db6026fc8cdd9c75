"""Small TNEF streams (`winmail.dat`) made in the tests, as MS-OXTNEF lays them out, so that
the TNEF source is tested on every machine (the real files in ../shared are checked too).

A stream is the signature, a key, then attributes: level (1 message, 2 attachment), id, type,
length, data and a checksum. MAPI properties (attMAPIProps, the recipient table, attachment
properties) are a count and (type, id, value) entries.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence

SIGNATURE = b"\x78\x9f\x3e\x22"
MESSAGE, ATTACHMENT = 1, 2
# attribute ids (MS-OXTNEF 2.1.3.2) and types
ATT_FROM, ATT_SUBJECT, ATT_DATE_SENT, ATT_MESSAGE_CLASS, ATT_BODY = (
    0x8000, 0x8004, 0x8005, 0x8008, 0x800C)
ATT_ATTACH_DATA, ATT_ATTACH_TITLE, ATT_ATTACH_REND = 0x800F, 0x8010, 0x9002
ATT_MAPI_PROPS, ATT_RECIP_TABLE, ATT_ATTACHMENT, ATT_VERSION, ATT_CODEPAGE = (
    0x9003, 0x9004, 0x9005, 0x9006, 0x9007)
TRIPLES, STRING, TEXT, DATE, BYTE, DWORD = 0x0000, 0x0001, 0x0002, 0x0003, 0x0006, 0x0008
# MAPI property types and tags
PT_LONG, PT_OBJECT, PT_UNICODE, PT_SYSTIME, PT_BINARY = 0x0003, 0x000D, 0x001F, 0x0040, 0x0102
PR_MESSAGE_CLASS, PR_SUBJECT, PR_CLIENT_SUBMIT_TIME = 0x001A, 0x0037, 0x0039
PR_RECEIVED_BY_NAME, PR_RECEIVED_BY_EMAIL = 0x0040, 0x0076
PR_RECIPIENT_TYPE, PR_SENDER_NAME, PR_INTERNET_MESSAGE_ID, PR_BODY = (
    0x0C15, 0x0C1A, 0x1035, 0x1000)
PR_DISPLAY_NAME, PR_EMAIL_ADDRESS, PR_SMTP_ADDRESS, PR_SENDER_SMTP = (
    0x3001, 0x3003, 0x39FE, 0x5D01)
PR_ATTACH_DATA_OBJ, PR_ATTACH_LONG_FILENAME = 0x3701, 0x3707
IMESSAGE_SIG = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
TO, CC, BCC = 1, 2, 3


def attribute(level: int, ident: int, kind: int, data: bytes) -> bytes:
    return (struct.pack("<BHHI", level, ident, kind, len(data)) + data
            + struct.pack("<H", sum(data) & 0xFFFF))


def _padded(raw: bytes) -> bytes:
    return struct.pack("<II", 1, len(raw)) + raw + bytes(-len(raw) % 4)


def unicode(value: str) -> tuple[int, bytes]:
    return PT_UNICODE, _padded(value.encode("utf-16-le") + b"\x00\x00")


def systime(value: dt.datetime) -> tuple[int, bytes]:
    ticks = int((value - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)).total_seconds() * 10**7)
    return PT_SYSTIME, struct.pack("<Q", ticks)


def long(value: int) -> tuple[int, bytes]:
    return PT_LONG, struct.pack("<i", value)


def mapi(props: dict[int, tuple[int, bytes]]) -> bytes:
    out = struct.pack("<I", len(props))
    for tag, (kind, value) in props.items():
        out += struct.pack("<HH", kind, tag) + value
    return out


def _date(value: dt.datetime) -> bytes:
    return struct.pack("<7H", value.year, value.month, value.day, value.hour, value.minute,
                       value.second, value.isoweekday() % 7)


def _triples(name: str, address: str) -> bytes:
    sender, email = name.encode() + b"\x00", f"SMTP:{address}".encode() + b"\x00"
    return struct.pack("<HHHH", 4, len(sender) + len(email) + 8, len(sender),
                       len(email)) + sender + email


def tnef(
    *,
    subject: str | None = "Case notes",
    body: str | None = "Hello",
    sender: tuple[str, str] | None = ("Agent", "agent@tracecall.co.uk"),
    sender_triple: tuple[str, str] | None = None,
    recipients: Sequence[tuple[int, str, str]] = ((TO, "Someone", "someone@gmail.com"),),
    submitted: dt.datetime | None = dt.datetime(2021, 1, 11, 9, 30, tzinfo=dt.UTC),
    date_sent: dt.datetime | None = None,
    message_class: str = "IPM.Microsoft Mail.Note",
    mapi_class: str | None = None,
    message_id: str | None = "<m1@tracecall.co.uk>",
    received_by: tuple[str, str] | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
    embedded: Sequence[tuple[str, bytes]] = (),
    extra: dict[int, tuple[int, bytes]] | None = None,
) -> bytes:
    """A TNEF stream; `recipients` are (type, name, address); `embedded` are (name, TNEF
    stream of an embedded message); `extra` are more MAPI properties (tag: (type, value))."""
    out = SIGNATURE + struct.pack("<H", 0x0100)
    out += attribute(MESSAGE, ATT_VERSION, DWORD, struct.pack("<I", 0x00010000))
    out += attribute(MESSAGE, ATT_CODEPAGE, BYTE, struct.pack("<II", 1252, 0))
    out += attribute(MESSAGE, ATT_MESSAGE_CLASS, STRING, message_class.encode() + b"\x00")
    if sender_triple is not None:
        out += attribute(MESSAGE, ATT_FROM, TRIPLES, _triples(*sender_triple))
    if date_sent is not None:
        out += attribute(MESSAGE, ATT_DATE_SENT, DATE, _date(date_sent))
    if recipients:
        rows = struct.pack("<I", len(recipients))
        for kind, name, address in recipients:
            rows += mapi({PR_RECIPIENT_TYPE: long(kind), PR_DISPLAY_NAME: unicode(name),
                          PR_SMTP_ADDRESS: unicode(address)})
        out += attribute(MESSAGE, ATT_RECIP_TABLE, BYTE, rows)
    props: dict[int, tuple[int, bytes]] = {}
    if mapi_class is not None:
        props[PR_MESSAGE_CLASS] = unicode(mapi_class)
    if subject is not None:
        props[PR_SUBJECT] = unicode(subject)
    if submitted is not None:
        props[PR_CLIENT_SUBMIT_TIME] = systime(submitted)
    if sender is not None:
        props[PR_SENDER_NAME] = unicode(sender[0])
        props[PR_SENDER_SMTP] = unicode(sender[1])
    if message_id is not None:
        props[PR_INTERNET_MESSAGE_ID] = unicode(message_id)
    if received_by is not None:
        props[PR_RECEIVED_BY_NAME] = unicode(received_by[0])
        props[PR_RECEIVED_BY_EMAIL] = unicode(received_by[1])
    if body is not None:
        props[PR_BODY] = unicode(body)
    props.update(extra or {})
    out += attribute(MESSAGE, ATT_MAPI_PROPS, BYTE, mapi(props))
    for name, data in attachments:
        out += attribute(ATTACHMENT, ATT_ATTACH_REND, BYTE, bytes(14))
        out += attribute(ATTACHMENT, ATT_ATTACH_TITLE, STRING, name.encode() + b"\x00")
        out += attribute(ATTACHMENT, ATT_ATTACH_DATA, BYTE, data)
        out += attribute(ATTACHMENT, ATT_ATTACHMENT, BYTE,
                         mapi({PR_ATTACH_LONG_FILENAME: unicode(name)}))
    for name, inner in embedded:
        out += attribute(ATTACHMENT, ATT_ATTACH_REND, BYTE, bytes(14))
        out += attribute(ATTACHMENT, ATT_ATTACH_TITLE, STRING, name.encode() + b"\x00")
        out += attribute(ATTACHMENT, ATT_ATTACHMENT, BYTE, mapi({
            PR_ATTACH_DATA_OBJ: (PT_OBJECT, _padded(IMESSAGE_SIG + inner))}))
    return out
