"""The shipped samples: every label reproduced, precision and recall 1.0."""

from __future__ import annotations

from tests.conftest import SAMPLES
from tracecheck import api
from tracecheck.evaluation import evaluate, load_labels

CORPUS = [str(SAMPLES / d) for d in ("mbox", "eml", "maildir", "archive")]


def test_every_sample_label_is_reproduced() -> None:
    result = api.scan(CORPUS, api.ScanOptions(all_messages=True))
    labels = load_labels(SAMPLES / "labels.json")
    ev = evaluate(result, labels)
    assert ev.messages == len(labels) >= 60
    assert list(ev.misses) == []
    assert ev.precision == 1.0 and ev.recall == 1.0
    # Every labelled message was found and parsed (none silently lost).
    assert result.messages_found == result.messages_scanned == len(labels)


def test_samples_org_domain_is_inferred() -> None:
    result = api.scan(CORPUS)
    assert result.org.inferred and result.org.domains == ("tracecall.co.uk",)


def test_triage_mode_finds_the_same_consumer_findings() -> None:
    full = api.scan(CORPUS, api.ScanOptions(all_messages=True))
    triage = api.scan(CORPUS)
    assert [f for f in full.findings if f.flow.is_consumer] == list(triage.findings)
    assert triage.messages_scanned == full.messages_scanned
