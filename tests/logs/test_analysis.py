"""Log findings and the correlation with the mailbox export, as typed records."""

from __future__ import annotations

import json
from collections.abc import Callable

from logkit import FIXTURES, read_all

from tracecheck.logs.analysis import correlate, log_findings
from tracecheck.model import (
    Flow,
    LogConsumerFlow,
    LogEvent,
    LogFindingType,
    LogForwarding,
    LogSubjectMatch,
    LogSummary,
    MessageRef,
    Severity,
)

Check = Callable[[str], bool]
HEALTH = ("covid", "pcr", "swab", "positive", "symptom", "lateral flow", "medication")


def subject_hits(subject: str) -> list[str]:
    low = subject.lower()
    return sorted({"uk-health.test-result" for w in HEALTH if w in low})


def all_events() -> list[LogEvent]:
    events: list[LogEvent] = []
    for name in ("postfix_dec_jan.log", "MSGTRK20210201-1.LOG", "purview_audit.csv",
                 "o365_management_api.json", "google_login_audit.json",
                 "gmail_bigquery.json"):
        events.extend(read_all(FIXTURES / name, year=2020)[0])
    return events


def test_forwarding_rules_to_consumer_addresses_are_high(is_consumer: Check) -> None:
    found = log_findings(all_events(), is_consumer, subject_hits)
    fwd = [f for f in found if isinstance(f, LogForwarding)]
    assert all(f.type is LogFindingType.FORWARDING for f in fwd)
    assert [(f.target, f.mailbox, f.severity.label) for f in fwd] == [
        ("manager.a@gmail.com", "agent.one@example.org", "high"),
        ("agent.two.home@hotmail.co.uk", "agent.two@example.org", "high"),
        ("eleven.home@gmail.com", "agent.eleven@example.org", "high"),
        ("helper.person@gmail.com", "agent.five@example.org", "high"),
        ("six.home@yahoo.co.uk", "agent.six@example.org", "high"),
        ("eleven.home@gmail.com", "agent.eleven@example.org", "high"),  # Gmail delivery event
        ("nurse.home@hotmail.co.uk", "nurse.x@example.org", "high"),  # Exchange MAILBOXRULE
        ("twelve.home@gmail.com", "agent.twelve@example.org", "high"),  # Gmail auto-forward
    ]
    # the redirect to an internal address is not a finding
    assert all(f.target != "team.lead@example.org" for f in fwd)


def test_consumer_flows_per_sender_and_day(is_consumer: Check) -> None:
    events, _ = read_all(FIXTURES / "postfix_dec_jan.log", year=2020)
    flows = [f for f in log_findings(events, is_consumer, subject_hits)
             if isinstance(f, LogConsumerFlow)]
    assert [(f.sender, f.day, f.flow, f.messages, f.consumer_recipients) for f in flows] == [
        ("", "2021-01-01", Flow.TO_CONSUMER, 1, ("citizen.x@gmail.com",)),
        ("agent.one@example.org", "2020-12-31", Flow.TO_CONSUMER, 1, ("manager.a@gmail.com",)),
        ("agent.two@example.org", "2020-12-31", Flow.TO_CONSUMER, 1,
         ("line.manager@hotmail.co.uk",)),
        ("citizen.x@gmail.com", "2021-01-01", Flow.CONSUMER_TO_CONSUMER, 1,
         ("agent.three@yahoo.co.uk",)),
        ("someone.else@gmail.com", "2021-01-01", Flow.FROM_CONSUMER, 1, ()),
    ]
    by_sender = {f.sender: f for f in flows}
    assert by_sender["agent.two@example.org"].delivered == 1
    assert by_sender["citizen.x@gmail.com"].statuses == (("bounced", 1),)
    assert by_sender["citizen.x@gmail.com"].as_dict()["statuses"] == {"bounced": 1}


def test_subject_matches_report_rule_ids_never_the_subject(is_consumer: Check) -> None:
    found = log_findings(all_events(), is_consumer, subject_hits)
    subj = [f for f in found if isinstance(f, LogSubjectMatch)]
    assert [(f.rules, f.severity, f.subject_masked) for f in subj][:3] == [
        (("uk-health.test-result",), Severity.HIGH, "C*** **** C**** t*** r***** p*******"),
        (("uk-health.test-result",), Severity.HIGH, "F**: s***"),
        (("uk-health.test-result",), Severity.HIGH, "P******* P** r***** f** c*** ****"),
    ]
    text = json.dumps([f.as_dict() for f in found])
    for secret in ("COVID", "Positive PCR", "test result", "Appointment"):
        assert secret not in text


