"""Document extractors through the dispatcher: text found, and what is listed as skipped."""

from __future__ import annotations

import datetime as dt
import io
import struct
from pathlib import Path

import pytest

from tests.conftest import corpus
from tests.sources.msgkit import msg_bytes
from tracecheck.content.extract import ExtractLimits, extract_units, registered, sniff
from tracecheck.model import Skipped, TextUnit

NHS = "943 476 5919"


def run(data: bytes, where: str = "attachment:file") -> tuple[list[TextUnit], list[Skipped]]:
    out = list(extract_units(data, part="2", where=where, declared_charset=None,
                             limits=ExtractLimits(), notes=[]))
    return ([u for u in out if isinstance(u, TextUnit)],
            [s for s in out if isinstance(s, Skipped)])


def texts(units: list[TextUnit]) -> dict[str, str]:
    return {u.where: u.text for u in units}


# --- PDF -------------------------------------------------------------------------------------

def minimal_pdf(*page_texts: str) -> bytes:
    """A hand-written PDF with one Helvetica text line per page (empty string: no text)."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(page_texts)))
    font = 3 + 2 * len(page_texts)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(page_texts)} >>".encode())
    for i, text in enumerate(page_texts):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
                       f"{4 + 2 * i} 0 R /Resources << /Font << /F1 {font} 0 R >> >> >>"
                       .encode())
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode() if text else b""
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def encrypt_pdf(data: bytes, user: str, owner: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_text_per_page() -> None:
    units, skips = run(minimal_pdf(f"Patient NHS {NHS} PCR positive", "Second page"),
                       "attachment:cases.pdf")
    assert texts(units) == {
        "attachment:cases.pdf/page:1": f"Patient NHS {NHS} PCR positive",
        "attachment:cases.pdf/page:2": "Second page",
    }
    assert skips == []
    assert {u.content_type for u in units} == {"pdf"}


def test_pdf_page_without_text_is_listed_as_image() -> None:
    units, skips = run(minimal_pdf("Typed page", ""), "attachment:scan.pdf")
    assert list(texts(units)) == ["attachment:scan.pdf/page:1"]
    assert [(str(s.locator), s.kind, s.reason) for s in skips] == [
        ("attachment:scan.pdf/page:2", "image",
         "image: not scanned (no OCR): page has no text layer")]


def test_pdf_without_any_text_layer_is_one_image_skip() -> None:
    units, skips = run(minimal_pdf("", "", ""), "attachment:scan.pdf")
    assert units == []
    assert [(str(s.locator), s.kind, s.reason) for s in skips] == [
        ("attachment:scan.pdf", "image",
         "image: not scanned (no OCR): PDF has no text layer (3 page(s))")]


def test_corrupted_pdf_is_unreadable() -> None:
    good = minimal_pdf(f"NHS {NHS}")
    broken = good[:40] + b"\x00garbage\xff" * 20
    units, skips = run(broken, "attachment:broken.pdf")
    assert sniff(broken) == "application/pdf"
    assert units == []
    assert len(skips) == 1
    assert skips[0].kind == "unreadable"
    assert skips[0].reason.startswith("pdf: ")
    assert str(skips[0].locator) == "attachment:broken.pdf"


def test_password_protected_pdf_is_encrypted_not_scanned() -> None:
    locked = encrypt_pdf(minimal_pdf(f"NHS {NHS}"), user="s3cret", owner="owner")
    units, skips = run(locked, "attachment:locked.pdf")
    assert units == []
    assert [(str(s.locator), s.kind, s.reason) for s in skips] == [
        ("attachment:locked.pdf", "encrypted", "encrypted: not scanned (password-protected PDF)")]


def test_owner_password_only_pdf_is_read() -> None:
    locked = encrypt_pdf(minimal_pdf(f"NHS {NHS}"), user="", owner="owner")
    units, skips = run(locked)
    assert skips == []
    assert [u.text for u in units] == [f"NHS {NHS}"]


# --- Word, Excel, OpenDocument, RTF ----------------------------------------------------------

def test_docx_body_tables_headers_and_footers() -> None:
    import docx

    doc = docx.Document()
    doc.add_paragraph("Cases for today")
    table = doc.add_table(rows=2, cols=3)
    for r, row in enumerate([("Case", "NHS number", "Result"), ("4471", NHS, "positive")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    doc.sections[0].header.paragraphs[0].text = "OFFICIAL-SENSITIVE"
    doc.sections[0].footer.paragraphs[0].text = "Team leader copy"
    buf = io.BytesIO()
    doc.save(buf)
    units, skips = run(buf.getvalue(), "attachment:notes.docx")
    found = texts(units)
    assert found["attachment:notes.docx/body"] == (
        f"Cases for today\nCase\tNHS number\tResult\n4471\t{NHS}\tpositive")
    assert found["attachment:notes.docx/header1"] == "OFFICIAL-SENSITIVE"
    assert found["attachment:notes.docx/footer1"] == "Team leader copy"
    assert skips == []


def test_xlsx_every_sheet_rows_tab_joined() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Cases"
    ws.append(["Case", "NHS number", "Tested", "Result"])
    ws.append([4471, 9434765919, dt.date(2021, 1, 14), "positive"])
    hidden = wb.create_sheet("Old")
    hidden.sheet_state = "hidden"
    hidden.append(["kept", None, "too"])
    wb.create_sheet("Empty")
    buf = io.BytesIO()
    wb.save(buf)
    units, skips = run(buf.getvalue(), "attachment:list.xlsx")
    assert texts(units) == {
        "attachment:list.xlsx/sheet:Cases":
            "Case\tNHS number\tTested\tResult\n4471\t9434765919\t2021-01-14T00:00:00\tpositive",
        "attachment:list.xlsx/sheet:Old": "kept\t\ttoo",
    }
    assert skips == []


def test_odt_and_ods() -> None:
    from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
    from odf.table import Table, TableCell, TableRow
    from odf.text import H, P

    odt = OpenDocumentText()
    odt.text.addElement(H(outlinelevel=1, text="Case list"))
    odt.text.addElement(P(text=f"NHS {NHS} swab positive"))
    buf = io.BytesIO()
    odt.write(buf)
    units, skips = run(buf.getvalue(), "attachment:a.odt")
    assert texts(units) == {"attachment:a.odt/body": f"Case list\nNHS {NHS} swab positive"}
    assert skips == []

    ods = OpenDocumentSpreadsheet()
    table = Table(name="Cases")
    for values in (["Case", "NHS"], ["4471", NHS]):
        row = TableRow()
        for value in values:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    ods.spreadsheet.addElement(table)
    buf = io.BytesIO()
    ods.write(buf)
    units, skips = run(buf.getvalue(), "attachment:a.ods")
    assert texts(units) == {"attachment:a.ods/sheet:Cases": f"Case\tNHS\n4471\t{NHS}"}


def test_rtf() -> None:
    rtf = (r"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard "
           r"Patient NHS " + NHS + r" \'e9t\'e9 \b positive\b0\par}").encode()
    units, skips = run(rtf, "attachment:note.rtf")
    assert skips == []
    assert [u.text.strip() for u in units] == [f"Patient NHS {NHS} été positive"]


# --- text types the dispatcher reads as text -------------------------------------------------

@pytest.mark.parametrize("data", [
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Swab test NHS 943 476 5919\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n",
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jo Bloggs\r\nNOTE:NHS 943 476 5919\r\nEND:VCARD\r\n",
    b"case,nhs,result\n4471,943 476 5919,positive\n",
    b"case\tnhs\tresult\n4471\t943 476 5919\tpositive\n",
])
def test_calendar_vcard_csv_tsv_are_text(data: bytes) -> None:
    units, skips = run(data)
    assert skips == []
    assert len(units) == 1 and NHS in units[0].text


def test_text_hidden_in_octet_stream() -> None:
    utf16 = f"Case 4471 NHS {NHS} positive\r\n".encode("utf-16-le")
    assert sniff(utf16) == "application/octet-stream"
    units, skips = run(utf16)
    assert skips == [] and [u.text.strip() for u in units] == [f"Case 4471 NHS {NHS} positive"]
    binary = b"\x00\x00\x00\x00garbage binary \x00\x01\x02\x03\xfe\xff" * 50
    assert sniff(binary) == "application/octet-stream"
    units, skips = run(binary, "attachment:blob.bin")
    assert units == []
    assert [(str(s.locator), s.kind, s.reason) for s in skips] == [
        ("attachment:blob.bin", "not-extracted",
         "not extracted: application/octet-stream (binary data)")]


def test_image_is_listed_not_scanned() -> None:
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
           b"\x00\x00\x00\x90wS\xde")
    units, skips = run(png, "attachment:photo.png")
    assert units == []
    assert [(s.kind, s.reason) for s in skips] == [
        ("image", "image: not scanned (no OCR): image/png")]


# --- OLE: encrypted Office files, attached Outlook items -------------------------------------

def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (v3, 512-byte sectors) whose streams are all at least
    4096 bytes, so that none lives in the mini stream."""
    sector = 512
    end, free, fat_sect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    names = list(streams)
    data_sectors: list[list[int]] = []
    nxt = 2  # sector 0: FAT, sector 1: directory
    for name in names:
        size = len(streams[name])
        assert size >= 4096
        count = -(-size // sector)
        data_sectors.append(list(range(nxt, nxt + count)))
        nxt += count
    assert nxt <= 128 and len(names) <= 3
    fat = [fat_sect, end]
    for chain in data_sectors:
        fat += chain[1:] + [end]
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00" if name else b""
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", free, right, child) + bytes(16) + bytes(4) + bytes(16)
                + struct.pack("<IQ", start, size))

    entries = [entry("Root Entry", 5, 1, free, end, 0)]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else free
        entries.append(entry(name, 2, free, right, data_sectors[i][0], len(streams[name])))
    while len(entries) < 4:
        entries.append(entry("", 0, free, free, 0, 0))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    body = header + struct.pack("<128I", *fat) + b"".join(entries)
    for name in names:
        blob = streams[name]
        body += blob + bytes(-len(blob) % sector)
    return body


