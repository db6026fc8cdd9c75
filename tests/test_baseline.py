"""Baselines as a CI user meets them: create, scan with it, update, audit, broken files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import eml, mbox_of
from tracecheck import api
from tracecheck.baseline import (
    Accepted,
    Baseline,
    PackStamp,
    apply_baseline,
    load_baseline,
    new_baseline,
    update_baseline,
    write_baseline,
)
from tracecheck.cli import app
from tracecheck.errors import UsageError
from tracecheck.model import BaselineApplied, Severity

runner = CliRunner()
ORG = ["--org-domain", "tracecall.co.uk"]
OLD = eml(body="NHS number 943 476 5919, PCR positive")
NEW = eml(body="NHS number 401 023 2137, LFD negative", msgid="<m2@tracecall.co.uk>")
SECRETS = ("9434765919", "943 476 5919", "4010232137", "401 023 2137", "positive",
           "p*******", "943 ***")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def box(tmp_path: Path) -> Path:
    p = tmp_path / "fixtures.mbox"
    p.write_bytes(mbox_of(OLD))
    return p


def _scan(path: Path) -> api.ScanResult:
    return api.scan([str(path)], api.ScanOptions(org_domains=("tracecall.co.uk",)))


def test_create_writes_hashes_and_locators_only(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "base.json"
    code, text = run("baseline", "create", str(box), "--output", str(out), *ORG,
                     "--reason", "synthetic fixture", "--who", "ci-bot")
    assert code == 0, text
    assert text.strip() == f"baseline: 2 findings accepted from 1 messages -> {out}"
    raw = out.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in raw
    doc = json.loads(raw)
    assert doc["schema_version"] == 1 and doc["generated_from"] == [str(box)]
    assert doc["rules"][0]["pack"] == "uk-health"
    assert {e["rule"] for e in doc["accepted"]} == {"nhs-number", "covid-test-result"}
    entry = doc["accepted"][0]
    assert list(entry) == ["fingerprint", "rule", "locator", "part", "flow", "reason",
                           "accepted_by", "accepted_at"]
    assert entry["locator"] == f"{box}@0" and entry["flow"] == "to-consumer"
    assert entry["reason"] == "synthetic fixture" and entry["accepted_by"] == "ci-bot"
    fps = {f.fingerprint for f in _scan(box).findings}
    assert load_baseline(out).fingerprints == fps


def test_scan_with_baseline_leaves_only_new_findings(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "base.json"
    assert run("baseline", "create", str(box), "-o", str(out), *ORG)[0] == 0
    baseline = load_baseline(out)
    assert api.failing(apply_baseline(_scan(box), baseline), Severity.LOW) == []
    # A new message lands before the accepted one: offsets move, fingerprints do not.
    box.write_bytes(mbox_of(NEW, OLD))
    result = apply_baseline(_scan(box), baseline)
    assert {(f.rule, f.locator) for f in result.findings} == {
        ("nhs-number", f"{box}@0"), ("covid-test-result", f"{box}@0")}
    assert all(f.message_id == "<m2@tracecall.co.uk>" for f in result.findings)
    assert result.options.baseline == BaselineApplied(file=str(out), accepted=2, suppressed=2,
                                                      not_found=0)


def test_scan_exit_codes_with_baseline_and_exit_zero(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "base.json"
    assert run("baseline", "create", str(box), "-o", str(out), *ORG)[0] == 0
    assert run("scan", str(box), *ORG)[0] == 1
    assert run("scan", str(box), *ORG, "--baseline", str(out))[0] == 0
    box.write_bytes(mbox_of(OLD, NEW))
    assert run("scan", str(box), *ORG, "--baseline", str(out))[0] == 1
    assert run("scan", str(box), *ORG, "--baseline", str(out), "--exit-zero")[0] == 0
    code, text = run("scan", str(box), *ORG, "--baseline", str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json" in text


def test_update_adds_new_drops_gone_and_keeps_reasons(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "base.json"
    assert run("baseline", "create", str(box), "-o", str(out), *ORG,
               "--reason", "first batch", "--who", "ana")[0] == 0
    box.write_bytes(mbox_of(NEW, OLD))
    code, text = run("baseline", "update", "-b", str(out), *ORG, "--reason", "second batch",
                     "--who", "ben")
    assert code == 0, text
    assert text.strip() == f"baseline: 2 added, 0 removed, 2 kept -> {out}"
    entries = load_baseline(out).accepted
    assert {(a.reason, a.accepted_by) for a in entries} == {("first batch", "ana"),
                                                            ("second batch", "ben")}
    kept = [a for a in entries if a.reason == "first batch"]
    assert kept and all(a.locator != f"{box}@0" for a in kept)  # moved with the message
    box.write_bytes(mbox_of(NEW))
    code, text = run("baseline", "update", "-b", str(out), *ORG)
    assert text.strip() == f"baseline: 0 added, 2 removed, 2 kept -> {out}"
    assert {a.reason for a in load_baseline(out).accepted} == {"second batch"}


def test_update_library_reports_changes(box: Path) -> None:
    first = new_baseline(_scan(box), [str(box)], reason="r1", who="w", now="2021-01-01T00:00:00Z")
    assert {a.accepted_at for a in first.accepted} == {"2021-01-01T00:00:00Z"}
    box.write_bytes(mbox_of(NEW))
    change = update_baseline(first, _scan(box), [str(box)], reason="r2", who="w2")
    assert len(change.added) == 2 and len(change.removed) == 2 and not change.kept
    assert change.baseline.fingerprints == {a.fingerprint for a in change.added}


def test_audit_lists_what_was_accepted_and_why(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "base.json"
    run("baseline", "create", str(box), "-o", str(out), *ORG, "--reason", "synthetic fixture",
        "--who", "ci-bot")
    code, text = run("baseline", "audit", str(out))
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith(f"{out}: 2 accepted findings (tracecheck ")
    assert lines[1] == f"generated from: {box}"
    assert lines[2].split() == ["2", "synthetic", "fixture"]
    assert any("nhs-number" in line and f"{box}@0#1" in line for line in lines)
    assert sum("by ci-bot: synthetic fixture" in line for line in lines) == 2
    for secret in SECRETS:
        assert secret not in text


def test_create_refuses_to_overwrite_without_force(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "base.json"
    out.write_text("{}", encoding="utf-8")
    code, text = run("baseline", "create", str(box), "-o", str(out), *ORG)
    assert code == 2
    assert "already exists" in text and "baseline update" in text
    assert run("baseline", "create", str(box), "-o", str(out), *ORG, "--force")[0] == 0
    assert len(load_baseline(out).accepted) == 2


FP = "a" * 64
BROKEN = [
    ("not json", "{", "invalid JSON at line 1"),
    ("list", "[]", "the top level must be a JSON object"),
    ("old schema", '{"schema_version": 0, "accepted": []}', "schema_version 0 is not supported"),
    ("no accepted", '{"schema_version": 1}', "`accepted` must be a list"),
    ("bad fp", '{"schema_version": 1, "accepted": [{"fingerprint": "abc"}]}',
     "accepted[0].fingerprint must be 64 lower-case hex digits"),
    ("value", json.dumps({"schema_version": 1, "accepted": [{"fingerprint": FP, "value": "1"}]}),
     "accepted[0] holds `value`"),
    ("bad reason",
     json.dumps({"schema_version": 1, "accepted": [{"fingerprint": FP, "reason": 3}]}),
     "accepted[0].reason must be a string"),
]


@pytest.mark.parametrize(("name", "text", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_baselines_give_one_line_errors_naming_the_file(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as err:
        load_baseline(path)
    assert str(err.value).startswith(f"{path}: not a usable tracecheck baseline: ")
    assert message in str(err.value) and "\n" not in str(err.value)
    code, out = run("baseline", "audit", str(path))
    assert code == 2 and out.strip() == f"tracecheck: error: {err.value}"


def test_missing_baseline_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cannot read baseline .*nope\.json: No such file"):
        load_baseline(tmp_path / "nope.json")


def test_minimal_hand_written_baseline_loads(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"schema_version": 1, "accepted": [{"fingerprint": FP}]}),
                    encoding="utf-8")
    b = load_baseline(path)
    assert b.fingerprints == frozenset({FP}) and b.accepted[0].reason == ""


def test_pre_commit_hook_runs_the_gate_on_staged_mail(box: Path, tmp_path: Path) -> None:
    import re
    import shlex

    import yaml

    from tests.conftest import ROOT

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "tracecheck" and hook["language"] == "python"
    assert hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    assert all(files.search(n) for n in ("a.eml", "dir/b.mbox", "C.MSG"))
    assert not any(files.search(n) for n in ("a.eml.txt", "notes.md", "mbox.py"))
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["tracecheck", "scan"] and "--fail-on" in entry
    # pre-commit runs: entry, then the hook's args, then the staged file names.
    assert runner.invoke(app, [*entry[1:], *ORG, str(box)]).exit_code == 1
    clean = tmp_path / "clean.eml"
    clean.write_bytes(eml(body="Thanks for the positive feedback on the rota."))
    assert runner.invoke(app, [*entry[1:], *ORG, str(clean)]).exit_code == 0


def test_update_without_a_baseline_says_how_to_make_one(box: Path, tmp_path: Path) -> None:
    code, text = run("baseline", "update", str(box), "-b", str(tmp_path / "none.json"))
    assert code == 2
    assert text.strip() == (f"tracecheck: error: {tmp_path / 'none.json'} does not exist; make "
                            "one with `tracecheck baseline create PATH... --output FILE`")


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_entry = st.builds(
    Accepted,
    fingerprint=st.text("0123456789abcdef", min_size=64, max_size=64),
    rule=_text, locator=_text, part=_text, flow=_text, reason=_text, accepted_by=_text,
    accepted_at=_text,
)


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(_entry, max_size=5), paths=st.lists(_text, max_size=3))
def test_written_baselines_read_back_unchanged(
    tmp_path_factory: pytest.TempPathFactory, entries: list[Accepted], paths: list[str]
) -> None:
    path = tmp_path_factory.mktemp("rt") / "b.json"
    original = Baseline(tool_version="1.2.3", generated_from=tuple(paths),
                        rules=(PackStamp("uk-health", "2.0.0", "ab" * 32),),
                        accepted=tuple(entries), path=str(path))
    write_baseline(original, path)
    assert load_baseline(path) == original
