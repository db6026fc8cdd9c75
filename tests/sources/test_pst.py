"""Outlook PST files as a source.

Nothing writes PSTs, so the walk (folders, items, non-mail classes, damaged items, the
password flag, attachments) is tested against an in-test stand-in for libpff's API
(`pstkit`); the two real PSTs from java-libpst's test resources are read as well when the
shared corpus is present.
"""

from __future__ import annotations

import sys
from email.message import Message as EmailMessage
from pathlib import Path

import pytest

from tests.conftest import corpus
from tests.sources import pstkit
from tests.sources.pstkit import Attachment, Folder, Message, NonMail, Pst
from tracecheck.errors import InputError
from tracecheck.model import Note, RawMessage, Skipped
from tracecheck.sources import outlook
from tracecheck.sources.pst import build_message, read_pst

PATH = "export.pst"


def walk(monkeypatch: pytest.MonkeyPatch, pst: Pst) -> list[RawMessage | Skipped | Note]:
    pstkit.install(monkeypatch, pst)
    out = list(read_pst(PATH))
    assert pst.closed
    return out


def described(out: list[RawMessage | Skipped | Note]) -> list[tuple[str, str, str]]:
    return [(str(o.locator), "message" if isinstance(o, RawMessage) else str(o.kind),
             o.parsed["Subject"] if isinstance(o, RawMessage) else o.reason)  # type: ignore[index]
            for o in out]


