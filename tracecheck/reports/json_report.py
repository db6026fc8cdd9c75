"""`--format json` (one document) and `--format jsonl` (one finding per line).

Deterministic: keys in contract order, no timestamps, `ensure_ascii=False`, trailing newline.
"""

from __future__ import annotations

import json
from typing import TextIO

from tracecheck.model import ScanResult
from tracecheck.reports.records import finding_dict, result_dict


class JsonReporter:
    """The full result as one JSON object."""

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write the document."""
        json.dump(result_dict(result, reveal=reveal), out, indent=2, ensure_ascii=False,
                  default=str)
        out.write("\n")


class JsonlReporter:
    """One finding per line, for streaming into other tools."""

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write one line per finding."""
        for f in result.findings:
            out.write(json.dumps(finding_dict(f, reveal=reveal), ensure_ascii=False))
            out.write("\n")
