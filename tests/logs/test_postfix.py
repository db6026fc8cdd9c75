"""Postfix: queue-id joining, Dec→Jan year turn, content-filter re-injection, queue-id reuse,
orig_to, RFC 3339 / RFC 5424 stamps, year from mtime, and malformed lines."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from logkit import FIXTURES, by_qid, read_all

from tracecheck.logs import MALFORMED

DEC_JAN = FIXTURES / "postfix_dec_jan.log"


def test_december_to_january_turn_moves_the_year() -> None:
    events, _ = read_all(DEC_JAN, year=2020)
    q = by_qid(events)
    assert q["4A1B2C3D4E"].time == "2020-12-31T23:50:02Z"
    assert q["7D4E5F6071"].time == "2021-01-01T00:05:00Z"


def test_one_event_per_message_with_all_its_lines() -> None:
    events, _ = read_all(DEC_JAN, year=2020)
    ev = by_qid(events)["4A1B2C3D4E"]
    assert ev.sender == "agent.one@example.org"
    assert ev.message_id == "case-4471@example.org"
    assert ev.size == 2048
    assert ev.subject == "Case 4471 COVID test result positive"  # header_checks WARN line
    assert [(r.addr, r.status) for r in ev.recipients] == [
        ("manager.a@gmail.com", "delivered"), ("team.lead@example.org", "delivered")]
    assert "sasl_username=agent.one@example.org" in ev.notes
    assert str(ev.locator) == f"{DEC_JAN}:2"


def test_content_filter_reinjection_is_one_message_with_final_status() -> None:
    events, _ = read_all(DEC_JAN, year=2020)
    q = by_qid(events)
    assert "6C3D4E5F60" not in q  # joined into its parent, not a second message
    ev = q["5B2C3D4E5F"]
    assert ev.time == "2020-12-31T23:58:10Z"
    assert ev.sender == "agent.two@example.org"
    (rcpt,) = ev.recipients
    # deferred at 00:00:03, delivered at 00:10:03 after the filter re-injected it
    assert (rcpt.addr, rcpt.status) == ("line.manager@hotmail.co.uk", "delivered")
    assert "queue-ids: 5B2C3D4E5F 6C3D4E5F60" in ev.notes


def test_orig_to_and_bounce() -> None:
    events, _ = read_all(DEC_JAN, year=2020)
    q = by_qid(events)
    (r,) = q["7D4E5F6071"].recipients
    assert (r.addr, r.status, r.orig_to) == (
        "agent.three@yahoo.co.uk", "bounced", "agent.three@example.org")
    assert q["8E5F607182"].sender == ""  # the null sender of a bounce


def test_reused_queue_id_gives_two_messages() -> None:
    events, _ = read_all(DEC_JAN, year=2020)
    reused = [e for e in events if e.queue_id == "9A0B1C2D3E"]
    assert [(e.sender, e.time) for e in reused] == [
        ("reports@example.org", "2021-01-01T00:12:00Z"),
        ("someone.else@gmail.com", "2021-01-01T00:15:00Z"),
    ]
    assert "queue id reused before 'removed'" in reused[0].notes


def test_counts_and_malformed_lines_listed_not_fatal() -> None:
    events, skips = read_all(DEC_JAN, year=2020)
    assert len(events) == 6  # NOQUEUE rejects and dovecot lines are not messages
    assert [(str(s.locator), s.kind) for s in skips] == [
        (f"{DEC_JAN}:42", MALFORMED), (f"{DEC_JAN}:43", MALFORMED)]


def test_year_from_mtime_when_not_given(tmp_path: Path) -> None:
    copy = tmp_path / "mail.log"
    shutil.copy(DEC_JAN, copy)
    stamp = datetime(2021, 1, 2, 12, 0, tzinfo=UTC).timestamp()
    os.utime(copy, (stamp, stamp))
    events, _ = read_all(copy)
    assert by_qid(events)["4A1B2C3D4E"].time == "2020-12-31T23:50:02Z"
    # a file last written in March 2022 whose last line says Jan 1: that January is 2022
    stamp = datetime(2022, 3, 1, tzinfo=UTC).timestamp()
    os.utime(copy, (stamp, stamp))
    events, _ = read_all(copy)
    assert by_qid(events)["7D4E5F6071"].time == "2022-01-01T00:05:00Z"


def test_summer_time_converted_to_utc(tmp_path: Path) -> None:
    log = tmp_path / "maillog"
    log.write_text(
        "Jul  4 10:00:00 mx postfix/qmgr[1]: ABCDE12345: from=<a@example.org>, size=1, nrcpt=1"
        " (queue active)\n"
        "Jul  4 10:00:01 mx postfix/smtp[2]: ABCDE12345: to=<b@gmail.com>, relay=x[1.2.3.4]:25,"
        " delay=1, dsn=2.0.0, status=sent (250 ok)\n"
        "Jul  4 10:00:01 mx postfix/qmgr[1]: ABCDE12345: removed\n"
    )
    (london,), _ = read_all(log, year=2021)
    (utc,), _ = read_all(log, year=2021, tz="UTC")
    assert london.time == "2021-07-04T09:00:00Z"
    assert utc.time == "2021-07-04T10:00:00Z"


def test_rfc3339_and_rfc5424_stamps() -> None:
    (ev,), skips = read_all(FIXTURES / "postfix_rfc3339.log")
    assert skips == []
    assert ev.time == "2023-07-29T03:15:01Z"  # +01:00 offset honoured
    assert [(r.addr, r.status) for r in ev.recipients] == [("helper@icloud.com", "delivered")]
    assert "next hop queue id 0123ABCD" in ev.notes


def test_local_forward_joins_the_new_queue_id(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(
        "Feb  1 09:00:00 mx postfix/smtpd[1]: AAAAA11111: client=ext.example.net[192.0.2.1]\n"
        "Feb  1 09:00:00 mx postfix/cleanup[2]: AAAAA11111: message-id=<in@example.net>\n"
        "Feb  1 09:00:00 mx postfix/qmgr[3]: AAAAA11111: from=<x@example.net>, size=5, nrcpt=1"
        " (queue active)\n"
        "Feb  1 09:00:01 mx postfix/cleanup[2]: BBBBB22222: message-id=<in@example.net>\n"
        "Feb  1 09:00:01 mx postfix/qmgr[3]: BBBBB22222: from=<x@example.net>, size=9, nrcpt=1"
        " (queue active)\n"
        "Feb  1 09:00:01 mx postfix/local[4]: AAAAA11111: to=<nurse@example.org>, relay=local,"
        " delay=1, dsn=2.0.0, status=sent (forwarded as BBBBB22222)\n"
        "Feb  1 09:00:01 mx postfix/qmgr[3]: AAAAA11111: removed\n"
        "Feb  1 09:00:02 mx postfix/smtp[5]: BBBBB22222: to=<nurse.home@gmail.com>,"
        " relay=gmail-smtp-in.l.google.com[142.250.1.1]:25, delay=1, dsn=2.0.0,"
        " status=sent (250 ok)\n"
        "Feb  1 09:00:02 mx postfix/qmgr[3]: BBBBB22222: removed\n"
    )
    (ev,), _ = read_all(log, year=2021)
    assert [(r.addr, r.status, r.orig_to) for r in ev.recipients] == [
        ("nurse@example.org", "expanded", ""),
        ("nurse.home@gmail.com", "delivered", "nurse@example.org"),
    ]
    assert "forwarded as BBBBB22222" in ev.notes


def _filtered(qid: str, child: str, minute: int) -> str:
    st = f"Feb  2 09:{minute:02d}:00 mx"
    return (
        f"{st} postfix/smtpd[1]: {qid}: client=ws[10.0.0.9]\n"
        f"{st} postfix/qmgr[3]: {qid}: from=<a@example.org>, size=5, nrcpt=1 (queue active)\n"
        f"{st} postfix/smtp[4]: {qid}: to=<b@gmail.com>, relay=127.0.0.1[127.0.0.1]:10024,"
        f" delay=1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {child})\n"
        f"{st} postfix/qmgr[3]: {qid}: removed\n"
    )


def test_filter_copy_never_seen_still_emits_the_message(tmp_path: Path, monkeypatch) -> None:
    from tracecheck.logs import postfix

    log = tmp_path / "mail.log"
    log.write_text(_filtered("CCCCC11111", "DDDDD11111", 1) + _filtered("CCCCC22222",
                                                                        "DDDDD22222", 2))
    events, _ = read_all(log, year=2021)  # held to the end of the file
    assert [(e.queue_id, e.recipients[0].status) for e in events] == [
        ("CCCCC11111", "delivered"), ("CCCCC22222", "delivered")]
    monkeypatch.setattr(postfix, "MAX_PENDING", 1)  # or emitted once too many wait
    assert [e.queue_id for e in read_all(log, year=2021)[0]] == ["CCCCC11111", "CCCCC22222"]
