"""Custodians (`--custodian-from path|header|none`): every finding of the samples is attributed
to the mailbox the generator labels it with; the header and none modes; the config's pattern;
a pattern that cannot work is one line and exit 2."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, eml
from tracecheck import api
from tracecheck.cli import app
from tracecheck.custodians import Custodians
from tracecheck.model import CustodianFrom

runner = CliRunner()
SAMPLES = [str(ROOT / "samples" / p) for p in ("mbox", "eml", "maildir", "archive")]
LEAK = "NHS number 943 476 5919, PCR came back positive"


@pytest.fixture(scope="module")
def sample_scan() -> api.ScanResult:
    return api.scan(SAMPLES, api.ScanOptions())


def test_every_sample_finding_has_its_labelled_custodian(sample_scan: api.ScanResult) -> None:
    labels = json.loads((ROOT / "samples" / "labels.json").read_text(encoding="utf-8"))
    custodian = {m["message_id"]: m["custodian"] for m in labels["messages"]}
    findings = list(sample_scan.findings)
    assert findings
    for f in findings:
        assert f.custodian == custodian[f.message_id], (f.locator, f.custodian)
    named = Counter(f.custodian for f in findings if f.custodian)
    assert len(named) >= 10  # one Purview folder per mailbox: many custodians


def test_the_summary_counts_per_custodian(sample_scan: api.ScanResult) -> None:
    from tracecheck.reports.records import result_dict

    rows = result_dict(sample_scan)["summary"]["custodians"]
    assert [r["custodian"] for r in rows] == sorted(r["custodian"] for r in rows)
    assert sum(r["findings"] for r in rows) == len(sample_scan.findings)
    flagged = {f.locator for f in sample_scan.findings
               if f.flow.is_consumer and not f.test_data and f.severity > 0}
    assert sum(r["messages_flagged"] for r in rows) == len(flagged)


def _box(tmp_path: Path, extra: str = "") -> Path:
    folder = tmp_path / "Exchange" / "jane.doe@tracecall.co.uk" / "Sent Items"
    folder.mkdir(parents=True)
    (folder / "m.eml").write_bytes(eml(to="sam.j@gmail.com", body=LEAK, extra=extra))
    return tmp_path / "Exchange"


def _custodians(*args: str) -> set[str]:
    res = runner.invoke(app, ["scan", *args, "-f", "jsonl", "--workers", "1"])
    assert res.exit_code == 1, res.output
    return {json.loads(line)["custodian"] for line in res.output.splitlines()}


def test_header_mode_reads_delivered_to(tmp_path: Path) -> None:
    box = _box(tmp_path, "Delivered-To: Mailbox.Owner@tracecall.co.uk\n")
    assert _custodians(str(box)) == {"jane.doe@tracecall.co.uk"}
    assert _custodians(str(box), "--custodian-from", "header") == {
        "mailbox.owner@tracecall.co.uk"}
    assert _custodians(str(box), "--custodian-from", "none") == {""}


def test_header_mode_without_the_header_attributes_no_one(tmp_path: Path) -> None:
    assert _custodians(str(_box(tmp_path)), "--custodian-from", "header") == {""}


def test_the_config_gives_the_path_pattern(tmp_path: Path) -> None:
    box = _box(tmp_path)
    cfg = tmp_path / "tracecheck.toml"
    cfg.write_text('[scan]\ncustodian_pattern = "(?P<custodian>[^/]+)/Sent Items/"\n',
                   encoding="utf-8")
    assert _custodians(str(box), "--config", str(cfg)) == {"jane.doe@tracecall.co.uk"}
    cfg.write_text('[scan]\ncustodian_pattern = "Exchange/([a-z]+)"\ncustodian_from = "path"\n',
                   encoding="utf-8")
    assert _custodians(str(box), "--config", str(cfg)) == {"jane"}
    cfg.write_text('[scan]\ncustodian_from = "none"\n', encoding="utf-8")
    assert _custodians(str(box), "--config", str(cfg)) == {""}
    # the flag wins over the config
    assert _custodians(str(box), "--config", str(cfg), "--custodian-from", "path") == {
        "jane.doe@tracecall.co.uk"}


@pytest.mark.parametrize(("toml", "words"), [
    ('custodian_pattern = "Exchange/[a-z]+"', "no group"),
    ('custodian_pattern = "Exchange/(["', "does not compile"),
    ('custodian_from = "owner"', "expected path, header or none"),
])
def test_a_config_that_cannot_work_is_one_line(tmp_path: Path, toml: str, words: str) -> None:
    cfg = tmp_path / "tracecheck.toml"
    cfg.write_text(f"[scan]\n{toml}\n", encoding="utf-8")
    res = runner.invoke(app, ["scan", str(_box(tmp_path)), "--config", str(cfg)])
    assert res.exit_code == 2
    (line,) = res.output.strip().splitlines()
    assert line.startswith("tracecheck: error: ") and words in line


@pytest.mark.parametrize(("path", "custodian"), [
    ("/x/Exchange/jane.doe@org.example/Inbox/a.eml", "jane.doe@org.example"),
    ("/srv/home/jane/Maildir/cur/1:2,S", "jane"),
    ("C:\\exports\\jo@org.example\\Inbox\\a.eml", "jo@org.example"),
    ("/x/vault-export.mbox", ""),
])
def test_the_default_path_pattern(path: str, custodian: str) -> None:
    assert Custodians(CustodianFrom.PATH).from_path(path) == custodian


def test_the_ico_report_counts_per_custodian(tmp_path: Path) -> None:
    box = _box(tmp_path)
    other = box / "sam.lee@tracecall.co.uk" / "Inbox"
    other.mkdir(parents=True)
    (other / "n.eml").write_bytes(eml(to="kim.p@hotmail.co.uk", body=LEAK,
                                      msgid="<m2@tracecall.co.uk>"))
    case = tmp_path / "case"
    res = runner.invoke(app, ["scan", str(box), "--case", str(case), "--workers", "1",
                              "-f", "json", "-o", str(tmp_path / "scan.json")])
    assert res.exit_code == 1, res.output
    res = runner.invoke(app, ["report", "--case", str(case), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    section = doc["ico"]["custodians"]
    assert [(r["custodian"], r["messages_flagged"]) for r in section["custodians"]] == [
        ("jane.doe@tracecall.co.uk", 1), ("sam.lee@tracecall.co.uk", 1)]
    md = runner.invoke(app, ["report", "--case", str(case), "--format", "md"]).output
    assert "Custodians (mailbox exports) involved" in md and "sam.lee@tracecall.co.uk" in md


def test_the_table_has_a_custodian_column_when_findings_are_attributed(tmp_path: Path) -> None:
    """Every findings format carries the custodian: the table adds the column when any
    finding was attributed, and leaves it out when none was."""
    box = _box(tmp_path)
    res = runner.invoke(app, ["scan", str(box), "-f", "table", "--workers", "1"])
    header, row = res.stdout.splitlines()[:2]
    cols = header.split("\t")
    assert cols[-2:] == ["custodian", "evidence"]
    assert row.split("\t")[cols.index("custodian")] == "jane.doe@tracecall.co.uk"
    res = runner.invoke(app, ["scan", str(box), "-f", "table", "--workers", "1",
                              "--custodian-from", "none"])
    assert "custodian" not in res.stdout.splitlines()[0].split("\t")
