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


def test_sample_logs_join_the_export_and_bound_the_breach() -> None:
    result = api.scan([*CORPUS, str(SAMPLES / "logs")])
    logs = result.log_summary
    assert logs is not None
    # Eight consumer-bound messages are in the outbound log but in no export: content unknown.
    assert logs.not_in_export == 8
    assert logs.matched_in_export == logs.consumer_bound_messages - 8
    assert logs.forwarding_rules == 2
    delivery = logs.delivery
    org_sent = {f.message_id.strip("<>") for f in result.findings
                if f.sender.endswith("@tracecall.co.uk") and f.flow.value == "to-consumer"}
    assert org_sent and org_sent <= set(delivery)
    assert {delivery[m] for m in org_sent} == {"delivered"}
