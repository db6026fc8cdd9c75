"""`tracecheck diff OLD NEW`: two scans of the samples, one message removed and one added
between them, compared by fingerprint (Parquet against Parquet, JSON against Parquet), with
golden text and JSON output; files that are not findings files are one line and exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from tests.reports.golden import GOLDEN, check_golden
from tracecheck.cli import app

runner = CliRunner()
REMOVED = ("Exchange/sean.lefevre@tracecall.co.uk/Sent Items/"
           "Case-update-Jose-PCR-positive_ea940286.eml")
"""A flagged message of the samples, gone from the second scan."""
ADDED = "Exchange/bethan.hartigan@tracecall.co.uk/Sent Items/Megan_36079124.eml"
"""A flagged message of the samples, copied (with a new Message-ID) into the second scan."""


def _scan(folder: str, *args: str) -> None:
    res = runner.invoke(app, ["scan", folder, "--workers", "1", "--fail-on", "never", *args])
    assert res.exit_code == 0, res.output


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """old.parquet, old.json and new.parquet, scanned from `export/` (relative paths, so the
    goldens do not hold the temporary folder)."""
    here = tmp_path_factory.mktemp("audits")
    export = here / "export"
    shutil.copytree(ROOT / "samples" / "eml", export)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(here)
        _scan("export", "-f", "parquet", "-o", "old.parquet")
        _scan("export", "-f", "json", "-o", "old.json")
        removed = export / REMOVED
        assert removed.exists()
        removed.unlink()
        raw = (export / ADDED).read_bytes()
        assert b"Message-ID: <" in raw
        added = export / "Exchange" / "bethan.hartigan@tracecall.co.uk" / "Inbox" / "added.eml"
        added.parent.mkdir(parents=True, exist_ok=True)
        added.write_bytes(raw.replace(b"Message-ID: <", b"Message-ID: <next-month.", 1))
        _scan("export", "-f", "parquet", "-o", "new.parquet")
    return here


def _diff(audits: Path, *args: str) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(audits)
        res = runner.invoke(app, ["diff", *args])
    return res.exit_code, res.output


def test_one_message_added_and_one_removed(audits: Path) -> None:
    code, text = _diff(audits, "old.parquet", "new.parquet", "-f", "json")
    assert code == 1  # new findings
    doc = json.loads(text)
    new = [f for f in doc["findings"] if f["change"] == "new"]
    gone = [f for f in doc["findings"] if f["change"] == "gone"]
    assert new and gone
    assert {f["locator"] for f in new} == {
        "export/Exchange/bethan.hartigan@tracecall.co.uk/Inbox/added.eml"}
    assert {f["custodian"] for f in new} == {"bethan.hartigan@tracecall.co.uk"}
    assert doc["by_custodian"]["bethan.hartigan@tracecall.co.uk"]["new"] == len(new)
    assert doc["by_custodian"]["sean.lefevre@tracecall.co.uk"]["gone"] == len(gone)
    assert {f["locator"] for f in gone} == {f"export/{REMOVED}"}
    old = json.loads((audits / "old.json").read_text(encoding="utf-8"))["findings"]
    assert doc["summary"] == {"new": len(new), "gone": len(gone),
                              "unchanged": len(old) - len(gone)}
    totals = {k: sum(v[k] for v in doc["by_consumer_domain"].values()) for k in ("new", "gone")}
    assert totals["new"] >= len(new) and totals["gone"] >= len(gone)
    assert sum(v["unchanged"] for v in doc["by_custodian"].values()) == len(old) - len(gone)
    check_golden(GOLDEN / "diff" / "samples.json", text)


def test_text_output_matches_its_golden_file(audits: Path) -> None:
    code, text = _diff(audits, "old.parquet", "new.parquet")
    assert code == 1
    check_golden(GOLDEN / "diff" / "samples.txt", text)


def test_a_scan_json_compares_like_its_parquet(audits: Path) -> None:
    _, from_parquet = _diff(audits, "old.parquet", "new.parquet", "-f", "json")
    _, from_json = _diff(audits, "old.json", "new.parquet", "-f", "json")
    assert json.loads(from_json)["findings"] == json.loads(from_parquet)["findings"]
    code, same = _diff(audits, "old.json", "old.parquet", "-f", "json")
    assert code == 0 and json.loads(same)["summary"]["new"] == 0
    assert json.loads(same)["summary"]["gone"] == 0


@pytest.mark.parametrize(("content", "words"), [
    (b"not json at all", "not a scan's JSON or Parquet findings file"),
    (b'{"schema_version": 1}', "no findings list"),
    (b'{"schema_version": 7, "findings": []}', "schema version 7"),
    (b"PAR1 and then garbage", "cannot read it as Parquet"),
])
def test_a_file_that_is_not_a_findings_file_is_one_line(audits: Path, tmp_path: Path,
                                                        content: bytes, words: str) -> None:
    bad = tmp_path / "bad"
    bad.write_bytes(content)
    code, out = _diff(audits, "old.parquet", str(bad))
    assert code == 2
    (line,) = out.strip().splitlines()
    assert line.startswith("tracecheck: error: ") and words in line


def test_a_log_table_is_not_a_findings_file(audits: Path, tmp_path: Path) -> None:
    table = tmp_path / "events.parquet"
    res = runner.invoke(app, ["logs", str(ROOT / "samples" / "logs"), "-f", "parquet", "-o",
                              str(table)])
    assert res.exit_code == 0, res.output
    code, out = _diff(audits, "old.parquet", str(table))
    assert code == 2 and "not a findings file" in out and "logs.events" in out
