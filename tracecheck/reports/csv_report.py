"""`--format csv`: one row per finding, safe to open in a spreadsheet.

Cells that a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab, CR) are
prefixed with a single quote (CSV injection).
"""

from __future__ import annotations

import csv
from typing import Any, TextIO

from tracecheck.model import ScanResult
from tracecheck.reports.records import finding_dict

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will show as text, never evaluate."""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA):
        return "'" + text
    return text


class CsvReporter:
    """Findings as CSV with a header row."""

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write header and rows."""
        rows = [finding_dict(f, reveal=reveal) for f in result.findings]
        columns = list(finding_dict(result.findings[0], reveal=reveal)) if rows else list(
            _COLUMNS) + (["value"] if reveal else [])
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(row.get(c)) for c in columns])


_COLUMNS = (
    "message_id", "source", "locator", "part", "where", "date", "sender", "recipients", "flow",
    "consumer_addresses", "rule", "category", "severity", "confidence", "occurrences",
    "test_data", "evidence", "fingerprint",
)
