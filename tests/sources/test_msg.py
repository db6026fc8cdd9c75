"""Outlook .msg files as a source: small items made in the tests (`msgkit`), and the two
real files from msg-extractor's examples when the shared corpus is present."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import Message
from pathlib import Path

import pytest

from tests.conftest import corpus
from tests.sources.msgkit import msg_bytes, outlook_item
from tracecheck.content.mime import Walker
from tracecheck.model import ExtractLimits, Note, RawMessage, Skipped, TextUnit
from tracecheck.sources import outlook
from tracecheck.sources.msg import read_msg
from tracecheck.sources.outlook import non_mail_kind, sniff_container

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
       b"\x08\x02\x00\x00\x00\x90wS\xde")


def one_message(path: Path) -> tuple[RawMessage, list[Skipped | Note]]:
    out = list(read_msg(str(path)))
    raws = [r for r in out if isinstance(r, RawMessage)]
    assert len(raws) == 1
    return raws[0], [s for s in out if isinstance(s, Skipped | Note)]


def write(tmp_path: Path, data: bytes, name: str = "item.msg") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_item_without_transport_headers_gets_headers_from_its_properties(
        tmp_path: Path) -> None:
    path = write(tmp_path, msg_bytes(
        subject="Referral", body="NHS 943 476 5919", cc=[("Office", "office@tracecall.co.uk")],
        bcc=[("", "pat@icloud.com")],
        attachments=[("cases.csv", b"4471,943 476 5919\n", "text/csv")]))
    raw, notes = one_message(path)
    assert notes == []
    data = path.read_bytes()
    assert raw.raw == data and raw.sha256 == hashlib.sha256(data).hexdigest()
    assert (raw.source, str(raw.locator), raw.container) == (str(path), str(path), "msg")
    msg = raw.parsed
    assert isinstance(msg, Message)
    assert [(k, msg[k]) for k in ("From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID")] == [
        ("From", "Agent <agent@tracecall.co.uk>"), ("To", "Someone <someone@gmail.com>"),
        ("Cc", "Office <office@tracecall.co.uk>"), ("Bcc", "pat@icloud.com"),
        ("Subject", "Referral"), ("Date", "Mon, 11 Jan 2021 09:30:00 +0000"),
        ("Message-ID", "<m1@tracecall.co.uk>")]
    leaves = [(p.get_content_type(), p.get_filename(), p.get_payload(decode=True))
              for p in msg.walk() if not p.is_multipart()]
    assert leaves[0] == ("text/plain", None, b"NHS 943 476 5919")
    assert leaves[-1] == ("text/csv", "cases.csv", b"4471,943 476 5919\n")


def test_transport_headers_are_used_as_received(tmp_path: Path) -> None:
    headers = ("Received: from mx.tracecall.co.uk by mx.google.com; Mon, 11 Jan 2021 "
               "09:30:00 +0000\r\nFrom: Agent <agent@tracecall.co.uk>\r\nTo: pat@gmail.com\r\n"
               "Subject: as sent\r\nMessage-ID: <t1@tracecall.co.uk>\r\n"
               "Content-Type: text/plain\r\n\r\n")
    raw, _ = one_message(write(tmp_path, msg_bytes(transport_headers=headers,
                                                   bcc=[("B", "b@hotmail.com")])))
    msg = raw.parsed
    assert isinstance(msg, Message)
    assert (msg["To"], msg["Subject"], msg["Message-ID"]) == (
        "pat@gmail.com", "as sent", "<t1@tracecall.co.uk>")
    assert msg["Received"].startswith("from mx.tracecall.co.uk")
    assert msg["Bcc"] == "B <b@hotmail.com>"  # transport headers never carry Bcc
    assert msg.get_content_type() == "multipart/mixed"  # the stored Content-Type was dropped


def test_date_from_the_creation_time_is_noted(tmp_path: Path) -> None:
    raw, notes = one_message(write(tmp_path, msg_bytes(
        delivered=None, created=dt.datetime(2020, 5, 1, 8, 0, tzinfo=dt.UTC))))
    assert isinstance(raw.parsed, Message)
    assert raw.parsed["Date"] == "Fri, 01 May 2020 08:00:00 +0000"
    assert [(n.kind, n.reason) for n in notes] == [
        ("note", "msg: no sent/received time; Date taken from the item's creation time")]


def test_embedded_items_become_attached_messages(tmp_path: Path) -> None:
    inner = outlook_item(subject="Forwarded", body="inner 943 476 5919",
                         attachments=[("list.txt", b"patients\n", "text/plain")])
    raw, _ = one_message(write(tmp_path, msg_bytes(embedded=[("fwd.msg", inner)])))
    msg = raw.parsed
    assert isinstance(msg, Message)
    [part] = [p for p in msg.walk() if p.get_content_type() == "message/rfc822"]
    assert part.get_filename() == "fwd.msg"
    attached = part.get_payload(0)
    assert attached["Subject"] == "Forwarded"
    assert [p.get_filename() for p in attached.walk() if not p.is_multipart()][-1] == "list.txt"


def test_built_message_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    inner = outlook_item(subject="Forwarded")
    path = write(tmp_path, msg_bytes(embedded=[("fwd.msg", inner)],
                                     attachments=[("a.txt", b"a", "text/plain")]))
    first, _ = one_message(path)
    second, _ = one_message(path)
    assert isinstance(first.parsed, Message) and isinstance(second.parsed, Message)
    assert first.parsed.as_bytes() == second.parsed.as_bytes()


@pytest.mark.parametrize(("cls", "kind"), [
    ("IPM.Contact", "contact"), ("IPM.Appointment", "appointment"),
    ("IPM.DistList", "distribution list")])
def test_non_mail_item_is_listed(tmp_path: Path, cls: str, kind: str) -> None:
    path = write(tmp_path, msg_bytes(message_class=cls))
    assert [(s.kind, s.reason) for s in read_msg(str(path))] == [
        ("non-mail", f"non-mail item: {kind}")]


def test_msg_through_the_mime_walker(tmp_path: Path) -> None:
    raw, _ = one_message(write(tmp_path, msg_bytes(
        subject="Case 4471", body="NHS 943 476 5919",
        attachments=[("scan.png", PNG, "image/png")])))
    assert isinstance(raw.parsed, Message)
    out = list(Walker(ExtractLimits()).units(raw.parsed))
    assert [(u.part, u.where, u.text) for u in out if isinstance(u, TextUnit)] == [
        ("header", "subject", "Case 4471"), ("1.1", "body", "NHS 943 476 5919")]
    assert [(s.part, str(s.locator), s.kind) for s in out if isinstance(s, Skipped)] == [
        ("2", "attachment:scan.png", "image")]


def test_unreadable_and_missing_files_are_skips(tmp_path: Path) -> None:
    bogus = write(tmp_path, b"From: a@b\r\n\r\nnot an Outlook file\r\n", "fake.msg")
    assert [(s.kind, s.reason) for s in read_msg(str(bogus))] == [
        ("unreadable", "msg: not an Outlook message (no OLE compound file signature)")]
    # a short blob is never taken for a path to another file
    (tmp_path / "victim").write_bytes(b"x")
    short = write(tmp_path, str(tmp_path / "victim").encode(), "short.msg")
    assert [s.kind for s in read_msg(str(short))] == ["unreadable"]
    missing = list(read_msg(str(tmp_path / "none.msg")))
    assert len(missing) == 1 and isinstance(missing[0], Skipped)
    assert missing[0].kind == "unreadable"
    assert missing[0].reason.startswith("msg: cannot read file")
    cut = write(tmp_path, msg_bytes()[:3000], "cut.msg")
    [skip] = list(read_msg(str(cut)))
    assert isinstance(skip, Skipped) and skip.kind == "unreadable"
    assert skip.reason.startswith("msg: not a readable Outlook message (")


def test_a_bug_in_the_message_building_is_not_an_unreadable_item(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug in tracecheck")

    monkeypatch.setattr(outlook, "compose", broken)
    with pytest.raises(TypeError, match="a bug in tracecheck"):
        list(read_msg(str(write(tmp_path, msg_bytes()))))


def test_sniff_container(tmp_path: Path) -> None:
    assert sniff_container(msg_bytes()[:4096]) == "msg"
    assert sniff_container(b"!BDN" + bytes(600)) == "pst"
    assert sniff_container(b"From: a@b\r\n\r\nhi") is None
    not_msg = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(0x28) + b"\x01\x00\x00\x00" + bytes(4000)
    assert sniff_container(not_msg) is None


@pytest.mark.parametrize(("cls", "kind"), [
    ("IPM.Note", None), ("IPM.Note.SMIME", None), ("IPM.Schedule.Meeting.Request", None),
    ("REPORT.IPM.Note.NDR", None), ("", None),
    ("IPM.Contact", "contact"), ("IPM.DistList", "distribution list"),
    ("IPM.Appointment", "appointment"), ("IPM.Task", "task"), ("IPM.StickyNote", "note"),
    ("IPM.Microsoft.ScheduleData.FreeBusy", "free/busy data"),
    ("IPM.Custom.Thing", "item class IPM.Custom.Thing"),
])
def test_mail_and_non_mail_classes(cls: str, kind: str | None) -> None:
    assert non_mail_kind(cls) == kind


# --- the real files (msg-extractor's examples) -------------------------------------------------

def test_real_msg_with_transport_headers_and_attachments() -> None:
    path = corpus("outlook", "msg-extractor_unicode.msg")
    raw, skips = one_message(path)
    assert skips == []
    data = path.read_bytes()
    assert raw.raw == data
    assert raw.sha256 == hashlib.sha256(data).hexdigest()
    msg = raw.parsed
    assert isinstance(msg, Message)
    assert msg["From"] == "Brian Zhou <brizhou@gmail.com>"
    assert msg["To"] == "brianzhou@me.com"
    assert msg["Cc"] == "Brian Zhou <brizhou@gmail.com>"
    assert msg["Subject"] == "Test for TIF files"
    assert msg["Message-ID"] == (
        "<CADtJ4eNjQSkGcBtVteCiTF+YFG89+AcHxK3QZ=-Mt48xygkvdQ@mail.gmail.com>")
    assert len(msg.get_all("Received")) >= 3  # the transport headers, not a synthesis
    leaves = [p for p in msg.walk() if not p.is_multipart()]
    assert [(p.get_content_type(), p.get_filename()) for p in leaves] == [
        ("text/plain", None), ("text/html", None),
        ("image/tiff", "import OleFileIO.tif"), ("image/tiff", "raised value error.tif")]
    body = leaves[0].get_payload(decode=True)
    assert body.startswith(b"This is a test email to experiment with the MS Outlook MSG Extractor")
    assert [len(p.get_payload(decode=True)) for p in leaves[2:]] == [969674, 1033142]


def test_real_msg_without_transport_headers_gets_synthesised_ones() -> None:
    raw, skips = one_message(corpus("outlook", "msg-extractor_strangeDate.msg"))
    msg = raw.parsed
    assert isinstance(msg, Message)
    assert msg["To"] == "time2talk@online-convert.com"
    assert msg["Subject"] == "MSG Test File"
    assert msg["From"] is None  # the item names no sender; nothing is invented
    assert msg["Date"] == "Tue, 23 Feb 2016 14:57:50 +0000"
    assert [(s.kind, s.reason) for s in skips] == [
        ("note", "msg: no sent/received time; Date taken from the item's creation time")]
    body = msg.get_payload(0).get_payload(0).get_payload(decode=True)
    assert body.startswith(b"MSG test file\r\nPurpose: Provide example of this file type")


def test_real_msg_through_the_mime_walker() -> None:
    raw, _ = one_message(corpus("outlook", "msg-extractor_unicode.msg"))
    assert isinstance(raw.parsed, Message)
    out = list(Walker(ExtractLimits()).units(raw.parsed))
    wheres = [getattr(u, "where", None) for u in out if not isinstance(u, Skipped)]
    assert "subject" in wheres and "body" in wheres
    assert sorted((str(s.locator), s.kind) for s in out if isinstance(s, Skipped)) == [
        ("attachment:import OleFileIO.tif", "image"),
        ("attachment:raised value error.tif", "image")]
    real = [corpus("outlook", "msg-extractor_unicode.msg"),
            corpus("outlook", "msg-extractor_strangeDate.msg"),
            corpus("outlook", "java-libpst_dist-list.pst")]
    assert [sniff_container(p.read_bytes()[:4096]) for p in real] == ["msg", "msg", "pst"]


def test_an_internationalised_address_is_read_not_an_unreadable_item(tmp_path: Path) -> None:
    """formataddr refuses a non-ASCII address; such an item used to be listed unreadable
    (found by mutating generated .msg files)."""
    from tracecheck.content.mime import message_info

    raw, _ = one_message(write(tmp_path, msg_bytes(to=[("José", "josé@gmail.com")],
                                                   cc=[("", "pät@example.com")])))
    msg = raw.parsed
    assert isinstance(msg, Message)
    info = message_info(raw, msg)
    assert [(a.field, a.addr) for a in info.recipients] == [
        ("to", "josé@gmail.com"), ("cc", "pät@example.com")]
