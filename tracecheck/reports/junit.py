"""`--format junit`: JUnit XML for CI test-report views (GitLab, Jenkins, Azure, CircleCI).

Owns the mapping from a `ScanResult` to one `<testsuite>`: one `<testcase>` per scanned source
(a file that carries counted findings fails, with one `<failure>` per counted finding; findings
that are not counted, `findings.counts`, such as reserved test data or other flows, are listed
in its `<system-out>` and never fail it), then one `<testcase>` per coverage gap, marked
`<skipped>` with its reason, so a CI view shows what was not scanned; a gap that is
tracecheck's own failure (internal-error, worker-lost) is an `<error>` instead, so CI marks an
incomplete run red.
Output is deterministic (no timestamps, host names or timings), XML 1.0-safe (characters XML
cannot carry become U+FFFD) and always masked: JUnit reports are published by CI servers, so
matched values never appear, even when the caller asks for `reveal`. Never decides exit codes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from tracecheck.findings import counts
from tracecheck.model import Finding, ScanResult, Skipped
from tracecheck.reports.base import Reporter

SUITE_NAME = "tracecheck"
# Characters XML 1.0 forbids (C0 controls except tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def failure_message(f: Finding) -> str:
    """The one-line `message` attribute of a finding's `<failure>`."""
    return (f"{f.rule} ({f.severity.label}, {f.flow.value}) in {f.where} of {f.locator} "
            f"part {f.part}")


def _failure_body(f: Finding) -> str:
    lines = [
        f"rule: {f.rule} ({f.category}, {f.severity.label}, confidence {f.confidence:g})",
        f"flow: {f.flow.value}",
    ]
    if f.reasons:
        lines.append(f"why: {'; '.join(f.reasons)}")
    if f.consumer_addresses:
        lines.append(f"consumer addresses: {', '.join(f.consumer_addresses)}")
    if f.custodian:
        lines.append(f"custodian: {f.custodian}")
    lines += [
        f"message: {f.locator} part {f.part} ({f.where})",
        f"message-id: {f.message_id}",
        f"date: {f.date or 'unknown'}",
        f"evidence: {f.evidence}",
        f"fingerprint: {f.fingerprint}",
    ]
    if f.test_data:
        lines.append("test data: yes (reserved test range)")
    return "\n".join(lines)


class JunitReporter(Reporter[ScanResult]):
    """Writes one JUnit `<testsuite>` (always masked)."""

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write the XML document; `reveal` is accepted for the interface and ignored."""
        del reveal
        root = junit_tree(result)
        ET.indent(root, space="  ")
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(ET.tostring(root, encoding="unicode"))
        out.write("\n")


def junit_tree(result: ScanResult) -> ET.Element:
    """The `<testsuite>` element for `result`."""
    by_source: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_source.setdefault(f.source, []).append(f)
    cases: list[ET.Element] = []
    failures = 0
    listed = list(dict.fromkeys(s.path for s in result.sources))
    # Findings whose source is missing from the coverage list still get a testcase.
    known = set(listed)
    listed += [p for p in by_source if p not in known]
    for path in listed:
        case = ET.Element("testcase", {"classname": SUITE_NAME, "name": _xml_text(path)})
        found = [f for f in by_source.get(path, []) if counts(f)]
        # `failures` counts failed testcases, as CI viewers expect, not failure elements.
        failures += 1 if found else 0
        for f in found:
            fail = ET.SubElement(case, "failure", {
                "message": _xml_text(failure_message(f)),
                "type": f"{f.rule}:{f.severity.label}",
            })
            fail.text = _xml_text(_failure_body(f))
        others = [f for f in by_source.get(path, []) if not counts(f)]
        if others:  # reported, never failing: reserved test data, non-consumer flows
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n\n".join(
                f"not counted: {failure_message(f)}\n{_failure_body(f)}" for f in others))
        cases.append(case)
    for s in result.skipped:
        cases.append(_skipped_case(s))
    suite = ET.Element("testsuite", {
        "name": SUITE_NAME,
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": str(len(result.incomplete)),
        "skipped": str(len(result.skipped) - len(result.incomplete)),
        "time": "0",
    })
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("tool_version", result.tool_version),
        ("rules", ", ".join(f"{p.pack} {p.version}" for p in result.packs)),
        ("org_domains", ", ".join(result.org.domains)),
        ("messages_scanned", str(result.messages_scanned)),
    ):
        ET.SubElement(props, "property", {"name": name, "value": _xml_text(value)})
    suite.extend(cases)
    return suite


def _skipped_case(s: Skipped) -> ET.Element:
    where = f"{s.locator}#{s.part}" if s.part else str(s.locator)
    case = ET.Element("testcase", {"classname": f"{SUITE_NAME}.coverage",
                                   "name": _xml_text(where)})
    message = _xml_text(f"{s.kind}: {s.reason}")
    if s.incomplete:
        ET.SubElement(case, "error", {"message": message, "type": s.kind.value})
    else:
        ET.SubElement(case, "skipped", {"message": message})
    return case
