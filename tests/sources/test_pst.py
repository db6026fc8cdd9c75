"""Outlook PST files as a source: the two real PSTs from java-libpst's test resources.

Neither holds mail (no public PST with mail is small enough, and nothing in Python writes
PSTs), so mail building is checked on the one item with a body and attachments they hold, an
appointment, through the same `build_message` the walk uses for mail.
"""

from __future__ import annotations

import sys
from email.message import Message
from pathlib import Path

import pytest

from tracecheck.errors import InputError
from tracecheck.model import Note, RawMessage, Skipped
from tracecheck.sources.pst import build_message, read_pst

OUTLOOK = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "outlook"
DIST_LIST = OUTLOOK / "java-libpst_dist-list.pst"
PASSWORDED = OUTLOOK / "java-libpst_passworded.pst"


def need(path: Path) -> str:
    if not path.exists():
        pytest.skip(f"shared corpus file absent: {path.name}")
    return str(path)


def test_pst_without_mail_lists_every_item_as_non_mail() -> None:
    path = need(DIST_LIST)
    out = list(read_pst(path))
    assert not any(isinstance(r, RawMessage) for r in out)
    assert [(str(s.locator), s.kind, s.reason) for s in out if isinstance(s, Skipped)] == [
        (f"{path}:/Top of Personal Folders/Calendar/#0", "non-mail", "non-mail item: appointment"),
        (f"{path}:/Top of Personal Folders/Contacts/#0", "non-mail",
         "non-mail item: distribution list"),
        (f"{path}:/Top of Personal Folders/Contacts/#1", "non-mail", "non-mail item: contact"),
        (f"{path}:/Freebusy Data/#0", "non-mail", "non-mail item: free/busy data"),
    ]


def test_password_protected_pst_is_read_with_a_note() -> None:
    path = need(PASSWORDED)
    out = list(read_pst(path))
    assert [(str(s.locator), s.kind, s.reason) for s in out if isinstance(s, Skipped | Note)] == [
        (path, "note",
         "pst: password-protected; read anyway (a PST password does not encrypt the content)"),
        (f"{path}:/Top of Personal Folders/Contacts/#0", "non-mail",
         "non-mail item: distribution list"),
        (f"{path}:/Top of Personal Folders/Contacts/#1", "non-mail", "non-mail item: contact"),
        (f"{path}:/Freebusy Data/#0", "non-mail", "non-mail item: free/busy data"),
    ]
    assert not any(s.kind == "note" for s in read_pst(need(DIST_LIST)))


def test_item_is_built_into_a_message() -> None:
    import pypff

    pst = pypff.file()
    pst.open(need(DIST_LIST))
    try:
        calendar = pst.root_folder.get_sub_folder(1).get_sub_folder(4)
        assert calendar.name == "Calendar"
        notes: list[str] = []
        msg = build_message(calendar.get_sub_message(0), "seed", 0, notes)
        again = build_message(calendar.get_sub_message(0), "seed", 0, [])
    finally:
        pst.close()
    assert isinstance(msg, Message)
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


def test_not_a_pst_is_unreadable(tmp_path: Path) -> None:
    bogus = tmp_path / "export.pst"
    bogus.write_bytes(b"!BDN" + bytes(2000))
    out = list(read_pst(str(bogus)))
    assert len(out) == 1 and isinstance(out[0], Skipped)
    assert out[0].kind == "unreadable"
    assert out[0].reason.startswith("pst: not a readable PST/OST file")


def test_missing_pypff_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypff", None)  # import now raises ImportError
    with pytest.raises(InputError, match=r"pip install 'tracecheck\[pst\]'"):
        list(read_pst(str(DIST_LIST)))
