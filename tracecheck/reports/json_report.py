"""`--format json` (one document) and `--format jsonl` (one finding per line).

Deterministic: keys in contract order, no timestamps, `ensure_ascii=False`, trailing newline.
The document's outer objects are indented and every list of records (findings, coverage
entries, log events) has one record per line: readable, greppable, and written by the C JSON
encoder (an `indent=` dump is pure Python and dominated the end of large scans).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from tracecheck.model import ScanResult
from tracecheck.reports.base import Reporter
from tracecheck.reports.records import Records, finding_dict, result_layout


class JsonReporter(Reporter[ScanResult]):
    """The full result as one JSON object."""

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write the document."""
        write_layout(result_layout(result, reveal=reveal), out)
        out.write("\n")


_COMPACT = json.JSONEncoder(ensure_ascii=False, default=str)
"""`json.dumps(value, ensure_ascii=False, default=str)`, the encoder made once (a findings-dense
report writes hundreds of thousands of records)."""
_LINE = json.JSONEncoder(ensure_ascii=False)
"""`json.dumps(value, ensure_ascii=False)`, made once."""


def _compact(value: Any) -> str:
    return _COMPACT.encode(value)


def write_layout(value: Any, out: TextIO, depth: int = 0) -> None:
    """JSON with the outer two levels of objects indented and one record per line."""
    pad = "  " * depth
    if isinstance(value, dict) and value and depth < 2:
        out.write("{\n")
        last = len(value) - 1
        for i, (key, item) in enumerate(value.items()):
            out.write(f"{pad}  {_compact(key)}: ")
            write_layout(item, out, depth + 1)
            out.write(",\n" if i < last else "\n")
        out.write(pad + "}")
    elif isinstance(value, Records):  # made one at a time, never held as a list
        if len(value):
            _write_records(value, out, pad)
        else:
            out.write("[]")
    elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        _write_records(value, out, pad)
    else:
        out.write(_compact(value))


def _write_records(records: Iterable[Any], out: TextIO, pad: str) -> None:
    """`[`, one compact record per line (comma-separated), `]`: the records are not empty."""
    out.write("[\n")
    sep = ""
    for item in records:
        out.write(f"{sep}{pad}  {_compact(item)}")
        sep = ",\n"
    out.write("\n" + pad + "]")


class JsonlReporter(Reporter[ScanResult]):
    """One finding per line, for streaming into other tools."""

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write one line per finding."""
        for f in result.findings:
            out.write(_LINE.encode(finding_dict(f, reveal=reveal)))
            out.write("\n")