def test_password_protected_office_file_is_encrypted() -> None:
    data = compound_file({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(4092),
                          "EncryptedPackage": struct.pack("<Q", 5000) + bytes(5000)})
    units, skips = run(data, "attachment:cases.xlsx")
    assert units == []
    assert [(str(s.locator), s.kind, s.reason) for s in skips] == [
        ("attachment:cases.xlsx", "encrypted",
         "encrypted: not scanned (password-protected Office file)")]


def test_legacy_word_document_is_listed_not_extracted() -> None:
    fib = bytearray(4096)
    fib[0:2] = b"\xec\xa5"
    units, skips = run(compound_file({"WordDocument": bytes(fib)}), "attachment:old.doc")
    assert units == []
    assert [(s.kind, s.reason) for s in skips] == [
        ("not-extracted", "not extracted: legacy Word document (.doc)")]
    fib[0x0B] |= 0x01  # fEncrypted
    units, skips = run(compound_file({"WordDocument": bytes(fib)}), "attachment:old.doc")
    assert [(s.kind, s.reason) for s in skips] == [
        ("encrypted", "encrypted: not scanned (password-protected Office file)")]


def test_attached_outlook_msg_goes_to_the_mime_walker() -> None:
    data = msg_bytes(subject="Forwarded referral", body=f"NHS {NHS}",
                     attachments=[("cases.csv", f"4471,{NHS}\n".encode(), "text/csv"),
                                  ("scan.tif", b"II*\x00" + bytes(60), "image/tiff")])
    units, skips = run(data, "attachment:fwd.msg")
    assert [(u.part, u.where, u.text) for u in units] == [
        ("2/rfc822/header", "attachment:fwd.msg", "Forwarded referral"),
        ("2/rfc822/1.1", "attachment:fwd.msg", f"NHS {NHS}"),  # its HTML twin scanned once
        ("2/rfc822/2", "attachment:fwd.msg/cases.csv", f"4471,{NHS}\n"),
    ]
    assert [(s.part, str(s.locator), s.kind) for s in skips] == [
        ("2/rfc822/3", "attachment:fwd.msg/scan.tif", "image")]


