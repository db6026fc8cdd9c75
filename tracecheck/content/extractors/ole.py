"""OLE compound files attached to mail: Outlook items (.msg), password-protected Office files
and legacy Word/Excel documents.

Owns the decision of what a compound file is: an `EncryptedPackage` stream means an encrypted
OOXML document (listed `encrypted`); MSG streams mean an Outlook item, which the MSG source
(`sources.msg.build_from_bytes`) builds into a message that goes back to the MIME walker, to
be walked like an attached message/rfc822; a legacy .doc or .xls with its encryption flag set
is `encrypted`; other legacy documents are listed as not extracted (no maintained library
reads their text). Never writes the file anywhere.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

from tracecheck.content.extract import (
    Attached,
    Context,
    Extracted,
    Member,
    Unreadable,
    library,
    register,
)
from tracecheck.deps import Requirement
from tracecheck.model import Locator, SkipKind, Skipped
from tracecheck.sources.msg import MsgUnreadable, NotCompoundFileError, build_from_bytes

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
    requires: tuple[Requirement, ...] = (Requirement("olefile", "olefile"),
                                         Requirement("extract_msg", "extract-msg"))

    def accepts(self, mime: str, head: bytes) -> bool:
        return head.startswith(CFB_MAGIC)

    def extract(
        self, data: bytes, ctx: Context
    ) -> Iterator[Extracted | Member | Attached | Skipped]:
        import olefile

        try:
            ole = olefile.OleFileIO(io.BytesIO(data))
        except (OSError, ValueError, struct.error) as exc:
            yield Skipped(locator=Locator(), kind=SkipKind.UNREADABLE,
                          reason=f"ole: not a readable compound file ({type(exc).__name__})")
            return
        except Exception as exc:  # olefile: anything else it raises on a hostile header
            raise Unreadable(exc) from exc
        with ole:
            with library("olefile"):
                streams = {name for name in ("EncryptedPackage", "__properties_version1.0",
                                             "WordDocument", "Workbook", "Book",
                                             "PowerPoint Document") if ole.exists(name)}
            if "EncryptedPackage" in streams:
                yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED, reason=ENCRYPTED_OFFICE)
                return
            if "__properties_version1.0" in streams:
                yield _outlook_item(data)
                return
            if "WordDocument" in streams:
                with library("olefile"):
                    fib = ole.openstream("WordDocument").read(64)
                if _word_encrypted(fib):
                    yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED,
                                  reason=ENCRYPTED_OFFICE)
                    return
                label = "legacy Word document (.doc)"
            elif "Workbook" in streams or "Book" in streams:
                with library("olefile"):
                    stream = ole.openstream("Workbook" if "Workbook" in streams else "Book")
                    head = stream.read(1 << 16)
                if _excel_encrypted(head):
                    yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED,
                                  reason=ENCRYPTED_OFFICE)
                    return
                label = "legacy Excel workbook (.xls)"
            elif "PowerPoint Document" in streams:
                label = "legacy PowerPoint file (.ppt)"
            else:
                label = "OLE compound file"
        yield Skipped(locator=Locator(), kind=SkipKind.NOT_EXTRACTED,
                      reason=f"not extracted: {label}")


def _outlook_item(data: bytes) -> Attached | Skipped:
    """An attached Outlook item (mail, or a contact or appointment that travelled with the
    mail) as a message for the MIME walker, built by the MSG source whatever its class."""
    try:
        message, issues = build_from_bytes(data, "embedded")
    except NotCompoundFileError:
        return Skipped(locator=Locator(), kind=SkipKind.UNREADABLE,
                       reason="msg: not an Outlook message (no OLE compound file signature)")
    except MsgUnreadable as exc:
        return Skipped(locator=Locator(), kind=SkipKind.UNREADABLE, reason=exc.reason)
    return Attached(
        message,
        notes=tuple(i.reason for i in issues if i.kind is None),
        skips=tuple(Skipped(locator=Locator(), kind=i.kind, reason=i.reason)
                    for i in issues if i.kind is not None))


register(OleExtractor())