def test_findings_are_deterministic(is_consumer: Check) -> None:
    events = all_events()
    assert log_findings(events, is_consumer, subject_hits) == log_findings(
        list(reversed(events)), is_consumer, subject_hits)


def test_correlation_with_export(is_consumer: Check) -> None:
    events, _ = read_all(FIXTURES / "postfix_dec_jan.log", year=2020)
    events += read_all(FIXTURES / "purview_audit.csv")[0]  # 3 rules, 2 to consumer addresses
    refs = [
        # held in the export: matched by Message-ID (angle brackets, case of the domain)
        MessageRef(locator="export.mbox@0", sha256="h1", message_id=" <case-4471@EXAMPLE.org> ",
                   date="2020-12-31", consumer=True),
        # matched by the queue id of the re-injected copy, taken from a Received header
        MessageRef(locator="export.mbox@900", sha256="h2", message_id="", date="2020-12-31",
                   consumer=True, queue_ids=("6C3D4E5F60",)),
        # a different local part case is a different Message-ID
        MessageRef(locator="export.mbox@1800", sha256="h3",
                   message_id="<CAF=ABC123@mail.gmail.com>", date=None, consumer=True),
    ]
    out = correlate(events, refs, is_consumer)
    assert (out.events, out.consumer_bound_messages, out.matched_in_export, out.not_in_export,
            out.forwarding_rules) == (9, 4, 2, 2, 2)
    missing = out.not_in_export_list
    assert [(m.queue_id, m.consumer_recipients, m.status) for m in missing] == [
        ("7D4E5F6071", ("agent.three@yahoo.co.uk",), "bounced"),
        ("8E5F607182", ("citizen.x@gmail.com",), "delivered"),
    ]
    assert list(out.as_dict()["not_in_export_list"][0]) == [  # type: ignore[index]
        "time", "sender", "consumer_recipients", "message_id", "queue_id", "size", "source",
        "locator", "status"]
    assert out.delivery == {"case-4471@example.org": "delivered",
                            "export.mbox@900": "delivered"}


def test_summary_survives_the_json_a_case_stores(is_consumer: Check) -> None:
    events, _ = read_all(FIXTURES / "postfix_dec_jan.log", year=2020)
    refs = [MessageRef(locator="export.mbox@0", sha256="h1",
                       message_id="<case-4471@example.org>", date=None, consumer=True)]
    summary = correlate(events, refs, is_consumer)
    stored = json.dumps(summary.as_dict(), sort_keys=True, default=str)
    back = LogSummary.from_dict(json.loads(stored))
    assert back.as_dict() == summary.as_dict()
    assert json.dumps(back.as_dict(), sort_keys=True, default=str) == stored
    assert back.not_in_export == summary.not_in_export > 0
    # Locators come back whole (never split), written exactly as they were.
    assert [str(m.locator) for m in back.not_in_export_list] == [
        str(m.locator) for m in summary.not_in_export_list]


def test_empty_inputs(is_consumer: Check) -> None:
    assert log_findings([], is_consumer, subject_hits) == []
    assert correlate([], [], is_consumer) == LogSummary(0, 0, 0, 0, (), {})


def test_a_busy_flow_lists_the_first_locators_as_a_sort_of_all_would(is_consumer: Check) -> None:
    """Locators of a flow are kept a few at a time (flat memory), yet the listed ones are the
    first `MAX_LOCATORS` of all of them sorted, ties (offset locators: no line) in the order
    seen, and the count covers every message."""
    import random

    from tracecheck.logs.analysis import MAX_LOCATORS, _locator_key
    from tracecheck.model import Locator, LogRecipient

    rng = random.Random(7)
    locs = [Locator(path=f"m{rng.randrange(3)}.log", line=rng.choice([None, rng.randrange(50)]),
                    offset=n) for n in range(500)]
    rcpt = (LogRecipient("pat@gmail.com", "delivered"),)
    events = [LogEvent(log_format="postfix", source=loc.path, locator=loc, sender="a@org.uk",
                       recipients=rcpt, time="2021-03-01T10:00:00Z") for loc in locs]
    [flow] = [f for f in log_findings(events, is_consumer, subject_hits)
              if isinstance(f, LogConsumerFlow)]
    assert flow.messages == 500
    assert flow.locators == tuple(sorted(locs, key=_locator_key)[:MAX_LOCATORS])
