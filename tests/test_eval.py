"""Measured quality: the scoring functions and `scripts/eval.py` (what `make eval` runs)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tracecheck.evaluation import (
    MessageText,
    baseline_numbers,
    evaluate_baseline,
    score,
)
from tracecheck.rules.validators import mod11_valid

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "eval.py"


def _label(mid: str, shape: str, positive: bool, flow: str = "to-consumer",
           rules: tuple[str, ...] = ()) -> dict[str, object]:
    return {"message_id": mid, "shape": shape, "flow": flow, "positive": positive,
            "test_data": False, "rules": list(rules)}


# A hand-made labelled set: 943 476 5919 is the published valid NHS number example (mod-11
# sum 299, remainder 2, check 9); 943 476 5918 is the same number with a wrong check digit.
HAND_MADE = [
    (MessageText("<a>", "to-consumer", "NHS number 943 476 5919, PCR positive"),
     _label("<a>", "case", True, rules=("covid-test-result", "nhs-number"))),
    (MessageText("<b>", "to-consumer", "Order number 9434765919 confirmed"),
     _label("<b>", "order", False)),
    (MessageText("<c>", "from-consumer", "Her lateral flow was positive"),
     _label("<c>", "result-only", True, "from-consumer", ("covid-test-result",))),
    (MessageText("<d>", "to-consumer", "Reference 943-476-5918, please quote it"),
     _label("<d>", "bad-check", False)),
    (MessageText("<e>", "internal", "NHS number 943.476.5919, PCR positive"),
     _label("<e>", "internal", False, "internal", ("covid-test-result", "nhs-number"))),
    (MessageText("<f>", "to-consumer", "Mob: 09434765919 after six"),
     _label("<f>", "phone", False)),
    (MessageText("<g>", "consumer-to-consumer", "Test data 999 000 0018 for the demo"),
     {**_label("<g>", "test-range", False, "consumer-to-consumer", ("nhs-number",)),
      "test_data": True}),
]


def test_mod11_accepts_the_published_example_and_rejects_a_wrong_check_digit() -> None:
    assert mod11_valid("9434765919")
    assert not mod11_valid("9434765918")
    assert not mod11_valid("943476591")  # nine digits
    assert baseline_numbers("a 943 476 5919 b 943-476-5919 c 9434765919 d 943.476.5919") == [
        "9434765919"] * 4
    # Mixed separators, and ten digits inside a longer run, are not numbers to the baseline.
    assert baseline_numbers("943 476-5919 and 19434765919 and 94347659190") == []


def test_baseline_scores_the_hand_made_set() -> None:
    texts = [t for t, _ in HAND_MADE]
    labels = [lbl for _, lbl in HAND_MADE]
    ev = evaluate_baseline(texts, labels)
    # <a> found; <b> an order number flagged; <c> no number so missed; <d> fails mod-11;
    # <e> is internal; <f> is 11 digits; <g> the 999 test range passes mod-11 and is flagged.
    assert (ev.true_positives, ev.false_positives, ev.false_negatives) == (1, 2, 1)
    assert ev.precision == pytest.approx(1 / 3) and ev.recall == pytest.approx(1 / 2)
    assert sorted((m.kind, m.shape) for m in ev.misses) == [
        ("false-negative", "result-only"), ("false-positive", "order"),
        ("false-positive", "test-range")]
    by_shape = {s.shape: s for s in ev.shape_scores}
    assert by_shape["order"].false_positives == 1 and not by_shape["order"].clean
    assert by_shape["phone"].clean and by_shape["internal"].clean
    assert ev.rule_scores == ()  # the baseline has no rule ids to compare


def test_score_compares_rule_sets_and_builds_per_rule_tables() -> None:
    labels = [lbl for _, lbl in HAND_MADE]
    fired = {"<a>": {"nhs-number"}, "<c>": {"covid-test-result"}, "<b>": {"nhs-number"},
             "<e>": {"covid-test-result", "nhs-number"}}
    ev = score(labels, predicted={"<a>", "<c>"}, rules=fired,
               flows={"<a>": {"to-consumer"}, "<e>": {"non-consumer"}, "<c>": {"to-consumer"}})
    assert (ev.true_positives, ev.false_positives, ev.false_negatives) == (2, 0, 0)
    rules = {r.rule: r for r in ev.rule_scores}
    assert (rules["nhs-number"].true_positives, rules["nhs-number"].false_positives,
            rules["nhs-number"].false_negatives) == (2, 1, 1)
    assert rules["covid-test-result"].false_negatives == 1  # <a> lacked it
    assert rules["covid-test-result"].recall == pytest.approx(2 / 3)
    kinds = sorted((m.kind, m.message_id) for m in ev.misses)
    # <a> missed a rule, <b> fired one it should not, <c> is a flow miss (label from-consumer),
    # <g> expected nhs-number as test data and nothing fired.
    assert kinds == [("flow", "<c>"), ("rules", "<a>"), ("rules", "<b>"), ("rules", "<g>")]


@pytest.fixture(scope="module")
def eval_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("eval") / "tmp"
    done = subprocess.run([sys.executable, str(SCRIPT), "--scale", "1", "--out", str(out)],
                          check=True, capture_output=True, text=True, cwd=REPO)
    assert (out / "labels.json").is_file()
    return done.stdout


def test_eval_script_prints_precision_and_recall_side_by_side(eval_output: str) -> None:
    lines = eval_output.splitlines()
    assert re.match(r"\d+ labelled messages, \d+ shapes", lines[0])
    for measure in ("precision", "recall"):
        row = next(line for line in lines if line.startswith(measure + " "))
        values = row.split()[1:]
        assert len(values) == 2 and all(re.fullmatch(r"[01]\.\d{3}", v) for v in values), row
    assert any(line.startswith("per-shape misses (pack)") for line in lines)


def test_eval_script_shows_what_context_buys(eval_output: str) -> None:
    """On the number traps the baseline flags every message; its recall misses the messages
    that carry health data but no number."""
    rows = {line.split()[0]: line.split() for line in eval_output.splitlines()
            if re.match(r"[a-z0-9-]+ +(positive|negative|flagged|test-data) +\d", line)}
    for trap in ("bare-mod11-number", "tel-number-mod11", "order-number-mod11-pass",
                 "nhs-test-range-training", "placeholder-nhs-number"):
        messages, baseline_fp = int(rows[trap][2]), int(rows[trap][7])
        assert messages >= 3 and baseline_fp == messages, trap
    assert int(rows["subject-only-result"][8]) == int(rows["subject-only-result"][3]) > 0


def test_eval_script_never_prints_identifier_values(eval_output: str) -> None:
    assert not re.search(r"(?<![\d.])\d{3}[ .-]?\d{3}[ .-]?\d{4}(?![\d.])", eval_output)


def test_eval_script_lists_a_miss_under_its_shape_and_variant(tmp_path: Path) -> None:
    """A label the scan cannot reproduce shows up as a miss of its shape, with its variant."""
    out = tmp_path / "corpus"
    subprocess.run([sys.executable, str(REPO / "samples" / "generate.py"), "--out", str(out)],
                   check=True, capture_output=True)
    doc = json.loads((out / "labels.json").read_text(encoding="utf-8"))
    victim = next(m for m in doc["messages"] if m["shape"] == "positive-feedback")
    victim.update(positive=True, rules=["symptom"])  # a wrong label: nothing there to find
    (out / "labels.json").write_text(json.dumps(doc), encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--no-generate"],
                          check=True, capture_output=True, text=True, cwd=REPO)
    misses = done.stdout.split("per-shape misses (pack)", 1)[1]
    block = misses.split("  positive-feedback\n", 1)[1]
    assert re.match(rf"    1 false-negative: expected consumer finding, got nothing "
                    rf"\(variants {victim['variant']}\)\n", block)
    assert f"1 rules: expected symptom, got none (variants {victim['variant']})" in block


def test_eval_script_counts_people_within_five_percent_of_the_labels(eval_output: str) -> None:
    line = next(x for x in eval_output.splitlines() if x.startswith("data subjects (persons)"))
    counted, labelled = (int(v) for v in re.findall(r"(?:counted|labelled) (\d+)", line))
    assert labelled > 100
    assert abs(counted - labelled) <= 0.05 * labelled, line
