"""Archives given as input (a zip from an eDiscovery export, a tar or tar.gz from IT) are read
member by member, within the limits attachments have, and every member not read is listed
with its reason (issue 14). They were "unsupported file type" before.

Every archive here is made in the test; the PST member is read through the pypff stand-in.
"""

from __future__ import annotations

import builtins
import gzip
import hashlib
import os
import struct
import zipfile
from pathlib import Path

import pytest

from tests.conftest import eml, mbox_of
from tests.content.test_extractors_archive import encrypted_zip
from tests.sources import pstkit, tnefkit
from tests.sources.archivekit import make_tar, make_zip
from tests.sources.msgkit import msg_bytes
from tracecheck import api
from tracecheck.model import ExtractLimits, Flow, Locator, RawMessage, SkipKind, Skipped
from tracecheck.sources.archive import member_name
from tracecheck.sources.base import InputFile, SourceType
from tracecheck.sources.files import open_stream, read_messages, sniff_file
from tracecheck.sources.shards import can_cut, plan_shards

NHS = "NHS number 943 476 5919 for the patient"
LOG = (b"Jan 11 09:30:00 mx1 postfix/qmgr[911]: 6F3459B528: from=<agent@tracecall.co.uk>, "
       b"size=725, nrcpt=1 (queue active)\n")


def health(msgid: str = "<h1@tracecall.co.uk>", to: str = "pat@gmail.com") -> bytes:
    return eml(to=to, body=NHS, msgid=msgid)


def scan(path: Path, **options: object) -> api.ScanResult:
    return api.scan([str(path)], api.ScanOptions(**options))  # type: ignore[arg-type]


def skips(result: api.ScanResult) -> list[tuple[str, str, str]]:
    return [(str(s.locator), s.kind.value, s.reason) for s in result.skipped]


def read_skips(path: Path) -> list[tuple[str, str, str]]:
    """The skips the archive's source gives, read directly (a scan of a file that holds
    nothing readable stops with "nothing to scan")."""
    inp = sniff_file(str(path))
    assert isinstance(inp, InputFile)
    with open_stream(inp) as (stream, _):
        items = list(read_messages(inp, stream, limits=ExtractLimits()))
    return [(str(s.locator), s.kind.value, s.reason) for s in items if isinstance(s, Skipped)]


def finding_locators(result: api.ScanResult) -> list[str]:
    return [f.locator for f in result.findings]


