"""Outlook `.msg` files as a source: one file, one message, read with extract-msg.

Owns the conversion of one MSG item (and the items embedded in it) into a compat32
`email.message.Message`: transport headers when Outlook kept them, otherwise headers from MAPI
properties; plain/HTML/RTF bodies; attachments with their file names; embedded items as
message/rfc822 parts. Reading is two steps: `_read_item` asks extract-msg for everything (the
library call, guarded), then `sources.outlook` builds the message from plain values (our code,
never guarded). `RawMessage.raw` holds the file's bytes, which are hashed. Non-mail items
(contacts, appointments, ...) and unreadable files become `Skipped`. The same building serves
an `.msg` attached to a mail (`build_from_bytes`, used by the content layer). Never writes
anything (extract-msg is only ever given bytes) and never scans text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from email.message import Message
from email.utils import parseaddr
from typing import Any, BinaryIO

from tracecheck.deps import Requirement
from tracecheck.model import Locator, Note, NoteKind, RawMessage, SkipKind, Skipped
from tracecheck.sources import outlook
from tracecheck.sources.base import Detected, InputFile, SourceType
from tracecheck.sources.evidence import open_evidence
from tracecheck.sources.outlook import Attachment, Issue, Item

MAX_EMBED_DEPTH = 16
"""Items embedded in items deeper than this are listed as skipped (a loop guard)."""

_CREATION_TIME = "30070040"
MIN_CFB_SIZE = 1536


class NotCompoundFileError(ValueError):
    """Bytes that are not an OLE compound file at all."""


class MsgUnreadable(Exception):
    """extract-msg could not read the item; `reason` says so for a `Skipped`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def open_msg(data: bytes) -> Any:
    """An extract-msg object for MSG bytes.

    Raises `NotCompoundFileError` for bytes that are no compound file, `MsgUnreadable` for
    one extract-msg cannot open."""
    import extract_msg

    # olefile treats bytes shorter than one minimal compound file as a *path* to open, so
    # anything that is not a compound file is refused here, before it gets that far.
    if not data.startswith(outlook.CFB_MAGIC) or len(data) < MIN_CFB_SIZE:
        raise NotCompoundFileError("no OLE compound file signature")
    logging.getLogger("extract_msg").setLevel(logging.ERROR)
    try:
        return extract_msg.openMsg(data, strict=False, delayAttachments=False)
    except Exception as exc:  # extract-msg raises its own and olefile's errors
        raise MsgUnreadable(
            f"msg: not a readable Outlook message ({type(exc).__name__})") from exc


def close_msg(item: Any) -> None:
    """Close an extract-msg object (closing a damaged one can fail; nothing is lost)."""
    try:
        item.close()
    except Exception:  # extract-msg/olefile closing a damaged file
        pass


def item_class(item: Any) -> str | None:
    """The item's message class (`IPM.Note`, `IPM.Contact`, ...)."""
    try:
        value = getattr(item, "classType", None)
    except Exception as exc:  # extract-msg reads the class property lazily
        raise MsgUnreadable(f"msg: item unreadable ({type(exc).__name__})") from exc
    return None if value is None else str(value)


def _people(msg: Any) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {"to": [], "cc": [], "bcc": []}
    for rec in getattr(msg, "recipients", None) or []:
        kind = str(getattr(getattr(rec, "type", None), "name", "") or "").lower()
        if kind in out:
            out[kind].append((str(rec.name or ""), str(rec.email or "")))
    return out


def _sender(msg: Any) -> tuple[str, str] | None:
    text = getattr(msg, "sender", None)
    if not text:
        return None
    name, addr = parseaddr(str(text))
    return (name, addr) if addr else (str(text), "")


def _date(msg: Any) -> tuple[dt.datetime | None, bool]:
    """(date, from_creation_time): submit/delivery time, else the item's creation time."""
    try:
        date = msg.date
    except Exception:  # extract-msg raises on some malformed date properties
        date = None
    if isinstance(date, dt.datetime):
        return date, False
    prop = msg.props.get(_CREATION_TIME) if hasattr(msg, "props") else None
    value = getattr(prop, "value", None)
    if isinstance(value, dt.datetime):
        return value, True
    return None, False


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _has_html(msg: Any) -> bool:
    try:
        return bool(msg.htmlBody)
    except Exception:  # extract-msg derives HTML from a damaged RTF body and fails
        return False


def _safe(msg: Any, attr: str) -> Any:
    try:
        return getattr(msg, attr)
    except Exception:  # extract-msg derives bodies lazily and can fail on damaged streams
        return None


