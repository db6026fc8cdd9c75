"""`tracecheck logs` as a user runs it: the JSON document keeps its skipped lines, CSV is rows
only, and nothing to read is an error (issue 14, item 12)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import eml
from tracecheck.cli import app

runner = CliRunner()

POSTFIX = (
    "Jan 11 09:30:01 mx1 postfix/qmgr[211]: 4F2A1B: from=<agent@tracecall.co.uk>, size=2048, "
    "nrcpt=1 (queue active)\n"
    "this line is damaged and is not a syslog line at all\n"
    "Jan 11 09:30:02 mx1 postfix/smtp[212]: 4F2A1B: to=<sam.j@gmail.com>, relay=gmail, "
    "delay=1, dsn=2.0.0, status=sent (250 2.0.0 OK)\n"
)


def _logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "mail.log").write_text(POSTFIX, encoding="utf-8")
    return folder


def test_json_is_one_document_with_rows_and_skipped_lines(tmp_path: Path) -> None:
    folder = _logs(tmp_path)
    res = runner.invoke(app, ["logs", str(folder), "--format", "json", "--log-year", "2021"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert list(doc) == ["view", "rows", "skipped"]
    assert doc["view"] == "events"
    assert [(r["sender"], r["recipient"], r["status"]) for r in doc["rows"]] == [
        ("agent@tracecall.co.uk", "sam.j@gmail.com", "delivered")]
    assert doc["skipped"] == [{"locator": f"{folder / 'mail.log'}:2", "part": None,
                               "kind": "malformed-log-line", "reason": "not a syslog line"}]


def test_csv_is_rows_only(tmp_path: Path) -> None:
    folder = _logs(tmp_path)
    res = runner.invoke(app, ["logs", str(folder), "--log-year", "2021"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["recipient"] for r in rows] == ["sam.j@gmail.com"]
    assert "1 malformed-log-line" in res.stderr


def test_summary_views_in_json_too(tmp_path: Path) -> None:
    folder = _logs(tmp_path)
    res = runner.invoke(app, ["logs", str(folder), "--format", "json", "--view", "by_sender",
                              "--log-year", "2021"])
    doc = json.loads(res.stdout)
    assert doc["view"] == "by_sender" and doc["rows"][0]["sender"] == "agent@tracecall.co.uk"
    assert len(doc["skipped"]) == 1


def test_nothing_to_read_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    res = runner.invoke(app, ["logs", str(tmp_path / "empty")])
    assert res.exit_code == 2
    assert res.stdout == ""
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("tracecheck: error: no mail-server log file")
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "case.eml").write_bytes(eml())
    res = runner.invoke(app, ["logs", str(tmp_path / "mail"), "--format", "json"])
    assert res.exit_code == 2 and res.stdout == ""
    assert "no mail-server log file" in res.stderr
