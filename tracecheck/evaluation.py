"""Scoring predictions against a labelled corpus (samples/labels.json): precision, recall, misses.

Owns the comparison only: a message is predicted positive when it has at least one finding on
a consumer flow (test data excluded); labels say whether it should be. Rule-level and
flow-level disagreements are listed, and scores are broken down per shape and per rule. Also
owns the plain baseline the pack is measured against ("any mod-11-valid 10-digit number on a
consumer flow is a breach", what a checksum-only detector reports), as a pure function of
message text. Never reads mail and never scans anything itself: callers pass a `ScanResult`
or the texts they extracted.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tracecheck.findings import counts
from tracecheck.model import Finding, ScanResult
from tracecheck.rules.validators import mod11_valid

CONSUMER_FLOWS = frozenset({"to-consumer", "from-consumer", "consumer-to-consumer"})


@dataclass(frozen=True)
class Miss:
    """One label the predictions did not reproduce."""

    kind: str
    """`false-negative`, `false-positive`, `rules` or `flow`."""
    shape: str
    message_id: str
    expected: str
    got: str


@dataclass(frozen=True)
class ShapeScore:
    """Message-level counts for one shape of the labelled corpus."""

    shape: str
    messages: int
    positives: int
    """Messages of the shape labelled positive (health data on a consumer flow)."""
    true_positives: int
    false_positives: int
    false_negatives: int
    rule_mismatches: int = 0
    """Messages whose set of fired rules differs from the label (only when rules are known)."""

    @property
    def clean(self) -> bool:
        """True when every message of the shape was scored as labelled."""
        return not (self.false_positives or self.false_negatives or self.rule_mismatches)


class Scores:
    """Precision and recall from true/false positive and false negative counts."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was predicted."""
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 1.0 when there is nothing to find."""
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0


@dataclass(frozen=True)
class RuleScore(Scores):
    """Message-level counts for one rule id: labelled to fire vs fired."""

    rule: str
    true_positives: int
    false_positives: int
    false_negatives: int


@dataclass(frozen=True)
class Evaluation(Scores):
    """Scores over a labelled set."""

    messages: int
    true_positives: int
    false_positives: int
    false_negatives: int
    misses: tuple[Miss, ...] = field(default_factory=tuple)
    shapes: int = 0
    shape_scores: tuple[ShapeScore, ...] = ()
    """One row per shape, in first-seen label order."""
    rule_scores: tuple[RuleScore, ...] = ()
    """One row per rule id seen in labels or findings, sorted (empty when rules are unknown)."""


@dataclass(frozen=True)
class MessageText:
    """What the baseline sees of one message: its id, its flow and all its decoded text."""

    message_id: str
    flow: str
    text: str


def load_labels(path: str | Path) -> list[dict[str, object]]:
    """The `messages` list of a labels file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return list(data["messages"])


@dataclass(frozen=True, slots=True)
class PersonCount:
    """Data subjects as counted (the ICO report's linked persons) against the labels."""

    counted: int
    labelled: int

    @property
    def error(self) -> float:
        """(counted − labelled) / labelled; 0 when nothing is labelled and nothing counted."""
        if not self.labelled:
            return 0.0 if not self.counted else 1.0
        return (self.counted - self.labelled) / self.labelled

    def line(self) -> str:
        """One printed line: `data subjects (persons): counted 136, labelled 136 (+0.0%)`."""
        return (f"data subjects (persons): counted {self.counted}, labelled {self.labelled} "
                f"({self.error:+.1%})")


def labelled_persons(labels: Iterable[Mapping[str, object]]) -> int:
    """Distinct people the labels say the positive messages carry health data about."""
    keys: set[str] = set()
    for label in labels:
        persons = label.get("persons", [])
        if label.get("positive") and isinstance(persons, list):
            keys.update(str(k) for k in persons)
    return len(keys)


def _label_rules(label: Mapping[str, object]) -> list[str]:
    value = label.get("rules", [])
    return sorted(str(r) for r in value) if isinstance(value, list) else []


