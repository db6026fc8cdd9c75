"""Flow triage: the raw-header fast path gives the full path's verdict, or declines.

Differential tests on the samples, the real corpora (skipped when absent) and generated
headers and MIME trees (`tests/mime_gen.py`), plus the bug that made the flow depend on which
path ran: an EML with no addresses was `non-consumer` alone and `unknown` beside a log file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import Phase, find, given, settings

from tests import mime_gen
from tests.conftest import SAMPLES, corpus, eml, raw_messages
from tracecheck import api
from tracecheck.content.mime import Unparseable, header_fields, message_info, parse_full
from tracecheck.domains import ConsumerDomains
from tracecheck.model import Flow, Locator, RawMessage
from tracecheck.triage import full_verdict, quick_verdict

CONSUMER = ConsumerDomains.load_default()


def same_verdict_or_declined(raw: RawMessage) -> bool:
    """True when the fast path answered (with the full path's verdict); False when it
    declined. The full verdict is the same from the triage split and the full parse."""
    try:
        slow = full_verdict(message_info(raw, header_fields(raw)), CONSUMER)
        whole = full_verdict(message_info(raw, parse_full(raw)), CONSUMER)
    except Unparseable:
        return False
    assert slow == whole, raw.raw[:300]
    quick = quick_verdict(raw, CONSUMER, {})
    if quick is None:
        return False
    assert quick == slow, raw.raw[:300]
    assert not quick.flow.is_consumer
    return True


def test_samples_fast_verdicts_equal_the_full_path() -> None:
    answered = [same_verdict_or_declined(r) for r in raw_messages(SAMPLES)]
    assert len(answered) > 150
    # both paths run: the samples are mostly consumer mail, which the fast path declines
    assert any(answered) and not all(answered)


def test_every_shared_corpus_fast_verdicts_equal_the_full_path() -> None:
    answered = [same_verdict_or_declined(r) for r in raw_messages(corpus())]
    assert len(answered) > 100 and any(answered)


@settings(max_examples=mime_gen.EXAMPLES, deadline=None,
          suppress_health_check=[])  # too_slow stays on: the generator's minimum rate
@given(mime_gen.messages())
def test_generated_messages_fast_verdicts_equal_the_full_path(data: bytes) -> None:
    same_verdict_or_declined(RawMessage(source="g", locator=Locator("g"), raw=data, sha256=""))


@pytest.mark.parametrize("data", [
    b"From: a@x_y.gmail.com\nTo: b@org.example\n\nhi\n",  # '_' ends the old domain pattern
    b"From: a@org.example\nTo: b@\x01gmail.com\n\nhi\n",  # control byte: the parser joins
    b"From: a@org.example\nTo: b@ gmail.com\n\nhi\n",
    b"From: a@org.example\nTo: b@gmail(c).com\n\nhi\n",
    b"From : a@gmail.com\nTo: b@org.example\n\nhi\n",
    b"From\t: a@gmail.com\nTo: b@org.example\n\nhi\n",
    b"Message-ID: <x@org.example>\nSubject: no addresses\n\nhi\n",
    b"From: a@org.example\nTo: b @gmail.com\n\nhi\n",
    b"From: a@org.example\nTo: b\t@gmail.com\n\nhi\n",
    b"From: a@org.example\nTo: b@\n gmail.com\n\nhi\n",
    b"From: a@org.example\nTo: b@gmail.com(c)\n\nhi\n",
    b"From: a@org.example\nTo: b@org.example\x7f, c@gmail.com\n\nhi\n",
    b"From: a@org.example\nTo: b@org.example\rc@gmail.com\n\nhi\n",
    b"From: a@org.example\nTo: \xc3\xa9 <b@gmail.com>\n\nhi\n",
])
def test_shapes_that_could_hide_a_consumer_address_are_declined(data: bytes) -> None:
    raw = RawMessage(source="t", locator=Locator("t"), raw=data, sha256="")
    assert quick_verdict(raw, CONSUMER, {}) is None
    same_verdict_or_declined(raw)


@pytest.mark.parametrize("data", [
    b"FROM: a@org.example\nTo: b@org.example\n\nhi\n",
    b"from: A <a@org.example>\nTO: b@org.example\n\nhi\n",
    b"From: A\n <a@org.example>\nTo: b@org.example\n\nhi\n",
    b"From: a@org.example\r\nTo: b@org.example\r\n\r\nhi\r\n",
    b"Received: from x (x [1.2.3.4])\n\tby mx.org.example; Mon, 11 Jan 2021\nFrom: a@org.example,"
    b"\n\tb@partner.example\nTo: c@org.example\n\nhi\n",
])
def test_plain_non_consumer_shapes_are_answered_with_the_full_verdict(data: bytes) -> None:
    raw = RawMessage(source="t", locator=Locator("t"), raw=data, sha256="")
    assert same_verdict_or_declined(raw)


def _flows(paths: list[str]) -> dict[str, int]:
    result = api.scan(paths)
    return dict(result.flow_counts)


def test_an_eml_without_addresses_is_unknown_with_or_without_logs(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "m.eml").write_bytes(
        b"Message-ID: <m1@org.example>\nSubject: notes\nDate: Mon, 11 Jan 2021 09:30:00 +0000"
        b"\n\nno addresses here\n")
    log = tmp_path / "mail.log"
    log.write_text("Jan 11 09:30:00 mx postfix/qmgr[1]: 4F1A2B3C4D: from=<a@org.example>, "
                   "size=100, nrcpt=1 (queue active)\n", encoding="utf-8")
    alone = _flows([str(tmp_path / "mail")])
    with_log = _flows([str(tmp_path / "mail"), str(log)])
    assert alone == with_log == {"unknown": 1}


def test_flow_counts_do_not_depend_on_which_path_ran(tmp_path: Path) -> None:
    """A plain scan (fast path), a scan beside a log file and a scan into a case (every
    message's facts kept) count the same flows and infer the same organisation."""
    log = tmp_path / "mail.log"
    log.write_text("Jan 11 09:30:00 mx postfix/qmgr[1]: 4F1A2B3C4D: from=<a@org.example>, "
                   "size=100, nrcpt=1 (queue active)\n", encoding="utf-8")
    paths = [str(SAMPLES / d) for d in ("mbox", "eml", "maildir")]
    plain = api.scan(paths)
    beside = api.scan([*paths, str(log)])
    assert plain.flow_counts == beside.flow_counts
    assert plain.org == beside.org
    assert plain.messages_scanned == beside.messages_scanned


def test_the_generator_builds_nested_multiparts_and_attached_messages() -> None:
    nested = find(mime_gen.messages(),
                  lambda d: d.count(b"multipart/") >= 2 and b"message/rfc822" in d,
                  settings=settings(max_examples=5000, database=None,
                                    phases=[Phase.generate]))  # no shrinking: any will do
    assert b"message/rfc822" in nested and nested.count(b"multipart/") >= 2


def test_scan_of_a_consumer_message_still_scans_content(tmp_path: Path) -> None:
    (tmp_path / "m.eml").write_bytes(eml(body="NHS number 943 476 5919, tested positive"))
    result = api.scan([str(tmp_path)])
    assert result.flow_counts == {"to-consumer": 1}
    assert any(f.flow is Flow.TO_CONSUMER for f in result.findings)
