"""The case: an embedded SQLite store of one investigation's evidence trail and decisions.

`CaseStore` is the front door; `Decision` names reviewer decisions; `CaseSnapshot` is what
reports read. Nothing here scans mail or formats output.
"""

from __future__ import annotations

from tracecheck.case.dedup import Disclosure, group
from tracecheck.case.errors import CaseStoreError
from tracecheck.case.manifest import RunRecord
from tracecheck.case.review import Decision, DecisionRecord, Status
from tracecheck.case.snapshot import CaseSnapshot, SourceRecord
from tracecheck.case.store import CaseStore

__all__ = [
    "CaseSnapshot",
    "CaseStore",
    "CaseStoreError",
    "Decision",
    "DecisionRecord",
    "Disclosure",
    "RunRecord",
    "SourceRecord",
    "Status",
    "group",
]
