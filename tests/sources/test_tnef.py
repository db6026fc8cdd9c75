"""Standalone TNEF files (`winmail.dat`, `.tnef`) are a source: the message is built from the
TNEF attributes and scanned like any other (issue 14). They were "unsupported" before."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import Message
from pathlib import Path

import pytest

from tests.conftest import corpus, eml
from tests.sources import tnefkit
from tracecheck import api
from tracecheck.model import Flow, NoteKind, RawMessage, SkipKind, Skipped
from tracecheck.sources.base import InputFile, SourceType
from tracecheck.sources.files import open_stream, read_messages, sniff_file

NHS = "NHS number 943 476 5919 for the patient"


def _read(path: Path) -> list[object]:
    inp = sniff_file(str(path))
    assert isinstance(inp, InputFile) and inp.kind is SourceType.TNEF
    with open_stream(inp) as (stream, _):
        return list(read_messages(inp, stream))


def _message(items: list[object]) -> tuple[RawMessage, Message]:
    raws = [i for i in items if isinstance(i, RawMessage)]
    assert len(raws) == 1 and isinstance(raws[0].parsed, Message)
    return raws[0], raws[0].parsed


@pytest.mark.parametrize("name", ["winmail.dat", "message.tnef", "attachment"])
def test_a_winmail_dat_is_read_as_one_message_and_scanned(name: str, tmp_path: Path) -> None:
    data = tnefkit.tnef(body=NHS, recipients=[(tnefkit.TO, "Pat", "pat@gmail.com"),
                                              (tnefkit.CC, "Ops", "ops@tracecall.co.uk")])
    path = tmp_path / name
    path.write_bytes(data)
    result = api.scan([str(path)])
    assert [(s.type, s.messages) for s in result.sources] == [("tnef", 1)]
    assert result.flow_counts == {Flow.TO_CONSUMER.value: 1}
    finding, = result.findings
    assert (finding.rule, finding.where, finding.locator) == ("nhs-number", "body", str(path))
    assert finding.sender == "agent@tracecall.co.uk"
    # the file's bytes are the message's hash, as for an .msg
    assert finding.message_sha256 == hashlib.sha256(data).hexdigest()
    assert result.skipped == ()


def test_headers_come_from_the_tnef_attributes(tmp_path: Path) -> None:
    path = tmp_path / "winmail.dat"
    path.write_bytes(tnefkit.tnef(
        subject="Results", recipients=[(tnefkit.TO, "Pat", "pat@gmail.com"),
                                       (tnefkit.CC, "Kay", "kay@yahoo.co.uk"),
                                       (tnefkit.BCC, "Lee", "lee@tracecall.co.uk")],
        message_id="<abc@tracecall.co.uk>"))
    raw, msg = _message(_read(path))
    assert raw.container == "tnef"
    assert (msg["From"], msg["To"], msg["Cc"], msg["Bcc"]) == (
        "Agent <agent@tracecall.co.uk>", "Pat <pat@gmail.com>", "Kay <kay@yahoo.co.uk>",
        "Lee <lee@tracecall.co.uk>")
    assert (msg["Subject"], msg["Date"], msg["Message-ID"]) == (
        "Results", "Mon, 11 Jan 2021 09:30:00 +0000", "<abc@tracecall.co.uk>")


def test_attachments_and_embedded_messages_are_carried(tmp_path: Path) -> None:
    inner = tnefkit.tnef(subject="inner", body=NHS,
                         recipients=[(tnefkit.TO, "Pat", "pat@gmail.com")])
    path = tmp_path / "winmail.dat"
    path.write_bytes(tnefkit.tnef(body="see attached",
                                  attachments=[("cases.csv", f"id,nhs\n1,{NHS}\n".encode())],
                                  embedded=[("forwarded", inner)]))
    result = api.scan([str(path)], api.ScanOptions(all_messages=True))
    assert sorted((f.where, f.part) for f in result.findings) == [
        ("attachment:cases.csv", "2"), ("attachment:forwarded", "3/rfc822/1")]


def test_a_date_from_the_local_send_time_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "winmail.dat"
    path.write_bytes(tnefkit.tnef(submitted=None, date_sent=dt.datetime(2021, 1, 11, 10, 15)))
    items = _read(path)
    _, msg = _message(items)
    assert msg["Date"] == "Mon, 11 Jan 2021 10:15:00 +0000"
    assert [i.reason for i in items if not isinstance(i, RawMessage)] == [
        "tnef: Date taken from attDateSent, the sender's local time with no time zone "
        "(written as UTC)"]


def test_a_winmail_dat_without_addresses_says_its_flow_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "winmail.dat"
    path.write_bytes(tnefkit.tnef(sender=None, recipients=()))
    result = api.scan([str(path)])
    assert result.flow_counts == {Flow.UNKNOWN.value: 1}
    assert [n.reason for n in result.notes if n.kind is NoteKind.SOURCE] == [
        "tnef: no sender or recipients in the file (a winmail.dat leaves them to the mail "
        "that carried it): its flow is unknown"]


def test_the_receiving_mailbox_stands_in_for_a_missing_recipient_table(tmp_path: Path) -> None:
    path = tmp_path / "winmail.dat"
    path.write_bytes(tnefkit.tnef(recipients=(), received_by=("Pat", "pat@gmail.com")))
    items = _read(path)
    _, msg = _message(items)
    assert msg["To"] == "Pat <pat@gmail.com>"
    assert [i.reason for i in items if not isinstance(i, RawMessage)] == [
        "tnef: no recipient table; the mailbox that received the message (PR_RECEIVED_BY) "
        "is written as To"]


def test_legacy_and_mapi_message_classes(tmp_path: Path) -> None:
    path = tmp_path / "winmail.dat"
    path.write_bytes(tnefkit.tnef(message_class="IPM.Microsoft Mail.Read Receipt"))
    _message(_read(path))  # a read receipt is mail
    path.write_bytes(tnefkit.tnef(mapi_class="IPM.Appointment"))
    skip, = _read(path)
    assert isinstance(skip, Skipped) and skip.kind is SkipKind.NON_MAIL
    assert skip.reason == "non-mail item: appointment"


def test_damaged_tnef_is_listed_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "winmail.dat"
    # an attachment attribute before the attribute that opens an attachment: tnefparse fails
    path.write_bytes(tnefkit.SIGNATURE + b"\x01\x00" + tnefkit.attribute(
        tnefkit.ATTACHMENT, tnefkit.ATT_ATTACH_TITLE, tnefkit.STRING, b"cases.csv\x00"))
    readable = tmp_path / "other.eml"  # so that the scan has something to read
    readable.write_bytes(eml())
    result = api.scan([str(path), str(readable)])
    skip, = result.skipped
    assert (skip.kind, str(skip.locator)) == (SkipKind.UNREADABLE, str(path))
    assert skip.reason.startswith("tnef: not readable (")
    assert result.messages_found == 2 and result.messages_scanned == 1


def test_the_real_tnef_files_are_each_one_message() -> None:
    folder = corpus("outlook", "tnef")
    result = api.scan([str(folder)], api.ScanOptions(all_messages=True))
    assert [(Path(s.path).name, s.type, s.messages) for s in result.sources] == [
        (p.name, "tnef", 1) for p in sorted(folder.iterdir())]
    assert result.messages_found == result.messages_scanned == 8
    assert not [s for s in result.skipped if not s.locator.within]
    subjects = {}
    for path in sorted(folder.iterdir()):
        _, msg = _message(_read(path))
        subjects[path.name] = msg["Subject"]
    assert subjects["mimekit_body.tnef"] == "Bill of Rights"
    assert subjects["mimekit_two-files.tnef"] == "two files"
    assert subjects["mimekit_unicode-mapi-attr.tnef"] == "example"


def test_a_property_tnefparse_cannot_decode_is_noted_and_the_rest_read(tmp_path: Path) -> None:
    # found by mutating archives: a submit time out of range made tnefparse raise when the
    # value was read, and the whole scan stopped
    path = tmp_path / "winmail.dat"
    path.write_bytes(tnefkit.tnef(submitted=None, subject="Results", extra={
        tnefkit.PR_CLIENT_SUBMIT_TIME: (tnefkit.PT_SYSTIME, b"\xff" * 8)}))
    items = _read(path)
    _, msg = _message(items)
    assert (msg["Subject"], msg["Date"]) == ("Results", None)
    assert [i.reason for i in items if not isinstance(i, RawMessage)] == [
        "tnef: 1 property value(s) not readable; the rest was read"]