def _read_item(msg: Any, depth: int = 0) -> Item:
    """Everything the message is built from, asked of extract-msg. Raises what extract-msg
    raises on a damaged property stream (the caller lists the item as unreadable); a damaged
    attachment or body is recorded and the rest is read."""
    from extract_msg.enums import AttachmentType

    people = _people(msg)
    date, from_creation = _date(msg)
    html = getattr(msg, "htmlBody", None) if _has_html(msg) else None
    plain = _text(_safe(msg, "body"))
    rtf = _safe(msg, "rtfBody") if not plain and not html else None
    item = Item(
        transport=_text(getattr(msg, "headerText", None)), sender=_sender(msg),
        to=people["to"], cc=people["cc"], bcc=people["bcc"],
        subject=_text(getattr(msg, "subject", None)), date=date,
        message_id=_text(getattr(msg, "messageId", None)),
        plain=plain, html=html if isinstance(html, bytes) else None,
        rtf=rtf if isinstance(rtf, bytes) else None,
        date_issue=Issue("msg: no sent/received time; Date taken from the item's creation "
                         "time") if from_creation else None)
    for num, att in enumerate(getattr(msg, "attachments", None) or [], start=1):
        name = f"attachment-{num}"
        try:
            name = str(getattr(att, "longFilename", None) or getattr(att, "shortFilename", None)
                       or getattr(att, "displayName", None) or name)
            kind = getattr(att, "type", None)
            if kind == AttachmentType.MSG:
                if depth + 1 > MAX_EMBED_DEPTH:
                    found = Attachment(name, issue=Issue(
                        f"msg: embedded item {name} deeper than {MAX_EMBED_DEPTH}",
                        SkipKind.LIMIT))
                else:
                    found = Attachment(name, inner=_read_item(att.data, depth + 1))
            elif isinstance(att.data, bytes):
                found = Attachment(name, att.data, getattr(att, "mimetype", None))
            else:
                found = Attachment(name, issue=Issue(
                    f"msg: attachment {name} not carried over "
                    f"({getattr(kind, 'name', kind)})", SkipKind.NOT_EXTRACTED))
        except Exception as exc:  # extract-msg loads attachment streams; one may be damaged
            found = Attachment(name, issue=Issue(
                f"msg: attachment {name} unreadable ({type(exc).__name__})",
                SkipKind.UNREADABLE))
        item.attachments.append(found)
    return item


def message_from_msg(msg: Any, seed: str) -> tuple[Message, list[Issue]]:
    """An extract-msg item as a compat32 Message, with what could not be carried over.

    Raises `MsgUnreadable` when extract-msg fails on the item's own properties."""
    try:
        item = _read_item(msg)
    except Exception as exc:  # extract-msg raises on damaged property streams
        raise MsgUnreadable(f"msg: item unreadable ({type(exc).__name__})") from exc
    return outlook.build(item, seed)


def build_from_bytes(data: bytes, seed: str) -> tuple[Message, list[Issue]]:
    """The item in MSG bytes (an `.msg` attached to a mail, whatever its class) as a
    Message. Raises `NotCompoundFileError` or `MsgUnreadable`."""
    item = open_msg(data)
    try:
        return message_from_msg(item, seed)
    finally:
        close_msg(item)


def read_msg(path: str) -> Iterator[RawMessage | Skipped | Note]:
    """The message in one `.msg` file, or a `Skipped` saying why there is none.

    Notes about what could not be carried over (an unreadable attachment, a Date taken from
    the creation time) come back as `Note` values after the message.
    """
    try:
        with open_evidence(path) as fh:
            raw = fh.read()
    except OSError as exc:
        yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                      reason=f"msg: cannot read file ({exc.strerror or type(exc).__name__})")
        return
    yield from _read_bytes(path, raw)


def _read_bytes(path: str, raw: bytes) -> Iterator[RawMessage | Skipped | Note]:
    digest = hashlib.sha256(raw).hexdigest()
    try:
        item = open_msg(raw)
    except NotCompoundFileError:
        yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                      reason="msg: not an Outlook message (no OLE compound file signature)")
        return
    except MsgUnreadable as exc:
        yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE, reason=exc.reason)
        return
    try:
        kind = outlook.non_mail_kind(item_class(item))
        if kind is not None:
            yield Skipped(locator=Locator(path=path), kind=SkipKind.NON_MAIL,
                          reason=f"non-mail item: {kind}")
            return
        parsed, issues = message_from_msg(item, digest[:16])
    except MsgUnreadable as exc:
        yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE, reason=exc.reason)
        return
    finally:
        close_msg(item)
    yield RawMessage(source=path, locator=Locator(path=path), raw=raw, sha256=digest,
                     container="msg", parsed=parsed)
    # A message-level Skipped would count as a message not scanned, so what could not be
    # carried over into this one message is noted on it.
    for issue in issues:
        yield Note(locator=Locator(path=path), kind=NoteKind.SOURCE, reason=issue.reason)


class MsgSource:
    """An Outlook `.msg` file: an OLE compound file whose directory holds MSG streams."""

    type = SourceType.MSG
    gzip = False
    requires: tuple[Requirement, ...] = (Requirement("extract_msg", "extract-msg"),
                                         Requirement("olefile", "olefile"))

    def sniff(self, head: bytes, path: str) -> Detected | None:
        return Detected(SourceType.MSG) if outlook.sniff_container(head) == "msg" else None

    def read(self, inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
             ) -> Iterator[RawMessage | Skipped | Note]:
        try:
            raw = stream.read()
        except OSError as exc:
            yield Skipped(locator=Locator(path=inp.path), kind=SkipKind.UNREADABLE,
                          reason=f"msg: cannot read file "
                                 f"({exc.strerror or type(exc).__name__})")
            return
        yield from _read_bytes(inp.path, raw)
