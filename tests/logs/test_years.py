"""Year-less log stamps never move the breach: the year comes from the export's matched
messages, then from the rotation order, and from the file's mtime only as a last resort (marked
inferred, and kept out of the breach window). Issue 14, item 8."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from tracecheck.cli import app
from tracecheck.logs import plan_years, read_log_files
from tracecheck.model import LogYearBasis, MessageRef

ORG = "tracecall.co.uk"
LONDON = ZoneInfo("Europe/London")
COPIED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""When the logs were copied: the mtime a forensic copy gives them, years after the breach."""

runner = CliRunner()


@dataclass(frozen=True)
class Sent:
    """One message that left for a consumer mailbox: in the export, the log, or both."""

    qid: str
    msgid: str
    at: datetime
    to: str = "sam.j@gmail.com"


MARCH = [
    Sent("4A1B2C3D4E", "<case-1@tracecall.co.uk>", datetime(2021, 3, 1, 9, 15, tzinfo=UTC)),
    Sent("5B2C3D4E5F", "<case-2@tracecall.co.uk>", datetime(2021, 3, 3, 14, 2, tzinfo=UTC)),
    Sent("6C3D4E5F6A", "<case-3@tracecall.co.uk>", datetime(2021, 3, 5, 16, 30, tzinfo=UTC)),
]
ELSEWHERE = [  # in the log only: consumer-bound mail the export does not hold
    Sent("7D4E5F6A7B", "<other-1@tracecall.co.uk>", datetime(2021, 3, 20, 11, 0, tzinfo=UTC)),
    Sent("8E5F6A7B8C", "<other-2@tracecall.co.uk>", datetime(2021, 3, 22, 12, 0, tzinfo=UTC)),
]


def message(s: Sent, *, dated: bool = True, received: bool = False) -> bytes:
    """A message of the export carrying an NHS number and a test result to a gmail address."""
    date = f"Date: {format_datetime(s.at)}\n" if dated else ""
    hop = (f"Received: from ws1.{ORG} (ws1.{ORG} [10.0.0.1])\n\tby mx1.{ORG} (Postfix) with "
           f"ESMTPSA id {s.qid}\n\tfor <{s.to}>; {format_datetime(s.at)}\n") if received else ""
    return (f"{hop}From: agent@{ORG}\nTo: {s.to}\nSubject: Case update\n{date}"
            f"Message-ID: {s.msgid}\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n\n"
            "Hi Sam, NHS number 943 476 5919 - PCR came back positive today.\n").encode()


def mbox(*messages: bytes) -> bytes:
    return b"".join(b"From agent@tracecall.co.uk Mon Mar  1 09:15:00 2021\n" + m + b"\n"
                    for m in messages)


def postfix(s: Sent, *, msgid: bool = True) -> str:
    """The lines Postfix writes for `s`, with year-less BSD stamps in London time."""
    local = s.at.astimezone(LONDON)
    st = f"{local:%b} {local.day:>2} {local:%H:%M:%S} mx1"
    lines = [
        f"{st} postfix/submission/smtpd[1001]: {s.qid}: client=ws1.{ORG}[10.0.0.1], "
        f"sasl_method=PLAIN, sasl_username=agent@{ORG}",
        *([f"{st} postfix/cleanup[1002]: {s.qid}: message-id={s.msgid}"] if msgid else []),
        f"{st} postfix/qmgr[900]: {s.qid}: from=<agent@{ORG}>, size=2048, nrcpt=1 (queue active)",
        f"{st} postfix/smtp[1003]: {s.qid}: to=<{s.to}>, relay=gmail-smtp-in.l.google.com"
        "[142.250.1.26]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 OK)",
        f"{st} postfix/qmgr[900]: {s.qid}: removed",
    ]
    return "".join(line + "\n" for line in lines)


def write_log(path: Path, *sent: Sent, msgid: bool = True, mtime: datetime = COPIED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(postfix(s, msgid=msgid) for s in sent))
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def scan_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, evidence: Path,
                    *extra: str) -> tuple[dict, dict, str]:
    """`tracecheck scan --case` then `tracecheck report` (JSON and Markdown), as a user runs
    them: the scan's JSON, the report's JSON and the report's Markdown."""
    monkeypatch.chdir(tmp_path)  # no tracecheck.toml of the repository's own
    case = tmp_path / "case"
    res = runner.invoke(app, ["scan", str(evidence), "--case", str(case), "--org-domain", ORG,
                              "--fail-on", "never", "--format", "json", *extra])
    assert res.exit_code == 0, res.output
    scan = json.loads(res.output)
    rep = runner.invoke(app, ["report", "--case", str(case), "--format", "json"])
    assert rep.exit_code == 0, rep.output
    md = runner.invoke(app, ["report", "--case", str(case), "--format", "md"])
    assert md.exit_code == 0, md.output
    return scan, json.loads(rep.output), md.output