def test_a_zip_export_is_read_member_by_member(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    pst = pstkit.Pst(pstkit.Folder("", folders=[pstkit.Folder("Inbox", [
        pstkit.Message(1, subject="from the pst", to=[("Pat", "pat@gmail.com")],
                       plain=NHS.encode())])]))
    pstkit.install(monkeypatch, pst)
    box = mbox_of(eml(subject="first", msgid="<b1@x>"), health("<b2@x>"))
    data = make_zip([
        ("Export/0001.eml", health()),
        ("Export/inbox.txt", box),  # an mbox named .txt
        ("Export/item.msg", msg_bytes(subject="from the msg", body=NHS,
                                      to=(("Pat", "pat@gmail.com"),))),
        ("Export/winmail.dat", tnefkit.tnef(body=NHS,
                                            recipients=[(tnefkit.TO, "Pat", "pat@gmail.com")])),
        ("Export/box.pst", b"!BDN" + bytes(1020)),
        ("Export/Results.csv", b"Item,Subject\n1,Case notes\n"),
        ("Export/logs/mail.log", LOG),
    ])
    path = tmp_path / "export.bin"  # the name plays no part
    path.write_bytes(data)
    inp = sniff_file(str(path))
    assert isinstance(inp, InputFile) and inp.kind is SourceType.ZIP
    result = scan(path)
    source, = result.sources
    assert (source.type, source.messages, source.bytes) == ("zip", 6, len(data))
    assert source.sha256 == hashlib.sha256(data).hexdigest()
    offset = box.index(b"From sender1")
    assert finding_locators(result) == [
        f"{path}:Export/0001.eml", f"{path}:Export/inbox.txt@{offset}",
        f"{path}:Export/item.msg", f"{path}:Export/winmail.dat",
        f"{path}:Export/box.pst:/Inbox/#0"]
    assert {f.source for f in result.findings} == {str(path)}
    csv, log = skips(result)
    assert csv[:2] == (f"{path}:Export/Results.csv", "unsupported")
    assert csv[2].startswith("unsupported file type: text/")  # as libmagic names it
    assert [log] == [
        (f"{path}:Export/logs/mail.log", "unsupported",
         "log file (postfix) inside an archive: not read (logs are read from files; extract "
         "the archive to scan them)")]
    # libpff was given the member's bytes, never a path to open
    assert pst.opened == b"!BDN" + bytes(1020)
    # files that are not mail are listed, not counted as messages
    assert (result.messages_found, result.messages_scanned) == (6, 6)
    # each message keeps its own hash: an eml member's is its bytes'
    eml_finding = result.findings[0]
    assert eml_finding.message_sha256 == hashlib.sha256(health()).hexdigest()


@pytest.mark.parametrize(("name", "gz", "kind"), [
    ("handoff.tar", False, "tar"), ("handoff.tar.gz", True, "tar+gzip"),
    ("handoff.tgz", True, "tar+gzip"), ("handoff", True, "tar+gzip")])
def test_tar_hand_offs_are_read(name: str, gz: bool, kind: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(make_tar([("mail/a.eml", health()),
                               ("mail/box.mbox", mbox_of(eml(), eml(subject="two")))], gz=gz))
    result = scan(path)
    assert [(s.type, s.messages) for s in result.sources] == [(kind, 3)]
    assert finding_locators(result) == [f"{path}:mail/a.eml"]
    assert result.skipped == ()


def test_nested_archives_and_gzipped_members(tmp_path: Path) -> None:
    inner_tgz = make_tar([("x/a.eml", health("<a@x>"))], gz=True)
    inner_zip = make_zip([("c.eml", health("<c@x>"))])
    outer = tmp_path / "outer.zip"
    outer.write_bytes(make_zip([("inner.tar.gz", inner_tgz), ("inner.zip", inner_zip),
                                ("d.eml.gz", gzip.compress(health("<d@x>")))]))
    hand = tmp_path / "hand.tar"
    hand.write_bytes(make_tar([("b.mbox.gz", gzip.compress(mbox_of(health("<b@x>"))))]))
    result = api.scan([str(outer), str(hand)])
    assert finding_locators(result) == [
        f"{outer}:inner.tar.gz:x/a.eml", f"{outer}:inner.zip:c.eml", f"{outer}:d.eml.gz",
        f"{hand}:b.mbox.gz@0"]
    assert result.skipped == ()


def test_members_nested_deeper_than_max_depth_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "outer.zip"
    path.write_bytes(make_zip([("a.eml", health()),
                               ("inner.zip", make_zip([("c.eml", health("<c@x>"))]))]))
    result = scan(path, limits=ExtractLimits(max_depth=1))
    assert finding_locators(result) == [f"{path}:a.eml"]
    assert skips(result) == [(f"{path}:inner.zip:c.eml", "limit",
                              "limit: nesting deeper than 1")]


@pytest.mark.parametrize("form", ["zip", "tar"])
def test_members_after_max_members_are_listed(form: str, tmp_path: Path) -> None:
    members = [(f"m{i}.eml", health(f"<m{i}@x>")) for i in range(5)]
    path = tmp_path / f"export.{form}"
    path.write_bytes(make_zip(members) if form == "zip" else make_tar(members))
    result = scan(path, limits=ExtractLimits(max_members=2))
    assert finding_locators(result) == [f"{path}:m0.eml", f"{path}:m1.eml"]
    rest = ("limit: 2 further members not opened (max_members 2)" if form == "zip"
            else "limit: further members not opened (max_members 2)")
    assert skips(result) == [(f"{path}:m2.eml", "limit", "limit: more than 2 members"),
                             (str(path), "limit", rest)]


def test_the_member_that_would_exceed_the_expanded_size_is_refused(tmp_path: Path) -> None:
    big = health("<big@x>") + b"x" * 3000
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip([("a.eml", health()), ("big.eml", big), ("c.eml", health("<c@x>"))]))
    limit = len(health()) * 2 + 100
    result = scan(path, limits=ExtractLimits(max_total_bytes=limit))
    assert finding_locators(result) == [f"{path}:a.eml", f"{path}:c.eml"]
    assert skips(result) == [(f"{path}:big.eml", "limit",
                              f"limit: expanded size over {limit} bytes")]


def test_zip_and_gzip_bombs_are_refused_before_expanding(tmp_path: Path) -> None:
    zeros = bytes(3 << 20)
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip([("a.eml", health()), ("zeros.bin", zeros),
                               ("zeros.mbox.gz", gzip.compress(zeros))]))
    result = scan(path)
    assert finding_locators(result) == [f"{path}:a.eml"]
    assert [(loc, kind, reason.split(" (ratio")[0]) for loc, kind, reason in skips(result)] == [
        (f"{path}:zeros.bin", "limit", "limit: zip bomb refused"),
        (f"{path}:zeros.mbox.gz", "limit", "limit: gz bomb refused")]


