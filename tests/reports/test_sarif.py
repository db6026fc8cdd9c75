"""`--format sarif`: golden output, SARIF 2.1.0 schema validity, levels, locations, masking.

The golden file is built from a fixed, hand-built ScanResult; regenerate it with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/reports/test_sarif.py`.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, eml, loc, mbox_of, validate_sarif
from tracecheck.cli import app
from tracecheck.model import (
    Finding,
    Flow,
    OrgDomains,
    PackRef,
    ScanResult,
    Severity,
    SkipKind,
    Skipped,
    SourceSummary,
)
from tracecheck.reports.base import ReportFormat, reporter_for
from tracecheck.reports.sarif import FINGERPRINT_KEY, SarifReporter

GOLDEN = ROOT / "tests" / "golden" / "sarif"
SCAN_ROOT = "/scan"
VALUES = ("9434765919", "943 476 5919", "4010232137", "401 023 2137", "persistent cough",
          "9991234560")


def _finding(n: int, *, source: str, locator: str, rule: str, flow: Flow, severity: Severity,
             value: str, evidence: str, category: str = "identifier", part: str = "1",
             test_data: bool = False, consumer: tuple[str, ...] = ()) -> Finding:
    return Finding(
        fingerprint=f"{n:x}" * (64 // len(f"{n:x}")),
        message_id=f"<m{n}@tracecall.co.uk>",
        source=source,
        at=loc(locator),
        part=part,
        where="body",
        date="2021-01-11T09:30:00Z",
        sender="agent@tracecall.co.uk",
        recipients=("ops@tracecall.co.uk", *consumer),
        flow=flow,
        consumer_addresses=consumer,
        rule=rule,
        category=category,
        severity=severity,
        evidence=evidence,
        value=value,
        confidence=0.9,
        test_data=test_data,
        message_sha256=f"{n:02d}" * 32,
        pack="golden-pack",
    )


MBOX = "/scan/exports/vault.mbox"
GZ = "/scan/exports/older.mbox.gz"
EML = "/scan/eml/Sent Items/case 1.eml"
OUTSIDE = "/elsewhere/outside.eml"


def sample_result() -> ScanResult:
    """A fixed result covering every level, location kind, a skipped input and a lost pack."""
    findings = (
        _finding(1, source=MBOX, locator=f"{MBOX}@0", rule="golden-nhs", flow=Flow.TO_CONSUMER,
                 severity=Severity.HIGH, value="9434765919",
                 evidence="…Sam, NHS number [943 *** ****], PCR p*******…",
                 consumer=("sam.j@gmail.com",)),
        _finding(2, source=MBOX, locator=f"{MBOX}@2048", rule="golden-symptom",
                 flow=Flow.FROM_CONSUMER, severity=Severity.MEDIUM, value="persistent cough",
                 evidence="…she has a [p********** c****] since Friday…", category="symptom",
                 consumer=("mum.k@hotmail.co.uk",)),
        _finding(3, source=EML, locator=EML, rule="golden-nhs", flow=Flow.INTERNAL,
                 severity=Severity.HIGH, value="4010232137",
                 evidence="…patient [401 *** ****] swab…", part="2"),
        _finding(4, source=OUTSIDE, locator=OUTSIDE, rule="gone-rule",
                 flow=Flow.CONSUMER_TO_CONSUMER, severity=Severity.LOW, value="x",
                 evidence="…[x]…", category="other", consumer=("a.b@yahoo.com",)),
        _finding(5, source=GZ, locator=f"{GZ}@512", rule="golden-nhs", flow=Flow.TO_CONSUMER,
                 severity=Severity.HIGH, value="9991234560", test_data=True,
                 evidence="…test patient [999 *** ****]…", consumer=("t.t@gmail.com",)),
    )
    return ScanResult(
        tool_version="9.9.9",
        packs=(
            PackRef("golden-pack", "2.0.0", "ab" * 32, str(GOLDEN / "pack.yaml")),
            PackRef("gone-pack", "1.0.0", "cd" * 32, "/nonexistent/gone-pack.yaml"),
        ),
        sources=(
            SourceSummary(MBOX, "mbox", 8192, "11" * 32, 3, 1),
            SourceSummary(GZ, "mbox+gzip", 900, "22" * 32, 2, 0),
            SourceSummary(EML, "eml", 700, "33" * 32, 1, 0),
            SourceSummary(OUTSIDE, "eml", 500, "44" * 32, 1, 0),
        ),
        messages_found=8,
        messages_scanned=7,
        skipped=(
            Skipped(loc(f"{MBOX}@4096"), "truncated message", None, SkipKind("truncated")),
            Skipped(loc(EML), "not extracted: image/png", "3", SkipKind("image")),
            Skipped(loc("/scan/notes.bin"), "unsupported file type: application/octet-stream",
                    None, SkipKind.UNSUPPORTED),
        ),
        findings=findings,
        org=OrgDomains(("tracecall.co.uk",), inferred=False),
        flow_counts={"to-consumer": 2, "from-consumer": 1},
    )


def _render(result: ScanResult, *, reveal: bool = False, root: str = SCAN_ROOT) -> str:
    out = io.StringIO()
    SarifReporter(root=root).write(result, out, reveal=reveal)
    return out.getvalue()


_validate = validate_sarif


def test_matches_golden_file() -> None:
    text = _render(sample_result())
    golden = GOLDEN / "scan.sarif"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_valid_against_sarif_schema() -> None:
    _validate(json.loads(_render(sample_result())))


def test_values_never_written_even_with_reveal() -> None:
    text = _render(sample_result(), reveal=True)
    assert text == _render(sample_result(), reveal=False)
    for value in VALUES:
        assert value not in text
    assert "[943 *** ****]" in text


def test_levels_follow_severity_on_consumer_flows_and_notes_elsewhere() -> None:
    run = json.loads(_render(sample_result()))["runs"][0]
    levels = {r["partialFingerprints"][FINGERPRINT_KEY][:2]: r["level"] for r in run["results"]}
    assert levels == {
        "11": "error",    # high, to-consumer
        "22": "warning",  # medium, from-consumer
        "33": "note",     # high, but internal
        "44": "note",     # low, consumer-to-consumer
        "55": "note",     # high, to-consumer, reserved test range
    }
    assert [r["properties"]["flow"] for r in run["results"]] == [
        "to-consumer", "from-consumer", "internal", "consumer-to-consumer", "to-consumer"]


def test_rules_come_from_the_packs_with_a_fallback_for_lost_packs() -> None:
    driver = json.loads(_render(sample_result()))["runs"][0]["tool"]["driver"]
    assert driver["name"] == "tracecheck" and driver["version"] == "9.9.9"
    assert driver["informationUri"].startswith("https://")
    rules = {r["id"]: r for r in driver["rules"]}
    assert list(rules) == ["golden-nhs", "golden-symptom", "gone-rule"]
    nhs = rules["golden-nhs"]
    assert nhs["shortDescription"]["text"] == "Golden NHS number"
    assert "Modulus 11" in nhs["fullDescription"]["text"]
    assert "baseline" in nhs["help"]["text"]
    assert nhs["helpUri"] == "https://www.datadictionary.nhs.uk/attributes/nhs_number.html"
    assert nhs["properties"]["category"] == "identifier"
    assert nhs["properties"]["severity"] == "high"
    assert nhs["defaultConfiguration"]["level"] == "error"
    assert rules["golden-symptom"]["defaultConfiguration"]["level"] == "warning"
    assert rules["gone-rule"]["shortDescription"]["text"] == "gone-rule"
    for result in json.loads(_render(sample_result()))["runs"][0]["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_locations_are_relative_to_the_scan_root_with_logical_message_parts() -> None:
    run = json.loads(_render(sample_result()))["runs"][0]
    locs = [r["locations"][0] for r in run["results"]]
    phys = [loc["physicalLocation"] for loc in locs]
    assert phys[0]["artifactLocation"] == {"uri": "exports/vault.mbox",
                                           "uriBaseId": "%SRCROOT%", "index": 0}
    assert phys[0]["region"] == {"byteOffset": 0}
    assert phys[1]["region"] == {"byteOffset": 2048}
    assert phys[2]["artifactLocation"]["uri"] == "eml/Sent%20Items/case%201.eml"
    assert phys[2]["region"] == {"startLine": 1}
    assert phys[3]["artifactLocation"] == {"uri": "file:///elsewhere/outside.eml", "index": 3}
    assert "region" not in phys[4]  # offsets in a .gz count decompressed bytes
    assert locs[2]["logicalLocations"][0]["fullyQualifiedName"] == f"{EML}#2"
    assert run["artifacts"][0]["hashes"] == {"sha-256": "11" * 32}


def test_skipped_inputs_become_tool_notifications() -> None:
    run = json.loads(_render(sample_result()))["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [
        "not scanned (truncated): truncated message",
        "not scanned (image): not extracted: image/png",
        "not scanned (unsupported): unsupported file type: application/octet-stream",
    ]
    assert notes[1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == f"{EML}#3"
    assert notes[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "notes.bin"


def test_fingerprints_are_carried_for_dashboards() -> None:
    run = json.loads(_render(sample_result()))["runs"][0]
    assert [r["partialFingerprints"] for r in run["results"]] == [
        {FINGERPRINT_KEY: f.fingerprint} for f in sample_result().findings]


def test_cli_scan_writes_valid_masked_sarif(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    box = tmp_path / "export.mbox"
    box.write_bytes(mbox_of(eml(body="NHS number 943 476 5919, PCR positive")))
    monkeypatch.chdir(tmp_path)
    assert isinstance(reporter_for(ReportFormat.SARIF), SarifReporter)
    result = CliRunner().invoke(app, ["scan", "export.mbox", "--format", "sarif", "--reveal",
                                      "--org-domain", "tracecall.co.uk"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    _validate(doc)
    run = doc["runs"][0]
    assert {r["ruleId"] for r in run["results"]} == {"nhs-number", "covid-test-result"}
    assert {r["level"] for r in run["results"]} == {"error"}
    art = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art["uri"] == "export.mbox"
    assert "9434765919" not in result.stdout and "943 476 5919" not in result.stdout


def _scan_options() -> set[str]:
    import typer.main

    command = typer.main.get_command(app).commands["scan"]  # type: ignore[attr-defined]
    return {opt for p in command.params for opt in p.opts}


def test_github_actions_example_uploads_the_sarif_it_writes() -> None:
    import re
    import shlex

    import yaml

    workflow = yaml.safe_load((ROOT / "docs" / "examples" / "github-actions.yml").read_text())
    (job,) = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    install = next(s for s in steps if s.get("name") == "Install tracecheck")
    assert "pip install" in install["run"]
    scan = next(s for s in steps if "tracecheck scan" in s.get("run", ""))
    upload = next(s for s in steps if s.get("uses", "").startswith(
        "github/codeql-action/upload-sarif@"))
    assert steps.index(scan) < steps.index(upload)
    command = shlex.split(scan["run"].split("tracecheck scan", 1)[1].replace("\\\n", " "),
                          comments=False)
    assert command[command.index("--format") + 1] == "sarif"
    assert command[command.index("--output") + 1] == upload["with"]["sarif_file"]
    used = {w for w in command if re.fullmatch(r"--[a-z-]+", w)}
    used |= {"--baseline"} if "--baseline" in scan["run"] else set()
    assert "--baseline" in used and "--fail-on" in used
    assert used <= _scan_options()


def test_a_file_name_that_is_not_utf8_is_percent_encoded(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15 item 1: a Latin-1 name in the scanned tree (findings or not) crashed the
    writer and left a 0-byte file. Its bytes are percent-encoded (RFC 3986) instead."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.eml").write_bytes(eml(body="NHS number 943 476 5919, PCR positive"))
    for name in (b"caf\xe9.eml", b"clean \xff.eml"):
        body = b"NHS number 943 476 5919" if name.startswith(b"caf") else b"Hello"
        with open(os.path.join(os.fsencode(tree), name), "wb") as f:
            f.write(eml(body=body.decode()))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.sarif"
    result = CliRunner().invoke(app, ["scan", "tree", "--format", "sarif", "-o", str(out),
                                      "--org-domain", "tracecall.co.uk"])
    assert result.exit_code == 1, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    uris = {a["location"]["uri"] for a in doc["runs"][0]["artifacts"]}
    assert uris == {"tree/a.eml", "tree/caf%E9.eml", "tree/clean%20%FF.eml"}
    located = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               for r in doc["runs"][0]["results"]}
    assert "tree/caf%E9.eml" in located
    # outside the scan root: an absolute file:// URI with the same bytes
    absolute = json.loads(_render_rooted(tmp_path / "elsewhere", tree))
    assert any(a["location"]["uri"].endswith("/tree/caf%E9.eml")
               and a["location"]["uri"].startswith("file:///")
               for a in absolute["runs"][0]["artifacts"])
    _validate(doc)  # last: skips where ../shared (the schema) is absent


def _render_rooted(root: Path, tree: Path) -> str:
    from tracecheck import api

    buf = io.StringIO()
    SarifReporter(root=root).write(api.scan([str(tree)], api.ScanOptions(
        org_domains=("tracecall.co.uk",))), buf)
    return buf.getvalue()