def test_real_attached_outlook_msg_is_opened() -> None:
    path = corpus("outlook", "msg-extractor_unicode.msg")
    units, skips = run(path.read_bytes(), "attachment:fwd.msg")
    found = {(u.part, u.where): u.text for u in units}
    assert found[("2/rfc822/header", "attachment:fwd.msg")] == "Test for TIF files"
    assert found[("2/rfc822/1.1", "attachment:fwd.msg")].startswith(
        "This is a test email to experiment with the MS Outlook MSG Extractor")
    assert sorted((str(s.locator), s.kind) for s in skips) == [
        ("attachment:fwd.msg/import OleFileIO.tif", "image"),
        ("attachment:fwd.msg/raised value error.tif", "image"),
    ]


# --- TNEF ------------------------------------------------------------------------------------

def tnef_blob(body: bytes, attachments: dict[str, bytes]) -> bytes:
    """A TNEF stream (MS-OXTNEF) with a legacy body and attachments (title + data)."""

    def attr(level: int, ident: int, kind: int, data: bytes) -> bytes:
        return (struct.pack("<BHHI", level, ident, kind, len(data)) + data
                + struct.pack("<H", sum(data) & 0xFFFF))

    out = struct.pack("<IH", 0x223E9F78, 0x0101)
    out += attr(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attr(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # attOemCodepage
    out += attr(1, 0x800C, 0x0002, body)  # attBody
    for name, data in attachments.items():
        out += attr(2, 0x9002, 0x0006, bytes(14))  # attAttachRendData starts an attachment
        out += attr(2, 0x8010, 0x0001, name.encode() + b"\x00")  # attAttachTitle
        out += attr(2, 0x800F, 0x0006, data)  # attAttachData
    return out


def test_tnef_body_and_attachments_are_walked() -> None:
    blob = tnef_blob(b"Please log these cases.\r\n",
                     {"cases.csv": f"4471,{NHS},positive\n".encode(), "logo.png":
                      b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
                      b"\x08\x02\x00\x00\x00\x90wS\xde"})
    units, skips = run(blob, "attachment:winmail.dat")
    assert texts(units) == {
        "attachment:winmail.dat/tnef:body": "Please log these cases.\r\n",
        "attachment:winmail.dat/tnef:cases.csv": f"4471,{NHS},positive\n",
    }
    assert [(str(s.locator), s.kind) for s in skips] == [
        ("attachment:winmail.dat/tnef:logo.png", "image")]


def test_broken_tnef_is_unreadable() -> None:
    units, skips = run(b"\x78\x9f\x3e\x22\x01\x01" + b"\x01\x0c\x80\x02\x00\xff\xff\xff\x7f")
    assert units == []
    assert [(s.kind, s.reason) for s in skips] == [
        ("truncated", "tnef: truncated (an attribute runs past the end); read what is there")]
    assert run(b"\x78\x9f\x3e\x22\x01\x01")[1] == []  # an empty TNEF is not truncated


def _samples() -> dict[str, bytes]:
    import gzip
    import tarfile
    import zipfile

    import docx
    import openpyxl
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    def saved(doc: object) -> bytes:
        buf = io.BytesIO()
        doc.save(buf)  # type: ignore[attr-defined]
        return buf.getvalue()

    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("a.txt", "a")
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w") as tf:
        info = tarfile.TarInfo("a.txt")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"a"))
    odt = OpenDocumentText()
    odt.text.addElement(P(text="x"))
    obuf = io.BytesIO()
    odt.write(obuf)
    return {
        "zip": zbuf.getvalue(), "tar": tbuf.getvalue(), "compressed": gzip.compress(b"x"),
        "ole": compound_file({"WordDocument": bytes(4096)}), "odf": obuf.getvalue(),
        "pdf": minimal_pdf("x"), "text": "plain text".encode("utf-16-le"),
        "rtf": rb"{\rtf1 x}", "encrypted": b"-----BEGIN PGP MESSAGE-----\n\nhQEMA\n",
        "xlsx": saved(openpyxl.Workbook()), "tnef": tnef_blob(b"x", {}),
        "docx": saved(docx.Document()),
    }