def test_a_tar_gz_bomb_stops_at_the_ratio(tmp_path: Path) -> None:
    path = tmp_path / "handoff.tgz"
    path.write_bytes(make_tar([("a.eml", health()), ("zeros.bin", bytes(8 << 20)),
                               ("b.eml", health("<b@x>"))], gz=True))
    assert path.stat().st_size * 100 < (1 << 20)  # the cap is the ratio floor, 1 MiB
    result = scan(path)
    assert finding_locators(result) == [f"{path}:a.eml"]
    assert skips(result)[-1] == (str(path), "limit", "limit: gz bomb refused (ratio over "
                                 "100); members after this point not read")


def test_an_encrypted_member_is_listed_and_the_others_read(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(encrypted_zip({"a.eml": health()}, {"secret.eml": health()}))
    result = scan(path)
    assert finding_locators(result) == [f"{path}:a.eml"]
    assert skips(result) == [(f"{path}:secret.eml", "encrypted",
                              "encrypted: not scanned (password-protected zip member)")]


def test_damaged_archives_are_listed_and_what_can_be_read_is(tmp_path: Path) -> None:
    good = make_zip([("a.eml", health()), ("b.eml", health("<b@x>"))],
                    method=zipfile.ZIP_STORED)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good[: len(good) // 2])
    skip, = read_skips(cut)
    assert skip[:2] == (str(cut), "unreadable")
    assert skip[2].startswith("zip: not a readable archive (")
    # a member whose bytes no longer match its CRC
    bad = tmp_path / "crc.zip"
    bad.write_bytes(good.replace(NHS.encode(), NHS.replace("patient", "PATIENT").encode(), 1))
    result = scan(bad)
    assert finding_locators(result) == [f"{bad}:b.eml"]
    assert skips(result) == [(f"{bad}:a.eml", "unreadable",
                              "archive member damaged (BadZipFile); what came before the "
                              "damage was read")]
    # a member in a compression method zipfile cannot read (Windows writes Deflate64)
    stored = make_zip([("a.eml", health())], method=zipfile.ZIP_STORED)
    deflate64 = tmp_path / "d64.zip"
    patched = bytearray(stored)
    for signature, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # method fields
        struct.pack_into("<H", patched, stored.index(signature) + at, 9)
    deflate64.write_bytes(bytes(patched))
    assert read_skips(deflate64) == [(f"{deflate64}:a.eml", "unreadable",
                                      "zip: compression method 9 not supported")]
    # a gzipped member cut short (its last bytes read as a plausible size): the messages
    # before the cut are read
    plain = mbox_of(health("<1@x>"), os.urandom(300_000).hex().encode(), health("<2@x>"))
    box = gzip.compress(plain)
    gz = tmp_path / "gz.zip"
    gz.write_bytes(make_zip([("box.mbox.gz",
                              box[: len(box) // 2] + struct.pack("<II", 0, len(plain)))]))
    result = scan(gz)
    assert finding_locators(result) == [f"{gz}:box.mbox.gz@0"]
    assert skips(result)[-1] == (f"{gz}:box.mbox.gz", "truncated",
                                 "truncated or corrupt gzip; messages after this point not read")
    # a tar.gz cut short: the members before the cut are read
    whole = make_tar([("a.eml", health()), ("pad.bin", os.urandom(200_000)),
                      ("b.eml", health("<b@x>"))], gz=True)
    short = tmp_path / "short.tgz"
    short.write_bytes(whole[: len(whole) - 5000])
    result = scan(short)
    assert finding_locators(result) == [f"{short}:a.eml"]
    assert skips(result)[-1][:2] == (str(short), "truncated")


def test_member_names_never_render_alike(tmp_path: Path) -> None:
    names = ["a:b.eml", "a", "c#d.eml", "e@1.eml", "e", "50%.eml", "x;2.eml", "x",
             "new\nline.eml", "user@tracecall.co.uk/a.eml", "dup.eml", "dup.eml"]
    path = tmp_path / "export.tar"
    path.write_bytes(make_tar([(n, health(f"<n{i}@x>")) for i, n in enumerate(names)]))
    result = scan(path)
    rendered = [loc.removeprefix(f"{path}:") for loc in finding_locators(result)]
    assert rendered == ["a%3Ab.eml", "a", "c%23d.eml", "e%401.eml", "e", "50%25.eml",
                        "x%3B2.eml", "x", "new%0Aline.eml", "user@tracecall.co.uk/a.eml",
                        "dup.eml", "dup.eml;2"]
    assert len(set(rendered)) == len(names)
    assert member_name("b\udcff.eml") == "b%FF.eml"  # a byte the name encoding could not read


def test_locator_forms_in_archives_and_the_existing_ones() -> None:
    # the forms that existed are unchanged
    assert [str(loc) for loc in (
        Locator(path="a.mbox"), Locator(path="a.mbox", offset=120),
        Locator(path="b.pst", item="/Inbox/#3"), Locator(path="m.log", line=7),
        Locator(path="a.mbox", offset=0, within="attachment:x.zip/zip:y.csv"),
        Locator(within="body"))] == [
        "a.mbox", "a.mbox@120", "b.pst:/Inbox/#3", "m.log:7",
        "a.mbox@0#attachment:x.zip/zip:y.csv", "body"]
    # an offset inside an archive member comes after the member it counts in
    assert str(Locator(path="e.zip", item="inbox.mbox", offset=120)) == "e.zip:inbox.mbox@120"
    assert str(Locator(path="e.zip", item="in.tgz:box.pst:/Inbox/#3", within="body")) == (
        "e.zip:in.tgz:box.pst:/Inbox/#3#body")


def test_documents_in_zip_form_stay_unsupported(tmp_path: Path) -> None:
    docx = make_zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>")])
    top = tmp_path / "report.docx"
    top.write_bytes(docx)
    found = sniff_file(str(top))
    assert isinstance(found, Skipped) and found.kind is SkipKind.UNSUPPORTED
    assert found.reason.startswith("unsupported file type: ")
    # an entry past the first 64 KiB names the document: the archive reader says what it is
    late = tmp_path / "late.zip"
    late.write_bytes(make_zip([("docProps/thumbnail.jpeg", os.urandom(70_000)),
                               ("[Content_Types].xml", b"<T/>"), ("word/document.xml", b"<w/>")],
                              method=zipfile.ZIP_STORED))
    assert read_skips(late) == [(str(late), "unsupported", "unsupported file type: an Office "
                                 "Open XML document (a zip, not an archive of files)")]


def test_links_and_empty_members_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "export.tar"
    path.write_bytes(make_tar([("a.eml", health()), ("empty.eml", b"")],
                              links=[("latest.eml", "a.eml")]))
    assert skips(scan(path)) == [
        (f"{path}:empty.eml", "unsupported", "empty file"),
        (f"{path}:latest.eml", "unsupported", "not a regular file (a link in the tar)")]


def test_archives_are_read_without_writing_anything(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "export.zip").write_bytes(make_zip([("a.eml", health()),
                                                    ("in.tgz", make_tar([("b.eml", health())],
                                                                        gz=True))]))
    (evidence / "handoff.tgz").write_bytes(make_tar([("c.eml", health())], gz=True))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in evidence.iterdir()}
    real_open, real_os_open = builtins.open, os.open

    def no_write_open(file: object, mode: str = "r", *a: object, **k: object) -> object:
        assert not set(mode) & set("wax+"), f"{file} opened for writing"
        return real_open(file, mode, *a, **k)  # type: ignore[call-overload]

    def no_write_os_open(path: object, flags: int, *a: object, **k: object) -> int:
        assert not flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT), f"{path} opened to write"
        return real_os_open(path, flags, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "open", no_write_open)
    monkeypatch.setattr(os, "open", no_write_os_open)
    result = api.scan([str(evidence)])
    monkeypatch.undo()
    assert len(result.findings) == 3
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in evidence.iterdir()} == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["evidence", "export.zip",
                                                           "handoff.tgz"]


def test_archives_are_never_cut_into_byte_ranges(tmp_path: Path) -> None:
    path = tmp_path / "big.tar"
    path.write_bytes(make_tar([(f"m{i}.mbox", mbox_of(*[health(f"<{i}.{j}@x>")
                                                        for j in range(40)]))
                               for i in range(4)]))
    inp = sniff_file(str(path))
    assert isinstance(inp, InputFile) and not can_cut(inp)
    assert [s.ranged for s in plan_shards([inp], target_bytes=4096)] == [False]


def test_a_process_pool_gives_the_same_result(tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"export{n}.zip").write_bytes(make_zip(
            [(f"Export/{i}.eml", health(f"<{n}.{i}@x>")) for i in range(3)]
            + [("Export/notes.csv", b"a,b\n")]))
    one = api.scan([str(tmp_path)])
    two = api.scan([str(tmp_path)], api.ScanOptions(workers=2))
    assert [f.fingerprint for f in one.findings] == [f.fingerprint for f in two.findings]
    assert (one.sources, one.skipped) == (two.sources, two.skipped)
    assert len(one.findings) == 9


def test_a_case_keeps_every_member_message_apart(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip([("a.eml", health()), ("box.mbox", mbox_of(health("<1@x>"),
                                                                         health("<2@x>")))]))
    result = api.scan_into_case([str(path)], api.ScanOptions(), tmp_path / "case")
    assert len({r.locator for r in result.refs}) == 3
    assert result.flow_counts == {Flow.TO_CONSUMER.value: 3}


def test_a_member_message_is_a_raw_message_of_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip([("Export/a.eml", health())]))
    inp = sniff_file(str(path))
    assert isinstance(inp, InputFile)
    with open_stream(inp) as (stream, _):
        raw, = list(read_messages(inp, stream))
    assert isinstance(raw, RawMessage)
    assert (raw.source, raw.locator, raw.raw, raw.container) == (
        str(path), Locator(path=str(path), item="Export/a.eml"), health(), "eml")
