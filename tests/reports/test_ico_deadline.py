"""The 72-hour clock (Art. 33(1)) and the report settings file it is read from."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "case"))
import case_scenario as sc  # noqa: E402

from tracecheck.case import CaseSnapshot  # noqa: E402
from tracecheck.errors import ConfigError  # noqa: E402
from tracecheck.reports.ico import IcoConfig, build, load_config, render  # noqa: E402


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    store = sc.build_case(tmp_path_factory.mktemp("dl") / "case")
    snap = store.snapshot()
    store.close()
    return snap


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tracecheck.toml"
    path.write_text(text, encoding="utf-8")
    return path


def deadline(snapshot, cfg):
    return json.loads(render(snapshot, cfg, "json"))["ico"]["deadline"]


def test_within_the_deadline_as_of_the_last_run(snapshot, tmp_path):
    # run ended 2021-03-12T10:05Z; aware 2021-03-11 09:00 London (GMT) -> 25.1 hours
    cfg = load_config(write(tmp_path, '[incident]\ndiscovered_at = "2021-03-11T09:00:00"\n'))
    d = deadline(snapshot, cfg)
    assert d["deadline"] == "2021-03-14T09:00:00+00:00"
    assert (d["status"], d["hours_elapsed"], d["delay_reason"]) == ("within", 25.1, None)
    assert "end of the case's last complete scan run" in d["as_of_source"]
    md = render(snapshot, cfg, "md")
    assert "within the deadline (1 day and 23 hours left)" in md
    assert "Reason for the delay" not in md


def test_past_the_deadline_asks_for_the_reason(snapshot, tmp_path):
    cfg = load_config(write(tmp_path, '[incident]\ndiscovered_at = 2021-03-05T08:00:00Z\n'))
    d = deadline(snapshot, cfg)
    assert d["status"] == "late" and d["hours_elapsed"] == 170.1
    assert d["delay_reason"] == ""
    md = render(snapshot, cfg, "md")
    assert "PAST the deadline by 4 days and 2 hours" in md
    assert "- **Reason for the delay:** [TO COMPLETE: REQUIRED" in md


def test_late_report_carries_the_given_reason(snapshot, tmp_path):
    cfg = load_config(write(tmp_path, (
        '[incident]\ndiscovered_at = "2021-03-05T08:00:00+00:00"\n'
        'delay_reason = "The export from Google Vault took four days."\n')))
    d = deadline(snapshot, cfg)
    assert d["delay_reason"] == "The export from Google Vault took four days."
    assert "- **Reason for the delay:** The export from Google Vault took four days." in render(
        snapshot, cfg, "md")


def test_reported_at_in_the_config_moves_the_check_time(snapshot):
    cfg = IcoConfig(discovered_at=datetime(2021, 3, 11, 9, tzinfo=UTC),
                    reported_at=datetime(2021, 3, 14, 10, tzinfo=UTC))
    d = deadline(snapshot, cfg)
    assert (d["status"], d["as_of_source"]) == ("late", "incident.reported_at in the configuration")


def test_no_discovery_time_is_a_prompt_not_a_guess(snapshot):
    report = build(snapshot, IcoConfig())
    section = next(s for s in report.sections if s.key == "deadline")
    assert section.data["status"] == "unknown"
    assert section.fields[0].missing


def test_british_summer_time_is_applied_to_a_naive_discovery_time(tmp_path):
    cfg = load_config(write(tmp_path, '[incident]\ndiscovered_at = "2021-06-01T09:00:00"\n'))
    assert cfg.discovered_at is not None
    assert cfg.discovered_at.utcoffset().total_seconds() == 3600


def test_settings_come_from_pyproject_when_there_is_no_tracecheck_toml(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.tracecheck.organisation]\nname = "Org Ltd"\n'
        'domains = ["org.example"]\n')
    assert load_config(cwd=tmp_path).organisation == "Org Ltd"
    (tmp_path / "tracecheck.toml").write_text('[organisation]\nname = "From toml"\n')
    assert load_config(cwd=tmp_path).organisation == "From toml"


def test_nothing_found_gives_empty_settings(tmp_path):
    assert load_config(cwd=tmp_path) == IcoConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[incident]\ndiscovered_at = "last tuesday"\n', "not an ISO 8601 time"),
        ('[incident]\nlikelihood = "maybe"\n', "incident.likelihood must be one of"),
        ('[incident]\nreport_type = "final"\n', "report_type must be 'initial' or 'follow-up'"),
        ('[measures]\ncontainment = 3\n', "measures.containment: expected a list of text"),
        ('[dpo]\nfax = "0"\n', "dpo.fax: unknown key"),
        ("[incident\n", "not valid TOML"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(write(tmp_path, text))


def test_missing_config_file_and_missing_pyproject_table(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"no \[tool.tracecheck\] table"):
        load_config(tmp_path / "pyproject.toml")


def test_in_memory_scan_has_no_run_so_no_check_time():
    cfg = IcoConfig(discovered_at=datetime(2021, 3, 11, 9, tzinfo=UTC))
    report = build(CaseSnapshot.from_scan(sc.scan_result()), cfg)
    assert report.deadline.late is None and report.deadline.deadline is not None


def test_the_shipped_example_settings_load():
    example = Path(__file__).resolve().parents[2] / "tracecheck.toml.example"
    cfg = load_config(example)
    assert cfg.organisation and cfg.discovered_at is not None and cfg.reported_at is None


def test_the_example_file_also_serves_the_scan_settings():
    scan_config = pytest.importorskip("tracecheck.config")
    example = Path(__file__).resolve().parents[2] / "tracecheck.toml.example"
    assert scan_config.load_scan_settings(example).org_domains == ("example.co.uk",)