def test_folders_are_walked_depth_first_in_stored_order(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Folder("", folders=[
        Folder("Inbox", [Message(1, subject="first"), NonMail("IPM.Contact")]),
        Folder("Sent Items", [Message(2, subject="second")],
               folders=[Folder("Archive/2021", [Message(3, subject="third")])]),
        Folder("Calendar", [NonMail("IPM.Appointment"), Message(4, message_class="IPM.Task")]),
    ])
    out = walk(monkeypatch, Pst(root))
    assert described(out) == [
        ("export.pst:/Inbox/#0", "message", "first"),
        ("export.pst:/Inbox/#1", "non-mail", "non-mail item: contact"),
        ("export.pst:/Sent Items/#0", "message", "second"),
        ("export.pst:/Sent Items/Archive%2F2021/#0", "message", "third"),
        ("export.pst:/Calendar/#0", "non-mail", "non-mail item: appointment"),
        ("export.pst:/Calendar/#1", "non-mail", "non-mail item: task"),
    ]
    first = out[0]
    assert isinstance(first, RawMessage)
    assert (first.source, first.container, first.folder) == (PATH, "pst", "/Inbox")


def test_mail_item_is_built_from_its_properties(monkeypatch: pytest.MonkeyPatch) -> None:
    item = Message(7, subject="\x01\x05Referral", to=[("Pat", "pat@gmail.com")],
                   cc=[("", "office@tracecall.co.uk")], plain=b"NHS 943 476 5919\r\n",
                   props={pstkit.INTERNET_MESSAGE_ID: "<r1@tracecall.co.uk>"})
    [raw] = walk(monkeypatch, Pst(Folder("", [item])))
    assert isinstance(raw, RawMessage) and isinstance(raw.parsed, EmailMessage)
    msg = raw.parsed
    assert (msg["From"], msg["To"], msg["Cc"]) == (
        "Agent <agent@tracecall.co.uk>", "Pat <pat@gmail.com>", "office@tracecall.co.uk")
    assert msg["Subject"] == "Referral"  # MAPI's normalised-subject prefix removed
    assert msg["Date"] == "Mon, 11 Jan 2021 09:30:00 +0000"
    assert msg["Message-ID"] == "<r1@tracecall.co.uk>"
    [body] = [p for p in msg.walk() if not p.is_multipart()]
    assert body.get_payload(decode=True) == b"NHS 943 476 5919\r\n"
    assert raw.raw == msg.as_bytes()
    # The same item gives the same bytes (fixed MIME boundaries), hence the same hash.
    [again] = walk(monkeypatch, Pst(Folder("", [item])))
    assert isinstance(again, RawMessage) and again.raw == raw.raw and again.sha256 == raw.sha256


def test_transport_headers_win_and_blind_recipients_are_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    headers = ("Received: from mx by mx2; Mon, 11 Jan 2021 09:30:00 +0000\r\n"
               "From: Agent <agent@tracecall.co.uk>\r\nTo: pat@gmail.com\r\n"
               "Subject: as sent\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
    item = Message(8, subject="ignored", headers=headers,
                   props={pstkit.SENDER_NAME: "Someone Else"})
    item.recipients.record_sets.append(pstkit.RecordSet(
        {pstkit.RECIPIENT_TYPE: 3, pstkit.DISPLAY_NAME: "", pstkit.SMTP_ADDRESS: "b@icloud.com"}))
    [raw] = walk(monkeypatch, Pst(Folder("", [item])))
    assert isinstance(raw, RawMessage) and isinstance(raw.parsed, EmailMessage)
    msg = raw.parsed
    assert (msg["Subject"], msg["To"], msg["Bcc"]) == ("as sent", "pat@gmail.com", "b@icloud.com")
    assert msg["Received"].startswith("from mx by mx2")
    assert msg.get_content_type() == "multipart/mixed"  # the stored Content-Type was dropped


def test_attachments_embedded_items_and_what_could_not_be_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    inner = Message(11, subject="forwarded", plain=b"inner text\r\n")
    item = Message(10, html=OSError("damaged html stream"), attachments=[
        Attachment("cases.csv", b"4471,943 476 5919\n", mimetype="text/csv"),
        Attachment("fwd.msg", embedded=inner),
        Attachment("exception", b"raw property data", method=5),
        Attachment("broken.pdf", b"%PDF", size=OSError("damaged attachment")),
    ])
    out = walk(monkeypatch, Pst(Folder("", folders=[Folder("Inbox", [item])])))
    raw, *notes = out
    assert isinstance(raw, RawMessage) and isinstance(raw.parsed, EmailMessage)
    parts = [(p.get_content_type(), p.get_filename()) for p in raw.parsed.walk()]
    assert parts == [
        ("multipart/mixed", None), ("text/plain", None),
        ("text/csv", "cases.csv"),
        ("message/rfc822", "fwd.msg"), ("multipart/mixed", None), ("text/plain", None),
        ("application/octet-stream", "exception"),
    ]
    fwd = raw.parsed.get_payload(2).get_payload(0)
    assert fwd["Subject"] == "forwarded"
    assert [(str(n.locator), n.kind, n.reason) for n in notes] == [
        ("export.pst:/Inbox/#0", "note", "pst: html body unreadable"),
        ("export.pst:/Inbox/#0", "note",
         "pst: embedded item exception not opened; attached as raw data"),
        ("export.pst:/Inbox/#0", "note", "pst: broken.pdf unreadable (OSError)"),
    ]


def test_damaged_items_and_folders_are_listed_and_the_walk_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class NoData(NonMail):
        """A mail class on an object libpff gives without message data."""

    root = Folder("", folders=[
        Folder("Inbox", [OSError("damaged item"), NoData("IPM.Note"), Message(1)]),
        Folder("Lost", number_of_sub_messages=OSError("damaged contents table"),
               folders=[Folder("Child", [Message(2)])]),
        OSError("damaged folder"),
        Folder(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), [Message(3)]),
        Folder("Broken hierarchy", [Message(4)], number_of_sub_folders=OSError("table")),
    ])
    assert described(walk(monkeypatch, Pst(root))) == [
        # a folder that cannot be opened is listed when its parent's sub-folders are
        ("export.pst:/(folder 2)", "unreadable", "pst: folder unreadable (OSError)"),
        ("export.pst:/Inbox/#0", "unreadable", "pst: item unreadable (OSError)"),
        ("export.pst:/Inbox/#1", "unreadable", "pst: mail item without message data"),
        ("export.pst:/Inbox/#2", "message", "Case notes"),
        ("export.pst:/Lost/", "unreadable", "pst: folder contents unreadable (OSError)"),
        ("export.pst:/Lost/Child/#0", "message", "Case notes"),
        ("export.pst:/(folder 3)/#0", "message", "Case notes"),
        ("export.pst:/Broken hierarchy/#0", "message", "Case notes"),
        ("export.pst:/Broken hierarchy/", "unreadable", "pst: sub-folders unreadable (OSError)"),
    ]


def test_password_flag_is_a_note_and_orphans_are_counted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = walk(monkeypatch, Pst(Folder("", [Message(1)]), password=True, orphans=3))
    assert described(out) == [
        ("export.pst", "note",
         "pst: password-protected; read anyway (a PST password does not encrypt the content)"),
        ("export.pst:/#0", "message", "Case notes"),
        ("export.pst", "not-extracted", "pst: 3 orphan item(s) outside every folder not read"),
    ]
    assert not any(isinstance(o, Note) for o in walk(monkeypatch, Pst(Folder("", [Message(1)]))))


def test_a_file_libpff_cannot_open_is_one_unreadable_skip(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pst = Pst(Folder(""), open_error=OSError("unable to open file"))
    pstkit.install(monkeypatch, pst)
    assert [(s.kind, s.reason) for s in read_pst(PATH)] == [
        ("unreadable", "pst: not a readable PST/OST file (OSError)")]


def test_a_bug_in_the_message_building_is_not_an_unreadable_item(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug in tracecheck")

    monkeypatch.setattr(outlook, "compose", broken)
    pstkit.install(monkeypatch, Pst(Folder("", [Message(1)])))
    with pytest.raises(TypeError, match="a bug in tracecheck"):
        list(read_pst(PATH))


def test_missing_pypff_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypff", None)  # import now raises ImportError
    with pytest.raises(InputError, match=r"pip install 'tracecheck\[pst\]'"):
        list(read_pst(PATH))


# --- the real PSTs (java-libpst test resources) ------------------------------------------------

def test_real_pst_without_mail_lists_every_item_as_non_mail() -> None:
    path = str(corpus("outlook", "java-libpst_dist-list.pst"))
    out = list(read_pst(path))
    assert not any(isinstance(r, RawMessage) for r in out)
    assert [(str(s.locator), s.kind, s.reason) for s in out if isinstance(s, Skipped)] == [
        (f"{path}:/Top of Personal Folders/Calendar/#0", "non-mail", "non-mail item: appointment"),
        (f"{path}:/Top of Personal Folders/Contacts/#0", "non-mail",
         "non-mail item: distribution list"),
        (f"{path}:/Top of Personal Folders/Contacts/#1", "non-mail", "non-mail item: contact"),
        (f"{path}:/Freebusy Data/#0", "non-mail", "non-mail item: free/busy data"),
    ]


def test_real_password_protected_pst_is_read_with_a_note() -> None:
    path = str(corpus("outlook", "java-libpst_passworded.pst"))
    out = list(read_pst(path))
    assert [(str(s.locator), s.kind, s.reason) for s in out if isinstance(s, Skipped | Note)] == [
        (path, "note",
         "pst: password-protected; read anyway (a PST password does not encrypt the content)"),
        (f"{path}:/Top of Personal Folders/Contacts/#0", "non-mail",
         "non-mail item: distribution list"),
        (f"{path}:/Top of Personal Folders/Contacts/#1", "non-mail", "non-mail item: contact"),
        (f"{path}:/Freebusy Data/#0", "non-mail", "non-mail item: free/busy data"),
    ]
    other = str(corpus("outlook", "java-libpst_dist-list.pst"))
    assert not any(s.kind == "note" for s in read_pst(other))


def test_real_item_is_built_into_a_message() -> None:
    """The corpus holds no mail; its one item with a body and attachments (an appointment)
    goes through the same building as mail."""
    pypff = pytest.importorskip("pypff")
    pst = pypff.file()
    pst.open(str(corpus("outlook", "java-libpst_dist-list.pst")))
    try:
        calendar = pst.root_folder.get_sub_folder(1).get_sub_folder(4)
        assert calendar.name == "Calendar"
        notes: list[str] = []
        msg = build_message(calendar.get_sub_message(0), "seed", 0, notes)
        again = build_message(calendar.get_sub_message(0), "seed", 0, [])
    finally:
        pst.close()
    assert isinstance(msg, EmailMessage)
    assert msg["Subject"] == "Test appointment"  # MAPI's \x01 prefix removed
    assert msg["Date"] == "Tue, 02 Aug 2016 00:27:12 +0000"
    assert msg["From"] == "Unknown"
    leaves = [p for p in msg.walk() if not p.is_multipart()]
    assert leaves[0].get_payload(decode=True) == b"This is a complete test\r\n"
    # Two embedded exception items libpff cannot open: kept as raw data and noted, not lost.
    assert [(p.get_filename(), len(p.get_payload(decode=True))) for p in leaves[1:]] == [
        ("Untitled", 928), ("Untitled", 900)]
    assert notes == ["pst: embedded item Untitled not opened; attached as raw data"] * 2
    assert msg.as_bytes() == again.as_bytes()


def test_real_file_that_is_not_a_pst_is_unreadable(tmp_path: Path) -> None:
    pytest.importorskip("pypff")
    bogus = tmp_path / "export.pst"
    bogus.write_bytes(b"!BDN" + bytes(2000))
    out = list(read_pst(str(bogus)))
    assert len(out) == 1 and isinstance(out[0], Skipped)
    assert out[0].kind == "unreadable"
    assert out[0].reason.startswith("pst: not a readable PST/OST file")