def section(md: str, title: str) -> str:
    """One section of the Markdown report, from its heading to the next."""
    start = md.index(title)
    end = md.find("\n## ", start)
    return md[start:] if end < 0 else md[start:end]


def log_source(scan: dict, name: str) -> dict:
    return next(s for s in scan["coverage"]["sources"] if s["path"].endswith(name))


def year_notes(scan: dict) -> list[str]:
    return [n["reason"] for n in scan["coverage"]["notes"] if "year" in n["reason"]]


# --- the regression: a 2021 export, its log copied in 2026 ---------------------------------


def test_matched_messages_give_the_logs_year_not_its_mtime(tmp_path, monkeypatch) -> None:
    ev = tmp_path / "evidence"
    ev.mkdir()
    (ev / "export.mbox").write_bytes(mbox(*(message(s) for s in MARCH)))
    write_log(ev / "logs" / "mail.log", *MARCH)

    scan, report, md = scan_and_report(tmp_path, monkeypatch, ev)

    times = sorted(e["time"] for e in scan["logs"]["event_list"])
    assert times == ["2021-03-01T09:15:00Z", "2021-03-03T14:02:00Z", "2021-03-05T16:30:00Z"]
    assert log_source(scan, "mail.log")["year_basis"] == "matched-messages"
    assert [y["basis"] for y in scan["logs"]["years"]] == ["matched-messages"]
    assert year_notes(scan) == [
        "year of year-less stamps: 2021, from the dates of 3 messages of the export it "
        "matches (3 of 3 agree)"]
    timeline = report["ico"]["timeline"]
    assert (timeline["started"], timeline["stopped"]) == (
        "2021-03-01T09:15:00Z", "2021-03-05T16:30:00Z")
    assert (timeline["logs_first"], timeline["logs_last"]) == (
        "2021-03-01T09:15:00Z", "2021-03-05T16:30:00Z")
    assert timeline["logs_inferred_first"] is None
    assert [(y["basis"], y["first_year"]) for y in timeline["log_years"]] == [
        ("matched-messages", 2021)]
    when = section(md, "When the breach happened")
    assert "2026" not in when and "2025" not in when
    assert "matched messages in the export" in md
    assert "**Breach stopped (last flagged message):** 2021-03-05T16:30:00Z" in md


def test_queue_ids_in_received_headers_match_too(tmp_path, monkeypatch) -> None:
    ev = tmp_path / "evidence"
    ev.mkdir()
    (ev / "export.mbox").write_bytes(mbox(*(message(s, received=True) for s in MARCH)))
    write_log(ev / "mail.log", *MARCH, msgid=False)  # no message-id= lines: queue ids only

    scan, report, _ = scan_and_report(tmp_path, monkeypatch, ev)

    assert log_source(scan, "mail.log")["year_basis"] == "matched-messages"
    assert sorted(e["time"][:4] for e in scan["logs"]["event_list"]) == ["2021"] * 3
    assert report["ico"]["timeline"]["stopped"] == "2021-03-05T16:30:00Z"


def test_without_matching_messages_the_mtime_year_is_flagged(tmp_path, monkeypatch) -> None:
    ev = tmp_path / "evidence"
    ev.mkdir()
    (ev / "export.mbox").write_bytes(mbox(*(message(s) for s in MARCH)))
    write_log(ev / "mail.log", *ELSEWHERE)  # none of the export's messages

    scan, report, md = scan_and_report(tmp_path, monkeypatch, ev)

    assert log_source(scan, "mail.log")["year_basis"] == "mtime"
    # The log's last stamp (22 Mar) lies after the copy's mtime (5 Jan 2026): 2025.
    assert year_notes(scan) == [
        "year of year-less stamps: 2025, INFERRED from the file's modification time "
        "(no dated message of the export matches it); pass --log-year if the year is known"]
    timeline = report["ico"]["timeline"]
    assert (timeline["started"], timeline["stopped"]) == (
        "2021-03-01T09:15:00Z", "2021-03-05T16:30:00Z")
    unknown = report["ico"]["unknown_content"]["messages"]
    assert [(u["time"], u["year_inferred"]) for u in unknown] == [
        ("2025-03-20T11:00:00Z", True), ("2025-03-22T12:00:00Z", True)]
    assert "**Breach stopped (last flagged message):** 2021-03-05T16:30:00Z" in md
    mark = "(year inferred from the log file's modification time)"
    assert f"2025-03-20T11:00:00Z {mark} to 2025-03-22T12:00:00Z {mark}" in md
    assert "left out of the breach window" in md


