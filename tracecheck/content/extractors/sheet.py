"""XLSX/XLSM text with openpyxl: every sheet (hidden ones too), each row's cells joined by tabs.

Owns the conversion of cell values to text: whole-number floats lose their `.0` (an NHS number
typed into a cell is stored as a float), dates become ISO 8601, cached formula results are read
instead of formulas. Never evaluates formulas and never reads charts or images.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Iterator

from tracecheck.content.extract import (
    Context,
    Extracted,
    Member,
    library,
    library_iter,
    register,
)
from tracecheck.content.extractors._budget import zip_refusal
from tracecheck.deps import Requirement
from tracecheck.model import Skipped

XLSX_MIMES = frozenset({
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/vnd.ms-excel.template.macroEnabled.12",
})


def cell_text(value: object) -> str:
    """One cell value as the text a reader of the sheet would see."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


class XlsxExtractor:
    """Excel 2007+ workbooks; one unit per sheet named `sheet:NAME`."""

    name = "xlsx"
    requires: tuple[Requirement, ...] = (Requirement("openpyxl", "openpyxl"),)

    def accepts(self, mime: str, head: bytes) -> bool:
        return mime in XLSX_MIMES

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        import openpyxl

        with library("zipfile"):
            zf = zipfile.ZipFile(io.BytesIO(data))
        with zf:
            refused = zip_refusal(zf, ctx, "xlsx")
        if refused is not None:
            yield refused
            return
        with warnings.catch_warnings():  # openpyxl warns about every unknown extension
            warnings.simplefilter("ignore")
            with library("openpyxl"):
                wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                                            keep_links=False)
        try:
            for ws in library_iter("openpyxl", wb.worksheets):
                lines: list[str] = []
                for row in library_iter("openpyxl", ws.iter_rows(values_only=True)):
                    cells = [cell_text(v) for v in row]
                    while cells and not cells[-1]:
                        cells.pop()
                    if cells:
                        lines.append("\t".join(cells))
                if lines:
                    yield Extracted(f"sheet:{ws.title}", "\n".join(lines))
        finally:
            _close(wb)


def _close(wb: object) -> None:
    try:
        wb.close()  # type: ignore[attr-defined]
    except Exception:  # openpyxl closing the archive of a damaged workbook; all was read
        pass


register(XlsxExtractor())
