"""The ICO report never guesses an answer (issue 14, item 11): with no settings the questions
the evidence cannot answer are `[TO COMPLETE: ...]` prompts, consumer senders are not staff,
messages and log events are counted apart, the default mode says it read only headers of
internal mail, and a late report says by how many days and hours."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import eml, mbox_of
from tracecheck import api
from tracecheck.case.snapshot import CaseSnapshot
from tracecheck.reports.ico import IcoConfig, build, render
from tracecheck.reports.ico.deadline import Deadline
from tracecheck.reports.ico.sections import deadline_section

ORG = "tracecall.co.uk"
TO_CONSUMER = eml(to="Sam <sam.j@gmail.com>", msgid="<m1@tracecall.co.uk>",
                  body="Hi Sam, NHS number 943 476 5919 - PCR came back positive today.")
FROM_CONSUMER = eml(sender="Mum <mum.k@hotmail.co.uk>", to="agent@tracecall.co.uk",
                    msgid="<m2@hotmail.co.uk>",
                    body="My son, NHS number 401 023 2137, tested positive on Friday.")
INTERNAL = eml(to="ops@tracecall.co.uk", msgid="<m3@tracecall.co.uk>",
               body="NHS number 943 476 5919 - PCR came back positive today.")
LOG = (
    "Jan 11 09:30:01 mx1 postfix/qmgr[211]: 4F2A1B: from=<agent@tracecall.co.uk>, size=2048, "
    "nrcpt=1 (queue active)\n"
    "Jan 11 09:30:02 mx1 postfix/smtp[212]: 4F2A1B: to=<sam.j@gmail.com>, relay=gmail, "
    "delay=1, dsn=2.0.0, status=sent (250 2.0.0 OK)\n"
    "Jan 11 10:00:01 mx1 postfix/qmgr[211]: 5A1B2C: from=<agent@tracecall.co.uk>, size=900, "
    "nrcpt=1 (queue active)\n"
    "Jan 11 10:00:02 mx1 postfix/smtp[212]: 5A1B2C: to=<kim.b@yahoo.co.uk>, relay=yahoo, "
    "delay=1, dsn=2.0.0, status=sent (250 OK)\n"
    "Jan 11 11:00:01 mx1 postfix/qmgr[211]: 6C2D3E: from=<agent@tracecall.co.uk>, size=900, "
    "nrcpt=1 (queue active)\n"
    "Jan 11 11:00:02 mx1 postfix/smtp[212]: 6C2D3E: to=<lee.c@gmail.com>, relay=gmail, "
    "delay=1, dsn=2.0.0, status=sent (250 OK)\n"
)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("honest")
    (base / "export").mkdir()
    (base / "export" / "box.mbox").write_bytes(mbox_of(TO_CONSUMER, FROM_CONSUMER, INTERNAL))
    (base / "logs").mkdir()
    (base / "logs" / "mail.log").write_text(LOG, encoding="utf-8")
    opts = api.ScanOptions(org_domains=(ORG,), log_year=2021)
    api.scan_into_case([str(base / "export"), str(base / "logs")], opts, base / "case")
    return base / "case"


def _report(case: Path, fmt: str = "md") -> str:
    return api.report(case, fmt=api.IcoFormat(fmt))


@pytest.fixture
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no tracecheck.toml here: nothing is answered


def test_unanswered_questions_are_prompts_not_guesses(case: Path, no_config: None) -> None:
    md = _report(case)
    assert "**Cyber incident:** [TO COMPLETE:" in md
    assert "**Spoken to ICO staff about this breach:** [TO COMPLETE:" in md
    assert "**Report type:** [TO COMPLETE:" in md
    assert "Cyber incident:** no" not in md and "breach:** no" not in md
    # Q4 is a prompt like the others (a field), not a bare paragraph
    assert "- **How it happened:** [TO COMPLETE:" in md
    doc = json.loads(_report(case, "json"))
    assert doc["ico"]["what_happened"]["cyber_incident"] == ""
    assert doc["ico"]["about_report"]["spoken_to_ico"] == ""
    html = _report(case, "html")
    assert '<dt>How it happened</dt><dd class="missing">[TO COMPLETE:' in html
    assert '<dt>Cyber incident</dt><dd class="missing">' in html


def test_answers_given_are_used(case: Path) -> None:
    cfg = IcoConfig(cyber_incident="no", spoken_to_ico="no", report_type="initial",
                    description="Staff sent case notes to personal accounts.")
    with api._open_case(case, readonly=True) as store:  # noqa: SLF001
        snap = store.snapshot()
    md = render(snap, cfg, "md")
    assert "**Cyber incident:** no" in md and "**Spoken to ICO staff about this breach:** no" in md
    assert "- **How it happened:** Staff sent case notes to personal accounts." in md


def test_consumer_senders_are_not_staff(case: Path, no_config: None) -> None:
    doc = json.loads(_report(case, "json"))
    staff = doc["ico"]["staff"]
    assert [s["sender"] for s in staff["senders"]] == ["agent@tracecall.co.uk"]
    assert staff["consumer_senders"] == 1
    md = _report(case)
    section = md.split("Staff accounts involved\n", 1)[1].split("\n## ", 1)[0]
    assert "hotmail" not in section and "m***" not in section
    assert "1 flagged message(s) were sent from a consumer mailbox" in section


def test_messages_and_log_events_are_counted_apart(case: Path, no_config: None) -> None:
    doc = json.loads(_report(case, "json"))
    cov = doc["coverage"]
    assert cov["messages_found"] == 3 and cov["messages_scanned"] == 3
    assert cov["log_events"] == 3 and cov["log_files"] == 1
    md = _report(case)
    assert "3 message(s) scanned of 3 found in the mailbox exports" in md
    assert "3 log event(s) read from 1 log file(s)" in md
    assert "of 6 found" not in md


def test_default_mode_says_internal_mail_had_only_its_headers_read(case: Path,
                                                                    no_config: None) -> None:
    md = _report(case)
    assert ("only its headers were read: the content of 1 message(s) with no consumer address "
            "(internal and other business mail) was not read") in md
    assert "--all-messages" in md
    doc = json.loads(_report(case, "json"))
    assert doc["coverage"]["all_messages"] is False
    assert doc["coverage"]["headers_only"] == 1


def test_all_messages_mode_says_every_message_was_read(tmp_path: Path) -> None:
    (tmp_path / "box.mbox").write_bytes(mbox_of(TO_CONSUMER, INTERNAL))
    result = api.scan([str(tmp_path / "box.mbox")],
                      api.ScanOptions(org_domains=(ORG,), all_messages=True))
    md = render(CaseSnapshot.from_scan(result), IcoConfig(), "md")
    assert "The content of every message was read (--all-messages)." in md
    assert "only its headers were read" not in md


@pytest.mark.parametrize(("hours", "text"), [
    (72 + 49705.3, "PAST the deadline by 2071 days and 1 hour"),
    (72 + 30, "PAST the deadline by 1 day and 6 hours"),
    (72 + 0.2, "PAST the deadline by less than an hour"),
    (72 - 26, "within the deadline (1 day and 2 hours left)"),
    (72 - 5, "within the deadline (5 hours left)"),
])
def test_the_deadline_is_given_in_days_and_hours(hours: float, text: str) -> None:
    from datetime import timedelta

    disc = datetime(2021, 3, 11, 15, 0, tzinfo=UTC)
    as_of = disc + timedelta(hours=hours)
    dl = Deadline(disc, disc + timedelta(hours=72), as_of, "incident.reported_at",
                  round(hours, 1), hours > 72)
    fields = {f.label: f.value for f in deadline_section(dl, IcoConfig()).fields}
    assert fields["Status"] == text
    assert "hours_elapsed" in deadline_section(dl, IcoConfig()).data


def test_a_report_built_from_a_scan_has_no_guessed_answers(tmp_path: Path) -> None:
    (tmp_path / "box.mbox").write_bytes(mbox_of(TO_CONSUMER))
    result = api.scan([str(tmp_path / "box.mbox")])
    report = build(CaseSnapshot.from_scan(result), IcoConfig())
    fields = [f for s in report.sections for f in s.fields]
    answered = {f.label: f.value for f in fields if not f.missing}
    assert "Cyber incident" not in answered
    assert "Spoken to ICO staff about this breach" not in answered


def test_the_summary_counts_staff_and_consumer_senders_apart(case: Path,
                                                             no_config: None) -> None:
    md = _report(case)
    assert "| Staff accounts involved | 1 |" in md
    assert "| Flagged messages sent from consumer mailboxes | 1 |" in md
