"""DOCX/DOCM text: body, tables (rows as tab-joined cells), headers, footers, footnotes,
endnotes, comments, text boxes and tracked deletions; embedded files as members.

Owns the reading of WordprocessingML parts in document order. Tracked deletions (`w:delText`)
are kept because the deleted words still travelled inside the file. Never renders layout, never
follows external relationships, and never OCRs the images (they are counted as skipped).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from typing import Any

from tracecheck.content.extract import Context, Extracted, Member, library, register
from tracecheck.content.extractors import _xml
from tracecheck.content.extractors._budget import admit, zip_refusal
from tracecheck.deps import Requirement
from tracecheck.model import Locator, SkipKind, Skipped

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCX_MIMES = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    "application/vnd.ms-word.document.macroEnabled.12",
    "application/vnd.ms-word.template.macroEnabled.12",
})
_TEXT_PARTS = ("document", "header", "footer", "footnotes", "endnotes", "comments")


def _cell_text(tc: Any) -> str:
    out: list[str] = []
    _walk(tc, out)
    return " ".join("".join(out).split())


def _walk(el: Any, out: list[str]) -> None:
    tag = el.tag
    if tag in (W + "t", W + "delText"):
        out.append(el.text or "")
        return
    if tag == W + "tab":
        out.append("\t")
        return
    if tag in (W + "br", W + "cr"):
        out.append("\n")
        return
    if tag == W + "tbl":
        for tr in el.iter(W + "tr"):
            if _nearest(tr, W + "tbl") is not el:
                continue
            cells = [_cell_text(tc) for tc in tr if tc.tag == W + "tc"]
            out.append("\t".join(cells) + "\n")
        return
    for child in el:
        _walk(child, out)
    if tag == W + "p":
        out.append("\n")


def _nearest(el: Any, tag: str) -> Any:
    parent = el.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


def part_text(blob: bytes) -> str:
    """Text of one WordprocessingML part, paragraphs on lines, table rows tab-joined."""
    out: list[str] = []
    _walk(_xml.parse(blob), out)
    return "".join(out).strip("\n")


def _part_label(path: str) -> str | None:
    if not path.startswith("word/") or not path.endswith(".xml") or path.count("/") != 1:
        return None
    stem = posixpath.basename(path)[:-4]
    base = stem.rstrip("0123456789")
    if base not in _TEXT_PARTS:
        return None
    return "body" if base == "document" else stem


def _read(zf: zipfile.ZipFile, path: str) -> bytes:
    with library("zipfile"):
        return zf.read(path)


class DocxExtractor:
    """Word 2007+ documents, read straight from their XML parts."""

    name = "docx"
    requires: tuple[Requirement, ...] = (Requirement("lxml", "lxml"),)

    def accepts(self, mime: str, head: bytes) -> bool:
        return mime in DOCX_MIMES

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        # The parts are walked directly rather than through python-docx: it exposes neither
        # text boxes nor tracked deletions, and it refuses macro-enabled (.docm) packages.
        with library("zipfile"):
            zf = zipfile.ZipFile(io.BytesIO(data))
        with zf:
            refused = zip_refusal(zf, ctx, "docx")
            if refused is not None:
                yield refused
                return
            names = sorted(zf.namelist(), key=lambda n: (_part_label(n) != "body", n))
            images = 0
            for path in names:
                label = _part_label(path)
                if label is not None:
                    text = part_text(_read(zf, path))
                    if text.strip():
                        yield Extracted(label, text)
                elif path.startswith("word/embeddings/"):
                    loc = f"embedded:{posixpath.basename(path)}"
                    info = zf.getinfo(path)
                    refused = admit(ctx, loc, info.file_size, info.compress_size, "zip")
                    yield refused if refused is not None else Member(loc, _read(zf, path))
                elif path.startswith("word/media/"):
                    images += 1
            if images:
                yield Skipped(locator=Locator(within="media"), kind=SkipKind.IMAGE,
                              reason=f"image: not scanned (no OCR): {images} image(s) in document")


register(DocxExtractor())
