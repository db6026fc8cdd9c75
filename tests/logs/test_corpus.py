"""Every real log sample in ../shared/corpora/logs: detected as the right format, read with the
expected number of messages, and every line that is not a log record (fail2ban `# failJSON`
comments, Exim test-suite separators) listed as a malformed-line skip, never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest
from logkit import read_all

from tests.conftest import corpus
from tracecheck.logs import MALFORMED, sniff_log

# file → (format, message/forwarding events, malformed lines)
EXPECTED = {
    "exchange/elastic-integrations_test-messagetracking.log": ("exchange", 5, 0),
    "exim/exim_test-log-0622.log": ("exim", 8, 1),
    "exim/exim_test-log-2012.log": ("exim", 15, 1),
    "exim/fail2ban_exim-spam.log": ("exim", 0, 17),
    "exim/fail2ban_exim.log": ("exim", 0, 62),
    "exim/perericr-ddgrey_mainlog.log": ("exim", 45, 0),
    "google/SEKOIA-intake-formats_google-cloud-audit-tests-email_forwarding_out_of_domain.json":
        ("gmail-audit", 1, 0),
    "google/elastic-integrations_google_workspace_gmail_test-gmail.log": ("google", 2, 0),
    "m365/SEKOIA-intake-formats_message-trace-tests-messagetrace.json": ("m365", 1, 0),
    "m365/SEKOIA-intake-formats_message-trace-tests-messagetrace2.json": ("m365", 1, 0),
    "m365/elastic-integrations_microsoft_exchange_online_message_trace_test-log.log":
        ("m365", 4, 0),
    "o365-audit/SEKOIA-intake-formats_o365-tests-inbox_rule.json": ("o365-audit", 2, 0),
    "o365-audit/SEKOIA-intake-formats_o365-tests-operation_properties_01.json":
        ("o365-audit", 4, 0),
    "postfix/digineo-postfix_exporter_testdata-mail.log": ("postfix", 2, 0),
    "postfix/fail2ban_postfix.log": ("postfix", 1, 88),
    "sendmail/fail2ban_sendmail-auth.log": ("sendmail", 0, 14),
    "sendmail/fail2ban_sendmail-reject.log": ("sendmail", 0, 48),
    "sendmail/fluent-plugin-sendmail_test-data-data.log": ("sendmail", 1, 0),
}


def corpus_file(rel: str) -> Path:
    return corpus("logs", rel)


def test_every_corpus_file_is_listed() -> None:
    logs = corpus("logs")
    found = {str(p.relative_to(logs)) for p in logs.rglob("*") if p.is_file()}
    assert found - {"SOURCES.md"} == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_corpus_file(rel: str) -> None:
    path = corpus_file(rel)
    fmt, n_events, n_bad = EXPECTED[rel]
    assert sniff_log(path.read_bytes()[:16384]) == fmt
    events, skips = read_all(path, fmt, year=2020)
    assert len(events) == n_events
    assert [s.kind for s in skips] == [MALFORMED] * n_bad
    assert all(e.log_format == fmt and e.time and e.time.endswith("Z") for e in events)
    # The only lines that are not read as log records are comments and separators.
    lines = path.read_text(encoding="utf-8").splitlines()
    for s in skips:
        lineno = s.locator.line
        assert lines[lineno - 1].startswith(("#", "***")), s


def test_sendmail_sample_joins_one_queue_id() -> None:
    path = corpus_file("sendmail/fluent-plugin-sendmail_test-data-data.log")
    (event,), _ = read_all(path, year=2016)
    assert event.queue_id == "u31FFPtp032300"
    assert event.message_id == "201604011515.u31FFIAj012911@gmail.com"
    assert event.sender == "grandeur09@gmail.com"
    assert event.size == 5938
    status = {r.addr: r.status for r in event.recipients}
    # comma-joined to= lists, and deferred1 retried later and sent
    assert status == {
        "sent1@example.com": "delivered", "sent2@example.com": "delivered",
        "deferred1@example.com": "delivered", "deferred2@example.com": "deferred",
        "sent3@example2.com": "delivered", "sent4@example2.com": "delivered",
        "root@localhost.localdomain": "delivered",
    }
    # Apr 2 00:15:25 in London (BST) is 23:15:25 UTC the day before
    assert event.time == "2016-04-01T23:15:25Z"


def test_exim_mainlog_consumer_delivery_with_original_recipient() -> None:
    path = corpus_file("exim/perericr-ddgrey_mainlog.log")
    events, _ = read_all(path)
    ev = next(e for e in events if e.queue_id == "1j5IhX-0006pK-Rt")
    assert ev.sender == "plusgirot@nordea.com"
    assert ev.time == "2020-02-22T01:31:25Z"
    assert ev.size == 4502
    (rcpt,) = ev.recipients
    assert (rcpt.addr, rcpt.status, rcpt.orig_to) == (
        "anders.warnqvist@gmail.com", "delivered", "kassor@ucf.se")
    # 43 arrivals; the other two events are deliveries of messages received before the log began
    assert sum("no 'Completed' line in this log" not in e.notes for e in events) >= 43


def test_exim_new_style_ids_and_extra_addresses() -> None:
    path = corpus_file("exim/exim_test-log-0622.log")
    events, _ = read_all(path)
    first = events[0]
    assert first.queue_id == "10HmaX-000000005vi-0000"
    assert [r.addr for r in first.recipients] == [
        "a@test.ex", "b@test.ex", "c@test.ex", "d@test.ex", "e@test.ex", "f@test.ex"]
    assert {r.status for r in first.recipients} == {"delivered"}


def test_postfix_sample_submission_flow() -> None:
    path = corpus_file("postfix/digineo-postfix_exporter_testdata-mail.log")
    events, _ = read_all(path, year=2021)
    ev = next(e for e in events if e.queue_id == "838FC8A5F")
    assert ev.sender == "out@example.org"
    assert ev.message_id == "341d97ec-c42a-6b0d-a49d-00d44a4f9753@example.org"
    assert [r.addr for r in ev.recipients] == ["someone@example.com"]
    assert "sasl_username=out@example.org" in ev.notes


def test_wrapped_m365_record_dates() -> None:
    path = corpus_file("m365/SEKOIA-intake-formats_message-trace-tests-messagetrace.json")
    (ev,), _ = read_all(path)
    assert ev.time == "2022-07-25T12:26:13Z"
    assert ev.recipients[0].status == "unknown"  # GettingStatus
    assert ev.size == 87680


def test_audit_samples_give_forwarding_targets() -> None:
    rule = corpus_file("o365-audit/SEKOIA-intake-formats_o365-tests-inbox_rule.json")
    events, _ = read_all(rule)
    assert [(e.kind, e.forwarding, e.actor) for e in events] == [
        ("forwarding-rule", "bob@example.org", "user1"),
        ("forwarding-rule", "joe@example.org", "user1"),
    ]
    gmail = corpus_file("google/SEKOIA-intake-formats_google-cloud-audit-tests-"
                        "email_forwarding_out_of_domain.json")
    (ev,), _ = read_all(gmail)
    assert (ev.forwarding, ev.actor, ev.time) == (
        "test-user@google.com", "test-user@example.com", "2021-09-24T16:32:32Z")


def test_bigquery_rows_decoded_by_their_schema() -> None:
    path = corpus_file("google/elastic-integrations_google_workspace_gmail_test-gmail.log")
    events, _ = read_all(path)
    assert [(e.sender, e.message_id, e.size) for e in events] == [
        ("foo@example.com", "12345627134207078908@example.com", 21390),
        ("mail-foo@example.com", "12345627060443667890@example.com", 47432),
    ]
    assert events[0].recipients[0].addr == "bar@elastic.com"
