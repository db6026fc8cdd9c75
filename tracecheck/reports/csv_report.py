"""`--format csv`: one row per finding, safe to open in a spreadsheet.

Every cell goes through `reports.safe_text.spreadsheet_cell`: a cell (or an element of a list
cell, joined with `;`) that a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`,
tab, CR) is prefixed with a single quote (CSV injection), and control characters other than
tab and newline are written as visible escapes.
"""

from __future__ import annotations

import csv
import itertools
from typing import TextIO

from tracecheck.model import ScanResult
from tracecheck.reports.base import Reporter
from tracecheck.reports.records import finding_dict
from tracecheck.reports.safe_text import spreadsheet_cell


class CsvReporter(Reporter[ScanResult]):
    """Findings as CSV with a header row."""

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write header and rows."""
        findings = iter(result.findings)  # one row at a time: never the whole table
        first = next(findings, None)
        columns = list(finding_dict(first, reveal=reveal)) if first is not None else list(
            _COLUMNS) + (["value"] if reveal else [])
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        if first is None:
            return
        for f in itertools.chain((first,), findings):
            row = finding_dict(f, reveal=reveal)
            writer.writerow([spreadsheet_cell(row.get(c)) for c in columns])


_COLUMNS = (
    "message_id", "source", "locator", "part", "where", "date", "sender", "recipients", "flow",
    "consumer_addresses", "rule", "category", "severity", "confidence", "occurrences",
    "test_data", "evidence", "fingerprint", "reasons", "custodian",
)
