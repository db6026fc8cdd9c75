"""PDF text with pypdf, one unit per page (`page:N`, 1-based).

Owns the three outcomes a PDF can have: text pages; pages without a text layer (scans),
listed as images not OCR'd; and PDFs that cannot be read at all: password-protected ones
(`encrypted`, unless the empty user password opens them, as it does for "owner-password only"
PDFs) and corrupted ones (`unreadable`). Never renders pages and never OCRs.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

from tracecheck.content.extract import Context, Extracted, Member, register
from tracecheck.deps import Requirement
from tracecheck.model import Locator, SkipKind, Skipped


class PdfExtractor:
    """PDF documents."""

    name = "pdf"
    requires: tuple[Requirement, ...] = (Requirement("pypdf", "pypdf"),)

    def accepts(self, mime: str, head: bytes) -> bool:
        return mime == "application/pdf"

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, PdfReadError

        logging.getLogger("pypdf").setLevel(logging.ERROR)  # warnings on every damaged xref
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    opened = bool(reader.decrypt(""))
                except (DependencyError, NotImplementedError, PdfReadError):
                    opened = False
                if not opened:
                    yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED,
                                  reason="encrypted: not scanned (password-protected PDF)")
                    return
            pages = list(reader.pages)
        except Exception as exc:  # pypdf raises many types on damaged files
            yield Skipped(locator=Locator(), kind=SkipKind.UNREADABLE,
                          reason=f"pdf: corrupted, not readable ({type(exc).__name__})")
            return
        if not pages:
            yield Skipped(locator=Locator(), kind=SkipKind.UNREADABLE, reason="pdf: no pages found")
            return
        blank: list[int] = []
        found = 0
        for num, page in enumerate(pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:  # pypdf: one bad content stream must not lose the others
                yield Skipped(locator=Locator(within=f"page:{num}"), kind=SkipKind.UNREADABLE,
                              reason=f"pdf: page unreadable ({type(exc).__name__})")
                continue
            if text.strip():
                found += 1
                yield Extracted(f"page:{num}", text)
            else:
                blank.append(num)
        if blank and not found:
            yield Skipped(locator=Locator(), kind=SkipKind.IMAGE,
                          reason=f"image: not scanned (no OCR): PDF has no text layer "
                                 f"({len(blank)} page(s))")
        else:
            for num in blank:
                yield Skipped(locator=Locator(within=f"page:{num}"), kind=SkipKind.IMAGE,
                              reason="image: not scanned (no OCR): page has no text layer")


register(PdfExtractor())
