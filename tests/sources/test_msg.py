"""Outlook .msg files as a source: the two real files from msg-extractor's examples."""

from __future__ import annotations

import hashlib
from email.message import Message
from pathlib import Path

import pytest

from tracecheck.content.extract import ExtractLimits
from tracecheck.model import Note, RawMessage, Skipped
from tracecheck.sources.msg import read_msg
from tracecheck.sources.outlook import non_mail_kind, sniff_container

OUTLOOK = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "outlook"
UNICODE = OUTLOOK / "msg-extractor_unicode.msg"
STRANGE = OUTLOOK / "msg-extractor_strangeDate.msg"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared corpus file absent: {path.name}")
    return path


def one_message(path: Path) -> tuple[RawMessage, list[Skipped | Note]]:
    out = list(read_msg(str(path)))
    raws = [r for r in out if isinstance(r, RawMessage)]
    assert len(raws) == 1
    return raws[0], [s for s in out if isinstance(s, Skipped | Note)]


def test_msg_with_transport_headers_and_attachments() -> None:
    path = need(UNICODE)
    raw, skips = one_message(path)
    assert skips == []
    data = path.read_bytes()
    assert raw.raw == data
    assert raw.sha256 == hashlib.sha256(data).hexdigest()
    assert (raw.source, str(raw.locator), raw.container) == (str(path), str(path), "msg")
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


def test_msg_without_transport_headers_gets_synthesised_ones() -> None:
    raw, skips = one_message(need(STRANGE))
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


def test_built_message_is_the_same_bytes_every_time() -> None:
    path = need(UNICODE)
    first, _ = one_message(path)
    second, _ = one_message(path)
    assert isinstance(first.parsed, Message) and isinstance(second.parsed, Message)
    assert first.parsed.as_bytes() == second.parsed.as_bytes()


def test_msg_through_the_mime_walker() -> None:
    from tracecheck.content.mime import Walker

    raw, _ = one_message(need(UNICODE))
    assert isinstance(raw.parsed, Message)
    out = list(Walker(ExtractLimits()).units(raw.parsed))
    wheres = [getattr(u, "where", None) for u in out if not isinstance(u, Skipped)]
    assert "subject" in wheres and "body" in wheres
    assert sorted((str(s.locator), s.kind) for s in out if isinstance(s, Skipped)) == [
        ("attachment:import OleFileIO.tif", "image"),
        ("attachment:raised value error.tif", "image")]


def test_unreadable_and_missing_files_are_skips(tmp_path: Path) -> None:
    bogus = tmp_path / "fake.msg"
    bogus.write_bytes(b"From: a@b\r\n\r\nnot an Outlook file\r\n")
    assert [(s.kind, s.reason) for s in read_msg(str(bogus))] == [
        ("unreadable", "msg: not an Outlook message (no OLE compound file signature)")]
    # a short blob is never taken for a path to another file
    (tmp_path / "victim").write_bytes(b"x")
    short = tmp_path / "short.msg"
    short.write_bytes(str(tmp_path / "victim").encode())
    assert [s.kind for s in read_msg(str(short))] == ["unreadable"]
    missing = list(read_msg(str(tmp_path / "none.msg")))
    assert len(missing) == 1 and isinstance(missing[0], Skipped)
    assert missing[0].kind == "unreadable"
    assert missing[0].reason.startswith("msg: cannot read file")


def test_sniff_container() -> None:
    assert sniff_container(need(UNICODE).read_bytes()[:4096]) == "msg"
    assert sniff_container(need(STRANGE).read_bytes()[:4096]) == "msg"
    pst = OUTLOOK / "java-libpst_dist-list.pst"
    assert sniff_container(need(pst).read_bytes()[:4096]) == "pst"
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
