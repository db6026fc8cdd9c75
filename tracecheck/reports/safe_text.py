"""Text that cannot attack its reader: the one rule for control characters and spreadsheet
formulas in tracecheck's text outputs.

Owns two rules:
- `visible`: every C0 control (U+0000-U+001F), DEL, every C1 control (U+0080-U+009F) and the
  Unicode bidirectional embedding, override and isolate controls (U+202A-U+202E,
  U+2066-U+2069) become visible escapes (`\\x1b`, `\\r`, `\\x9b`, `\\u202e`). A subject, file name,
  address or logged reply can then never move the cursor, clear the screen, retitle the window
  (OSC 0), write the clipboard (OSC 52) or reorder what the reader sees. A format keeps the tab
  and newline it allows (`keep`);
- `spreadsheet_cell`: a CSV cell a spreadsheet would run as a formula (first character `=`,
  `+`, `-`, `@`, tab or CR) gets a leading `'`, and so does every element of a list cell
  joined with `;` (a spreadsheet set to split on `;` reads each element as a cell).

Every text writer uses them: the table, CSV, the ICO report in Markdown and HTML, the
`tracecheck logs` CSV, review listings, the baseline audit and every line the command line
writes to stderr. JSON (and SARIF), whose format escapes every C0 control, and JUnit (XML,
`reports.junit`) never pass through here, so their bytes are unchanged. Never masks values
(`rules.mask` does) and never decides what is written.
"""

from __future__ import annotations

from typing import Any

_BIDI = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROLS = (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI)
_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _escape(code: int) -> str:
    if code in _NAMED:
        return _NAMED[code]
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _table(keep: str) -> dict[int, str]:
    return {code: _escape(code) for code in _CONTROLS if chr(code) not in keep}


_TABLES = {keep: _table(keep) for keep in ("", "\t", "\n", "\t\n")}

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet evaluate a cell."""
LIST_SEPARATOR = ";"
"""How a list is joined into one CSV cell."""


def visible(text: str, *, keep: str = "") -> str:
    """`text` with every control character written as a visible escape, except those in
    `keep` (`"\\t"`, `"\\n"` or both: the ones the format has a use for). Text without
    control characters is returned as it is."""
    if text.isprintable():  # every character escaped here is one `isprintable` refuses
        return text
    return text.translate(_TABLES[keep])


def spreadsheet_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text and never evaluates: a list's elements joined
    with `;`, each guarded; control characters other than tab and newline made visible."""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(_guard(_text(v)) for v in value)
    return _guard(_text(value))


def _text(value: Any) -> str:
    return "" if value is None else visible(str(value), keep="\t\n")


def _guard(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text