def test_an_mtime_year_never_extends_the_breach_window(tmp_path, monkeypatch) -> None:
    # The one message the log shares with the export has no Date header: nothing dates the
    # log but its mtime, so the log's time of that flagged message must not become "stopped".
    late = Sent("9F6A7B8C9D", "<case-9@tracecall.co.uk>", datetime(2021, 3, 20, 11, 0, tzinfo=UTC))
    ev = tmp_path / "evidence"
    ev.mkdir()
    (ev / "export.mbox").write_bytes(mbox(*(message(s) for s in MARCH[:2]),
                                          message(late, dated=False)))
    write_log(ev / "mail.log", late)

    scan, report, md = scan_and_report(tmp_path, monkeypatch, ev)

    assert log_source(scan, "mail.log")["year_basis"] == "mtime"
    timeline = report["ico"]["timeline"]
    assert timeline["stopped"] == "2021-03-03T14:02:00Z"
    assert timeline["logs_last"] is None
    assert (timeline["logs_inferred_first"], timeline["logs_inferred_last"]) == (
        "2025-03-20T11:00:00Z", "2025-03-20T11:00:00Z")
    assert "**Breach stopped (last flagged message):** 2021-03-03T14:02:00Z" in md
    assert "2025-03-20T11:00:00Z (year inferred from the log file's modification time" in md


def test_log_year_overrides_and_is_stated_as_given(tmp_path, monkeypatch) -> None:
    ev = tmp_path / "evidence"
    ev.mkdir()
    (ev / "export.mbox").write_bytes(mbox(*(message(s) for s in MARCH)))
    write_log(ev / "mail.log", *MARCH, *ELSEWHERE)

    scan, report, md = scan_and_report(tmp_path, monkeypatch, ev, "--log-year", "2020")

    assert log_source(scan, "mail.log")["year_basis"] == "given"
    assert sorted({e["time"][:4] for e in scan["logs"]["event_list"]}) == ["2020"]
    notes = year_notes(scan)
    assert notes[0] == "year of year-less stamps: 2020, given with --log-year"
    # The evidence disagrees: said, never silently.
    assert notes[1] == ("the 3 messages of the export that this log matches date it to 2021, "
                        "not to the year given with --log-year")
    assert [y["basis"] for y in report["ico"]["timeline"]["log_years"]] == ["given"]
    assert "given with --log-year" in md


# --- rotation order ---------------------------------------------------------------------


DECEMBER = [
    Sent("1A1A1A1A1A", "<dec-1@tracecall.co.uk>", datetime(2020, 12, 29, 10, 0, tzinfo=UTC)),
    Sent("2B2B2B2B2B", "<dec-2@tracecall.co.uk>", datetime(2020, 12, 31, 22, 0, tzinfo=UTC)),
]
JANUARY = [Sent("3C3C3C3C3C", "<jan-1@tracecall.co.uk>", datetime(2021, 1, 2, 8, 0, tzinfo=UTC))]


def refs(*sent: Sent) -> list[MessageRef]:
    return [MessageRef(locator=f"export.mbox@{i}", sha256="0" * 64, message_id=s.msgid,
                       date=s.at.strftime("%Y-%m-%dT%H:%M:%SZ"), consumer=True)
            for i, s in enumerate(sent)]


def test_rotation_order_carries_a_matched_year_to_the_other_files(tmp_path) -> None:
    # mail.log.1 (December) holds the export's messages; mail.log (January) holds none, and
    # its mtime says June 2026: the chain from mail.log.1 puts it in 2021.
    older = write_log(tmp_path / "mail.log.1", *DECEMBER)
    newest = write_log(tmp_path / "mail.log", *JANUARY, mtime=datetime(2026, 6, 1, tzinfo=UTC))

    read = read_log_files([str(newest), str(older)], export=refs(*DECEMBER))

    assert [(e.queue_id, e.time) for e in read.events] == [
        ("1A1A1A1A1A", "2020-12-29T10:00:00Z"), ("2B2B2B2B2B", "2020-12-31T22:00:00Z"),
        ("3C3C3C3C3C", "2021-01-02T08:00:00Z")]
    years = {Path(y.path).name: y for y in read.years}
    assert years["mail.log.1"].basis is LogYearBasis.MATCHED
    assert years["mail.log"].basis is LogYearBasis.ROTATION
    assert (years["mail.log"].first_year, years["mail.log"].detail) == (
        2021, "chained from mail.log.1 (matched messages in the export) through the rotated set")
    assert [n.reason for n in read.notes if n.locator.path == str(newest)] == [
        "year of year-less stamps: 2021, from the rotation order: chained from mail.log.1 "
        "(matched messages in the export) through the rotated set"]


