"""A worklist as CSV, JSON or XLSX.

Owns the three layouts: CSV (a header row, list cells joined with `;`), JSON (`{worklist,
revealed, columns, rows}`, byte-identical for the same case) and XLSX (openpyxl: a frozen
header row, filters on every column, column widths fitted to the text, a cell cut at Excel's
`CELL_LIMIT` saying so, every zip entry dated `ZIP_TIME` so the same case gives the same
bytes). Every text cell of CSV and XLSX goes through `reports.safe_text.spreadsheet_cell` (no
formula, no control character); JSON escapes controls itself. Never decides what a row says.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from datetime import datetime
from typing import TextIO

from tracecheck.reports.safe_text import spreadsheet_cell
from tracecheck.worklists.rows import Table


class WorklistFormat(enum.StrEnum):
    """Output formats of `tracecheck worklist`."""

    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"

    @property
    def binary(self) -> bool:
        """Written as bytes to a file (never to a terminal)."""
        return self is WorklistFormat.XLSX


def write_text(table: Table, fmt: WorklistFormat, out: TextIO) -> None:
    """CSV or JSON to a text stream."""
    if fmt is WorklistFormat.CSV:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([c if isinstance(c, int) else spreadsheet_cell(c) for c in row])
        return
    if fmt is WorklistFormat.JSON:
        doc = {"worklist": table.worklist.value, "revealed": table.revealed,
               "columns": list(table.columns), "rows": table.records()}
        json.dump(doc, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    raise ValueError(f"{fmt.value} is a binary format")


FIXED_TIME = datetime(2000, 1, 1)
"""The workbook's created/modified stamps: the file's content never depends on the clock."""
MAX_WIDTH = 60


def xlsx_bytes(table: Table) -> bytes:
    """The worklist as an XLSX workbook: one sheet named after it, a frozen header row, an
    autofilter over every column, widths fitted to the longest cell (at most 60)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = table.worklist.value
    sheet.append(list(table.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        cells = [c if isinstance(c, int) else _fits(spreadsheet_cell(c)) for c in row]
        widths = [max(w, len(str(c))) for w, c in zip(widths, cells, strict=True)]
        sheet.append(cells)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, whatever it starts with
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, width + 2)
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


CELL_LIMIT = 32_767
"""The most characters an Excel cell holds (Excel refuses or cuts a longer one silently)."""
CUT = " [cut here: {n} more characters; the CSV and JSON worklists hold the full text]"


def _fits(text: str) -> str:
    """`text` as one cell: a longer one is cut and says so, and where the rest is."""
    if len(text) <= CELL_LIMIT:
        return text
    keep = CELL_LIMIT - len(CUT.format(n=len(text)))
    return text[:keep] + CUT.format(n=len(text) - keep)


ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Every zip entry's time: openpyxl stamps them with the clock when it saves."""


def _fixed_zip_times(data: bytes) -> bytes:
    """The same zip, entries in the same order, each dated `ZIP_TIME`."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info))
    return out.getvalue()