def score(
    labels: Iterable[Mapping[str, object]],
    predicted: Collection[str],
    rules: Mapping[str, Collection[str]] | None = None,
    flows: Mapping[str, Collection[str]] | None = None,
) -> Evaluation:
    """Score message-level predictions (Message-IDs predicted positive) against labels.

    With `rules` (Message-ID → rule ids fired), rule-set disagreements become `rules` misses and
    a per-rule table is built; with `flows` (Message-ID → flows seen), a label flow that was not
    seen becomes a `flow` miss (`non-consumer` stands for internal and external-other).
    """
    tp = fp = fn = 0
    misses: list[Miss] = []
    per_shape: dict[str, list[int]] = {}
    per_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    labels = list(labels)
    for label in labels:
        mid = str(label["message_id"])
        shape = str(label.get("shape", ""))
        row = per_shape.setdefault(shape, [0, 0, 0, 0, 0, 0])
        row[0] += 1
        positive = bool(label["positive"])
        hit = mid in predicted
        got_rules = sorted(rules.get(mid, ())) if rules is not None else []
        if positive:
            row[1] += 1
        if positive and hit:
            tp += 1
            row[2] += 1
        elif positive:
            fn += 1
            row[4] += 1
            misses.append(Miss("false-negative", shape, mid, "consumer finding",
                               ",".join(got_rules) or "nothing"))
        elif hit:
            fp += 1
            row[3] += 1
            misses.append(Miss("false-positive", shape, mid, "no consumer finding",
                               ",".join(got_rules)))
        if rules is not None:
            want = _label_rules(label)
            if want != got_rules:
                row[5] += 1
                misses.append(Miss("rules", shape, mid, ",".join(want) or "none",
                                   ",".join(got_rules) or "none"))
            for rule in set(want) | set(got_rules):
                counts = per_rule[rule]
                if rule in want and rule in got_rules:
                    counts[0] += 1
                elif rule in got_rules:
                    counts[1] += 1
                else:
                    counts[2] += 1
        want_flow = str(label.get("flow", ""))
        got_flows = set(flows.get(mid, ())) if flows is not None else set()
        if want_flow and got_flows and want_flow not in got_flows and not (
            want_flow in ("internal", "external-other") and got_flows == {"non-consumer"}
        ):
            misses.append(Miss("flow", shape, mid, want_flow, ",".join(sorted(got_flows))))
    return Evaluation(
        messages=len(labels),
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        misses=tuple(misses),
        shapes=len(per_shape),
        shape_scores=tuple(ShapeScore(name, *counts) for name, counts in per_shape.items()),
        rule_scores=tuple(RuleScore(rule, *per_rule[rule]) for rule in sorted(per_rule)),
    )


def evaluate(result: ScanResult, labels: list[dict[str, object]]) -> Evaluation:
    """Compare a scan's findings with labels, message by message (keyed by Message-ID)."""
    rules: dict[str, set[str]] = defaultdict(set)
    flows: dict[str, set[str]] = defaultdict(set)
    consumer_hit: set[str] = set()
    for f in result.findings:
        rules[f.message_id].add(f.rule)
        flows[f.message_id].add(f.flow.value)
        if counts(f):
            consumer_hit.add(f.message_id)
    for ref in result.refs:
        if ref.message_id not in flows and ref.flow:
            flows[ref.message_id].add(ref.flow)
    return score(labels, consumer_hit, rules, flows)


# --------------------------------------------------------------------------------------------
# The plain baseline: a checksum-only detector
# --------------------------------------------------------------------------------------------

BASELINE_NUMBER = re.compile(r"(?<!\d)(\d{3})([ .-]?)(\d{3})\2(\d{4})(?!\d)")
"""Ten digits written 3-3-4 (one space, dash or dot between groups) or contiguous, not inside
a longer digit run: the pattern checksum-only NHS number detectors use."""


