"""What Outlook containers (.msg, .pst/.ost) share: sniffing, item classes, and the building of
an `email.message.Message` (compat32) from MAPI properties.

Owns the recognition of Outlook files by content, the mail/non-mail decision by message class,
and the assembly of a MIME message (transport headers when the item kept them, otherwise
headers synthesised from properties; bodies; attachments; embedded messages as message/rfc822)
with deterministic boundaries so that the same item always serialises to the same bytes, and
the `Issue` record for what an item's message could not carry. Never opens files (msg.py and
pst.py do) and never scans text.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email import encoders, utils
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import HeaderParser
from email.policy import compat32

from tracecheck.model import SkipKind

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PST_MAGIC = b"!BDN"
_MSG_STREAM_PREFIXES = tuple(s.encode("utf-16-le") for s in (
    "__properties_version1.0", "__substg1.0_", "__recip_version1.0_", "__nameid_version1.0"))
_DROP_TRANSPORT = frozenset({"content-type", "content-transfer-encoding", "mime-version",
                             "content-disposition"})

NON_MAIL_CLASSES = {
    "ipm.contact": "contact",
    "ipm.distlist": "distribution list",
    "ipm.appointment": "appointment",
    "ipm.task": "task",
    "ipm.stickynote": "note",
    "ipm.activity": "journal entry",
    "ipm.microsoft.scheduledata.freebusy": "free/busy data",
    "ipm.configuration": "configuration",
    "ipm.microsoft.fid.folderdesign": "folder design",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """Something about an Outlook item that the built message does not carry, or says
    differently (a Date taken from the creation time)."""

    reason: str
    kind: SkipKind | None = None
    """None for an observation (everything was read); the kind of what was left out
    otherwise (an unreadable or unsupported attachment, an embedding too deep)."""


@dataclass(slots=True)
class Attachment:
    """One attachment of an item as plain values (what the reader library gave)."""

    name: str
    data: bytes | None = None
    mimetype: str | None = None
    inner: Item | None = None
    """An embedded item, built as a message/rfc822 part."""
    issue: Issue | None = None
    """What to say about it: with a kind, the attachment is left out; without one (an
    embedded item kept as raw data), `data` is still attached."""


@dataclass(slots=True)
class Item:
    """One Outlook item as plain values: everything a message is built from, read from
    extract-msg (msg.py) or libpff (pst.py) before any building starts."""

    transport: str | None
    """The transport headers Outlook kept (PR_TRANSPORT_MESSAGE_HEADERS), if any."""
    sender: tuple[str, str] | None
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    bcc: list[tuple[str, str]]
    subject: str | None
    date: dt.datetime | None
    message_id: str | None
    plain: str | None
    html: bytes | None
    rtf: bytes | None
    attachments: list[Attachment] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    """Found while reading (a damaged body stream)."""
    date_issue: Issue | None = None
    """Said when the headers are synthesised (a Date taken from the creation time)."""


def build(item: Item, seed: str) -> tuple[Message, list[Issue]]:
    """The item as a compat32 message (see `compose`), and what it could not carry, in
    reading order: the item's own issues, then each attachment's (embedded items in place)."""
    issues: list[Issue] = []
    return _build(item, seed, issues), issues


def _build(item: Item, seed: str, issues: list[Issue]) -> Message:
    issues.extend(item.issues)
    headers = transport_headers(item.transport)
    if headers:
        headers += missing_bcc(headers, item.bcc)
    else:
        if item.date_issue is not None:
            issues.append(item.date_issue)
        headers = synthesised_headers(sender=item.sender, to=item.to, cc=item.cc,
                                      bcc=item.bcc, subject=item.subject, date=item.date,
                                      message_id=item.message_id)
    parts: list[Message] = []
    for num, att in enumerate(item.attachments, start=1):
        if att.issue is not None:
            issues.append(att.issue)
            if att.issue.kind is not None:
                continue
        if att.inner is not None:
            parts.append(embedded_part(att.name, _build(att.inner, f"{seed}.{num}", issues)))
        elif att.data is not None:
            parts.append(attachment_part(att.name, att.data, att.mimetype))
    rtf = item.rtf if not item.plain and not item.html else None
    return compose(headers, plain=item.plain, html=item.html, rtf=rtf, attachments=parts,
                   seed=seed)


def sniff_container(head: bytes) -> str | None:
    """`"msg"` for an OLE compound file holding an Outlook message, `"pst"` for a PST/OST
    (`!BDN`), else None.

    Pass at least the first 4 KiB: the MSG test reads the compound file's first directory
    sector (whose position the header gives) and looks for the MSG stream names there.
    """
    if head.startswith(PST_MAGIC):
        return "pst"
    if not head.startswith(CFB_MAGIC) or len(head) < 0x40:
        return None
    shift = struct.unpack_from("<H", head, 0x1E)[0]
    first_dir = struct.unpack_from("<I", head, 0x30)[0]
    size = 1 << shift if 7 <= shift <= 16 else 512
    start = (first_dir + 1) * size
    window = head[start:start + size] if start < len(head) else b""
    if any(p in window for p in _MSG_STREAM_PREFIXES):
        return "msg"
    if not window and any(p in head for p in _MSG_STREAM_PREFIXES):
        return "msg"
    return None


def non_mail_kind(message_class: str | None) -> str | None:
    """Label of a non-mail item class (`contact`, `appointment`, ...), None for mail.

    Mail is `IPM.Note*`, meeting requests/responses (`IPM.Schedule.Meeting.*`, which travel
    as mail), posts and reports (delivery/read receipts). An empty class counts as mail.
    """
    cls = (message_class or "").strip().lower()
    if not cls or cls.startswith(("ipm.note", "ipm.schedule.meeting", "ipm.post", "report.")):
        return None
    if cls == "ipm":
        return None
    for prefix, label in NON_MAIL_CLASSES.items():
        if cls == prefix or cls.startswith(prefix + "."):
            return label
    return f"item class {message_class}"


def header_text(value: str) -> str:
    """A header value safe for compat32: RFC 2047 encoded when it is not ASCII."""
    value = value.replace("\r", " ").replace("\n", " ").strip("\x00")
    if value.isascii():
        return value
    return Header(value, "utf-8").encode()


def address(name: str, addr: str) -> str:
    """`"Name" <addr>` (display name RFC 2047 encoded when needed) or just the address."""
    name = (name or "").strip().strip("'\"")
    addr = (addr or "").strip()
    if name and name.lower() == addr.lower():
        name = ""
    if not addr:
        return header_text(name)
    if addr.isascii():
        return utils.formataddr((name, addr), charset="utf-8")
    # An internationalised address (RFC 6532), or a damaged property: formataddr refuses a
    # non-ASCII address, so it is kept as it is (line breaks folded away), the name quoted or
    # encoded as formataddr would.
    addr = addr.replace("\r", " ").replace("\n", " ")
    if not name:
        return addr
    shown = header_text(name) if not name.isascii() else f'"{utils.quote(name)}"'
    return f"{shown} <{addr}>"


def transport_headers(text: str | None) -> list[tuple[str, str]]:
    """Header fields kept by Outlook as received (PR_TRANSPORT_MESSAGE_HEADERS), minus the
    MIME structure fields, which describe a body that is no longer there."""
    if not text or not text.strip():
        return []
    parsed = HeaderParser(policy=compat32).parsestr(text.lstrip(), headersonly=True)
    return [(k, str(v)) for k, v in parsed.items() if k.lower() not in _DROP_TRANSPORT]


def synthesised_headers(
    *,
    sender: tuple[str, str] | None,
    to: Sequence[tuple[str, str]],
    cc: Sequence[tuple[str, str]],
    bcc: Sequence[tuple[str, str]],
    subject: str | None,
    date: dt.datetime | None,
    message_id: str | None,
) -> list[tuple[str, str]]:
    """Headers made from MAPI properties when an item kept no transport headers (drafts,
    sent items, most PST/MSG exports)."""
    out: list[tuple[str, str]] = []
    if sender is not None and (sender[0] or sender[1]):
        out.append(("From", address(*sender)))
    for name, people in (("To", to), ("Cc", cc), ("Bcc", bcc)):
        if people:
            out.append((name, ", ".join(address(n, a) for n, a in people)))
    if subject:
        out.append(("Subject", header_text(subject)))
    if date is not None:
        if date.tzinfo is None:
            date = date.replace(tzinfo=dt.UTC)
        out.append(("Date", utils.format_datetime(date)))
    if message_id:
        out.append(("Message-ID", message_id.strip()))
    return out


def missing_bcc(headers: Iterable[tuple[str, str]], bcc: Sequence[tuple[str, str]]
                ) -> list[tuple[str, str]]:
    """A Bcc header from item recipients when transport headers (which never carry Bcc)
    are used and the item knows blind recipients (sent items)."""
    if not bcc or any(k.lower() == "bcc" for k, _ in headers):
        return []
    return [("Bcc", ", ".join(address(n, a) for n, a in bcc))]


def attachment_part(name: str, data: bytes, mimetype: str | None = None) -> Message:
    """A base64 attachment part with `filename` (RFC 2231 encoded when not ASCII)."""
    ctype = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if "/" not in ctype:
        ctype = "application/octet-stream"
    maintype, subtype = ctype.split("/", 1)
    part = MIMEBase(maintype, subtype.split(";")[0].strip() or "octet-stream")
    part.set_payload(data)
    encoders.encode_base64(part)
    _disposition(part, name)
    return part


def embedded_part(name: str, inner: Message) -> Message:
    """An attached Outlook item as a message/rfc822 part."""
    part = MIMEMessage(inner)
    _disposition(part, name)
    return part


def _disposition(part: Message, name: str) -> None:
    del part["MIME-Version"]
    filename: str | tuple[str, str, str] = name if name.isascii() else ("utf-8", "", name)
    part.add_header("Content-Disposition", "attachment", filename=filename)


def compose(
    headers: Sequence[tuple[str, str]],
    *,
    plain: str | None,
    html: bytes | None,
    rtf: bytes | None,
    attachments: Sequence[Message],
    seed: str,
) -> Message:
    """The item as a compat32 multipart/mixed message.

    Bodies: text/plain and text/html together form a multipart/alternative; an RTF-only body
    is attached as `body.rtf`. `seed` makes the MIME boundaries deterministic.
    """
    outer = MIMEMultipart("mixed")
    for key, value in headers:
        outer[key] = value
    bodies: list[Message] = []
    if plain is not None and plain.strip("\x00").strip():
        bodies.append(MIMEText(plain.strip("\x00"), "plain", "utf-8"))
    if html:
        part = MIMEBase("text", "html")
        part.set_payload(html.rstrip(b"\x00"))
        encoders.encode_base64(part)
        bodies.append(part)
    for body in bodies:
        del body["MIME-Version"]
    if len(bodies) == 2:
        alt = MIMEMultipart("alternative")
        del alt["MIME-Version"]
        for body in bodies:
            alt.attach(body)
        outer.attach(alt)
    elif bodies:
        outer.attach(bodies[0])
    elif rtf:
        outer.attach(attachment_part("body.rtf", rtf.rstrip(b"\x00"), "application/rtf"))
    for att in attachments:
        outer.attach(att)
    _fix_boundaries(outer, seed)
    return outer


def _fix_boundaries(msg: Message, seed: str) -> None:
    count = 0
    for part in msg.walk():
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            count += 1
            part.set_boundary(f"=_tracecheck_{seed}_{count}")
