"""CSV rows and JSON records out of export files, with the line each one starts on.

Owns the two container shapes of the cloud exports: CSV (quoted fields that span lines,
`#` directive lines passed through for Exchange) and JSON records (NDJSON, one JSON document
holding an array, the OData envelopes `{"value": [...]}` and `{"d": {"results": [...]}}`, and
SIEM test-fixture wrappers whose `input.message` holds the record as a string). Never decides
what a row or record means.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from tracecheck.logs.base import LogSource
from tracecheck.model import Skipped

MAX_FIELD_LINES = 200
"""A quoted CSV field may span at most this many lines before the row counts as malformed."""

Row = tuple[int, list[str]]
Record = tuple[int, dict[str, Any]]


def _balanced(text: str) -> bool:
    return text.count('"') % 2 == 0


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
        text = "\n".join(pending)
        if not _balanced(text) and len(pending) < MAX_FIELD_LINES:
            continue
        pending = []
        try:
            yield start, next(csv.reader([text], strict=False))
        except (csv.Error, StopIteration):
            yield start, "\x00bad"
    if pending:
        yield start, "\x00unterminated"


def lower_keys(header: list[str]) -> list[str]:
    """Header names compared loosely: trimmed, lower-case, BOM and quotes removed."""
    return [h.strip().strip("\ufeff").strip('"').strip().lower() for h in header]


def unwrap(obj: Any) -> Iterator[dict[str, Any]]:
    """The records inside a parsed JSON value (arrays, OData envelopes, fixture wrappers)."""
    if isinstance(obj, list):
        for item in obj:
            yield from unwrap(item)
        return
    if not isinstance(obj, dict):
        return
    inner = obj.get("input")
    if isinstance(inner, dict) and isinstance(inner.get("message"), str):
        try:
            yield from unwrap(json.loads(inner["message"]))
        except ValueError:
            return
        return
    if isinstance(obj.get("value"), list) and ("odata.metadata" in obj or "@odata.context" in obj):
        yield from unwrap(obj["value"])
        return
    d = obj.get("d")
    if isinstance(d, dict) and isinstance(d.get("results"), list):
        yield from unwrap(d["results"])
        return
    if isinstance(obj.get("records"), list) and len(obj) <= 2:
        yield from unwrap(obj["records"])
        return
    yield obj


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
    except ValueError:
        text = "\n".join([line, *(rest for _, rest in lines)])
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield src.bad(lineno, f"not JSON: {exc.msg} (line {exc.lineno + lineno - 1})")
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
        except ValueError:
            yield src.bad(lineno, "not a JSON record")
            continue
        yield from ((lineno, rec) for rec in unwrap(value))
