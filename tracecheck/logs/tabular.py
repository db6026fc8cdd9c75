"""CSV rows and JSON records out of export files, with the line each one starts on.

Owns the two container shapes of the cloud exports and the one loop that reads either
(`export_rows`: JSON when the text starts with `{` or `[`, else a CSV whose first row is the
header): CSV (quoted fields that span lines, `#` directive lines passed through for Exchange,
a row whose quotes never close or whose width differs from the header's is a malformed-line
skip) and JSON records (NDJSON, one JSON document holding an array, the OData envelopes
`{"value": [...]}` and `{"d": {"results": [...]}}`, and SIEM test-fixture wrappers whose
`input.message` holds the record as a string; a line nested too deep to decode is a skip).
Never decides what a row or record means.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tracecheck.logs.base import LogSource
from tracecheck.model import Skipped

MAX_FIELD_LINES = 200
"""A quoted CSV field may span at most this many lines before the row counts as malformed."""

Row = tuple[int, list[str]]
Record = tuple[int, dict[str, Any]]

JSON_ERRORS = (ValueError, RecursionError)
"""What decoding hostile JSON raises: bad syntax, or nesting deeper than the decoder's stack."""


def _balanced(text: str) -> bool:
    return text.count('"') % 2 == 0


_PLAIN = frozenset('"\r\n\x00')
"""Characters after which a line is not split on commas alone (quotes, line ends, NUL)."""


def csv_row(text: str) -> list[str] | None:
    """The fields of one CSV row (the stdlib `csv` module's reading, not strict), or None
    when it cannot read it. A row with no quote, line end or NUL is split on commas, which is
    what the module gives for it (a differential test holds the two equal)."""
    if text and _PLAIN.isdisjoint(text):
        return text.split(",")
    try:
        return next(csv.reader([text], strict=False))
    except (csv.Error, StopIteration):
        return None


def csv_lines(src: LogSource, *, directives: bool = False) -> Iterator[Row | tuple[int, str]]:
    """Rows of a CSV file as (first line number, fields); blank lines dropped.

    With `directives`, lines starting with `#` come back as (line number, text) unparsed.
    """
    pending: list[str] = []
    start = 0
    for lineno, line in src.lines():
        if not pending:
            if not line.strip():
                continue
            if directives and line.startswith("#"):
                yield lineno, line
                continue
            start = lineno
        pending.append(line)
        text = "\n".join(pending) if len(pending) > 1 else line
        if not _balanced(text) and len(pending) < MAX_FIELD_LINES:
            continue
        pending = []
        row = csv_row(text)
        if row is None:
            yield start, "\x00bad"
        else:
            yield start, row
    if pending:
        yield start, "\x00unterminated"


def lower_keys(header: list[str]) -> list[str]:
    """Header names compared loosely: trimmed, lower-case, BOM and quotes removed."""
    return [h.strip().strip("\ufeff").strip('"').strip().lower() for h in header]


def unwrap(obj: Any) -> Iterator[dict[str, Any]]:
    """The records inside a parsed JSON value (arrays, OData envelopes, fixture wrappers), in
    document order. Walked with a stack, not by recursion: nesting depth is the input's."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
            continue
        if not isinstance(item, dict):
            continue
        inner = item.get("input")
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            try:
                stack.append(json.loads(inner["message"]))
            except JSON_ERRORS:
                pass
            continue
        if isinstance(item.get("value"), list) and (
                "odata.metadata" in item or "@odata.context" in item):
            stack.append(item["value"])
            continue
        d = item.get("d")
        if isinstance(d, dict) and isinstance(d.get("results"), list):
            stack.append(d["results"])
            continue
        if isinstance(item.get("records"), list) and len(item) <= 2:
            stack.append(item["records"])
            continue
        yield item


def json_records(src: LogSource) -> Iterator[Record | Skipped]:
    """Records of an NDJSON file (one per line; a bad line is a skip) or of one JSON document
    spread over many lines (pretty-printed)."""
    lines = src.lines()
    lineno, line = 0, ""
    for lineno, line in lines:  # noqa: B007 - the first non-blank line is used below
        if line.strip():
            break
    else:
        return
    try:
        value = json.loads(line)
    except JSON_ERRORS:
        text = "\n".join([line, *(rest for _, rest in lines)])
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield src.bad(lineno, f"not JSON: {exc.msg} (line {exc.lineno + lineno - 1})")
            return
        except RecursionError:
            yield src.bad(lineno, "not JSON: nested too deep")
            return
        for rec in unwrap(value):
            yield lineno, rec
        return
    yield from ((lineno, rec) for rec in unwrap(value))
    for lineno, line in lines:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except JSON_ERRORS:
            yield src.bad(lineno, "not a JSON record")
            continue
        yield from ((lineno, rec) for rec in unwrap(value))


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One record of an export: a CSV row keyed by the header's names, or a JSON record."""

    lineno: int
    """Line the row or record starts on (from 1)."""
    fields: dict[str, Any]
    from_json: bool
    """True for a JSON record (keys as exported), False for a CSV row (keys from `header`)."""


def is_json(src: LogSource) -> bool:
    """True when the export is JSON (its text starts with `{` or `[`), False for CSV."""
    return src.head().lstrip()[:1] in ("{", "[")


def export_rows(src: LogSource, *, header: Callable[[list[str]], list[str]] = lower_keys
                ) -> Iterator[ExportRow | Skipped]:
    """The rows of a JSON-or-CSV export, in file order, with skips for what does not parse.

    A CSV's first row names the columns (`header` turns it into the keys, `lower_keys` by
    default); a later row with unclosed quotes or another number of cells is malformed.
    """
    if is_json(src):
        for item in json_records(src):
            yield item if isinstance(item, Skipped) else ExportRow(item[0], item[1], True)
        return
    names: list[str] | None = None
    for lineno, row in csv_lines(src):
        if isinstance(row, str):
            yield src.bad(lineno, "unbalanced quotes in CSV row")
            continue
        if names is None:
            names = header(row)
            continue
        if len(row) != len(names):
            yield src.bad(lineno, f"{len(row)} columns, header has {len(names)}")
            continue
        yield ExportRow(lineno, dict(zip(names, row, strict=True)), False)
