"""Scoring a scan against a labelled corpus (samples/labels.json): precision, recall, misses.

Owns the comparison only: a message is predicted positive when it has at least one finding on
a consumer flow (test data excluded); labels say whether it should be. Rule-level and
flow-level disagreements are listed per shape. Never scans anything itself.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tracecheck.model import ScanResult


@dataclass(frozen=True)
class Miss:
    """One label the scan did not reproduce."""

    kind: str
    """`false-negative`, `false-positive`, `rules` or `flow`."""
    shape: str
    message_id: str
    expected: str
    got: str


@dataclass(frozen=True)
class Evaluation:
    """Scores over a labelled set."""

    messages: int
    true_positives: int
    false_positives: int
    false_negatives: int
    misses: tuple[Miss, ...] = field(default_factory=tuple)
    shapes: int = 0

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


def load_labels(path: str | Path) -> list[dict[str, object]]:
    """The `messages` list of a labels file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return list(data["messages"])


def evaluate(result: ScanResult, labels: list[dict[str, object]]) -> Evaluation:
    """Compare findings with labels, message by message (keyed by Message-ID)."""
    rules: dict[str, set[str]] = defaultdict(set)
    flows: dict[str, set[str]] = defaultdict(set)
    consumer_hit: set[str] = set()
    for f in result.findings:
        rules[f.message_id].add(f.rule)
        flows[f.message_id].add(f.flow.value)
        if f.flow.is_consumer and not f.test_data:
            consumer_hit.add(f.message_id)
    ref_flow = {r.message_id: r.flow for r in result.refs}
    tp = fp = fn = 0
    misses: list[Miss] = []
    for label in labels:
        mid = str(label["message_id"])
        shape = str(label.get("shape", ""))
        positive = bool(label["positive"])
        predicted = mid in consumer_hit
        if positive and predicted:
            tp += 1
        elif positive:
            fn += 1
            misses.append(Miss("false-negative", shape, mid, "consumer finding",
                               ",".join(sorted(rules[mid])) or "nothing"))
        elif predicted:
            fp += 1
            misses.append(Miss("false-positive", shape, mid, "no consumer finding",
                               ",".join(sorted(rules[mid]))))
        want_rules = sorted(str(r) for r in label.get("rules", []))  # type: ignore[attr-defined]
        if want_rules != sorted(rules[mid]):
            misses.append(Miss("rules", shape, mid, ",".join(want_rules) or "none",
                               ",".join(sorted(rules[mid])) or "none"))
        want_flow = str(label.get("flow", ""))
        got_flows = flows[mid] or ({ref_flow[mid]} if mid in ref_flow else set())
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
        shapes=len({str(lbl.get("shape", "")) for lbl in labels}),
    )
