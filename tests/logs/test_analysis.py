"""Log findings, correlation with the mailbox export, and the pandas tables."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
from logkit import FIXTURES, read_all

from tracecheck.logs.analysis import (
    correlate,
    events_frame,
    log_findings,
    mask_subject,
    summary_frames,
)
from tracecheck.model import LogEvent, MessageRef

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
    fwd = [f for f in found if f["type"] == "log-forwarding"]
    assert [(f["target"], f["mailbox"], f["severity"]) for f in fwd] == [
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
    assert all(f["target"] != "team.lead@example.org" for f in fwd)


def test_consumer_flows_per_sender_and_day(is_consumer: Check) -> None:
    events, _ = read_all(FIXTURES / "postfix_dec_jan.log", year=2020)
    flows = [f for f in log_findings(events, is_consumer, subject_hits)
             if f["type"] == "log-consumer-flow"]
    assert [(f["sender"], f["day"], f["flow"], f["messages"], f["consumer_recipients"])
            for f in flows] == [
        ("", "2021-01-01", "to-consumer", 1, ["citizen.x@gmail.com"]),
        ("agent.one@example.org", "2020-12-31", "to-consumer", 1, ["manager.a@gmail.com"]),
        ("agent.two@example.org", "2020-12-31", "to-consumer", 1,
         ["line.manager@hotmail.co.uk"]),
        ("citizen.x@gmail.com", "2021-01-01", "consumer-to-consumer", 1,
         ["agent.three@yahoo.co.uk"]),
        ("someone.else@gmail.com", "2021-01-01", "from-consumer", 1, []),
    ]
    by_sender = {f["sender"]: f for f in flows}
    assert by_sender["agent.two@example.org"]["delivered"] == 1
    assert by_sender["citizen.x@gmail.com"]["statuses"] == {"bounced": 1}


def test_subject_matches_report_rule_ids_never_the_subject(is_consumer: Check) -> None:
    found = log_findings(all_events(), is_consumer, subject_hits)
    subj = [f for f in found if f["type"] == "log-subject-match"]
    assert [(f["rules"], f["severity"], f["subject_masked"]) for f in subj][:3] == [
        (["uk-health.test-result"], "high", "C*** **** C**** t*** r***** p*******"),
        (["uk-health.test-result"], "high", "F**: s***"),
        (["uk-health.test-result"], "high", "P******* P** r***** f** c*** ****"),
    ]
    text = json.dumps(found)
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
    assert {k: out[k] for k in ("events", "consumer_bound_messages", "matched_in_export",
                                "not_in_export", "forwarding_rules")} == {
        "events": 9, "consumer_bound_messages": 4, "matched_in_export": 2,
        "not_in_export": 2, "forwarding_rules": 2}
    missing = out["not_in_export_list"]
    assert [(m["queue_id"], m["consumer_recipients"], m["status"]) for m in missing] == [
        ("7D4E5F6071", ["agent.three@yahoo.co.uk"], "bounced"),
        ("8E5F607182", ["citizen.x@gmail.com"], "delivered"),
    ]
    assert set(missing[0]) == {"time", "sender", "consumer_recipients", "message_id",
                               "queue_id", "size", "source", "locator", "status"}
    assert out["delivery"] == {"case-4471@example.org": "delivered",
                               "export.mbox@900": "delivered"}


def test_events_frame_one_row_per_recipient() -> None:
    events, _ = read_all(FIXTURES / "postfix_dec_jan.log", year=2020)
    frame = events_frame(events)
    assert len(frame) == sum(len(e.recipients) for e in events) == 7
    row = frame[frame["recipient"] == "manager.a@gmail.com"].iloc[0]
    assert row["status"] == "delivered" and row["queue_id"] == "4A1B2C3D4E"
    assert row["subject_masked"] == mask_subject("Case 4471 COVID test result positive")
    assert "subject" not in frame.columns
    assert frame["size"].dtype == pd.Int64Dtype()
    assert json.loads(frame.to_json(orient="records"))[0]["locator"].endswith(":2")


def test_summary_frames(is_consumer: Check) -> None:
    events = all_events()
    frames = summary_frames(events, is_consumer)
    assert set(frames) == {"by_sender", "by_domain", "by_day", "by_month"}
    dom = frames["by_domain"].set_index("domain")
    assert bool(dom.loc["gmail.com", "consumer_domain"]) is True
    assert bool(dom.loc["example.org", "consumer_domain"]) is False
    assert dom.loc["gmail.com", "consumer_recipients"] == 5
    month = frames["by_month"].set_index("month")
    assert month.loc["2020-12", "consumer_messages"] == 2
    sender = frames["by_sender"].set_index("sender")
    assert sender.loc["agent.nine@example.org", "messages"] == 2
    assert sender.loc["agent.nine@example.org", "consumer_messages"] == 2
    assert list(frames["by_day"]["day"]) == sorted(frames["by_day"]["day"])


def test_empty_inputs(is_consumer: Check) -> None:
    assert log_findings([], is_consumer, subject_hits) == []
    assert correlate([], [], is_consumer)["events"] == 0
    assert events_frame([]).empty
    assert all(f.empty for f in summary_frames([], is_consumer).values())
