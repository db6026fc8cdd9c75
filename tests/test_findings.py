"""One definition of a flagged message (`findings.counts`): the scan summary, the exit code,
the JSON summary, SARIF, JUnit and the ICO report agree on it. A reserved 999 test-range NHS
number alone is test data: `info` severity, never counted, never the exit code (issue 14,
item 9)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import eml, mbox_of
from tracecheck import api
from tracecheck.case.snapshot import CaseSnapshot
from tracecheck.cli import app
from tracecheck.findings import counts, flagged_messages
from tracecheck.model import Severity
from tracecheck.reports.ico import IcoConfig, build

runner = CliRunner()

TEST_ONLY = eml(to="Sam <sam.j@gmail.com>", subject="Training scenario",
                msgid="<t1@tracecall.co.uk>",
                body="Practice record: NHS number 999 000 0018 for the training exercise.")
REAL = eml(to="Ann <ann.k@gmail.com>", subject="Case 12", msgid="<r1@tracecall.co.uk>",
           body="Hi Ann, NHS number 943 476 5919 - PCR came back positive today.")
MIXED = eml(to="Bo <bo.l@gmail.com>", subject="Case 13", msgid="<x1@tracecall.co.uk>",
            body="NHS number 999 000 0026 is the test record; the caller, NHS number "
                 "943 476 5919, tested positive.")


def _box(tmp_path: Path, *messages: bytes) -> str:
    p = tmp_path / "export.mbox"
    p.write_bytes(mbox_of(*messages))
    return str(p)


def test_test_range_number_alone_is_info_and_never_counted(tmp_path: Path) -> None:
    result = api.scan([_box(tmp_path, TEST_ONLY)])
    (finding,) = result.findings
    assert finding.test_data and finding.severity is Severity.INFO
    assert not counts(finding)
    assert flagged_messages(result.findings) == set()
    assert api.exit_code(result, Severity.LOW) == api.EXIT_CLEAN


def test_the_scan_summary_and_exit_code_agree_on_test_data(tmp_path: Path) -> None:
    res = runner.invoke(app, ["scan", _box(tmp_path, TEST_ONLY)])
    assert res.exit_code == 0, res.output
    assert "0 messages carried health data" in res.output
    assert "1 messages carried health data" not in res.output
    assert "info (test data)" in res.output


def test_every_format_counts_the_same_messages(tmp_path: Path) -> None:
    box = _box(tmp_path, TEST_ONLY, REAL, MIXED)
    result = api.scan([box])
    flagged = flagged_messages(result.findings)
    assert flagged == {f"{box}@{f.offset}" for f in result.findings
                       if f.message_id in ("<r1@tracecall.co.uk>", "<x1@tracecall.co.uk>")}
    assert len(flagged) == 2

    res = runner.invoke(app, ["scan", box, "--format", "json"])
    assert res.exit_code == 1
    summary = json.loads(res.output)["summary"]
    assert summary["consumer_messages_flagged"] == 2
    assert summary["test_data_findings"] == 2

    table = runner.invoke(app, ["scan", box]).output
    assert "2 messages carried health data to or from 2 consumer addresses" in table

    sarif = json.loads(runner.invoke(app, ["scan", box, "--format", "sarif"]).output)
    levels = {(r["properties"]["message_id"], r["properties"]["test_data"]): r["level"]
              for r in sarif["runs"][0]["results"] if r["ruleId"] == "nhs-number"}
    assert levels[("<t1@tracecall.co.uk>", True)] == "note"
    assert levels[("<x1@tracecall.co.uk>", True)] == "note"
    assert levels[("<x1@tracecall.co.uk>", False)] == "error"

    suite = ET.fromstring(runner.invoke(app, ["scan", box, "--format", "junit"]).output)
    failures = [f.get("message", "") for f in suite.iter("failure")]
    assert failures and not any("info" in m for m in failures)
    assert len(failures) == sum(1 for f in result.findings if counts(f))

    report = build(CaseSnapshot.from_scan(result), IcoConfig())
    assert report.numbers.messages_flagged == 2
    assert report.numbers.findings_test_data == 2


def test_test_data_only_source_passes_in_junit(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "training.eml").write_bytes(TEST_ONLY)
    res = runner.invoke(app, ["scan", str(tmp_path / "a"), "--format", "junit"])
    assert res.exit_code == 0
    suite = ET.fromstring(res.output)
    assert suite.get("failures") == "0"
    (case,) = [c for c in suite.iter("testcase") if c.get("name", "").endswith("training.eml")]
    assert case.find("failure") is None
    assert "test data" in (case.findtext("system-out") or "")


@pytest.mark.parametrize("text", ["info", "INFO", " info "])
def test_info_is_a_severity_below_low(text: str) -> None:
    assert Severity.parse(text) is Severity.INFO
    assert Severity.INFO < Severity.LOW


def test_one_tally_pass_counts_what_the_definitions_count(tmp_path: Path) -> None:
    """`Tallies` (the summaries' one pass over packed findings) agrees with `counts`,
    `flagged_messages` and `by_custodian` finding by finding, custodians included."""
    import dataclasses

    from tracecheck.findings import Tallies, by_custodian

    result = api.scan([_box(tmp_path, TEST_ONLY, REAL, MIXED)])
    found = [dataclasses.replace(f, custodian=("ann" if i % 2 else ""))
             for i, f in enumerate(result.findings)]
    tally = Tallies(found)
    assert tally.consumer_flagged == flagged_messages(found)
    assert tally.flagged == {f.locator for f in found}
    assert tally.consumer_findings == sum(counts(f) for f in found) >= 2
    assert tally.test_data == sum(f.test_data and not counts(f) for f in found) >= 1
    assert tally.addresses == {a for f in found if counts(f) for a in f.consumer_addresses}
    manual = {c: (sum(f.custodian == c for f in found),
                  sum(f.custodian == c and counts(f) for f in found)) for c in ("", "ann")}
    assert [(c.custodian, c.findings, c.consumer_findings) for c in tally.by_custodian()] \
        == [(c, *manual[c]) for c in ("", "ann")]
    assert by_custodian(found) == tally.by_custodian()
    # a message with two counted findings is one flagged message, for its custodian too
    assert sum(c.messages_flagged for c in tally.by_custodian()) >= len(tally.consumer_flagged)
    assert len(tally.consumer_flagged) < tally.consumer_findings
    assert {c.custodian: c.messages_flagged for c in tally.by_custodian()} == {
        c: len({f.locator for f in found if f.custodian == c and counts(f)}) for c in ("", "ann")}
    assert Tallies(result.findings).by_custodian() == []  # nobody attributed: no rows


def test_a_finding_moved_to_another_flow_keeps_every_other_field(tmp_path: Path) -> None:
    import dataclasses

    from tracecheck.model import Flow

    (scanned, *_) = api.scan([_box(tmp_path, REAL)]).findings
    finding = dataclasses.replace(scanned, custodian="ann", quoted=True, reasons=("why",),
                                  occurrences=3, confidence=0.7, pack="p")
    moved = finding.with_flow(Flow.INTERNAL)
    assert moved == dataclasses.replace(finding, flow=Flow.INTERNAL)
    assert moved.flow is Flow.INTERNAL and finding.flow is Flow.TO_CONSUMER
    assert moved.custodian == "ann" and moved.reasons == ("why",)
