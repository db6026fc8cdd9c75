"""Encrypted bodies and attachments are recognised and listed as "encrypted: not scanned"."""

from __future__ import annotations

import base64

import pytest

from tracecheck.content.encrypted import encrypted_reason
from tracecheck.content.extract import ExtractLimits, extract_units
from tracecheck.model import Locator, SkipKind, Skipped, TextUnit

ENVELOPED = b"\x30\x82\x02\x10" + bytes.fromhex("06092a864886f70d010703") + b"\xa0\x82" + bytes(40)
SIGNED = b"\x30\x82\x02\x10" + bytes.fromhex("06092a864886f70d010702") + b"\xa0\x82" + bytes(40)
ARMOR = (b"-----BEGIN PGP MESSAGE-----\n\nhQEMA1x2y3z4AQf/ZmFrZQ==\n=abcd\n"
         b"-----END PGP MESSAGE-----\n")


@pytest.mark.parametrize(("ctype", "data", "reason"), [
    ('application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"', b"",
     "encrypted: not scanned (S/MIME enveloped-data)"),
    ("application/x-pkcs7-mime", ENVELOPED, "encrypted: not scanned (S/MIME enveloped-data)"),
    ("application/pkcs7-mime", base64.encodebytes(ENVELOPED),
     "encrypted: not scanned (S/MIME enveloped-data)"),
    ('multipart/encrypted; protocol="application/pgp-encrypted"; boundary=x', b"",
     "encrypted: not scanned (PGP/MIME)"),
    ("application/pgp-encrypted", b"Version: 1\n", "encrypted: not scanned (PGP/MIME)"),
    ("text/plain; charset=us-ascii", b"Hi,\n\n" + ARMOR, "encrypted: not scanned (PGP)"),
    ("application/pkcs7-mime", b"\x30\x03\x02\x01\x00",
     "encrypted: not scanned (S/MIME, type unknown)"),
])
def test_encrypted_parts_are_recognised(ctype: str, data: bytes, reason: str) -> None:
    assert encrypted_reason(ctype, data) == reason


@pytest.mark.parametrize(("ctype", "data"), [
    ("application/pkcs7-mime; smime-type=signed-data", ENVELOPED),  # the parameter decides
    ("application/pkcs7-mime", SIGNED),
    ("application/pkcs7-signature", SIGNED),
    ("text/plain", b"Please send the PGP key, NHS 943 476 5919 is positive."),
    ("multipart/signed; protocol=\"application/pgp-signature\"", b""),
])
def test_readable_parts_are_not_flagged(ctype: str, data: bytes) -> None:
    assert encrypted_reason(ctype, data) is None


def run(data: bytes) -> list[TextUnit | Skipped]:
    return list(extract_units(data, part="2", where="attachment:x", declared_charset=None,
                              limits=ExtractLimits(), notes=[]))


@pytest.mark.parametrize(("data", "reason"), [
    (ARMOR, "encrypted: not scanned (PGP)"),
    (b"\x85\x01\x0c\x03" + bytes(300), "encrypted: not scanned (PGP)"),  # binary PKESK packet
    (ENVELOPED + bytes(500), "encrypted: not scanned (S/MIME enveloped-data)"),  # smime.p7m
])
def test_encrypted_attachments_are_listed(data: bytes, reason: str) -> None:
    assert run(data) == [Skipped(locator=Locator(within="attachment:x"), part="2",
                                 kind=SkipKind("encrypted"),
                                 reason=reason)]


def test_signed_pkcs7_attachment_is_listed_as_not_extracted() -> None:
    assert run(SIGNED + bytes(500)) == [
        Skipped(locator=Locator(within="attachment:x"), part="2", kind=SkipKind("not-extracted"),
                reason="not extracted: signed PKCS#7 data")]
