"""OLE compound files attached to mail: Outlook items (.msg), password-protected Office files
and legacy Word/Excel documents.

Owns the decision of what a compound file is: an `EncryptedPackage` stream means an encrypted
OOXML document (listed `encrypted`); MSG streams mean an Outlook item, whose bodies become text
and whose attachments become members (`msg:NAME`, embedded items `msg:NAME/...`); a legacy .doc
or .xls with its encryption flag set is `encrypted`; other legacy documents are listed as not
extracted (no maintained library reads their text). Never writes the file anywhere.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from email.message import Message

from tracecheck.content.extract import Context, Extracted, Member, register
from tracecheck.content.extractors._budget import admit
from tracecheck.model import Locator, SkipKind, Skipped

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_OFFICE = "encrypted: not scanned (password-protected Office file)"


def _word_encrypted(stream: bytes) -> bool:
    """FIB flag fEncrypted (bit 8 of the flags word at offset 0x0A)."""
    return len(stream) >= 12 and bool(struct.unpack_from("<H", stream, 0x0A)[0] & 0x0100)


def _excel_encrypted(stream: bytes) -> bool:
    """A FILEPASS record (0x002F) among the first records of the workbook globals."""
    pos = 0
    for _ in range(64):
        if pos + 4 > len(stream):
            return False
        rtype, size = struct.unpack_from("<HH", stream, pos)
        if rtype == 0x002F:
            return True
        if rtype == 0x000A:  # EOF of the globals substream
            return False
        pos += 4 + size
    return False


class OleExtractor:
    """OLE2 compound documents."""

    name = "ole"

    def accepts(self, mime: str, head: bytes) -> bool:
        return head.startswith(CFB_MAGIC)

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        import olefile

        try:
            ole = olefile.OleFileIO(io.BytesIO(data))
        except (OSError, ValueError, struct.error) as exc:
            yield Skipped(locator=Locator(), kind=SkipKind.UNREADABLE,
                          reason=f"ole: not a readable compound file ({type(exc).__name__})")
            return
        with ole:
            if ole.exists("EncryptedPackage"):
                yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED, reason=ENCRYPTED_OFFICE)
                return
            if ole.exists("__properties_version1.0"):
                yield from _msg(data, ctx)
                return
            if ole.exists("WordDocument"):
                if _word_encrypted(ole.openstream("WordDocument").read(64)):
                    yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED,
                                  reason=ENCRYPTED_OFFICE)
                    return
                label = "legacy Word document (.doc)"
            elif ole.exists("Workbook") or ole.exists("Book"):
                stream = ole.openstream("Workbook" if ole.exists("Workbook") else "Book")
                if _excel_encrypted(stream.read(1 << 16)):
                    yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED,
                                  reason=ENCRYPTED_OFFICE)
                    return
                label = "legacy Excel workbook (.xls)"
            elif ole.exists("PowerPoint Document"):
                label = "legacy PowerPoint file (.ppt)"
            else:
                label = "OLE compound file"
        yield Skipped(locator=Locator(), kind=SkipKind.NOT_EXTRACTED,
                      reason=f"not extracted: {label}")


def _msg(data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
    from tracecheck.sources.msg import message_from_msg, open_msg
    from tracecheck.sources.outlook import non_mail_kind

    item = open_msg(data)
    try:
        kind = non_mail_kind(getattr(item, "classType", None))
        if kind is not None:
            # An attached contact or appointment still travelled with the mail: its text
            # is scanned, but no message structure is built for it.
            body = getattr(item, "body", None)
            if isinstance(body, str) and body.strip():
                yield Extracted("msg:body", body)
            return
        message, notes = message_from_msg(item, "embedded")
    finally:
        item.close()
    for note in notes:
        yield Skipped(locator=Locator(within="msg:"), kind=SkipKind.UNREADABLE, reason=note)
    yield from _walk(message, "msg:", ctx)


def _leaves(message: Message) -> Iterator[Message]:
    """Non-multipart parts in order, not descending into message/rfc822 parts."""
    if message.get_content_maintype() == "multipart":
        payload = message.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield message


def _walk(message: Message, prefix: str, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
    """A built message: subject and text/plain bodies as text, other parts as members,
    embedded items recursively under `PREFIX/NAME/`."""
    from email.header import decode_header, make_header

    subject = message.get("Subject")
    if subject:
        yield Extracted(f"{prefix}subject", str(make_header(decode_header(str(subject)))))
    for num, part in enumerate(_leaves(message), start=1):
        filename = part.get_filename()
        name = f"{prefix}{filename or f'part-{num}'}"
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                yield from _walk(inner[0], f"{name}/", ctx)
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if filename is None and part.get_content_type() == "text/plain":
            yield Extracted(f"{prefix}body", payload.decode("utf-8", errors="replace"))
            continue
        refused = admit(ctx, name, len(payload), None, "msg")
        yield refused if refused is not None else Member(name, payload)


register(OleExtractor())
