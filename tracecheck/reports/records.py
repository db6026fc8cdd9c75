"""Plain-dict views of results shared by the JSON, JSONL and CSV reporters.

Owns the output contract's key names and order (docs/output.md). Values are masked unless
`reveal` is set; `value` appears only with `reveal`.
"""

from __future__ import annotations

from typing import Any

from tracecheck.model import Finding, LogEvent, ScanResult, Skipped
from tracecheck.reports.base import SCHEMA_VERSION


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
    }
    if reveal:
        d["value"] = f.value
    return d


def skipped_dict(s: Skipped) -> dict[str, Any]:
    """A coverage entry."""
    return {"locator": s.locator, "part": s.part, "kind": s.kind, "reason": s.reason}


def log_event_dict(e: LogEvent, *, reveal: bool = False) -> dict[str, Any]:
    """A log event; the subject is masked unless `reveal`."""
    from tracecheck.rules.mask import mask_words

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
        "subject": e.subject if reveal else mask_words(e.subject),
        "direction": e.direction,
        "forwarding": e.forwarding,
        "actor": e.actor,
    }


def result_dict(result: ScanResult, *, reveal: bool = False) -> dict[str, Any]:
    """The whole `--format json` document."""
    message_skips = [s for s in result.skipped if s.part is None and "#" not in s.locator]
    flagged = {f.locator for f in result.findings}
    consumer_flagged = {f.locator for f in result.findings if f.flow.is_consumer}
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
            "messages_flagged": len(flagged),
            "consumer_messages_flagged": len(consumer_flagged),
            "findings": len(result.findings),
            "consumer_findings": sum(1 for f in result.findings if f.flow.is_consumer),
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
            "messages_skipped": len(message_skips),
            "skipped": [skipped_dict(s) for s in result.skipped],
            "notes": [skipped_dict(s) for s in result.notes],
            "options": result.options,
        },
        "findings": [finding_dict(f, reveal=reveal) for f in result.findings],
    }
    if result.log_summary is not None:
        logs = dict(result.log_summary)
        logs["event_list"] = [log_event_dict(e, reveal=reveal) for e in result.log_events]
        logs["findings"] = list(result.log_findings)
        doc["logs"] = logs
    return doc
