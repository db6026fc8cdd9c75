"""Golden files for `tracecheck scan`'s table, json, jsonl and csv output, and for the SARIF and
JUnit output of an incomplete run: the fixed result in `golden.py` rendered byte for byte.

Regenerate with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/reports/test_golden.py` after a
deliberate change, and read the diff. (tests/golden/sarif/scan.sarif and
tests/golden/junit/scan.xml, a complete run, are checked by test_sarif.py and test_junit.py.)
"""

from __future__ import annotations

import pytest

from tests.reports.golden import GOLDEN, check_golden, golden_result, render_scan
from tracecheck.model import Flow
from tracecheck.reports.base import ReportFormat

CASES = [
    (ReportFormat.TABLE, "table/scan.txt"),
    (ReportFormat.JSON, "json/scan.json"),
    (ReportFormat.JSONL, "jsonl/scan.jsonl"),
    (ReportFormat.CSV, "csv/scan.csv"),
    (ReportFormat.SARIF, "sarif/incomplete.sarif"),
    (ReportFormat.JUNIT, "junit/incomplete.xml"),
]


@pytest.mark.parametrize(("fmt", "name"), CASES, ids=[c[1] for c in CASES])
def test_matches_golden_file(fmt: ReportFormat, name: str) -> None:
    check_golden(GOLDEN / name, render_scan(golden_result(), fmt))


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_rendering_twice_gives_the_same_bytes(fmt: ReportFormat) -> None:
    assert render_scan(golden_result(), fmt) == render_scan(golden_result(), fmt)


def test_the_golden_result_covers_what_it_claims() -> None:
    """The fixture keeps exercising every flow, gap kind and section the goldens are for."""
    result = golden_result()
    assert {f.flow for f in result.findings} == set(Flow)
    kinds = {s.kind.value for s in result.skipped}
    assert {"internal-error", "worker-lost"} <= kinds and len(kinds) >= 5
    assert len(result.incomplete) == 2
    assert {n.kind.value for n in result.notes} == {"decode", "note", "suppressed"}
    assert result.options.baseline is not None and result.log_summary is not None
    assert any(f.test_data for f in result.findings)
