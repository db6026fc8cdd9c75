"""Fuzz targets: hostile bytes into every parser; none may raise.

Each target is a property test with no explicit example count; the profile in conftest.py
decides how many (a slice in `make test`, 15,000 each in `make fuzz`).
"""

from __future__ import annotations

import email
import email.policy
import io

from hypothesis import given
from hypothesis import strategies as st

from tracecheck.content.charset import decode_text
from tracecheck.content.extract import ExtractLimits, extract_units
from tracecheck.content.headers import parse_address_field, parse_date
from tracecheck.content.mime import Walker, message_info, parse_full
from tracecheck.model import Locator, RawMessage, Skipped, TextUnit
from tracecheck.rules.matcher import Matcher
from tracecheck.rules.pack import load_packs
from tracecheck.shipped_rules import default_pack_paths
from tracecheck.sources.mbox import split_pieces

MATCHER = Matcher(load_packs(default_pack_paths()), timeout=2.0)

MBOX_ATOMS = [b"From ", b"From a@b Mon Jan 1 10:00:00 2020\n", b"\n", b"\r\n", b">From ",
              b"Subject: s\n", b"x", b"\x00", b"\xff", b"From time to time\n", b"From - \n",
              b"\xef\xbb\xbf", b"Content-Length: 3\n", b"Content-Length: 12\n", b"abc"]
HEADER_ATOMS = ["From: ", "To: ", "Cc: ", "Bcc: ", "Subject: ", "Content-Type: ",
                "multipart/mixed; boundary=b", "text/html; charset=", "utf-8", "x-unknown",
                "Content-Transfer-Encoding: ", "base64", "quoted-printable", "\n", "\n\n", "--b",
                "--b--", " <a@gmail.com>", "=?utf-8?q?=C3=A9?=", "<p>", ",", ";", ":", "\"",
                "message/rfc822", "Content-Disposition: attachment; filename=x.csv"]


@given(st.lists(st.sampled_from(MBOX_ATOMS), max_size=60), st.integers(1, 64))
def test_mbox_split_join(parts: list[bytes], chunk: int) -> None:
    data = b"".join(parts)
    for by_length in (False, True):
        pieces = split_pieces(io.BytesIO(data), chunk, content_length=by_length)
        assert b"".join(p.joined() for p in pieces) == data


@given(st.text(max_size=300))
def test_addresses(value: str) -> None:
    parse_address_field(value, "to", [])
    parse_date(value, [])


@given(st.binary(max_size=500), st.one_of(st.none(), st.text(max_size=20)))
def test_charsets(data: bytes, charset: str | None) -> None:
    assert isinstance(decode_text(data, charset, []), str)


def _walk(raw: bytes) -> None:
    msg = RawMessage(source="f", locator=Locator("f"), raw=raw, sha256="")
    parsed = parse_full(msg)
    message_info(msg, parsed, hops=True)
    for unit in Walker(ExtractLimits(max_depth=3)).units(parsed):
        if isinstance(unit, TextUnit):
            MATCHER.scan(unit)
        else:
            assert isinstance(unit, Skipped)


@given(st.lists(st.sampled_from(HEADER_ATOMS), max_size=80), st.binary(max_size=200))
def test_mime_walk_structured(atoms: list[str], tail: bytes) -> None:
    _walk("".join(atoms).encode("utf-8") + tail)


@given(st.binary(max_size=800))
def test_mime_walk_bytes(data: bytes) -> None:
    _walk(b"From: a@x.com\nTo: b@gmail.com\n" + data)


MAGICS = [b"%PDF-1.4\n", b"PK\x03\x04", b"\x1f\x8b\x08", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
          b"{\\rtf1", b"BEGIN:VCALENDAR\n", b"x\x9f>\x22", b"BZh91AY&SY", b"\xfd7zXZ\x00"]


@given(st.sampled_from(MAGICS), st.binary(max_size=600))
def test_extractors(magic: bytes, body: bytes) -> None:
    for unit in extract_units(magic + body, part="2", where="attachment:x", declared_charset=None,
                              limits=ExtractLimits(max_depth=3), notes=[]):
        assert isinstance(unit, TextUnit | Skipped)


@given(st.text(max_size=2000))
def test_matcher(text: str) -> None:
    MATCHER.scan(TextUnit(part="1", where="body", text=text))


@given(st.binary(max_size=400))
def test_stdlib_parser_under_our_policy(data: bytes) -> None:
    email.message_from_bytes(data, policy=email.policy.compat32)


LOG_LINES = [b"Jan  1 00:00:01 mx postfix/qmgr[1]: ABC123: from=<a@x.com>, size=1, nrcpt=1\n",
             b"Jan  1 00:00:02 mx postfix/smtp[2]: ABC123: to=<b@gmail.com>, status=sent\n",
             b"2021-01-01 00:00:00 1abcde-000001-AB <= a@x.com S=1\n",
             b"#Fields: date-time,sender-address,recipient-address,event-id\n",
             b"2021-01-01T00:00:00.000Z,a@x.com,b@gmail.com,SEND\n",
             b'"Date","Sender","Recipient","Subject","Status"\n', b"\xef\xbb\xbf", b"\x00",
             b'{"Operation":"New-InboxRule","Parameters":[{"Name":"ForwardTo","Value":"x@gmail.com"}]}\n']


@given(st.sampled_from(["postfix", "exim", "sendmail", "exchange", "m365", "google",
                        "o365-audit", "gmail-audit"]),
       st.lists(st.one_of(st.sampled_from(LOG_LINES), st.binary(max_size=80)), max_size=30))
def test_log_parsers(fmt: str, lines: list[bytes]) -> None:
    import tempfile

    from tracecheck.logs import read_log, sniff_log

    data = b"".join(lines)
    sniff_log(data)
    with tempfile.NamedTemporaryFile(suffix=".log") as f:
        f.write(data)
        f.flush()
        for item in read_log(f.name, fmt, year=2021):
            assert item is not None
