"""`--format junit`: golden output, one testcase per source, failures per finding, skips, masking.

Regenerate the golden file with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/reports/test_junit.py`.
"""

from __future__ import annotations

import dataclasses
import io
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import ROOT, eml, mbox_of
from tests.reports.test_sarif import EML, MBOX, OUTSIDE, VALUES, sample_result
from tracecheck.cli import app
from tracecheck.model import ScanResult
from tracecheck.reports.base import ReportFormat, reporter_for
from tracecheck.reports.junit import JunitReporter

GOLDEN = ROOT / "tests" / "golden" / "junit"


def _render(result: ScanResult, *, reveal: bool = False) -> str:
    out = io.StringIO()
    JunitReporter().write(result, out, reveal=reveal)
    return out.getvalue()


def test_matches_golden_file() -> None:
    text = _render(sample_result())
    golden = GOLDEN / "scan.xml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_one_testcase_per_source_with_a_failure_per_finding() -> None:
    suite = ET.fromstring(_render(sample_result()))
    assert suite.tag == "testsuite" and suite.get("name") == "tracecheck"
    cases = suite.findall("testcase")
    by_name = {c.get("name"): c for c in cases}
    assert [c.get("name") for c in cases[:4]] == [MBOX, "/scan/exports/older.mbox.gz", EML,
                                                  OUTSIDE]
    assert len(by_name[MBOX].findall("failure")) == 2
    first = by_name[MBOX].findall("failure")[0]
    assert first.get("message") == (
        f"golden-nhs (high, to-consumer) in body of {MBOX}@0 part 1")
    assert first.get("type") == "golden-nhs:high"
    assert "consumer addresses: sam.j@gmail.com" in (first.text or "")
    assert f"fingerprint: {'1' * 64}" in (first.text or "")
    # `failures` counts failed testcases, as CI viewers expect: the 2 sources with counted
    # findings (findings.counts). An internal-flow finding and reserved test data are listed
    # in their testcase's system-out and never fail it.
    assert suite.get("tests") == "7" and suite.get("failures") == "2"
    assert suite.get("errors") == "0" and suite.get("skipped") == "3"
    for name in (EML, "/scan/exports/older.mbox.gz"):
        assert by_name[name].find("failure") is None
        assert "not counted: golden-nhs" in (by_name[name].findtext("system-out") or "")
    assert "test data: yes" in (by_name["/scan/exports/older.mbox.gz"].findtext("system-out")
                                or "")


def test_clean_sources_pass_and_skipped_inputs_are_skipped_testcases() -> None:
    base = sample_result()
    result = dataclasses.replace(base, findings=base.findings[:1])
    suite = ET.fromstring(_render(result))
    cases = suite.findall("testcase")
    assert [len(c.findall("failure")) for c in cases[:4]] == [1, 0, 0, 0]
    skipped = [(c.get("name"), c.find("skipped")) for c in cases[4:]]
    assert [(name, s.get("message") if s is not None else None) for name, s in skipped] == [
        (f"{MBOX}@4096", "truncated: truncated message"),
        (f"{EML}#3", "image: not extracted: image/png"),
        ("/scan/notes.bin", "unsupported: unsupported file type: application/octet-stream"),
    ]
    assert suite.get("failures") == "1"


def test_values_never_written_even_with_reveal() -> None:
    text = _render(sample_result(), reveal=True)
    assert text == _render(sample_result())
    for value in VALUES:
        assert value not in text
    assert "[943 *** ****]" in text


def test_characters_xml_cannot_carry_are_replaced() -> None:
    base = sample_result()
    broken = dataclasses.replace(base.findings[0], evidence="…NHS\x0b[943 *** ****]\x00 \ud800…")
    text = _render(dataclasses.replace(base, findings=(broken,)))
    failure = ET.fromstring(text).find("testcase/failure")
    assert failure is not None
    assert "evidence: …NHS\ufffd[943 *** ****]\ufffd \ufffd…" in (failure.text or "")


def test_cli_scan_writes_junit(tmp_path: Path) -> None:
    box = tmp_path / "export.mbox"
    box.write_bytes(mbox_of(eml(body="NHS number 943 476 5919, PCR positive"),
                            eml(body="Thanks for the positive feedback", msgid="<m2@x.co.uk>")))
    assert isinstance(reporter_for(ReportFormat.JUNIT), JunitReporter)
    result = CliRunner().invoke(app, ["scan", str(box), "--format", "junit",
                                      "--org-domain", "tracecall.co.uk"])
    assert result.exit_code == 1
    suite = ET.fromstring(result.stdout.split("\n", 1)[1])
    (case,) = suite.findall("testcase")
    assert case.get("name") == str(box)
    assert sorted(f.get("type") or "" for f in case.findall("failure")) == [
        "covid-test-result:high", "nhs-number:high"]
    assert "943 476 5919" not in result.stdout
