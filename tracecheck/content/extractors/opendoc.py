"""OpenDocument text and spreadsheets (ODT/ODS/ODP) with odfpy.

Owns paragraph and table-row text from `content.xml` (spreadsheet rows as tab-joined cells,
one unit per sheet) and the detection of password-protected documents (their manifest carries
`encryption-data`; the content is then ciphertext). Never reads styles, images or macros.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from tracecheck.content.extract import Context, Extracted, Member, library, register
from tracecheck.content.extractors._budget import zip_refusal
from tracecheck.deps import Requirement
from tracecheck.model import Locator, SkipKind, Skipped

ODF_MIMES = frozenset({
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.oasis.opendocument.text-template",
    "application/vnd.oasis.opendocument.spreadsheet-template",
})
MAX_REPEAT = 64
"""Repeated empty cells/rows are written once per repeat up to this many (ODS files declare
16384-column repeats for formatting)."""


def _text(el: Any) -> str:
    from odf import teletype

    return str(teletype.extractText(el))


def _cells(row: Any) -> list[tuple[str, str]]:
    """(text, numbercolumnsrepeated) of each cell of a row, as odfpy gives them."""
    out: list[tuple[str, str]] = []
    for cell in row.childNodes:
        if cell.qname[1] not in ("table-cell", "covered-table-cell"):
            continue
        paras = [_text(p) for p in cell.childNodes if p.qname[1] in ("p", "h")]
        out.append((" ".join(paras), str(cell.getAttribute("numbercolumnsrepeated") or "")))
    return out


def _repeat(value: str) -> int:
    """A repeat count from the file, at most MAX_REPEAT (1 when it is not a number)."""
    try:
        return min(int(value), MAX_REPEAT) if value else 1
    except ValueError:
        return 1


def _sheet_rows(table: Any) -> list[str]:
    from odf.table import TableRow

    lines: list[str] = []
    with library("odfpy"):
        rows = table.getElementsByType(TableRow)
    for row in rows:
        with library("odfpy"):
            found = _cells(row)
        cells: list[str] = []
        for text, rep in found:
            cells.extend([text] * _repeat(rep))
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            lines.append("\t".join(cells))
    return lines


class OdfExtractor:
    """OpenDocument files: `body` for text documents, `sheet:NAME` per spreadsheet table."""

    name = "odf"
    requires: tuple[Requirement, ...] = (Requirement("odf", "odfpy"),)

    def accepts(self, mime: str, head: bytes) -> bool:
        return mime in ODF_MIMES

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        with library("zipfile"):
            zf = zipfile.ZipFile(io.BytesIO(data))
        with zf:
            manifest = b""
            if "META-INF/manifest.xml" in zf.namelist():
                with library("zipfile"):
                    manifest = zf.read("META-INF/manifest.xml")
            if b"encryption-data" in manifest:
                yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED,
                              reason="encrypted: not scanned (password-protected OpenDocument)")
                return
            refused = zip_refusal(zf, ctx, "odf")
        if refused is not None:
            yield refused
            return
        from odf import opendocument
        from odf.table import Table

        with library("odfpy"):
            doc = opendocument.load(io.BytesIO(data))
            spreadsheet = "spreadsheet" in str(doc.mimetype or "")
            tables = doc.body.getElementsByType(Table) if spreadsheet else []
        if spreadsheet:
            for table in tables:
                lines = _sheet_rows(table)
                if lines:
                    with library("odfpy"):
                        name = table.getAttribute("name")
                    yield Extracted(f"sheet:{name}", "\n".join(lines))
            return
        lines = []
        with library("odfpy"):
            _paragraphs(doc.body, lines)
        text = "\n".join(lines).strip("\n")
        if text.strip():
            yield Extracted("body", text)


def _paragraphs(node: Any, lines: list[str]) -> None:
    """Paragraph and heading texts in document order (tables, lists and frames included)."""
    for child in getattr(node, "childNodes", ()):
        qname = getattr(child, "qname", None)
        if qname is None:
            continue
        if qname[1] in ("p", "h"):
            lines.append(_text(child))
        else:
            _paragraphs(child, lines)


register(OdfExtractor())
