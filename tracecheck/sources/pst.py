"""Outlook PST/OST files as a source, read with libpff (`pypff`, the `pst` extra).

Owns the walk over every folder (depth first, in stored order) and every item in it, the
locator `PATH:/Folder/Sub/#N` (N is the 0-based position of the item in its folder), and the
reading of each mail item from libpff into plain values (`read_item`: every libpff call is
guarded, one damaged stream is noted and the rest read), which `sources.outlook.build` turns
into a compat32 `email.message.Message` (our code, never guarded).
Items that are not mail (contacts, appointments, distribution lists, free/busy data) come back
as `Skipped(kind=SkipKind.NON_MAIL)`, so that every item is accounted for. A password-protected PST
is read anyway, with a note: a PST password is only a flag checked by Outlook and does not
encrypt the content. `RawMessage.raw` holds the serialised built message (PST items hold no
RFC 5322 bytes); its boundaries are fixed, so a rerun gives the same hash. Never writes to the
PST (libpff opens it read-only) and never scans text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from email.message import Message
from typing import Any, BinaryIO

from tracecheck.deps import Requirement
from tracecheck.errors import InputError
from tracecheck.model import Locator, Note, NoteKind, RawMessage, SkipKind, Skipped
from tracecheck.sources import outlook
from tracecheck.sources.base import Detected, InputFile, SourceType
from tracecheck.sources.mapi import (
    PR_ATTACH_FILENAME,
    PR_ATTACH_LONG_FILENAME,
    PR_ATTACH_METHOD,
    PR_ATTACH_MIME_TAG,
    PR_DISPLAY_NAME,
    PR_EMAIL_ADDRESS,
    PR_INTERNET_MESSAGE_ID,
    PR_MESSAGE_CLASS,
    PR_PST_PASSWORD,
    PR_RECIPIENT_TYPE,
    PR_SENDER_EMAIL,
    PR_SENDER_NAME,
    PR_SENDER_SMTP,
    PR_SENT_REPRESENTING_EMAIL,
    PR_SENT_REPRESENTING_NAME,
    PR_SENT_REPRESENTING_SMTP,
    PR_SMTP_ADDRESS,
    RECIPIENT_FIELDS,
)
from tracecheck.sources.outlook import Attachment, Issue, Item

PST_EXTRA = "PST support needs the 'pst' extra: pip install 'tracecheck[pst]'"
MAX_EMBED_DEPTH = 16

# MAPI property tags used here (MS-OXPROPS).
ATTACH_EMBEDDED_MSG = 5


def _pypff() -> Any:
    try:
        import pypff
    except ImportError:
        raise InputError(PST_EXTRA) from None
    return pypff


def _entries(record_set: Any) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for entry in record_set.entries:
        try:
            out.setdefault(int(entry.entry_type), entry)
        except Exception:  # libpff: an unreadable property entry is simply absent
            continue
    return out


def _props(item: Any) -> dict[int, Any]:
    """Properties of an item (its first record set), keyed by property id."""
    try:
        if item.number_of_record_sets:
            return _entries(item.get_record_set(0))
    except Exception:  # libpff: damaged property context
        pass
    return {}


def _text(props: dict[int, Any], tag: int) -> str:
    entry = props.get(tag)
    if entry is None:
        return ""
    try:
        value = entry.data_as_string
    except Exception:  # libpff: not a string-typed property
        return ""
    return str(value or "").strip("\x00")


def _int(props: dict[int, Any], tag: int) -> int | None:
    entry = props.get(tag)
    if entry is None:
        return None
    try:
        return int(entry.data_as_integer)
    except Exception:  # libpff: not an integer-typed property
        return None


def _subject(item: Any, props: dict[int, Any]) -> str:
    try:
        subject = str(item.subject or "")
    except Exception:  # libpff: fall back to the raw property
        subject = _text(props, 0x0037)
    # MAPI prefixes a normalised subject with U+0001 and a length character.
    if subject.startswith("\x01") and len(subject) >= 2:
        subject = subject[2:]
    return subject


def _body(value: object) -> str | None:
    if not isinstance(value, bytes) or not value.strip(b"\x00"):
        return None
    try:
        return value.decode("utf-8").strip("\x00")
    except UnicodeDecodeError:
        return value.decode("cp1252", errors="replace").strip("\x00")


def _date(item: Any) -> dt.datetime | None:
    for attr in ("client_submit_time", "delivery_time"):
        try:
            value = getattr(item, attr)
        except Exception:  # libpff: unset or malformed time property
            continue
        if isinstance(value, dt.datetime) and value.year > 1601:
            return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    return None


def _recipients(item: Any) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {"to": [], "cc": [], "bcc": []}
    try:
        table = item.recipients
        sets = list(table.record_sets) if table is not None else []
    except Exception:  # libpff: no recipient table
        sets = []
    for record_set in sets:
        props = _entries(record_set)
        field = RECIPIENT_FIELDS.get(_int(props, PR_RECIPIENT_TYPE) or 1, "to")
        addr = _text(props, PR_SMTP_ADDRESS) or _text(props, PR_EMAIL_ADDRESS)
        out[field].append((_text(props, PR_DISPLAY_NAME), addr))
    return out


def _sender(props: dict[int, Any]) -> tuple[str, str] | None:
    for name_tag, smtp_tag, addr_tag in (
        (PR_SENT_REPRESENTING_NAME, PR_SENT_REPRESENTING_SMTP, PR_SENT_REPRESENTING_EMAIL),
        (PR_SENDER_NAME, PR_SENDER_SMTP, PR_SENDER_EMAIL),
    ):
        name = _text(props, name_tag)
        addr = _text(props, smtp_tag) or _text(props, addr_tag)
        if name or addr:
            return name, addr
    return None


def _attachment_name(props: dict[int, Any], num: int) -> str:
    return (_text(props, PR_ATTACH_LONG_FILENAME) or _text(props, PR_ATTACH_FILENAME)
            or _text(props, PR_DISPLAY_NAME) or f"attachment-{num + 1}")


def _attachment(att: Any, props: dict[int, Any], name: str, depth: int) -> Attachment:
    """One pypff attachment as plain values; raises what libpff raises on damage."""
    issue = None
    if _int(props, PR_ATTACH_METHOD) == ATTACH_EMBEDDED_MSG:
        if depth + 1 > MAX_EMBED_DEPTH:
            return Attachment(name, issue=Issue(
                f"pst: embedded item {name} deeper than {MAX_EMBED_DEPTH}", SkipKind.LIMIT))
        inner = att.get_sub_item(0) if att.number_of_sub_items else None
        if inner is not None:
            return Attachment(name, inner=read_item(inner, depth + 1))
        # libpff does not expose every embedded object (appointment exceptions, for one);
        # its raw property data is attached so that it is listed, not lost.
        issue = Issue(f"pst: embedded item {name} not opened; attached as raw data")
    size = int(att.size or 0)
    data = att.read_buffer(size) if size else b""
    return Attachment(name, bytes(data), _text(props, PR_ATTACH_MIME_TAG) or None, issue=issue)


def _attachments(item: Any, depth: int) -> list[Attachment]:
    try:
        count = int(item.number_of_attachments)
    except Exception:  # libpff: no attachment table
        return []
    out: list[Attachment] = []
    for num in range(count):
        label = f"attachment {num + 1}"
        try:
            att = item.get_attachment(num)
            props = _props(att)
            label = _attachment_name(props, num)
            out.append(_attachment(att, props, label, depth))
        except Exception as exc:  # libpff: one broken attachment must not lose the message
            out.append(Attachment(label, issue=Issue(
                f"pst: {label} unreadable ({type(exc).__name__})", SkipKind.UNREADABLE)))
    return out


def _bytes(value: object) -> bytes | None:
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) and value else None


def read_item(item: Any, depth: int = 0) -> Item:
    """Everything a pypff message is built from, asked of libpff. Each property, body and
    attachment is read on its own, so one damaged stream is noted and the rest is read;
    raises only what libpff raises outside those (the caller lists the item unreadable)."""
    props = _props(item)
    people = _recipients(item)
    try:
        raw_headers = item.transport_headers
    except Exception:  # libpff: damaged header property
        raw_headers = None
    issues: list[Issue] = []
    bodies: dict[str, object] = {}
    for attr in ("plain_text_body", "html_body", "rtf_body"):
        try:
            bodies[attr] = getattr(item, attr)
        except Exception:  # libpff: a damaged body stream is noted, the others still read
            issues.append(Issue(f"pst: {attr.replace('_', ' ')} unreadable",
                                SkipKind.UNREADABLE))
    return Item(
        transport=str(raw_headers) if raw_headers else None, sender=_sender(props),
        to=people["to"], cc=people["cc"], bcc=people["bcc"], subject=_subject(item, props),
        date=_date(item), message_id=_text(props, PR_INTERNET_MESSAGE_ID) or None,
        plain=_body(bodies.get("plain_text_body")),
        html=_bytes(bodies.get("html_body")), rtf=_bytes(bodies.get("rtf_body")),
        attachments=_attachments(item, depth), issues=issues)


def build_message(item: Any, seed: str, depth: int = 0, notes: list[str] | None = None
                  ) -> Message:
    """One pypff message as a compat32 Message (headers, bodies, attachments); what could
    not be carried over is appended to `notes`."""
    message, issues = outlook.build(read_item(item, depth), seed)
    if notes is not None:
        notes.extend(i.reason for i in issues)
    return message


def _folder_name(folder: Any, index: int) -> str:
    try:
        name = folder.name
    except Exception:  # libpff: undecodable folder name
        name = None
    return str(name or f"(folder {index})").replace("%", "%25").replace("/", "%2F")


def _password_protected(pst: Any) -> bool:
    try:
        store = pst.message_store
        if store is None or not store.number_of_record_sets:
            return False
        return bool(_int(_entries(store.get_record_set(0)), PR_PST_PASSWORD))
    except Exception:  # libpff: no message store, nothing to say about a password
        return False


def read_pst(path: str, stream: BinaryIO | None = None) -> Iterator[RawMessage | Skipped | Note]:
    """Every item of every folder of a PST/OST: mail as `RawMessage`, the rest as `Skipped`.

    `stream` (seekable) holds the PST when it is a member of an archive; otherwise libpff
    opens `path`. Raises `InputError` when the `pst` extra (libpff-python) is not installed.
    Observations that are not skips (a password flag, notes on an item) come as `Note`
    values.
    """
    pypff = _pypff()
    pst = pypff.file()
    try:
        if stream is not None:
            pst.open_file_object(stream)
        else:
            pst.open(path)
    except Exception as exc:  # libpff raises IOError/OSError with its own messages
        yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                      reason=f"pst: not a readable PST/OST file ({type(exc).__name__})")
        return
    try:
        if _password_protected(pst):
            yield Note(locator=Locator(path=path), kind=NoteKind.SOURCE,
                          reason="pst: password-protected; read anyway (a PST password does "
                                 "not encrypt the content)")
        yield from _walk(pst, path)
        try:
            orphans = int(pst.number_of_orphan_items)
        except Exception:  # libpff: orphan index unreadable
            orphans = 0
        if orphans:
            yield Skipped(locator=Locator(path=path), kind=SkipKind.NOT_EXTRACTED,
                          reason=f"pst: {orphans} orphan item(s) outside every folder not read")
    finally:
        pst.close()


def _walk(pst: Any, path: str) -> Iterator[RawMessage | Skipped | Note]:
    stack: list[tuple[Any, str]] = [(pst.root_folder, "")]
    while stack:
        folder, folder_path = stack.pop()
        where = Locator(path=path, item=f"{folder_path}/")
        try:
            count = int(folder.number_of_sub_messages)
        except Exception as exc:  # libpff: damaged folder contents table
            yield Skipped(locator=where, kind=SkipKind.UNREADABLE,
                          reason=f"pst: folder contents unreadable ({type(exc).__name__})")
            count = 0
        for index in range(count):
            yield from _item(folder, index, path, folder_path)
        try:
            subs = int(folder.number_of_sub_folders)
        except Exception as exc:  # libpff: damaged hierarchy table
            yield Skipped(locator=where, kind=SkipKind.UNREADABLE,
                          reason=f"pst: sub-folders unreadable ({type(exc).__name__})")
            subs = 0
        children: list[tuple[Any, str]] = []
        for num in range(subs):
            try:
                sub = folder.get_sub_folder(num)
            except Exception as exc:  # libpff: a damaged folder must not hide its siblings
                yield Skipped(locator=Locator(path=path, item=f"{folder_path}/(folder {num})"),
                              kind=SkipKind.UNREADABLE,
                              reason=f"pst: folder unreadable ({type(exc).__name__})")
                continue
            children.append((sub, f"{folder_path}/{_folder_name(sub, num)}"))
        stack.extend(reversed(children))


def _item(folder: Any, index: int, path: str, folder_path: str
          ) -> Iterator[RawMessage | Skipped | Note]:
    locator = Locator(path=path, item=f"{folder_path}/#{index}")
    found: Item | None = None
    seed = ""
    try:
        item = folder.get_sub_message(index)
        kind = outlook.non_mail_kind(_text(_props(item), PR_MESSAGE_CLASS))
        if kind is None and hasattr(item, "get_plain_text_body"):
            seed = f"pst{int(item.identifier)}"
            found = read_item(item)
    except Exception as exc:  # libpff raises on damaged items; the walk goes on
        yield Skipped(locator=locator, kind=SkipKind.UNREADABLE,
                      reason=f"pst: item unreadable ({type(exc).__name__})")
        return
    if kind is not None:
        yield Skipped(locator=locator, kind=SkipKind.NON_MAIL, reason=f"non-mail item: {kind}")
        return
    if found is None:
        yield Skipped(locator=locator, kind=SkipKind.UNREADABLE,
                      reason="pst: mail item without message data")
        return
    message, issues = outlook.build(found, seed)
    raw = message.as_bytes()
    yield RawMessage(source=path, locator=locator, raw=raw,
                     sha256=hashlib.sha256(raw).hexdigest(), container="pst",
                     folder=folder_path or "/", parsed=message)
    # A message-level Skipped would count as a message not scanned, so what could not be
    # carried over into this one message is noted on it.
    for issue in issues:
        yield Note(locator=locator, kind=NoteKind.SOURCE, reason=issue.reason)


class PstSource:
    """An Outlook PST/OST store (`!BDN`), read with libpff (the optional `pst` extra)."""

    type = SourceType.PST
    gzip = False
    requires: tuple[Requirement, ...] = (
        Requirement("pypff", "libpff-python", optional=True, extra="pst"),)

    def sniff(self, head: bytes, path: str) -> Detected | None:
        return Detected(SourceType.PST) if outlook.sniff_container(head) == "pst" else None

    def read(self, inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
             ) -> Iterator[RawMessage | Skipped | Note]:
        # libpff needs random access: it opens the file itself, read-only (a member of an
        # archive comes as a seekable stream of its bytes).
        return read_pst(inp.path, stream if inp.member else None)
