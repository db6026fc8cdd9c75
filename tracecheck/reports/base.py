"""The Reporter interface, the format enum and its registry.

Owns the mapping from `--format` names to reporter implementations; a test checks that every
`ReportFormat` member maps to a working reporter. Reporters write text to a stream and never
decide exit codes. Nothing here unmasks data unless `reveal` is set.
"""

from __future__ import annotations

import enum
from typing import Protocol, TextIO

from tracecheck.model import ScanResult

SCHEMA_VERSION = 1


class ReportFormat(enum.StrEnum):
    """Output formats of `tracecheck scan`."""

    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    SARIF = "sarif"
    JUNIT = "junit"


class Reporter(Protocol):
    """Writes one ScanResult in one format."""

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write `result` to `out`; include unmasked values only when `reveal`."""
        ...


def reporter_for(fmt: ReportFormat, *, color: bool = False, width: int | None = None) -> Reporter:
    """The reporter implementing `fmt`."""
    if fmt is ReportFormat.TABLE:
        from tracecheck.reports.table import TableReporter

        return TableReporter(color=color, width=width)
    if fmt is ReportFormat.JSON:
        from tracecheck.reports.json_report import JsonReporter

        return JsonReporter()
    if fmt is ReportFormat.JSONL:
        from tracecheck.reports.json_report import JsonlReporter

        return JsonlReporter()
    if fmt is ReportFormat.CSV:
        from tracecheck.reports.csv_report import CsvReporter

        return CsvReporter()
    if fmt is ReportFormat.SARIF:
        from tracecheck.reports.sarif import SarifReporter

        return SarifReporter()
    if fmt is ReportFormat.JUNIT:
        from tracecheck.reports.junit import JunitReporter

        return JunitReporter()
    raise AssertionError(f"unhandled format {fmt}")  # pragma: no cover