def baseline_numbers(text: str) -> list[str]:
    """Every 10-digit number in `text` (3-3-4 or contiguous) that passes mod-11, digits only."""
    found = ("".join((m[1], m[3], m[4])) for m in BASELINE_NUMBER.finditer(text))
    return [ten for ten in found if mod11_valid(ten)]


def evaluate_baseline(messages: Iterable[MessageText],
                      labels: list[dict[str, object]]) -> Evaluation:
    """Score the baseline rule: a message is positive when it is on a consumer flow and any of
    its text holds a mod-11-valid 10-digit number. No ranges, no context, no test-data range,
    no placeholders, no suppression. Rules are not compared (the baseline has one rule)."""
    predicted = {m.message_id for m in messages
                 if m.flow in CONSUMER_FLOWS and baseline_numbers(m.text)}
    return score(labels, predicted)


# --------------------------------------------------------------------------------------------
# The independent corpus: messages written without sight of the rules (eval/independent)
# --------------------------------------------------------------------------------------------

TUNE = "tune"
HELD_OUT = "held-out"


def half_of(file_name: str) -> str:
    """Which half of the independent corpus a labelled file belongs to: odd file numbers are
    the tuning half, even ones the held-out half nobody reads. The split is by number, fixed
    before any rule was changed, so it cannot follow what the rules get right."""
    digits = "".join(ch for ch in Path(file_name).stem if ch.isdigit())
    return TUNE if digits and int(digits) % 2 else HELD_OUT


@dataclass(frozen=True)
class IdentifierScore:
    """Message-level scores plus how the identifiers themselves were found."""

    evaluation: Evaluation
    identifiers: int
    """Labelled identifiers of positive messages (each distinct value once per message)."""
    identifiers_found: int
    bogus_identifiers: int
    """Identifier values flagged that the labels do not list for that message."""

    @property
    def identifier_recall(self) -> float:
        return self.identifiers_found / self.identifiers if self.identifiers else 1.0


def _label_identifiers(label: Mapping[str, object]) -> set[str]:
    value = label.get("identifiers", [])
    if not isinstance(value, list):
        return set()
    return {"".join(ch for ch in str(v) if ch.isdigit()) for v in value}


def score_identifiers(labels: list[dict[str, object]], predicted: Collection[str],
                      found: Mapping[str, Collection[str]]) -> IdentifierScore:
    """Score message predictions and identifier values (Message-ID → digit strings flagged)
    against independent labels (`positive`, `identifiers`, `kind` as the shape)."""
    shaped = [{**label, "shape": label.get("kind", "")} for label in labels]
    evaluation = score(shaped, predicted)
    total = hits = bogus = 0
    for label in labels:
        # Identifiers count where tracecheck should report them: in positive messages (an
        # NHS number in internal mail is not a breach, and is not flagged).
        want = _label_identifiers(label) if label.get("positive") else set()
        got = set(found.get(str(label["message_id"]), ()))
        total += len(want)
        hits += len(want & got)
        bogus += len(got - want)
    return IdentifierScore(evaluation, total, hits, bogus)


def evaluate_independent(findings: Iterable[Finding], labels: list[dict[str, object]],
                         ) -> IdentifierScore:
    """The pack on the independent corpus: a message is positive with a counted finding; the
    identifiers found are the values of its counted identifier findings."""
    found: dict[str, set[str]] = defaultdict(set)
    hit: set[str] = set()
    for f in findings:
        if counts(f):
            hit.add(f.message_id)
            if f.category == "identifier":
                found[f.message_id].add(f.value)
    return score_identifiers(labels, hit, found)


def evaluate_independent_baseline(messages: Iterable[MessageText],
                                  labels: list[dict[str, object]]) -> IdentifierScore:
    """The naive peer on the independent corpus: any mod-11 number on a consumer flow."""
    found: dict[str, set[str]] = defaultdict(set)
    hit: set[str] = set()
    for m in messages:
        if m.flow in CONSUMER_FLOWS:
            numbers = baseline_numbers(m.text)
            if numbers:
                hit.add(m.message_id)
                found[m.message_id].update(numbers)
    return score_identifiers(labels, hit, found)
