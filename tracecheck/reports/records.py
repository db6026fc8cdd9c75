"""Plain-dict views of results shared by the JSON, JSONL and CSV reporters.

Owns the output contract's key names and order (docs/output.md). Values are masked unless
`reveal` is set; `value` appears only with `reveal`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from tracecheck.findings import Tallies
from tracecheck.model import Finding, LogEvent, Note, ScanResult, Skipped
from tracecheck.reports.base import SCHEMA_VERSION

T = TypeVar("T")


class Records(Generic[T]):
    """A list of records made one at a time as it is written (`reports.json_report` writes it
    like the list of dicts it stands for), so a large report is never held whole."""

    def __init__(self, items: Sequence[T], make: Callable[[T], dict[str, Any]]) -> None:
        self.items = items
        self.make = make

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self.make(x) for x in self.items)


def finding_dict(f: Finding, *, reveal: bool = False) -> dict[str, Any]:
    """One finding in the output contract's key order."""
    d: dict[str, Any] = {
        "message_id": f.message_id,
        "source": f.source,
        "locator": f.locator,
        "part": f.part,
        "where": f.where,
        "date": f.date,
        "sender": f.sender,
        "recipients": list(f.recipients),
        "flow": f.flow.value,
        "consumer_addresses": list(f.consumer_addresses),
        "rule": f.rule,
        "category": f.category,
        "severity": f.severity.label,
        "confidence": f.confidence,
        "occurrences": f.occurrences,
        "test_data": f.test_data,
        "evidence": f.evidence,
        "fingerprint": f.fingerprint,
        "reasons": list(f.reasons),
        "custodian": f.custodian,
    }
    if reveal:
        d["value"] = f.value
    return d


def skipped_dict(s: Skipped | Note) -> dict[str, Any]:
    """A coverage entry (a gap, or a note)."""
    return {"locator": str(s.locator), "part": s.part, "kind": s.kind.value, "reason": s.reason}


def log_event_dict(e: LogEvent, *, reveal: bool = False) -> dict[str, Any]:
    """A log event; the subject is masked unless `reveal`."""
    from tracecheck.rules.mask import mask_subject

    return {
        "log_format": e.log_format,
        "source": e.source,
        "locator": e.locator,
        "time": e.time,
        "kind": e.kind,
        "sender": e.sender,
        "recipients": [
            {"addr": r.addr, "status": r.status, "orig_to": r.orig_to} for r in e.recipients
        ],
        "message_id": e.message_id,
        "queue_id": e.queue_id,
        "size": e.size,
        "subject": mask_subject(e.subject, reveal=reveal),
        "direction": e.direction,
        "forwarding": e.forwarding,
        "actor": e.actor,
    }


def result_dict(result: ScanResult, *, reveal: bool = False) -> dict[str, Any]:
    """The whole `--format json` document."""
    doc = result_layout(result, reveal=reveal)
    for part in (doc["coverage"], doc):
        for key, value in part.items():
            if isinstance(value, Records):
                part[key] = list(value)
    return doc


def result_layout(result: ScanResult, *, reveal: bool = False) -> dict[str, Any]:
    """`result_dict` with the findings as `Records`, made one at a time while written."""
    tally = Tallies(result.findings)  # one pass: packed findings are decoded as read
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "tracecheck", "version": result.tool_version},
        "rules": [{"pack": p.pack, "version": p.version, "sha256": p.sha256}
                  for p in result.packs],
        "org_domains": {
            "domains": list(result.org.domains),
            "inferred": result.org.inferred,
            "evidence": [{"domain": d, "senders": n} for d, n in result.org.evidence],
        },
        "summary": {
            "messages_scanned": result.messages_scanned,
            "messages_flagged": len(tally.flagged),
            "consumer_messages_flagged": len(tally.consumer_flagged),
            "findings": len(result.findings),
            "consumer_findings": tally.consumer_findings,
            "test_data_findings": tally.test_data,
            "flows": dict(result.flow_counts),
        },
        "coverage": {
            "sources": [
                {"path": s.path, "type": s.type, "bytes": s.bytes, "sha256": s.sha256,
                 "messages": s.messages, "skipped": s.skipped}
                for s in result.sources
            ],
            "messages": result.messages_found,
            "messages_scanned": result.messages_scanned,
            # One definition (docs/output.md): messages found but not scanned, each listed in
            # `skipped`; a file that is not mail and a log line are not messages.
            "messages_skipped": result.messages_found - result.messages_scanned,
            "skipped": Records(result.skipped, skipped_dict),
            "notes": Records(result.notes, skipped_dict),
            "options": result.options.as_dict(),
        },
        "findings": Records(result.findings, lambda f: finding_dict(f, reveal=reveal)),
    }
    custodians = tally.by_custodian()
    del tally
    if custodians:  # only when attributed, so a document without custodians is unchanged
        doc["summary"]["custodians"] = [c.as_dict() for c in custodians]
    if result.incomplete:  # only then, so a complete run's document is unchanged
        doc["summary"]["incomplete"] = len(result.incomplete)
    if result.log_summary is not None:
        for src in doc["coverage"]["sources"]:  # what the year of a log's stamps rests on
            if src["type"].startswith("log:"):
                year = result.log_summary.year_of(src["path"])
                if year is not None:
                    src["year_basis"] = year.basis.value
        logs = result.log_summary.as_dict()
        logs["event_list"] = [log_event_dict(e, reveal=reveal) for e in result.log_events]
        logs["findings"] = [f.as_dict() for f in result.log_findings]
        doc["logs"] = logs
    return doc
