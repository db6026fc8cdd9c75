"""`tracecheck review` and `tracecheck report` as a reviewer uses them."""

from __future__ import annotations

import json
import stat

import pytest
from case_scenario import FP_M1_NHS, FP_M2, JANE, NHS1, build_case
from typer.testing import CliRunner

from tracecheck.case import CaseStore, Decision

cli = pytest.importorskip("tracecheck.cli")
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(cli.app, list(args), env=env)


@pytest.fixture
def case(tmp_path):
    build_case(tmp_path / "case", decide=False).close()
    return tmp_path / "case"


def test_list_shows_masked_findings(case):
    res = run("review", "--case", str(case))
    assert res.exit_code == 0, res.output
    assert "10 finding(s)" in res.output  # 12 findings, 2 on an identical copy
    assert FP_M1_NHS[:12] in res.output
    assert "j***@gmail.com" in res.output
    assert JANE not in res.output and NHS1 not in res.output


def test_mark_by_fingerprint_prefix_then_list_by_status(case):
    res = run("review", "--case", str(case), "mark", "confirmed", "--fingerprint",
              FP_M1_NHS[:12], "--reason", "matches case list", "--who", "kim")
    assert res.exit_code == 0, res.output
    assert "marked 1 finding(s) confirmed" in res.output
    res = run("review", "--case", str(case), "list", "--status", "confirmed", "--format", "json")
    rows = json.loads(res.output)
    assert [(r["fingerprint"], r["who"], r["reason"]) for r in rows] == [
        (FP_M1_NHS, "kim", "matches case list")
    ]
    assert "value" not in rows[0]


def test_bulk_mark_by_rule_uses_user_from_environment(case):
    res = run("review", "--case", str(case), "mark", "false-positive", "--rule", "symptom",
              "--reason", "generic wording", env={"USER": "dpo-team"})
    assert res.exit_code == 0, res.output
    store = CaseStore.open(case)
    decided = [d for d in store.decisions().values() if d.decision is Decision.FALSE_POSITIVE]
    assert [d.who for d in decided] == ["dpo-team"]
    store.close()
    hist = run("review", "--case", str(case), "history")
    assert "false-positive" in hist.output and "dpo-team: generic wording" in hist.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mark", "confirmed", "--rule", "symptom"], "mark needs --reason"),
        (["mark", "--rule", "symptom", "--reason", "x"], "mark needs a decision"),
        (["mark", "confirmed", "--reason", "x"], "choose findings"),
        (["mark", "maybe", "--rule", "symptom", "--reason", "x"], "unknown decision 'maybe'"),
        (["mark", "confirmed", "--fingerprint", "abc", "--reason", "x"], "too short"),
        (["mark", "confirmed", "--rule", "no-such-rule", "--reason", "x"], "no finding matches"),
    ],
)
def test_review_mistakes_are_one_line_errors_with_exit_2(case, args, message):
    res = run("review", "--case", str(case), *args)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_review_of_a_missing_case_is_an_error(tmp_path):
    res = run("review", "--case", str(tmp_path / "nope"))
    assert res.exit_code == 2 and "no case at" in res.output
    assert not (tmp_path / "nope").exists()


def test_report_writes_a_private_file(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no tracecheck.toml here: every answer becomes a prompt
    out = tmp_path / "ico.json"
    res = run("report", "--case", str(case), "--format", "json", "--output", str(out))
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text())
    assert data["summary"]["messages_flagged"] == 4  # nothing reviewed yet
    assert data["ico"]["about_report"]["organisation"] == ""
    assert NHS1 not in out.read_text()


def test_report_with_a_broken_config_names_the_key(case, tmp_path):
    cfg = tmp_path / "tracecheck.toml"
    cfg.write_text('[incident]\ndiscoverd_at = "2021-03-10T09:00:00Z"\n')
    res = run("report", "--case", str(case), "--config", str(cfg))
    assert res.exit_code == 2
    assert "incident.discoverd_at: unknown key" in res.output


@pytest.mark.parametrize("command", ["review", "report"])
def test_commands_have_help(command):
    res = run(command, "--help")
    assert res.exit_code == 0 and "--case" in res.output


def test_list_by_status_takes_every_decision_name(tmp_path):
    build_case(tmp_path / "case").close()  # one confirmed, one false positive, one needs-review

    def listed(status: str) -> list[dict[str, object]]:
        res = run("review", "--case", str(tmp_path / "case"), "list", "--status", status,
                  "--format", "json")
        assert res.exit_code == 0, res.output
        return json.loads(res.output)

    needs = listed("needs-review")
    assert [(r["fingerprint"], r["decision"], r["status"]) for r in needs] == [
        (FP_M2, "needs-review", "unreviewed")]
    unreviewed = listed("unreviewed")  # as reports count them: no decision, or needs-review
    assert FP_M2 in {r["fingerprint"] for r in unreviewed} and len(unreviewed) > 1
    assert [r["fingerprint"] for r in listed("confirmed")] == [FP_M1_NHS]
    assert [r["decision"] for r in listed("false-positive")] == ["false-positive"]
    bad = run("review", "--case", str(tmp_path / "case"), "list", "--status", "maybe")
    assert bad.exit_code == 2 and "needs-review" in bad.output
