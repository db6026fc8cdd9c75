"""The one rule for text that reaches a reader: control characters made visible, spreadsheet
formulas never run (issue 15, items 10 and 11)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracecheck.reports import safe_text
from tracecheck.reports.safe_text import spreadsheet_cell, visible

ATTACKS = {
    "OSC 52 (clipboard)": "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "OSC 0 (title)": "\x1b]0;pwned\x07",
    "clear screen": "\x1b[2J",
    "C1 CSI": "\x9b2J",
    "backspace over text": "safe\x08\x08\x08\x08evil",
    "carriage return over text": "safe\revil",
    "NUL": "a\x00b",
    "DEL": "a\x7fb",
    "bidi override": "\u202egnp.exe",
    "bidi isolate": "\u2066x\u2069",
}


def _controls(text: str, allowed: str = "") -> list[str]:
    return [ch for ch in text if (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F
                                  or 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069)
            and ch not in allowed]


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_every_control_character_becomes_a_visible_escape(attack: str) -> None:
    shown = visible(attack)
    assert _controls(shown) == []
    assert shown != attack


def test_the_escapes_read_as_what_they_stand_for() -> None:
    assert visible("a\x1b[2Jb\tc\nd\re\x9bf\u202eg") == "a\\x1b[2Jb\\tc\\nd\\re\\x9bf\\u202eg"
    assert visible("a\tb\nc\rd", keep="\t\n") == "a\tb\nc\\rd"
    plain = "Zoë <jo@gmail.com> 943 *** **** – “quoted” \u00a0"
    assert visible(plain) is plain or visible(plain) == plain


@given(st.text())
def test_visible_leaves_no_control_character(text: str) -> None:
    assert _controls(visible(text)) == []
    assert _controls(visible(text, keep="\t\n"), "\t\n") == []


def test_every_element_of_a_list_cell_is_guarded() -> None:
    assert spreadsheet_cell(["a@gmail.com", "=1+1@gmail.com"]) == "a@gmail.com;'=1+1@gmail.com"
    assert spreadsheet_cell(["+x", "-y", "@z", "\tw"]) == "'+x;'-y;'@z;'\tw"
    assert spreadsheet_cell(("=a",)) == "'=a"
    assert spreadsheet_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheet_cell(None) == "" and spreadsheet_cell(3) == "3"


def test_a_cell_keeps_tab_and_newline_and_shows_every_other_control() -> None:
    cell = spreadsheet_cell("line one\nline\ttwo \x1b]0;x\x07 \rz")
    assert cell == "line one\nline\ttwo \\x1b]0;x\\x07 \\rz"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([cell])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == [cell]


@given(st.lists(st.text().filter(lambda v: ";" not in v), max_size=5))
def test_no_element_of_a_list_cell_starts_a_formula(values: list[str]) -> None:
    pieces = spreadsheet_cell(values).split(";")
    assert len(pieces) == max(1, len(values))
    assert not any(p.startswith(("=", "+", "-", "@", "\t", "\r")) for p in pieces)


@settings(max_examples=2000)
@given(st.text(), st.sampled_from(["", "\t", "\n", "\t\n"]))
def test_text_that_needs_no_escape_takes_the_fast_path_unchanged(text: str, keep: str) -> None:
    """`visible` returns printable text as it is without translating it: the same as the
    translation, whatever the text (every escaped character is one `isprintable` refuses)."""
    assert visible(text, keep=keep) == text.translate(safe_text._TABLES[keep])
