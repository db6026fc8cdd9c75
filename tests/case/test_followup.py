"""Follow-up reports (issue 17, step 4): every report kept in the case as figures and a text
hash; `report --type follow-up` states the ICO case reference and what changed."""

from __future__ import annotations

import hashlib
import json

import case_scenario as sc
from typer.testing import CliRunner

from tracecheck import api
from tracecheck.cli import app


def test_each_report_is_kept_and_a_follow_up_says_what_changed(tmp_path):
    sc.build_case(tmp_path / "case", decide=False).close()
    case = tmp_path / "case"
    (tmp_path / "t.toml").write_text('[incident]\nico_case_ref = "IC-123456-A1B2"\n')
    runner = CliRunner()
    first = runner.invoke(app, ["report", "--case", str(case), "-o", str(tmp_path / "r1.md")])
    assert first.exit_code == 0, first.output
    (kept,) = api.kept_reports(case)
    text = (tmp_path / "r1.md").read_bytes()
    assert kept.sha256 == hashlib.sha256(text).hexdigest() and kept.report_type == "initial"
    assert kept.figures["data_subjects_estimate"] == 4  # M4 unreviewed: counted
    api.review_mark(case, "false-positive", fingerprints=[sc.FP_M2], reason="not health",
                    who="analyst")
    api.contain_mark(case, sc.JANE, "deleted", note="confirmed", who="dpo")
    done = runner.invoke(app, ["report", "--case", str(case), "--type", "follow-up", "-f",
                               "json", "--config", str(tmp_path / "t.toml")])
    assert done.exit_code == 0, done.output
    doc = json.loads(done.output)
    assert doc["ico"]["about_report"]["report_type"] == "follow-up"
    assert doc["ico"]["about_report"]["ico_case_ref"] == "IC-123456-A1B2"
    changed = {f["figure"]: f["change"] for f in doc["ico"]["changes"]["figures"]}
    assert changed["findings_false_positive"] == 1
    assert changed["data_subjects_estimate"] == -1  # M2's person no longer counted
    assert changed["containment:deleted"] == 1 and changed["messages_scanned"] == 0
    assert doc["ico"]["changes"]["previous_report"] == kept.at
    assert [k.report_type for k in api.kept_reports(case)] == ["initial", "follow-up"]


def test_a_first_follow_up_says_nothing_was_reported_before(tmp_path):
    sc.build_case(tmp_path / "case").close()
    text = api.report(tmp_path / "case", follow_up=True)
    assert "No earlier report is kept in this case" in text
    assert "[TO COMPLETE: the ICO's case reference" in text
    assert api.kept_reports(tmp_path / "case") == []  # api.report only reads


def _changes(runner, case, fmt="json"):  # type: ignore[no-untyped-def]
    done = runner.invoke(app, ["report", "--case", str(case), "--type", "follow-up", "-f", fmt])
    assert done.exit_code == 0, done.output
    return done.output


def test_a_follow_up_drafted_in_two_formats_compares_both_with_the_report_before_it(tmp_path):
    """The md and html (or a re-draft) of one follow-up are one report: the second rendering
    still says what changed since the initial report, not "nothing" against the first."""
    sc.build_case(tmp_path / "case", decide=False).close()
    case = tmp_path / "case"
    runner = CliRunner()
    for fmt in ("md", "html"):  # what `make demo` drafts
        assert runner.invoke(app, ["report", "--case", str(case), "-f", fmt,
                                   "-o", str(tmp_path / f"r.{fmt}")]).exit_code == 0
    initial_at = api.kept_reports(case)[-1].at
    api.contain_mark(case, sc.JANE, "deleted", note="confirmed", who="dpo")
    _changes(runner, case, "md")
    _changes(runner, case, "md")  # drafted again, nothing new
    doc = json.loads(_changes(runner, case, "json"))
    changed = {f["figure"]: f["change"] for f in doc["ico"]["changes"]["figures"]}
    assert changed["containment:deleted"] == 1
    assert doc["ico"]["changes"]["previous_report"] == initial_at


def test_a_follow_up_with_nothing_new_compares_with_the_initial_report(tmp_path):
    sc.build_case(tmp_path / "case", decide=False).close()
    case = tmp_path / "case"
    runner = CliRunner()
    assert runner.invoke(app, ["report", "--case", str(case), "-o",
                               str(tmp_path / "r.md")]).exit_code == 0
    doc = json.loads(_changes(runner, case))
    assert doc["ico"]["changes"]["previous_report"] == api.kept_reports(case)[0].at
    assert all(f["change"] == 0 for f in doc["ico"]["changes"]["figures"])


def test_a_damaged_earlier_figure_is_unknown_not_zero(tmp_path):
    from tracecheck.case import CaseStore

    sc.build_case(tmp_path / "case", decide=False).close()
    case = tmp_path / "case"
    store = CaseStore.open(case, create=False)
    try:
        store.keep_report("initial", "md", {"messages_scanned": "ten", "records": 1}, "0" * 64)
    finally:
        store.close()
    doc = json.loads(api.report(case, fmt=api.IcoFormat.JSON, follow_up=True))
    figures = {f["figure"]: f for f in doc["ico"]["changes"]["figures"]}
    assert figures["messages_scanned"]["previous"] is None
    assert figures["messages_scanned"]["change"] is None
    assert figures["containment:deleted"]["change"] is None
    assert figures["records"]["previous"] == 1 and figures["records"]["change"] is not None
    md = api.report(case, follow_up=True)
    assert "| Messages scanned | unknown |" in md
