"""The figures the ICO report states, on a hand-built scan with known answers
(see tests/case/case_scenario.py for the messages behind each number)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "case"))
import case_scenario as sc  # noqa: E402

from tracecheck.case import CaseSnapshot  # noqa: E402
from tracecheck.case.review import Decision, DecisionRecord  # noqa: E402
from tracecheck.reports.ico import IcoConfig, build  # noqa: E402
from tracecheck.reports.ico.numbers import compute  # noqa: E402
from tracecheck.reports.ico.risk import assess  # noqa: E402


def test_counts_from_an_in_memory_scan_before_review():
    n = compute(CaseSnapshot.from_scan(sc.scan_result()))
    assert n.messages_scanned == 10
    assert n.unique_messages == 8 and n.duplicate_copies == 2
    # M1, M2, M3 and the unreviewed "positive feedback" M4; internal M5 and test-range M6 not
    assert n.messages_flagged == 4
    assert n.findings_other_flows == 1 and n.findings_test_data == 1
    assert n.distinct_identifiers == 2
    assert n.messages_without_identifier == 2  # M2 and M4
    assert n.data_subjects_estimate == 4
    assert n.records == 5  # M1, M2, M3 + its attachment, M4
    assert n.consumer_domains == (("gmail.com", 2), ("hotmail.co.uk", 2))
    assert n.senders == ((sc.A1, 2), (sc.A2, 2))
    assert n.messages_confirmed == 0


def test_counts_after_review_exclude_false_positives_and_split_confirmed(tmp_path):
    store = sc.build_case(tmp_path / "case")
    snap = store.snapshot()
    n = compute(snap)
    store.close()
    assert n.messages_flagged == 3
    assert (n.messages_confirmed, n.messages_unreviewed) == (1, 2)
    assert (n.findings_confirmed, n.findings_unreviewed, n.findings_needs_review) == (1, 6, 1)
    assert n.findings_false_positive == 1
    assert n.distinct_identifiers == 2 and n.distinct_identifiers_confirmed == 1
    assert n.messages_without_identifier == 1
    assert n.data_subjects_estimate == 3 and n.data_subjects_confirmed == 1
    assert n.records == 4 and n.records_confirmed == 1
    assert (n.first_seen, n.last_seen) == ("2021-03-01T09:15:00Z", "2021-03-05T16:30:00Z")
    assert n.consumer_domains == (("gmail.com", 2), ("hotmail.co.uk", 1))
    assert [a for a, _, _ in n.consumer_addresses] == ["j***@gmail.com", "b***@hotmail.co.uk"]
    # sources in path order: c2.eml S1, m1.eml S2, m3.eml S3, m4.eml S4, the mbox S5
    assert [(m.key.split("-")[0], len(m.locators)) for m in n.flagged] == [
        ("S2", 2), ("S5", 1), ("S3", 2)]
    assert n.flagged[1].key == f"S5-{sc.sha('mbox file')[:8]}@2048"
    revealed = compute(snap, reveal=True)
    assert [(m.key, len(m.locators)) for m in revealed.flagged] == [
        (f"{sc.EML}m1.eml", 2), (f"{sc.MBOX}@2048", 1), (f"{sc.EML}m3.eml", 2)]
    assert dict(n.skipped_by_kind) == {"encrypted": 1, "image": 1, "truncated": 1}


def test_store_and_in_memory_snapshots_give_the_same_numbers(tmp_path):
    store = sc.build_case(tmp_path / "case")
    from_store = compute(store.snapshot())
    decisions = store.decisions()
    containment = tuple(store.containment())
    store.close()
    in_memory = compute(dataclasses.replace(
        CaseSnapshot.from_scan(sc.scan_result(), decisions=decisions, mentions=sc.MENTIONS),
        containment=containment))
    # the only difference allowed: which copy's locator a shared fingerprint carries
    assert dataclasses.replace(from_store, flagged=()) == dataclasses.replace(in_memory,
                                                                              flagged=())
    assert [m.fingerprints for m in from_store.flagged] == [
        m.fingerprints for m in in_memory.flagged]
    assert from_store.persons and from_store.containment_records  # the figures compared exist


def test_log_figures_delivery_and_unknown_content(tmp_path):
    store = sc.build_case(tmp_path / "case")
    n = compute(store.snapshot())
    store.close()
    assert n.logs is not None
    assert (n.logs.events, n.logs.consumer_bound_messages, n.logs.matched_in_export,
            n.logs.not_in_export, n.logs.forwarding_rules) == (5, 4, 3, 1, 1)
    assert dict(n.logs.delivery) == {"delivered": 2, "deferred": 1}
    assert (n.logs.first_flagged, n.logs.last_flagged) == ("2021-03-01T09:15:02Z",
                                                           "2021-03-05T16:30:04Z")
    (unknown,) = n.logs.unknown
    assert unknown.recipients == ("k***@yahoo.co.uk",) and unknown.time == "2021-03-11T07:45:00Z"


def test_without_logs_the_report_says_so_and_json_has_no_logs_key():
    report = build(CaseSnapshot.from_scan(sc.scan_result(with_logs=False)), IcoConfig())
    assert report.logs is None and report.numbers.logs is None
    delivery = next(s for s in report.sections if s.key == "delivery")
    assert delivery.data == {"logs_in_case": False, "statuses": []}


def test_risk_follows_the_evidence_and_the_config_can_override_it():
    snap = CaseSnapshot.from_scan(sc.scan_result(with_logs=False))
    risk = assess(compute(snap), IcoConfig())
    assert (risk.likelihood, risk.severity, risk.notify_ico, risk.tell_data_subjects) == (
        "likely", "high", True, True)
    # with logs: a forwarding rule makes further disclosure very likely
    assert assess(compute(CaseSnapshot.from_scan(sc.scan_result())), IcoConfig()).likelihood \
        == "very likely"
    # everything marked false positive: nothing to report
    everything_fp = {f.fingerprint: DecisionRecord(f.fingerprint, Decision.FALSE_POSITIVE, "r",
                                                   "a", "t") for f in sc.FINDINGS}
    none_left = assess(compute(CaseSnapshot.from_scan(sc.scan_result(), everything_fp)),
                       IcoConfig())
    assert (none_left.notify_ico, none_left.tell_data_subjects) == (False, False)
    overridden = assess(compute(snap), IcoConfig(likelihood="unlikely"))
    assert overridden.notify_ico is False and overridden.overridden == ("likelihood",)
    # identifiers alone (no health content): medium severity, no Art. 34 duty
    ids_only = tuple(f for f in sc.FINDINGS if f.category == "identifier")
    r = assess(compute(CaseSnapshot.from_scan(sc.scan_result(with_logs=False,
                                                             findings=ids_only))), IcoConfig())
    assert (r.severity, r.notify_ico, r.tell_data_subjects) == ("medium", True, False)


def test_logs_showing_every_flagged_message_bounced_make_harm_unlikely():
    summary = dataclasses.replace(sc.LOG_SUMMARY, forwarding_rules=0,
                                  delivery={f"m{i}@{sc.ORG}": "bounced" for i in (1, 2, 3, 4)})
    result = dataclasses.replace(sc.scan_result(), log_summary=summary,
                                 log_events=sc.LOG_EVENTS[:4])
    risk = assess(compute(CaseSnapshot.from_scan(result)), IcoConfig())
    assert (risk.likelihood, risk.notify_ico) == ("unlikely", False)
    # one of them only deferred: it may still arrive
    summary = dataclasses.replace(summary, delivery={**summary.delivery,
                                                     f"m2@{sc.ORG}": "deferred"})
    result = dataclasses.replace(result, log_summary=summary)
    assert assess(compute(CaseSnapshot.from_scan(result)), IcoConfig()).likelihood == "likely"
