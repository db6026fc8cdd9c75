"""The extractor contract: extractors register loudly, a library failing on hostile bytes is
a skip while a bug in tracecheck's own code propagates, and an attached Outlook .msg is walked
by the one MIME walker exactly as an attached message/rfc822 is."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from tests.sources.msgkit import msg_bytes, outlook_item
from tracecheck.content import extract
from tracecheck.content.extract import (
    Attached,
    Context,
    Extracted,
    ExtractLimits,
    Member,
    extract_units,
    registered,
)
from tracecheck.content.mime import Walker
from tracecheck.deps import MissingDependencyError, Requirement
from tracecheck.model import Locator, SkipKind, Skipped, TextUnit
from tracecheck.sources.msg import build_from_bytes

NHS = "943 476 5919"
NOTE = "Referral “urgent” – patient’s GP notified; £12.50 charge waived."


def run(data: bytes, where: str = "attachment:file", limits: ExtractLimits | None = None
        ) -> tuple[list[TextUnit], list[Skipped], list[str]]:
    notes: list[str] = []
    out = list(extract_units(data, part="2", where=where, declared_charset=None,
                             limits=limits or ExtractLimits(), notes=notes))
    return ([u for u in out if isinstance(u, TextUnit)],
            [s for s in out if isinstance(s, Skipped)], notes)


def walked(mail: MIMEMultipart) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]],
                                           list[tuple[str, str]]]:
    walker = Walker(ExtractLimits())
    out = list(walker.units(mail))
    return ([(u.part, u.where, u.text) for u in out if isinstance(u, TextUnit)],
            [(s.part or "", str(s.locator), s.reason) for s in out if isinstance(s, Skipped)],
            walker.notes)


def mail_with(part: MIMEApplication | MIMEMessage, name: str) -> MIMEMultipart:
    mail = MIMEMultipart()
    mail["Subject"] = "Fwd: referral"
    mail.attach(MIMEText("See attached.", "plain", "utf-8"))
    part.add_header("Content-Disposition", "attachment", filename=name)
    mail.attach(part)
    return mail


# --- an attached .msg is an attached message ---------------------------------------------------

def test_attached_msg_is_walked_exactly_like_an_attached_rfc822_message() -> None:
    inner = outlook_item(subject="Original", body=f"first seen {NHS}",
                         attachments=[("notes.txt", NOTE.encode("cp1252"), "text/plain")])
    data = msg_bytes(subject="Referral 4471", body=f"NHS {NHS}",
                     attachments=[("cases.csv", f"4471,{NHS}\n".encode(), "text/csv")],
                     embedded=[("original.msg", inner)], delivered=None,
                     created=dt.datetime(2021, 1, 11, 9, 0, tzinfo=dt.UTC))
    as_msg = walked(mail_with(MIMEApplication(data, "vnd.ms-outlook"), "fwd.msg"))
    built, _ = build_from_bytes(data, "embedded")
    as_rfc822 = walked(mail_with(MIMEMessage(built), "fwd.msg"))
    units, skips, notes = as_msg
    assert (units, skips) == as_rfc822[:2]
    assert units == [
        ("header", "subject", "Fwd: referral"),
        ("1", "body", "See attached."),
        ("2/rfc822/header", "attachment:fwd.msg", "Referral 4471"),
        ("2/rfc822/1.1", "attachment:fwd.msg", f"NHS {NHS}"),
        ("2/rfc822/2", "attachment:fwd.msg/cases.csv", f"4471,{NHS}\n"),
        ("2/rfc822/3/rfc822/header", "attachment:original.msg", "Original"),
        ("2/rfc822/3/rfc822/1.1", "attachment:original.msg", f"first seen {NHS}"),
        ("2/rfc822/3/rfc822/2", "attachment:original.msg/notes.txt", NOTE),
    ]
    # the walker's charset fallback decoded the cp1252 attachment, and said so
    assert ("2/rfc822/3/rfc822/2", "charset guessed as cp1252") in notes
    # what the MSG reader observed is a note on the attached message, not a skip
    assert ("2/rfc822", "msg: no sent/received time; Date taken from the item's creation "
                        "time") in notes


def test_attached_msg_inside_a_zip_shares_the_zip_budget() -> None:
    inner_zip = io.BytesIO()
    with zipfile.ZipFile(inner_zip, "w") as zf:
        zf.writestr("a.csv", f"1,{NHS}\n")
    data = msg_bytes(subject="Batch", attachments=[("more.zip", inner_zip.getvalue(),
                                                     "application/zip")])
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("fwd.msg", data)
    units, skips, _ = run(outer.getvalue(), "attachment:batch.zip")
    assert ("2/rfc822/header", "attachment:batch.zip/zip:fwd.msg", "Batch") in [
        (u.part, u.where, u.text) for u in units]
    assert ("2/rfc822/2", "attachment:batch.zip/zip:fwd.msg/more.zip/zip:a.csv", f"1,{NHS}\n") in [
        (u.part, u.where, u.text) for u in units]
    # with room for one member only, the zip's fwd.msg uses it: the msg's zip gets none
    units, skips, _ = run(outer.getvalue(), "attachment:batch.zip", ExtractLimits(max_members=1))
    assert [(s.part, str(s.locator), s.reason) for s in skips] == [
        ("2/rfc822/2", "attachment:batch.zip/zip:fwd.msg/more.zip/zip:a.csv",
         "limit: more than 1 members")]


def test_what_an_attached_msg_could_not_carry_is_listed_on_it() -> None:
    mail = MIMEText("x")
    found = Attached(mail, notes=("msg: a note",), skips=(
        Skipped(locator=Locator(), kind=SkipKind.UNREADABLE,
                reason="msg: attachment scan.pdf unreadable (OSError)"),))
    walker = Walker(ExtractLimits())
    out = list(walker.attached(found, "3", "attachment:fwd.msg", Context(ExtractLimits()), 1))
    assert [(s.part, str(s.locator), s.kind, s.reason) for s in out if isinstance(s, Skipped)] == [
        ("3/rfc822", "attachment:fwd.msg", "unreadable",
         "msg: attachment scan.pdf unreadable (OSError)")]
    assert [(u.part, u.where, u.text) for u in out if isinstance(u, TextUnit)] == [
        ("3/rfc822", "attachment:fwd.msg", "x")]
    assert walker.notes == [("3/rfc822", "msg: a note")]


def test_a_damaged_attached_msg_is_unreadable() -> None:
    _, skips, _ = run(msg_bytes()[:4096], "attachment:fwd.msg")
    assert [(str(s.locator), s.kind, s.reason) for s in skips] == [
        ("attachment:fwd.msg", "unreadable", "ole: not a readable compound file (OleFileError)")]


# --- our bugs propagate, library failures are skips --------------------------------------------

def _xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["4471", NHS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _docx() -> bytes:
    import docx

    doc = docx.Document()
    doc.add_paragraph(f"NHS {NHS}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _ods() -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Cases")
    row = TableRow()
    cell = TableCell()
    cell.addElement(P(text=NHS))
    row.addElement(cell)
    table.addElement(row)
    doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "a")
    return buf.getvalue()


BUGS: list[tuple[str, str, Callable[[], bytes]]] = [
    ("tracecheck.content.extractors.sheet", "cell_text", _xlsx),
    ("tracecheck.content.extractors.word", "_walk", _docx),
    ("tracecheck.content.extractors.opendoc", "_repeat", _ods),
    ("tracecheck.content.extractors.archive", "_office_delegate", _zip),
    ("tracecheck.sources.outlook", "compose", lambda: msg_bytes()),
]
"""(module, function of tracecheck's own, a sample that reaches it)."""


@pytest.mark.parametrize(("module", "name", "sample"), BUGS, ids=[b[1] for b in BUGS])
def test_a_bug_in_our_extractor_code_propagates(
        module: str, name: str, sample: Callable[[], bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = sample()

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug in tracecheck")

    monkeypatch.setattr(f"{module}.{name}", broken)
    with pytest.raises(TypeError, match="a bug in tracecheck"):
        run(data)


def test_the_same_error_from_the_library_is_a_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    data = _xlsx()

    def hostile(*args: object, **kwargs: object) -> None:
        raise TypeError("openpyxl choking on the file")

    monkeypatch.setattr(openpyxl, "load_workbook", hostile)
    units, skips, _ = run(data, "attachment:cases.xlsx")
    assert units == []
    assert [(str(s.locator), s.kind, s.reason) for s in skips] == [
        ("attachment:cases.xlsx", "unreadable", "xlsx: could not read (TypeError)")]


@pytest.mark.parametrize(("data", "reason"), [
    # a zip directory python-magic takes for a Word file: zipfile raises inside `library`
    (b"PK\x03\x04" + bytes(26) + b"word/document.xml", "docx: could not read (BadZipFile)"),
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n",
     "pdf: corrupted, not readable (PdfStreamError)"),
    # zlib.error, which the gzip extractor does not name: the library fallback lists it
    (b"\x1f\x8b\x08\x00" + bytes(6) + b"\xff" * 40 + bytes(8),
     "compressed: could not read (error)"),
])
def test_hostile_bytes_are_skips(data: bytes, reason: str) -> None:
    units, skips, _ = run(data)
    assert units == []
    assert [(s.kind, s.reason) for s in skips] == [("unreadable", reason)]


# --- registration ------------------------------------------------------------------------------

class _Fake:
    name = "fake"
    requires: tuple[Requirement, ...] = ()

    def accepts(self, mime: str, head: bytes) -> bool:
        return head.startswith(b"FAKE-FORMAT")

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        yield Extracted("", "fake text")


@pytest.fixture
def private_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations in a test go to a copy of the registry."""
    registered()
    monkeypatch.setattr(extract, "_REGISTRY", list(extract._REGISTRY))
    monkeypatch.setattr(extract, "_UNAVAILABLE", dict(extract._UNAVAILABLE))


@pytest.mark.usefixtures("private_registry")
def test_an_extractor_whose_package_is_missing_does_not_register() -> None:
    fake = _Fake()
    fake.requires = (Requirement("tracecheck_no_such_module", "no-such-package"),)
    with pytest.raises(MissingDependencyError,
                       match=r"the fake extractor needs the Python package 'no-such-package'.*"
                             r"pip install 'no-such-package'"):
        extract.register(fake)
    assert fake not in registered()


@pytest.mark.usefixtures("private_registry")
def test_an_extractor_whose_optional_package_is_missing_says_so() -> None:
    fake = _Fake()
    fake.requires = (Requirement("tracecheck_no_such_module", "fake-reader", optional=True,
                                 extra="fake"),)
    extract.register(fake)
    units, skips, _ = run(b"FAKE-FORMAT data")
    assert units == []
    assert [(s.kind, s.reason) for s in skips] == [
        ("not-extracted", "not extracted: text/plain (needs the optional package "
                          "'fake-reader': pip install 'tracecheck[fake]')")]
    assert extract.unavailable() == {"fake": fake.requires[0]}


def test_every_builtin_extractor_declares_what_it_imports() -> None:
    declared = {e.name: {r.package for r in e.requires} for e in registered()}
    assert declared == {
        "zip": set(), "tar": set(), "compressed": set(), "text": set(), "encrypted": set(),
        "docx": {"lxml"}, "xlsx": {"openpyxl"}, "odf": {"odfpy"}, "pdf": {"pypdf"},
        "rtf": {"striprtf"}, "tnef": {"tnefparse"}, "ole": {"olefile", "extract-msg"},
    }
    assert extract.unavailable() == {}


@pytest.mark.parametrize(("module", "package", "extractor"), [
    ("lxml", "lxml", "docx"), ("openpyxl", "openpyxl", "xlsx"), ("pypdf", "pypdf", "pdf")])
def test_a_missing_package_is_a_clear_error_not_a_silent_not_extracted(
        module: str, package: str, extractor: str) -> None:
    """Before, a missing package made every DOCX (or XLSX, PDF) 'not extracted'."""
    code = (f"import sys; sys.modules[{module!r}] = None\n"
            "from tracecheck.content.extract import load_extractors\n"
            "load_extractors()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode != 0
    assert (f"MissingDependencyError: the {extractor} extractor needs the Python package "
            f"'{package}'") in done.stderr