def test_a_set_without_matches_keeps_its_mtime_chain_and_says_so(tmp_path) -> None:
    older = write_log(tmp_path / "mail.log.1", *DECEMBER)
    newest = write_log(tmp_path / "mail.log", *JANUARY, mtime=datetime(2026, 6, 1, tzinfo=UTC))

    read = read_log_files([str(newest), str(older)], export=refs(*MARCH))

    assert [e.time[:4] for e in read.events] == ["2025", "2025", "2026"]
    assert {Path(y.path).name: y.basis for y in read.years} == {
        "mail.log.1": LogYearBasis.MTIME, "mail.log": LogYearBasis.MTIME}


def test_plan_years_anchors_each_set_on_its_matched_file(tmp_path) -> None:
    a1 = write_log(tmp_path / "a" / "mail.log.1", *DECEMBER)
    a0 = write_log(tmp_path / "a" / "mail.log", *JANUARY)
    b0 = write_log(tmp_path / "b" / "mail.log", *JANUARY, mtime=datetime(2030, 6, 1, tzinfo=UTC))
    plan = plan_years([str(a1), str(a0), str(b0)], matched={str(a1): 2020})
    assert plan.years == {str(a1): 2020, str(a0): 2021, str(b0): 2030}
    assert plan.basis == {str(a1): LogYearBasis.MATCHED, str(a0): LogYearBasis.ROTATION,
                          str(b0): LogYearBasis.MTIME}
    assert plan.chained_from == {str(a0): str(a1)}


def test_a_match_far_from_the_export_date_does_not_vote(tmp_path) -> None:
    # A queue id or Message-ID that matches a message dated months away is not the same
    # sending (ids are reused): it gives no year.
    log = write_log(tmp_path / "mail.log", *MARCH)
    stale = [MessageRef(locator="x@0", sha256="0" * 64, message_id=MARCH[0].msgid,
                        date="2019-08-01T10:00:00Z", consumer=True)]
    read = read_log_files([str(log)], export=stale)
    assert [y.basis for y in read.years] == [LogYearBasis.MTIME]


def test_the_majority_of_matches_decides_and_the_rest_is_counted(tmp_path) -> None:
    log = write_log(tmp_path / "mail.log", *MARCH)
    export = refs(*MARCH)
    export[2] = MessageRef(locator="x@2", sha256="0" * 64, message_id=MARCH[2].msgid,
                           date="2022-03-05T16:30:00Z", consumer=True)
    read = read_log_files([str(log)], export=export)
    assert [(y.basis, y.first_year, y.detail) for y in read.years] == [
        (LogYearBasis.MATCHED, 2021, "the dates of 3 messages of the export it matches "
                                     "(2 of 3 agree)")]


def test_stamped_logs_need_no_year(tmp_path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("2021-03-01T09:15:00+00:00 mx1 postfix/qmgr[900]: 4A1B2C3D4E: "
                   "from=<agent@tracecall.co.uk>, size=2048, nrcpt=1 (queue active)\n")
    read = read_log_files([str(log)])
    assert [(y.basis, y.first_year) for y in read.years] == [(LogYearBasis.STAMPED, None)]
    assert read.notes == ()


def test_the_terminal_summary_says_when_a_year_is_inferred(tmp_path) -> None:
    (tmp_path / "export.mbox").write_bytes(mbox(*(message(s) for s in MARCH)))
    write_log(tmp_path / "mail.log", *ELSEWHERE)
    res = runner.invoke(app, ["scan", str(tmp_path), "--org-domain", ORG, "--fail-on", "never",
                              "--format", "table"])
    assert res.exit_code == 0, res.output
    assert ("Logs: the year of 1 log file is INFERRED from the file's modification time alone; "
            "pass --log-year if it is known (see coverage.notes).") in res.output
    write_log(tmp_path / "mail.log", *MARCH)  # now the export dates it: nothing to warn of
    res = runner.invoke(app, ["scan", str(tmp_path), "--org-domain", ORG, "--fail-on", "never",
                              "--format", "table"])
    assert "INFERRED" not in res.output


def test_a_case_keeps_the_year_records_and_reads_unknown_bases_as_the_weakest() -> None:
    from tracecheck.model import LogSummary, LogYear

    summary = LogSummary(events=1, consumer_bound_messages=0, matched_in_export=0,
                         forwarding_rules=0, not_in_export_list=(), delivery={}, years=(
                             LogYear("/l/mail.log", "postfix", LogYearBasis.ROTATION, 2020, 2021,
                                     "chained from mail.log.1 (...)"),
                             LogYear("/l/audit.csv", "o365-audit", LogYearBasis.STAMPED)))
    assert LogSummary.from_dict(json.loads(json.dumps(summary.as_dict()))) == summary
    assert summary.years[0].years == "2020-2021" and summary.years[1].years == ""
    later = LogYear.from_dict({"path": "/l/x", "basis": "carbon-dating", "first_year": 2021})
    assert later.basis is LogYearBasis.MTIME and later.basis.inferred
