"""MIME walking: part paths, attached messages kept, decoding, HTML, attachments."""

from __future__ import annotations

import base64
from email.message import Message

from hypothesis import given
from hypothesis import strategies as st

from tracecheck.content.extract import ExtractLimits
from tracecheck.content.html import fold_lines
from tracecheck.content.mime import Walker, message_info, parse_full
from tracecheck.model import Locator, RawMessage, Skipped, TextUnit


def walk(raw: bytes) -> list[TextUnit | Skipped]:
    msg = parse_full(RawMessage(source="m", locator=Locator("m"), raw=raw, sha256=""))
    return list(Walker(ExtractLimits()).units(msg))


NESTED = b"""From: a@tracecall.co.uk
To: b@gmail.com
Subject: Fwd: cases
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="OUT"

--OUT
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

See below =E2=80=93 thanks
--ALT
Content-Type: text/html; charset=utf-8

<html><head><style>p{}</style></head><body><table><tr><td>Case</td><td>PCR positive</td></tr>
</table></body></html>
--ALT--
--OUT
Content-Type: message/rfc822; name="fwd.eml"
Content-Disposition: attachment; filename="fwd.eml"

From: c@hotmail.com
Subject: inner subject
Content-Type: multipart/mixed; boundary="IN"

--IN
Content-Type: text/plain

inner body
--IN
Content-Type: text/csv; name="cases.csv"
Content-Disposition: attachment; filename="cases.csv"
Content-Transfer-Encoding: base64

""" + base64.encodebytes(b"nhs,result\n9434765919,positive\n") + b"""
--IN--
--OUT
Content-Type: image/png; name="logo.png"
Content-Disposition: attachment; filename="logo.png"
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==
--OUT--
"""


def test_part_paths_and_attached_message_kept() -> None:
    units = walk(NESTED)
    got = [(u.part, u.where) for u in units if isinstance(u, TextUnit)]
    assert got == [
        ("header", "subject"),
        ("1.1", "body"),
        ("1.2", "body"),
        ("2/rfc822/header", "attachment:fwd.eml"),
        ("2/rfc822/1", "attachment:fwd.eml"),
        ("2/rfc822/2", "attachment:fwd.eml/cases.csv"),
    ]
    texts = {u.part: u.text for u in units if isinstance(u, TextUnit)}
    assert texts["1.1"].startswith("See below – thanks")
    assert "Case\nPCR positive" in texts["1.2"] and "p{}" not in texts["1.2"]
    assert "9434765919,positive" in texts["2/rfc822/2"]


def test_binary_attachment_is_listed_in_coverage() -> None:
    skips = [u for u in walk(NESTED) if isinstance(u, Skipped)]
    assert [(s.part, s.kind) for s in skips] == [("3", "image")]
    assert "image/png" in skips[0].reason


def test_octet_stream_that_is_text_is_scanned() -> None:
    raw = (
        b"From: a@x.com\nTo: b@gmail.com\nSubject: s\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nhi\n"
        b"--B\nContent-Type: application/octet-stream\n"
        b"Content-Disposition: attachment; filename=notes.dat\n\n"
        b"Case notes: he tested positive on a PCR swab today, isolating at home.\n--B--\n"
    )
    units = [u for u in walk(raw) if isinstance(u, TextUnit)]
    assert units[-1].where == "attachment:notes.dat"
    assert "tested positive" in units[-1].text


def test_single_part_body_is_part_1_and_base64_decoded() -> None:
    raw = (
        b"From: a@x.com\nSubject: s\nContent-Type: text/plain; charset=iso-8859-1\n"
        b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes("Zoë".encode("latin-1"))
    )
    body = [u for u in walk(raw) if isinstance(u, TextUnit) and u.where == "body"]
    assert [(u.part, u.text.strip()) for u in body] == [("1", "Zoë")]


def test_message_info_reads_all_fields() -> None:
    raw = RawMessage(source="m", locator=Locator("m", offset=0), raw=NESTED, sha256="abc")
    info = message_info(raw, parse_full(raw))
    assert [a.addr for a in info.senders] == ["a@tracecall.co.uk"]
    assert [a.addr for a in info.recipients] == ["b@gmail.com"]
    assert info.subject == "Fwd: cases"


def test_deep_nesting_is_limited_not_a_crash() -> None:
    depth = 150
    parts = [b"From: a@x.com\nSubject: deep\nMIME-Version: 1.0\n"]
    for i in range(depth):
        parts.append(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n".encode())
    parts.append(b"Content-Type: text/plain\n\nleaf\n")
    for i in reversed(range(depth)):
        parts.append(f"--b{i}--\n".encode())
    units = walk(b"".join(parts))
    assert any(isinstance(u, Skipped) and u.kind == "limit" for u in units)


@given(st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000ab")),
               max_size=60))
def test_fold_lines_is_the_regex_fold(text: str) -> None:
    import re

    spaces = re.compile(r"[^\S\n]+")
    expected = "\n".join(line for line in (part.strip() for part in
                                           spaces.sub(" ", text).split("\n")) if line)
    assert fold_lines(text) == expected