def test_every_registered_extractor_is_chosen_by_sniffed_content() -> None:
    samples = _samples()
    assert {e.name for e in registered()} == set(samples)
    for name, data in samples.items():
        mime = sniff(data)
        chosen = next(e.name for e in registered() if e.accepts(mime, data[:64]))
        assert chosen == name, f"{name} sample sniffed as {mime} went to {chosen}"


def test_docx_tracked_deletions_and_text_boxes_are_read() -> None:
    import docx
    from docx.oxml import parse_xml

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    doc = docx.Document()
    para = doc.add_paragraph("Kept text ")
    para._p.append(parse_xml(f'<w:del {ns} w:id="1" w:author="a"><w:r><w:delText>NHS {NHS}'
                             '</w:delText></w:r></w:del>'))
    box = doc.add_paragraph()
    box._p.append(parse_xml(
        f'<w:r {ns}><w:pict><w:txbxContent><w:p><w:r><w:t>Swab positive</w:t></w:r></w:p>'
        '</w:txbxContent></w:pict></w:r>'))
    buf = io.BytesIO()
    doc.save(buf)
    units, _ = run(buf.getvalue())
    body = texts(units)["attachment:file/body"]
    assert f"Kept text NHS {NHS}" in body
    assert "Swab positive" in body


def test_office_file_that_libmagic_calls_octet_stream_is_still_read() -> None:
    import zipfile

    import docx

    doc = docx.Document()
    doc.add_paragraph(f"NHS {NHS}")
    buf = io.BytesIO()
    doc.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    names = sorted(src.namelist(), key=lambda n: (not n.startswith("docProps"), n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.writestr(name, src.read(name))
    assert sniff(out.getvalue()) == "application/octet-stream"
    units, skips = run(out.getvalue(), "attachment:renamed.bin")
    assert skips == []
    assert texts(units) == {"attachment:renamed.bin/body": f"NHS {NHS}"}


def test_xlsm_is_read_like_xlsx(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Cases"
    wb.active.append(["4471", NHS])
    path = tmp_path / "macro.xlsm"
    wb.save(path)
    # openpyxl writes the macro-enabled content type only for a workbook loaded with
    # keep_vba; patch the main part's content type the way Excel writes it.
    import zipfile

    raw = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            dst.writestr(item, data)
    with zipfile.ZipFile(raw) as check:
        assert b"macroEnabled" in check.read("[Content_Types].xml")
    units, skips = run(raw.getvalue())
    assert skips == []
    assert texts(units) == {"attachment:file/sheet:Cases": f"4471\t{NHS}"}
