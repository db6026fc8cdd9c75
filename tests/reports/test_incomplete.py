"""An incomplete run (tracecheck failed on part of the input: `internal-error`, `worker-lost`)
is visible in every format that has a summary, and a complete run shows no trace of it."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import loc, validate_sarif
from tests.reports.golden import golden_result, render_scan
from tests.reports.test_sarif import sample_result
from tracecheck.model import ScanResult, SkipKind, Skipped
from tracecheck.reports.base import ReportFormat

_validate_sarif = validate_sarif


def _one_failure(kind: SkipKind) -> ScanResult:
    """The complete sample result with one entry of `kind` added."""
    base = sample_result()
    extra = Skipped(loc("/scan/exports/vault.mbox@2048"), "boom", None, kind)
    return dataclasses.replace(base, skipped=(*base.skipped, extra))


def test_the_fixture_is_incomplete_and_the_sample_is_not() -> None:
    assert [s.kind for s in golden_result().incomplete] == [SkipKind.INTERNAL_ERROR,
                                                            SkipKind.WORKER_LOST]
    assert sample_result().incomplete == ()


def test_sarif_execution_fails_with_an_error_notification_per_incomplete_entry() -> None:
    doc = json.loads(render_scan(golden_result(), ReportFormat.SARIF))
    _validate_sarif(doc)
    invocation = doc["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    levels = [(n["properties"]["kind"], n["level"])
              for n in invocation["toolExecutionNotifications"]]
    assert [k for k, level in levels if level == "error"] == ["internal-error", "worker-lost"]
    assert {level for k, level in levels if k not in ("internal-error", "worker-lost")} == {
        "warning"}
    errors = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
    assert errors[0]["message"]["text"].startswith("tracecheck failed (internal-error)")
    assert errors[1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "/scan/outlook/archive.pst:/Inbox/#9")


def test_sarif_of_a_complete_run_is_successful() -> None:
    doc = json.loads(render_scan(sample_result(), ReportFormat.SARIF))
    _validate_sarif(doc)
    invocation = doc["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert {n["level"] for n in invocation["toolExecutionNotifications"]} == {"warning"}


@pytest.mark.parametrize("kind", [SkipKind.INTERNAL_ERROR, SkipKind.WORKER_LOST])
def test_junit_marks_each_incomplete_entry_as_an_error_not_a_skip(kind: SkipKind) -> None:
    suite = ET.fromstring(render_scan(_one_failure(kind), ReportFormat.JUNIT))
    assert suite.get("errors") == "1" and suite.get("skipped") == "3"
    errors = [c for c in suite.findall("testcase") if c.find("error") is not None]
    assert len(errors) == 1
    (case,) = errors
    assert case.get("name") == "/scan/exports/vault.mbox@2048"
    assert case.find("skipped") is None
    error = case.find("error")
    assert error is not None and error.get("type") == kind.value
    assert error.get("message") == f"{kind.value}: boom"


def test_junit_of_a_complete_run_has_no_errors() -> None:
    suite = ET.fromstring(render_scan(sample_result(), ReportFormat.JUNIT))
    assert suite.get("errors") == "0" and suite.findall(".//error") == []


def test_table_says_incomplete_with_the_count_and_exit_code_3() -> None:
    lines = render_scan(golden_result(), ReportFormat.TABLE).splitlines()
    assert lines[-1].startswith("INCOMPLETE: tracecheck failed on 2 items "
                                "(1 internal-error, 1 worker-lost)")
    assert lines[-1].endswith("Exit code 3.")
    one = render_scan(_one_failure(SkipKind.WORKER_LOST), ReportFormat.TABLE).splitlines()
    assert one[-1].startswith("INCOMPLETE: tracecheck failed on 1 item (1 worker-lost)")
    assert "INCOMPLETE" not in render_scan(sample_result(), ReportFormat.TABLE)


def test_json_summary_counts_incomplete_entries_only_when_there_are_some() -> None:
    doc = json.loads(render_scan(golden_result(), ReportFormat.JSON))
    assert doc["summary"]["incomplete"] == 2
    kinds = [s["kind"] for s in doc["coverage"]["skipped"]]
    assert kinds.count("internal-error") + kinds.count("worker-lost") == 2
    assert "incomplete" not in json.loads(render_scan(sample_result(), ReportFormat.JSON))[
        "summary"]


def test_jsonl_and_csv_stay_one_finding_per_record() -> None:
    """They carry findings only; an incomplete run is told by exit code 3 and stderr."""
    result = golden_result()
    jsonl = render_scan(result, ReportFormat.JSONL).splitlines()
    assert len(jsonl) == len(result.findings)
    assert all("fingerprint" in json.loads(line) for line in jsonl)
    rows = list(csv.DictReader(io.StringIO(render_scan(result, ReportFormat.CSV))))
    assert len(rows) == len(result.findings)


def test_the_ico_report_warns_that_the_scan_was_incomplete(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "case"))
    from case_scenario import build_case

    from tracecheck.reports.ico import IcoConfig, render

    store = build_case(tmp_path / "case")
    snap = store.snapshot()
    store.close()
    assert "INCOMPLETE" not in render(snap, IcoConfig(), "md")
    failed = Skipped(loc("/evidence/vault/agents.mbox@2048"), "KeyError in the matcher", None,
                     SkipKind.INTERNAL_ERROR)
    text = render(dataclasses.replace(snap, skipped=(*snap.skipped, failed)), IcoConfig(), "md")
    assert "the scan is INCOMPLETE: tracecheck failed on 1 item(s)" in text
