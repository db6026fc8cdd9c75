"""Containment tracking (issue 17, step 3): dated requests and answers per consumer mailbox,
with history; the worklist shows the current status and the ICO report counts them."""

from __future__ import annotations

import case_scenario as sc
import pytest
from typer.testing import CliRunner

from tracecheck import api
from tracecheck.cli import app


@pytest.fixture
def case(tmp_path):
    sc.build_case(tmp_path / "case", decide=False).close()
    return tmp_path / "case"


def _status(case, tmp_path) -> dict[str, tuple[str, str]]:
    api.worklist(case, "recipients", "json", tmp_path / "r.json", reveal=True, who="t")
    import json

    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    return {r["address"]: (r["containment_status"], r["status_date"]) for r in rows}


def test_marks_are_dated_kept_in_history_and_the_latest_is_the_status(case, tmp_path):
    assert _status(case, tmp_path)[sc.JANE] == ("not contacted", "")
    runner = CliRunner(env={"TRACECHECK_USER": "dpo"})
    for status, note in (("requested", "emailed"), ("no-response", "chased twice"),
                         ("deleted", "confirmed in writing")):
        done = runner.invoke(app, ["contain", "mark", sc.JANE.upper(), "--case", str(case),
                                   "--status", status, "--note", note])
        assert done.exit_code == 0, done.output
    history = api.contain_history(case, sc.JANE, reveal=True)
    assert [(r.status.value, r.note, r.who) for r in history] == [
        ("requested", "emailed", "dpo"), ("no-response", "chased twice", "dpo"),
        ("deleted", "confirmed in writing", "dpo")]
    assert all(r.at.endswith("Z") for r in history)
    assert _status(case, tmp_path)[sc.JANE] == ("deleted", history[-1].at)
    assert _status(case, tmp_path)[sc.BOB] == ("not contacted", "")
    masked = runner.invoke(app, ["contain", "history", "--case", str(case)])
    assert "j***@gmail.com" in masked.output and sc.JANE not in masked.output


def test_the_report_counts_mailboxes_by_status_with_first_and_last_confirmation(case):
    api.contain_mark(case, sc.JANE, "requested", who="dpo")
    api.contain_mark(case, sc.BOB, "requested", who="dpo")
    api.contain_mark(case, sc.BOB, "refused", note="will not delete", who="dpo")
    import json

    doc = json.loads(api.report(case, fmt=api.IcoFormat.JSON))
    section = doc["ico"]["containment"]
    assert section["by_status"] == {"requested": 1, "deleted": 0, "refused": 1,
                                    "no-response": 0, "not contacted": 0}
    assert section["records"] == 3 and section["first_confirmed"] is None
    api.contain_mark(case, sc.JANE, "deleted", who="dpo")
    section = json.loads(api.report(case, fmt=api.IcoFormat.JSON))["ico"]["containment"]
    assert section["by_status"]["deleted"] == 1
    assert section["first_confirmed"] == section["last_confirmed"] is not None


def test_an_unknown_address_or_status_is_one_line_and_exit_2(case):
    runner = CliRunner()
    for args in (["nobody@gmail.com", "--status", "deleted"],
                 [sc.JANE, "--status", "gone"]):
        done = runner.invoke(app, ["contain", "mark", *args, "--case", str(case)])
        assert done.exit_code == 2 and len(done.output.strip().splitlines()) == 1, done.output
    assert api.contain_history(case) == []


def test_history_masks_notes_and_a_refused_address_is_not_echoed_in_full(case):
    runner = CliRunner(env={"TRACECHECK_USER": "dpo"})
    note = "Jane Example on 07700 900123 confirmed, NHS 401 023 2137 deleted"
    assert runner.invoke(app, ["contain", "mark", sc.JANE, "--case", str(case), "--status",
                               "deleted", "--note", note]).exit_code == 0
    masked = runner.invoke(app, ["contain", "history", "--case", str(case)]).output
    assert "Jane" not in masked and "900123" not in masked and "2137" not in masked
    revealed = runner.invoke(app, ["contain", "history", "--case", str(case), "--reveal"])
    assert note in revealed.output
    refused = runner.invoke(app, ["contain", "mark", "someone.private@gmail.com", "--case",
                                  str(case), "--status", "deleted"])
    assert refused.exit_code == 2 and "someone.private" not in refused.output
    assert "s***@gmail.com" in refused.output
