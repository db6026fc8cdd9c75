"""`tracecheck scan` as a user runs it: formats, masking, exit codes, errors."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import eml, mbox_of
from tracecheck.cli import app

runner = CliRunner()

LEAK = eml(to="Sam <sam.j@gmail.com>", subject="Case 12",
           body="Hi Sam, NHS number 943 476 5919 - PCR came back positive today.")
INTERNAL = eml(to="ops@tracecall.co.uk", msgid="<m2@tracecall.co.uk>",
               body="NHS number 943 476 5919 - PCR came back positive today.")
CLEAN = eml(to="friend@gmail.com", msgid="<m3@tracecall.co.uk>",
            body="Thanks for the positive feedback on the rota.")


@pytest.fixture
def box(tmp_path: Path) -> Path:
    p = tmp_path / "export.mbox"
    p.write_bytes(mbox_of(LEAK, INTERNAL, CLEAN))
    return p


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_json_contract_and_masking(box: Path) -> None:
    code, out = run("scan", str(box), "--format", "json", "--org-domain", "tracecall.co.uk",
                    "--all-messages")
    assert code == 1
    doc = json.loads(out)
    assert list(doc)[:6] == ["schema_version", "tool", "rules", "org_domains", "summary",
                             "coverage"]
    assert doc["tool"]["name"] == "tracecheck"
    assert doc["rules"][0]["pack"] == "uk-health" and len(doc["rules"][0]["sha256"]) == 64
    assert doc["coverage"]["messages"] == 3 and doc["coverage"]["skipped"] == []
    flows = {(f["message_id"], f["flow"]) for f in doc["findings"]}
    assert flows == {("<m1@tracecall.co.uk>", "to-consumer"), ("<m2@tracecall.co.uk>", "internal")}
    f = next(x for x in doc["findings"] if x["rule"] == "nhs-number")
    assert f["consumer_addresses"] == ["sam.j@gmail.com"]
    assert f["locator"] == f"{box}@0" and f["part"] == "1" and f["where"] == "body"
    assert "value" not in f
    assert "9434765919" not in out and "476 5919" not in out
    assert "943 *** ****" in f["evidence"]


def test_reveal_adds_the_value(box: Path) -> None:
    _, out = run("scan", str(box), "--format", "json", "--reveal")
    values = {f["value"] for f in json.loads(out)["findings"] if f["rule"] == "nhs-number"}
    assert values == {"9434765919"}


def test_json_is_byte_identical_across_runs(box: Path) -> None:
    assert run("scan", str(box), "--format", "json")[1] == run("scan", str(box), "--format",
                                                               "json")[1]


def test_fingerprints_are_stable_and_ignore_offsets(tmp_path: Path) -> None:
    a = tmp_path / "a.mbox"
    a.write_bytes(mbox_of(LEAK))
    b = tmp_path / "b.mbox"
    b.write_bytes(mbox_of(CLEAN, LEAK))  # same message at another offset
    fa = {f["fingerprint"] for f in json.loads(run("scan", str(a), "-f", "json")[1])["findings"]}
    fb = {f["fingerprint"] for f in json.loads(run("scan", str(b), "-f", "json")[1])["findings"]}
    assert fa == fb and len(fa) == 2


def test_exit_codes(box: Path, tmp_path: Path) -> None:
    assert run("scan", str(box), "--fail-on", "never")[0] == 0
    assert run("scan", str(box), "--fail-on", "high")[0] == 1
    assert run("scan", str(box), "--fail-on", "critical")[0] == 0
    clean = tmp_path / "clean.mbox"
    clean.write_bytes(mbox_of(CLEAN))
    assert run("scan", str(clean))[0] == 0
    internal_only = tmp_path / "internal.mbox"
    internal_only.write_bytes(mbox_of(INTERNAL))
    # Findings on internal flows are reported but do not fail the run.
    code, out = run("scan", str(internal_only), "-f", "json", "--org-domain", "tracecall.co.uk",
                    "--all-messages")
    assert code == 0 and json.loads(out)["summary"]["findings"] == 2
    # Default triage mode reads only the headers of mail with no consumer address.
    code, out = run("scan", str(internal_only), "-f", "json")
    assert code == 0 and json.loads(out)["summary"]["findings"] == 0


def test_missing_path_is_exit_2_with_one_line(tmp_path: Path) -> None:
    code, out = run("scan", str(tmp_path / "nope.mbox"))
    assert code == 2
    assert "no such file or folder" in out and "Traceback" not in out


def test_broken_pack_is_exit_2_naming_file_and_line(box: Path, tmp_path: Path) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text("schema_version: 1\npack: {id: x}\ndetectors:\n  - id: BAD ID\n")
    code, out = run("scan", str(box), "--rules", str(pack))
    assert code == 2 and f"{pack}:4" in out


def test_csv_and_jsonl(box: Path) -> None:
    _, out = run("scan", str(box), "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["rule"] for r in rows} == {"nhs-number", "covid-test-result"}
    assert "value" not in rows[0]
    _, out = run("scan", str(box), "-f", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == len(rows)


def test_table_is_plain_text_when_piped(box: Path) -> None:
    code, out = run("scan", str(box))
    assert code == 1
    assert "\x1b[" not in out
    assert "to-consumer" in out and "sam.j@gmail.com" in out
    assert "Organisation domains (inferred from senders): tracecall.co.uk" in out


def test_output_file_is_private(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    run("scan", str(box), "-f", "json", "-o", str(out), "--all-messages")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["summary"]["findings"] == 4


def test_unsupported_and_empty_files_are_listed(tmp_path: Path, box: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(os.urandom(64))
    (tmp_path / "empty.eml").write_bytes(b"")
    _, out = run("scan", str(tmp_path), "-f", "json")
    skipped = {Path(s["locator"]).name: s["reason"] for s in json.loads(out)["coverage"]["skipped"]}
    assert skipped["empty.eml"] == "empty file"
    assert skipped["blob.bin"].startswith("unsupported file type:")


def test_console_script_version_and_help() -> None:
    exe = Path(sys.executable).parent / "tracecheck"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("tracecheck ")
    for args in (["scan", "--format", "pdf", "x"], ["scan"], ["nosuch"], ["scan", "/nonexist"],
                 ["scan", "x", "--fail-on", "sometimes"]):
        bad = subprocess.run([str(exe), *args], capture_output=True, text=True)
        assert bad.returncode == 2, args
        lines = bad.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tracecheck: error: "), bad.stderr


def test_every_format_maps_to_a_reporter() -> None:
    from tracecheck.reports.base import ReportFormat, reporter_for

    for fmt in ReportFormat:
        assert hasattr(reporter_for(fmt), "write")


@pytest.mark.parametrize(("flag", "value"), [
    ("--org-domain", "not a domain"), ("--org-domain", "tracecall"),
    ("--org-domain", "-bad-.co.uk"), ("--consumer-domain", "gmail com"),
    ("--org-domain", "a@tracecall.co.uk"),
])
def test_a_domain_flag_that_is_not_a_domain_is_one_line(box: Path, flag: str,
                                                        value: str) -> None:
    code, out = run("scan", str(box), flag, value)
    assert code == 2
    (line,) = out.strip().splitlines()
    assert line.startswith("tracecheck: error: ") and "is not a domain name" in line
    assert repr(value) in line


def test_a_domain_in_the_config_is_checked_too(box: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "tracecheck.toml"
    cfg.write_text('[scan]\norg_domains = ["tracecall co uk"]\n', encoding="utf-8")
    code, out = run("scan", str(box), "--config", str(cfg))
    assert code == 2 and "is not a domain name" in out
    code, out = run("logs", str(box), "--consumer-domain", "not a domain")
    assert code == 2 and "is not a domain name" in out


def test_domains_in_other_spellings_are_accepted(box: Path) -> None:
    code, out = run("scan", str(box), "--org-domain", "TraceCall.co.uk.", "--format", "json",
                    "--consumer-domain", "bücher.example")
    assert code == 1, out
    assert json.loads(out)["org_domains"]["domains"] == ["tracecall.co.uk"]