_SPACES = st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000ab"))


@given(st.text(alphabet=_SPACES, max_size=60))
def test_folding_keeps_the_words(text: str) -> None:
    """Why the walker may compare an HTML alternative before folding its lines: the words
    (white-space-separated runs) of a text and of its fold are the same."""
    assert " ".join(fold_lines(text).split()) == " ".join(text.split())


def _alternative(plain: str, html: str) -> bytes:
    return (
        "From: a@x.com\nSubject: s\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="A"\n\n'
        f"--A\nContent-Type: text/plain; charset=utf-8\n\n{plain}\n"
        f"--A\nContent-Type: text/html; charset=utf-8\n\n{html}\n--A--\n"
    ).encode()


def test_an_html_alternative_is_scanned_once_and_folded_when_kept() -> None:
    html = "<p>Her   PCR\n  came back</p>\n<p>  positive  </p>"
    same = _alternative("Her PCR came\nback positive", html)
    units = [u for u in walk(same) if isinstance(u, TextUnit)]
    assert [u.part for u in units] == ["header", "1"]
    own = _alternative("See attached", html)
    units = [u for u in walk(own) if isinstance(u, TextUnit)]
    assert [u.part for u in units] == ["header", "1", "2"]
    assert units[2].text == "Her PCR\ncame back\npositive"  # folded, line by line
    msg = parse_full(RawMessage(source="m", locator=Locator("m"), raw=same, sha256=""))
    walker = Walker(ExtractLimits())
    list(walker.units(msg))
    assert walker.notes == [("2", "html alternative repeats the plain text; scanned once")]


def _with_and_without_head(raw: RawMessage) -> bool:
    """The units (subject included) are the same whether the walker is given the triage
    split of the header fields or not; returns whether the split was the message's own."""
    from tracecheck.content.mime import header_fields
    from tracecheck.header_block import RawHeaders

    head = header_fields(raw)
    if not isinstance(head, RawHeaders):
        return False
    full = parse_full(raw, head)
    assert list(Walker(ExtractLimits()).units(full, head)) == list(
        Walker(ExtractLimits()).units(full)), raw.raw[:200]
    return list(full.raw_items()) == head.items


def test_the_subject_from_the_triage_split_is_the_message_subject() -> None:
    from tests.conftest import SAMPLES, corpus, raw_messages

    own = [_with_and_without_head(r) for r in raw_messages(SAMPLES, corpus())]
    assert sum(own) > 100
    # a split that is not the message's own (a different message) is not used
    a = RawMessage(source="m", locator=Locator("m"), raw=b"Subject: one\n\nx\n", sha256="")
    b = RawMessage(source="m", locator=Locator("m"), raw=b"Subject: two\n\ny\n", sha256="")
    from tracecheck.content.mime import header_fields

    head_a = header_fields(a)
    assert not isinstance(head_a, Message)
    units = list(Walker(ExtractLimits()).units(parse_full(b), head_a))  # type: ignore[arg-type]
    assert isinstance(units[0], TextUnit) and units[0].text == "two"


def test_hostile_rfc2231_parameters_are_input_problems_not_internal_errors(
        tmp_path: object) -> None:
    """The stdlib's parameter parsing raises TypeError on `boundary*=;boundary*0=` (and the
    same for charset): the message was recorded as an internal error (exit 3). Now a
    multipart whose boundary cannot be read is unparseable, as the stdlib parser finds it,
    and a part whose charset cannot be read is decoded without one, with a note."""
    from pathlib import Path

    from tests.conftest import mbox_of
    from tracecheck import api

    head = b"From: a@x.com\nTo: b@gmail.com\nSubject: s\n"
    box = Path(str(tmp_path)) / "hostile.mbox"
    box.write_bytes(mbox_of(
        head + b"Content-Type: multipart/mixed;boundary*=;boundary*0=\n\n--x\n\nhi\n--x--\n",
        head + b"Content-Type: text/plain; charset*=;charset*0=\n\nPCR positive, he said\n"))
    result = api.scan([str(box)], api.ScanOptions(all_messages=True))
    kinds = [(str(s.locator), s.kind) for s in result.skipped]
    assert kinds == [(f"{box}@0", "unreadable")]
    assert result.messages_scanned == 1
    assert [n.reason for n in result.notes] == ["charset parameter unreadable; decoded without it"]


def test_a_parts_fields_read_once_are_the_values_get_reads() -> None:
    """The walker reads Content-Type and Content-Disposition once per part (`_fields`)
    where it called `part.get` for each helper: the first value is `get`'s."""
    from tests.conftest import SAMPLES, corpus, raw_messages
    from tracecheck.content.mime import Unparseable, _fields

    parts = 0
    for raw in raw_messages(SAMPLES, corpus()):
        try:
            msg = parse_full(raw)
        except Unparseable:
            continue
        for part in msg.walk():
            ctypes, disps = _fields(part)
            assert (ctypes[0] if ctypes else None) == part.get("content-type")
            assert (disps[0] if disps else None) == part.get("content-disposition")
            parts += 1
    assert parts > 500
