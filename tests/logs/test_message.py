"""One builder for every joined message: how a recipient seen again is merged, and the event."""

from __future__ import annotations

from datetime import UTC

from logkit import FIXTURES, by_qid, read_all

from tracecheck.logs.base import LogSource
from tracecheck.logs.message import MessageBuilder, built_events, merge_recipient
from tracecheck.model import Locator, LogRecipient


def test_a_retried_recipient_ends_with_its_most_final_status() -> None:
    msg = MessageBuilder(3, "2021-01-01T10:00:00Z", queue_id="Q1")
    msg.add("a@gmail.com", "deferred", "451 try later")
    msg.add("a@gmail.com", "delivered", "250 ok", orig="alias@example.org")
    msg.add("a@gmail.com", "deferred", "451 again")  # a late retry line does not undo it
    assert list(msg.rcpts.values()) == [
        LogRecipient("a@gmail.com", "delivered", "250 ok", "alias@example.org")]
    # A deferral gives way to anything, even a less final word.
    assert merge_recipient(LogRecipient("b@x.org", "deferred", "451"),
                           LogRecipient("b@x.org", "received", "")).status == "received"


def test_exports_fold_case_and_mta_logs_do_not() -> None:
    export = MessageBuilder(1, None, fold_case=True)
    export.add("Kim@Gmail.com", "received")
    export.add("kim@gmail.com", "delivered", "SEND")
    assert [(r.addr, r.status) for r in export.rcpts.values()] == [("Kim@Gmail.com",
                                                                    "delivered")]
    mta = MessageBuilder(1, None)
    mta.add("Kim@Gmail.com", "received")
    mta.add("kim@gmail.com", "delivered")
    assert len(mta.rcpts) == 2


def test_events_in_order_of_their_first_line_with_the_readers_notes() -> None:
    src = LogSource("mail.log", UTC)
    late = MessageBuilder(9, None, sender="b@example.org", notes=["held"])
    early = MessageBuilder(2, "2021-01-01T00:00:00Z", sender="a@example.org")
    events = built_events(src, [late, early], "postfix")
    assert [e.locator for e in events] == [Locator("mail.log", line=2),
                                           Locator("mail.log", line=9)]
    assert late.event(src, "exim", notes=("no 'Completed' line in this log",)).notes == (
        "held", "no 'Completed' line in this log")


def test_exim_delivery_replaces_the_arrival_entry_it_came_through() -> None:
    events, _ = read_all(FIXTURES / "exim_mainlog")
    rcpts = {r.addr: r for r in by_qid(events)["1hhlhb-006myf-8K"].recipients}
    # `for ... alias@example.org` at arrival, then `=> c.person@example.org <alias@...>`.
    assert "alias@example.org" not in rcpts
    assert (rcpts["c.person@example.org"].status,
            rcpts["c.person@example.org"].orig_to) == ("delivered", "alias@example.org")
    for event in events:
        addrs = [r.addr.lower() for r in event.recipients]
        assert len(addrs) == len(set(addrs)), event.queue_id
    # Every syslog reader goes through the builder: postfix's joined queue ids stay a note.
    postfix, _ = read_all(FIXTURES / "postfix_dec_jan.log", year=2020)
    assert any(n.startswith("queue-ids: ") for e in by_qid(postfix).values() for n in e.notes)
