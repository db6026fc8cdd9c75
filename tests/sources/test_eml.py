"""One-message files are recognised by their content, whatever their name, and read from
their header block on: shapes that exporters and hand-saved files really have (issue 14)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import eml, mbox_of
from tracecheck import api
from tracecheck.model import Flow, NoteKind
from tracecheck.sources.base import InputFile, SourceType
from tracecheck.sources.files import sniff_file

NHS = "NHS number 943 476 5919 for the patient"
MESSAGE = eml(to="pat@gmail.com", body=NHS).replace(b"\n", b"\r\n")
RECEIVED = (b"Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n"
            b"\tby mail.example.net with ESMTP id abc\r\n"
            b"\tfor <pat@gmail.com>; Mon, 11 Jan 2021 09:30:00 +0000\r\n")

SHAPES: dict[str, tuple[bytes, int]] = {
    # name: (file bytes, bytes before the header block)
    "plain": (MESSAGE, 0),
    "received-first": (RECEIVED + MESSAGE, 0),
    "x-headers-first": (b"X-Mozilla-Status: 0001\r\nX-Mozilla-Status2: 00000000\r\n"
                        + MESSAGE, 0),
    "arc-first": (b"ARC-Seal: i=1; a=rsa-sha256; t=1; cv=none;\r\n d=google.com\r\n"
                  b"Authentication-Results: mx.google.com\r\n" + MESSAGE, 0),
    # failed before: an empty first line was read as the end of the headers, so the message
    # had no sender or recipients and its content was never scanned
    "leading-blank-line": (b"\r\n" + MESSAGE, 2),
    "leading-blank-lines": (b"\n\r\n" + MESSAGE, 3),
    # failed before: unsupported file type
    "leading-spaces-line": (b"   \r\n" + MESSAGE, 5),
    "leading-tab-line": (b"\t\r\n" + MESSAGE, 3),
    "byte-order-mark": (b"\xef\xbb\xbf" + MESSAGE, 3),
    "byte-order-mark-received": (b"\xef\xbb\xbf" + RECEIVED + MESSAGE, 3),
    "many-x-headers-first": (b"".join(b"X-Header-%d: v\r\n" % i for i in range(210))
                             + MESSAGE, 0),
    "long-folded-field-first": (b"DKIM-Signature: v=1; a=rsa-sha256;\r\n"
                                + b"".join(b"\tbh=abcdefghijklmnop%d;\r\n" % i
                                           for i in range(220)) + MESSAGE, 0),
}


@pytest.mark.parametrize("name", list(SHAPES))
@pytest.mark.parametrize("file_name", ["message", "message.txt", "message.dat"])
def test_a_message_file_is_read_whatever_its_name_and_its_lead(
        name: str, file_name: str, tmp_path: Path) -> None:
    data, lead = SHAPES[name]
    path = tmp_path / file_name
    path.write_bytes(data)
    inp = sniff_file(str(path))
    assert isinstance(inp, InputFile) and inp.kind is SourceType.EML
    result = api.scan([str(path)])
    # read with its headers: the consumer flow is seen and the body is scanned
    assert result.messages_scanned == 1
    assert result.flow_counts == {Flow.TO_CONSUMER.value: 1}
    assert [f.rule for f in result.findings] == ["nhs-number"]
    # the message (and its hash) start at the header block; the file's hash is the file's
    assert result.findings[0].message_sha256 == hashlib.sha256(data[lead:]).hexdigest()
    assert result.sources[0].sha256 == hashlib.sha256(data).hexdigest()
    notes = [n for n in result.notes if n.kind is NoteKind.SOURCE]
    if lead:
        assert [n.reason for n in notes] == [
            f"eml: the {lead} byte(s) before the header block (a byte-order mark, blank "
            "lines) are not part of the message or its hash"]
    else:
        assert notes == []


def test_an_mbox_behind_a_byte_order_mark_is_not_taken_for_one_message(tmp_path: Path) -> None:
    # a From line after a BOM or blank lines is the mbox detector's to claim, never the
    # start of a single message (that would hide every message after the first)
    for lead in (b"\xef\xbb\xbf", b"\n"):
        path = tmp_path / "box.txt"
        path.write_bytes(lead + mbox_of(eml(), eml(subject="second")))
        found = sniff_file(str(path))
        assert not (isinstance(found, InputFile) and found.kind is SourceType.EML)
        path.write_bytes(lead + b"From - \n" + eml())
        found = sniff_file(str(path))
        assert not (isinstance(found, InputFile) and found.kind is SourceType.EML)


def test_text_that_is_no_header_block_stays_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\xef\xbb\xbf\r\nMeeting notes\r\nSubject to change: yes\r\n")
    found = sniff_file(str(path))
    assert not isinstance(found, InputFile)
    assert found.kind == "unsupported"


def test_an_mbox_named_txt_is_read_as_an_mbox(tmp_path: Path) -> None:
    # detection is by content: the name plays no part
    path = tmp_path / "inbox.txt"
    path.write_bytes(mbox_of(eml(), eml(subject="second")))
    inp = sniff_file(str(path))
    assert isinstance(inp, InputFile) and inp.kind is SourceType.MBOX
    assert api.scan([str(path)]).messages_scanned == 2


def test_an_eml_past_the_bound_comes_as_its_first_bytes_and_a_stream_of_the_rest(
        tmp_path: Path) -> None:
    """`max_message_bytes` inside a .eml.gz too: the rest is read as it is consumed."""
    import gzip
    import io

    from tracecheck.model import ExtractLimits, RawMessage
    from tracecheck.sources.eml import EmlSource

    data = (b"From: a@b.example\nTo: c@gmail.com\nSubject: big\n\n" + b"rota line\n" * 50_000
            + b"NHS no 401 023 2137, PCR came back positive.\n")
    source = EmlSource()
    inp = InputFile(path="big.eml", kind=SourceType.EML)
    (raw,) = [m for m in source.read_bounded(inp, io.BytesIO(data), 1000)
              if isinstance(m, RawMessage)]
    assert len(raw.raw) == 1001 and raw.sha256 == "" and raw.rest is not None
    assert raw.raw + b"".join(raw.rest) == data
    (small,) = [m for m in source.read_bounded(inp, io.BytesIO(data[:900]), 1000)
                if isinstance(m, RawMessage)]
    assert small.rest is None and small.raw == data[:900] and small.sha256
    gz = tmp_path / "big.eml.gz"
    gz.write_bytes(gzip.compress(data))
    result = api.scan([str(gz)], api.ScanOptions(limits=ExtractLimits(max_message_bytes=1000),
                                                  all_messages=True))
    (entry,) = result.skipped
    assert entry.reason.startswith("limit: message of") and "scanned as raw text" in (
        entry.reason)
    assert {f.message_sha256 for f in result.findings} == {hashlib.sha256(data).hexdigest()}
