"""The ICO report as JSON: stable keys a script can rely on.

Owns the JSON layout: `schema_version`, `report`, `tool`, `summary`, `ico` (one key per report
section, in ICO-form order), `coverage`, `logs` (only when logs were part of the case) and
`messages` (the flagged messages, masked unless revealed). Keys keep their order; the text is
byte-identical for the same case and settings. Never computes a figure itself.
"""

from __future__ import annotations

import json

from tracecheck.reports.ico.report import REPORT_SCHEMA_VERSION, IcoReport, IcoReporter


def to_dict(report: IcoReport) -> dict[str, object]:
    """The report as a JSON-ready dict."""
    n = report.numbers
    messages = []
    for m in n.flagged:
        item: dict[str, object] = {
            "key": m.key,
            "locators": list(m.locators),
            "message_id": m.message_id,
            "date": m.date,
            "sender": m.sender,
            "consumer_addresses": list(m.consumer_addresses),
            "consumer_domains": list(m.consumer_domains),
            "flow": m.flow,
            "categories": list(m.categories),
            "rules": list(m.rules),
            "status": m.status,
            "identifiers": m.identifiers,
            "records": m.records,
            "delivery": m.delivery,
            "fingerprints": list(m.fingerprints),
        }
        if report.reveal:
            item["values"] = list(m.values)
            item["evidence"] = list(m.evidence)
        messages.append(item)
    out: dict[str, object] = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "report": "ico-breach",
        "tool": {"name": "tracecheck", "version": report.tool_version},
        "revealed": report.reveal,
        "summary": report.summary,
        "ico": {s.key: s.data for s in report.sections},
        "coverage": report.coverage.data,
    }
    if report.logs is not None:
        out["logs"] = report.logs
    out["messages"] = messages
    return out


def render(report: IcoReport) -> str:
    """The report as indented JSON text (ends with one newline)."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


class IcoJsonReporter(IcoReporter):
    """`report --format json`."""

    def render(self, report: IcoReport) -> str:
        """The report as text."""
        return render(report)
