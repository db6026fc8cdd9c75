"""Mail-server and audit logs → `LogEvent` records: the package's front door.

Re-exports the one reading path (`reading`: the reader registry, `read_log` for one file and
`read_log_files` for a set, which is how the scan and `tracecheck logs` read logs), sniffing
and rotation. One module per format does the parsing, `message` builds the events, `join`
matches events to a mailbox export's messages, `years` dates year-less stamps from those
matches, `analysis` turns events into findings and the correlation with the export, and
`tables` writes the `tracecheck logs` tables. Names are imported when first used, so that
importing one module of the package (the sniffer while discovering files, the table enums for
the command line) does not load every reader. Never prints.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracecheck.logs.base import MALFORMED, STATUSES
    from tracecheck.logs.reading import (
        FORMATS,
        READERS,
        SNIFF_BYTES,
        SYSLOG_FORMATS,
        FileCount,
        LogRead,
        LogStream,
        read_log,
        read_log_files,
        sniff_path,
        stream_log_files,
    )
    from tracecheck.logs.rotation import YearPlan, plan_years, rotation_order, rotation_sets
    from tracecheck.logs.sniff import sniff_log

_HOME = {
    "MALFORMED": "base",
    "STATUSES": "base",
    "FORMATS": "reading",
    "READERS": "reading",
    "SNIFF_BYTES": "reading",
    "SYSLOG_FORMATS": "reading",
    "FileCount": "reading",
    "LogRead": "reading",
    "LogStream": "reading",
    "stream_log_files": "reading",
    "read_log": "reading",
    "read_log_files": "reading",
    "sniff_path": "reading",
    "YearPlan": "rotation",
    "plan_years": "rotation",
    "rotation_order": "rotation",
    "rotation_sets": "rotation",
    "sniff_log": "sniff",
}

__all__ = [
    "FORMATS",
    "MALFORMED",
    "READERS",
    "SNIFF_BYTES",
    "STATUSES",
    "SYSLOG_FORMATS",
    "FileCount",
    "LogRead",
    "LogStream",
    "YearPlan",
    "plan_years",
    "read_log",
    "read_log_files",
    "rotation_order",
    "rotation_sets",
    "sniff_log",
    "sniff_path",
    "stream_log_files",
]
assert sorted(__all__) == sorted(_HOME)


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'tracecheck.logs' has no attribute {name!r}")
    return getattr(importlib.import_module(f"tracecheck.logs.{home}"), name)
