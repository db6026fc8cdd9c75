"""Charset decoding falls back instead of failing, and says what it guessed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tracecheck.content.charset import decode_text


def test_declared_charset_is_used() -> None:
    notes: list[str] = []
    assert decode_text("café".encode("iso-8859-1"), "iso-8859-1", notes) == "café"
    assert notes == []


def test_unknown_charset_is_best_effort_with_a_note() -> None:
    notes: list[str] = []
    assert decode_text(b"positive", "x-unknown", notes) == "positive"
    assert notes and "unknown charset" in notes[0]


def test_lying_charset_falls_back_to_utf8() -> None:
    notes: list[str] = []
    assert decode_text("Zoë".encode(), "us-ascii", notes) == "Zoë"
    assert notes and "did not decode" in notes[0]


def test_ks_c_5601_alias() -> None:
    notes: list[str] = []
    assert decode_text("한국".encode("cp949"), "ks_c_5601-1987", notes) == "한국"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([None, "utf-8", "us-ascii", "bogus", "big5",
                                                  "iso-2022-jp", "utf-16"]))
def test_decoding_never_raises(data: bytes, charset: str | None) -> None:
    assert isinstance(decode_text(data, charset, []), str)


def test_non_text_codecs_named_as_charsets_are_not_used() -> None:
    # Found by `make fuzz`: "undefined" raises a bare UnicodeError; rot13 is not a text codec.
    for bogus in ("UNDEFINED", "rot13", "base64_codec", "zlib"):
        notes: list[str] = []
        assert decode_text(b"positive", bogus, notes) == "positive"
        assert notes
