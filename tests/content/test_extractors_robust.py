"""Hostile or damaged bytes never raise out of extraction: they become text or skips."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracecheck.content.extract import ExtractLimits, extract_units
from tracecheck.model import Skipped, TextUnit

SIGNATURES = [
    b"PK\x03\x04", b"%PDF-1.4\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x78\x9f\x3e\x22",
    b"\x1f\x8b\x08\x00", b"BZh9", b"\xfd7zXZ\x00", b"{\\rtf1 ", b"-----BEGIN PGP MESSAGE-----",
    b"\x30\x82\x01\x00\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03", b"\x85\x01\x0c\x03",
]


def outcome(data: bytes) -> list[TextUnit | Skipped]:
    out = list(extract_units(data, part="1", where="attachment:x", declared_charset=None,
                             limits=ExtractLimits(max_total_bytes=1 << 20), notes=[]))
    assert all(isinstance(item, TextUnit | Skipped) for item in out)
    for item in out:
        if isinstance(item, Skipped):
            assert str(item.locator).startswith("attachment:x") and item.reason
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SIGNATURES), st.binary(max_size=3000))
def test_signature_then_garbage_never_raises(signature: bytes, tail: bytes) -> None:
    outcome(signature + tail)


def _valid_samples() -> list[bytes]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/cases.csv", "case,nhs\n4471,943 476 5919\n" * 40)
        zf.writestr("b.txt", "notes " * 100)
    import docx

    doc = docx.Document()
    doc.add_paragraph("NHS 943 476 5919 " * 20)
    dbuf = io.BytesIO()
    doc.save(dbuf)
    return [buf.getvalue(), gzip.compress(b"text " * 500), dbuf.getvalue()]


@pytest.mark.parametrize("sample", _valid_samples(), ids=["zip", "gzip", "docx"])
def test_every_truncation_is_text_or_a_skip(sample: bytes) -> None:
    for cut in range(1, len(sample), max(1, len(sample) // 97)):
        out = outcome(sample[:cut])
        assert out, f"truncated at {cut} of {len(sample)}: nothing said"
