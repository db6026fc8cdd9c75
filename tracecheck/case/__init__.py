"""The case: an embedded SQLite store of one investigation's evidence trail and decisions.

`CaseStore` is the front door; `Decision` names reviewer decisions; `CaseSnapshot` is what
reports read. Nothing here scans mail or formats output.

Names are imported from their modules when first used, so a scan without a case (which
needs only the review vocabulary for the CLI's options) never loads the store or sqlite3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracecheck.case.dedup import Disclosure, group
    from tracecheck.case.errors import CaseStoreError
    from tracecheck.case.manifest import RunRecord
    from tracecheck.case.review import Decision, DecisionRecord, Status
    from tracecheck.case.snapshot import CaseSnapshot, SourceRecord
    from tracecheck.case.store import CaseStore

_MODULE_OF = {
    "CaseSnapshot": "snapshot",
    "CaseStore": "store",
    "CaseStoreError": "errors",
    "Decision": "review",
    "DecisionRecord": "review",
    "Disclosure": "dedup",
    "RunRecord": "manifest",
    "SourceRecord": "snapshot",
    "Status": "review",
    "group": "dedup",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
