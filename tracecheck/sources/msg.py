"""Outlook `.msg` files as a source: one file, one message, read with extract-msg.

Owns the conversion of one MSG item (and the items embedded in it) into a compat32
`email.message.Message`: transport headers when Outlook kept them, otherwise headers from MAPI
properties; plain/HTML/RTF bodies; attachments with their file names; embedded items as
message/rfc822 parts. `RawMessage.raw` holds the file's bytes, which are hashed. Non-mail items
(contacts, appointments, ...) and unreadable files become `Skipped`. Never writes anything
(extract-msg is only ever given bytes) and never scans text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from email.message import Message
from typing import Any

from tracecheck.model import Locator, Note, NoteKind, RawMessage, SkipKind, Skipped
from tracecheck.sources import outlook

MAX_EMBED_DEPTH = 16
"""Items embedded in items deeper than this are listed as skipped (a loop guard)."""

_CREATION_TIME = "30070040"
MIN_CFB_SIZE = 1536


class NotCompoundFileError(ValueError):
    """Bytes that are not an OLE compound file at all."""


def open_msg(data: bytes) -> Any:
    """An extract-msg object for MSG bytes (raises on files extract-msg cannot read)."""
    import extract_msg

    # olefile treats bytes shorter than one minimal compound file as a *path* to open, so
    # anything that is not a compound file is refused here, before it gets that far.
    if not data.startswith(outlook.CFB_MAGIC) or len(data) < MIN_CFB_SIZE:
        raise NotCompoundFileError("no OLE compound file signature")
    logging.getLogger("extract_msg").setLevel(logging.ERROR)
    return extract_msg.openMsg(data, strict=False, delayAttachments=False)


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
    from email.utils import parseaddr

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


def message_from_msg(msg: Any, seed: str, depth: int = 0) -> tuple[Message, list[str]]:
    """The MSG item as a compat32 Message, with notes on what could not be carried over."""
    from extract_msg.enums import AttachmentType

    notes: list[str] = []
    people = _people(msg)
    headers = outlook.transport_headers(getattr(msg, "headerText", None))
    if headers:
        headers += outlook.missing_bcc(headers, people["bcc"])
    else:
        date, from_creation = _date(msg)
        if from_creation:
            notes.append("msg: no sent/received time; Date taken from the item's creation time")
        headers = outlook.synthesised_headers(
            sender=_sender(msg), to=people["to"], cc=people["cc"], bcc=people["bcc"],
            subject=_text(getattr(msg, "subject", None)), date=date,
            message_id=_text(getattr(msg, "messageId", None)))
    parts: list[Message] = []
    for num, att in enumerate(getattr(msg, "attachments", None) or [], start=1):
        name = str(getattr(att, "longFilename", None) or getattr(att, "shortFilename", None)
                   or getattr(att, "displayName", None) or f"attachment-{num}")
        kind = getattr(att, "type", None)
        try:
            if kind == AttachmentType.MSG:
                if depth + 1 > MAX_EMBED_DEPTH:
                    notes.append(f"msg: embedded item {name} deeper than {MAX_EMBED_DEPTH}")
                    continue
                inner, inner_notes = message_from_msg(att.data, f"{seed}.{num}", depth + 1)
                notes.extend(inner_notes)
                parts.append(outlook.embedded_part(name, inner))
            elif isinstance(att.data, bytes):
                parts.append(outlook.attachment_part(name, att.data,
                                                     getattr(att, "mimetype", None)))
            else:
                notes.append(f"msg: attachment {name} not carried over "
                             f"({getattr(kind, 'name', kind)})")
        except Exception as exc:  # a broken attachment must not lose the message
            notes.append(f"msg: attachment {name} unreadable ({type(exc).__name__})")
    html = getattr(msg, "htmlBody", None) if _has_html(msg) else None
    rtf = None
    body = _text(_safe(msg, "body"))
    if not body and not html:
        rtf = _safe(msg, "rtfBody")
    message = outlook.compose(headers, plain=body, html=html if isinstance(html, bytes) else None,
                              rtf=rtf if isinstance(rtf, bytes) else None, attachments=parts,
                              seed=seed)
    return message, notes


def _has_html(msg: Any) -> bool:
    try:
        return bool(msg.htmlBody)
    except Exception:  # HTML derived from a damaged RTF body
        return False


def _safe(msg: Any, attr: str) -> Any:
    try:
        return getattr(msg, attr)
    except Exception:  # extract-msg derives bodies lazily and can fail on damaged streams
        return None


def read_msg(path: str) -> Iterator[RawMessage | Skipped | Note]:
    """The message in one `.msg` file, or a `Skipped` saying why there is none.

    Notes about what could not be carried over (an unreadable attachment, a Date taken from
    the creation time) come back as `Note` values after the message.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                      reason=f"msg: cannot read file ({exc.strerror or type(exc).__name__})")
        return
    digest = hashlib.sha256(raw).hexdigest()
    try:
        item = open_msg(raw)
    except NotCompoundFileError:
        yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                      reason="msg: not an Outlook message (no OLE compound file signature)")
        return
    except Exception as exc:  # extract-msg raises its own and olefile's errors
        yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                      reason=f"msg: not a readable Outlook message ({type(exc).__name__})")
        return
    try:
        kind = outlook.non_mail_kind(getattr(item, "classType", None))
        if kind is not None:
            yield Skipped(locator=Locator(path=path), kind=SkipKind.NON_MAIL,
                          reason=f"non-mail item: {kind}")
            return
        try:
            parsed, notes = message_from_msg(item, digest[:16])
        except Exception as exc:  # damaged property streams
            yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                          reason=f"msg: item unreadable ({type(exc).__name__})")
            return
    finally:
        item.close()
    yield RawMessage(source=path, locator=Locator(path=path), raw=raw, sha256=digest,
                     container="msg",
                     parsed=parsed)
    for note in notes:
        yield Note(locator=Locator(path=path), kind=NoteKind.SOURCE, reason=note)
