"""One masker: the same subject, address and identifier look the same in every output that
shows them masked (scan JSON and table, the ICO report, the review list, the log tables),
and each is the form `tracecheck.rules.mask` gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tracecheck.cli import app
from tracecheck.rules.mask import mask_address, mask_identifier, mask_subject

SUBJECT = "Results for 943 476 5919 (DOB 12/03/1984)"
ADDRESS = "jane.doe@gmail.com"
IDENTIFIER = "943 476 5919"

MESSAGE = (
    "From: Agent <agent@tracecall.co.uk>\n"
    f"To: Jane <{ADDRESS}>\n"
    f"Subject: {SUBJECT}\n"
    "Date: Mon, 11 Jan 2021 09:30:00 +0000\n"
    "Message-ID: <m1@tracecall.co.uk>\n"
    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
    f"Hi Jane, NHS number {IDENTIFIER}, PCR positive. Write to {ADDRESS} today.\n"
)
# A Microsoft 365 message trace (new admin centre export) that logged the same message.
TRACE = (
    "\ufeffDate,Sender,Recipient,Subject,Status,Message ID\r\n"
    f"2021-01-11 09:30:00,agent@tracecall.co.uk,{ADDRESS},{SUBJECT},Delivered,"
    "<m1@tracecall.co.uk>\r\n"
)


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("masks")
    (base / "export").mkdir()
    (base / "export" / "case.eml").write_text(MESSAGE, encoding="utf-8")
    (base / "logs").mkdir()
    (base / "logs" / "trace.csv").write_text(TRACE, encoding="utf-8", newline="")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(base)
        scan = ["scan", "export", "logs", "--org-domain", "tracecall.co.uk", "--fail-on",
                "never", "--workers", "1"]
        return {
            "scan": json.loads(_run(*scan, "--case", "case", "--format", "json")),
            "table": _run(*scan, "--format", "table"),
            "logs": json.loads(_run("logs", "logs", "--format", "json")),
            "report": json.loads(_run("report", "--case", "case", "--format", "json")),
            "report_md": _run("report", "--case", "case", "--format", "md"),
            "revealed": json.loads(_run("report", "--case", "case", "--format", "json",
                                        "--reveal")),
            "review": json.loads(_run("review", "--case", "case", "--format", "json")),
        }


def _strings(doc: object) -> list[str]:
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [s for v in doc.values() for s in _strings(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in _strings(v)]
    return []


def test_a_subject_masks_the_same_in_the_scan_json_and_the_log_tables(outputs):
    masked = mask_subject(SUBJECT)
    assert masked == "R****** f** *** *** **** (D** **/**/****)"
    logs = outputs["scan"]["logs"]
    assert [e["subject"] for e in logs["event_list"]] == [masked]
    assert [f["subject_masked"] for f in logs["findings"]
            if f["type"] == "log-subject-match"] == [masked]
    assert [row["subject_masked"] for row in outputs["logs"]["rows"]] == [masked]


def test_an_address_masks_the_same_in_scan_report_review_and_table(outputs):
    masked = mask_address(ADDRESS)
    assert masked == "j***@gmail.com"
    shown = {
        "scan evidence": [s for f in outputs["scan"]["findings"] for s in [f["evidence"]]
                          if "@gmail.com today" in s],
        "table summary": [line for line in outputs["table"].splitlines()
                          if "consumer addresses:" in line],
        "ICO report": [s for s in _strings(outputs["report"]) if s.endswith("@gmail.com")],
        "ICO report (md)": [line for line in outputs["report_md"].splitlines()
                            if "@gmail.com" in line],
        "review list": [a for row in outputs["review"] for a in row["consumer_addresses"]],
    }
    for where, texts in shown.items():
        assert texts, f"no address shown in the {where}"
        for text in texts:
            assert masked in text and ADDRESS not in text, (where, text)
            assert "@gmail.com" not in text.replace(masked, ""), (where, text)


def test_an_identifier_masks_the_same_in_scan_and_report(outputs):
    masked = mask_identifier(IDENTIFIER)
    assert masked == "943 *** ****"
    evidence = [f["evidence"] for f in outputs["scan"]["findings"] if f["rule"] == "nhs-number"]
    assert evidence and all(f"[{masked}]" in e for e in evidence)
    # The report shows evidence only with --reveal, and then the scan's masked snippets.
    revealed = [e for m in outputs["revealed"]["messages"] for e in m["evidence"]]
    assert set(revealed) == {f["evidence"] for f in outputs["scan"]["findings"]}
    for doc in ("scan", "report", "review", "logs"):
        text = json.dumps(outputs[doc])
        assert IDENTIFIER not in text and IDENTIFIER.replace(" ", "") not in text, doc
    # In a subject the number is not a detected value, so all of its digits are hidden.
    assert "*** *** ****" in mask_subject(SUBJECT)


def test_reveal_passes_every_value_through() -> None:
    assert mask_address(ADDRESS, reveal=True) == ADDRESS
    assert mask_subject(SUBJECT, reveal=True) == SUBJECT


def test_the_masking_rules_are_written_once() -> None:
    """No other module defines a masking function (the ICO report and the log tables used
    to carry their own)."""
    package = Path(__file__).resolve().parents[2] / "tracecheck"
    owners = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                    if "def mask_" in p.read_text(encoding="utf-8"))
    assert owners == ["rules/mask.py"]
