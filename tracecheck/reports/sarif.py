"""`--format sarif`: a SARIF 2.1.0 log for code-scanning dashboards (GitHub, Azure DevOps, ...).

Owns the mapping from a `ScanResult` to SARIF: one run whose `tool.driver.rules` describe the
detectors of the packs named in the result (read again from `PackRef.path`; a pack that no
longer loads degrades to a bare rule id), one result per finding with a physical location (the
source file, relative to the scan root where possible), a logical location (message locator and
MIME part) and `partialFingerprints` carrying tracecheck's stable fingerprint, and one tool
notification per skipped input so coverage gaps show next to the results. A run on which
tracecheck failed on part of the input (`ScanResult.incomplete`) has `executionSuccessful`
false and an `error` notification for each such entry.

SARIF is meant to be uploaded to dashboards other people can read, so it is always masked: it
never carries a matched value, even when the caller asks for `reveal`. Never decides exit codes;
never reads the scanned mail.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, TextIO
from urllib.parse import quote

from tracecheck.errors import RulePackError
from tracecheck.findings import counts
from tracecheck.model import (
    Finding,
    Flow,
    PackRef,
    ScanResult,
    Severity,
    Skipped,
    SourceSummary,
)
from tracecheck.reports.base import SCHEMA_VERSION, Reporter

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/tracecheck/"
FINGERPRINT_KEY = "tracecheckFingerprint/v1"
SRCROOT = "%SRCROOT%"

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
"""SARIF level of a counted finding by severity; any finding not counted is a note."""

# GitHub code scanning ranks alerts by this number (critical >= 9.0, high >= 7.0, ...).
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.INFO: "0.0",
}

_ADVICE = (
    "Health data about a person sent to or from a consumer mailbox (gmail, hotmail, ...) may be "
    "a personal data breach to assess under UK GDPR Art. 33. In fixture or sample mail, replace "
    "the real data with synthetic data (for NHS numbers, the reserved 999 test range), or, if "
    "the data is known to be synthetic, accept the finding with `tracecheck baseline update "
    "--reason ...` so that only new findings fail the check."
)
# Enum attribute access is slow on Python 3.11; results are built once per finding.
_FLOW_NAME = {flow: flow.value for flow in Flow}
_SEVERITY_NAME = {sev: sev.label for sev in Severity}


def result_level(f: Finding) -> str:
    """SARIF level: a counted finding (`findings.counts`) by severity; any other (another
    flow, reserved test data, `info`) a note."""
    return LEVELS[f.severity] if counts(f) else "note"


class SarifReporter(Reporter[ScanResult]):
    """Writes a SARIF 2.1.0 log (always masked)."""

    def __init__(self, root: str | Path | None = None) -> None:
        """`root`: the folder source paths are made relative to (default: the current folder)."""
        self.root = root

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write the log; `reveal` is accepted for the interface and ignored (always masked)."""
        del reveal
        json.dump(sarif_log(result, root=self.root), out, indent=2, ensure_ascii=False,
                  default=str)
        out.write("\n")


def sarif_log(result: ScanResult, *, root: str | Path | None = None) -> dict[str, Any]:
    """The SARIF document for `result` as plain dicts (masked; no matched values)."""
    base = Path(root) if root is not None else Path.cwd()
    base = Path(os.path.normpath(base if base.is_absolute() else Path.cwd() / base))
    rules = _rules(result.packs, (f.rule for f in result.findings))
    rule_index = {r["id"]: i for i, r in enumerate(rules)}
    where = _Places(base, result.sources)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "tracecheck",
                "version": result.tool_version,
                "semanticVersion": result.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "artifacts": [_artifact(s, where) for s in result.sources],
        "invocations": [{
            # False when tracecheck failed on part of the input (the CLI exits 3).
            "executionSuccessful": not result.incomplete,
            "toolExecutionNotifications": [
                _notification(s, where) for s in result.skipped
            ],
        }],
        "results": [
            _result(f, rule_index, where) for f in result.findings
        ],
        "properties": {
            "schema_version": SCHEMA_VERSION,
            "packs": [{"pack": p.pack, "version": p.version, "sha256": p.sha256}
                      for p in result.packs],
            "org_domains": list(result.org.domains),
            "org_domains_inferred": result.org.inferred,
            "messages_found": result.messages_found,
            "messages_scanned": result.messages_scanned,
            "options": result.options.as_dict(),
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rules(packs: Sequence[PackRef], used: Iterable[str]) -> list[dict[str, Any]]:
    """Every detector of every loadable pack, then bare entries for rules found but unknown."""
    from tracecheck.rules.pack import load_pack

    rules: list[dict[str, Any]] = []
    seen: set[str] = set()
    for ref in packs:
        try:
            pack = load_pack(ref.path, check_examples=False)
        except (RulePackError, OSError):
            continue
        for det in pack.detectors:
            if det.id in seen:
                continue
            seen.add(det.id)
            rules.append(_rule(det.id, det.description, det.category, det.severity,
                               det.references, pack.id))
    for rule_id in used:
        if rule_id not in seen:
            seen.add(rule_id)
            rules.append(_bare_rule(rule_id))
    return rules


def _name(rule_id: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", rule_id) if w)


def _rule(rule_id: str, description: str, category: str, severity: Severity,
          references: Sequence[str], pack: str) -> dict[str, Any]:
    text = " ".join(description.split())
    short = text.split(": ", 1)[0] if ": " in text[:120] else text.split(". ", 1)[0]
    refs = "".join(f"\n- {r}" for r in references)
    help_text = f"{text}\n\n{_ADVICE}" + (f"\n\nReferences:{refs}" if refs else "")
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": _name(rule_id),
        "shortDescription": {"text": short.rstrip(".")},
        "fullDescription": {"text": text},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {
            "category": category,
            "severity": severity.label,
            "pack": pack,
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": ["privacy", "health-data", category],
        },
    }
    if references:
        rule["helpUri"] = references[0]
    return rule


def _bare_rule(rule_id: str) -> dict[str, Any]:
    """A rule whose pack could not be loaded again: id only, help says so."""
    return {
        "id": rule_id,
        "name": _name(rule_id),
        "shortDescription": {"text": rule_id},
        "help": {"text": f"Detector {rule_id} (its rule pack could not be loaded to describe it)."
                 f"\n\n{_ADVICE}"},
    }


def _uri(path: str, base: Path) -> dict[str, Any]:
    """An artifactLocation: relative to `base` (with %SRCROOT%) when inside it, else file://.
    The path's bytes are percent-encoded (RFC 3986), so a file name that is not UTF-8 is
    written as the bytes it has on disk (`caf%E9.eml`), like every other name."""
    p = Path(path)
    absolute = Path(os.path.normpath(p if p.is_absolute() else Path.cwd() / p))
    try:
        rel = absolute.relative_to(base)
    except ValueError:
        return {"uri": "file://" + quote(_path_bytes(absolute.as_posix()), safe="/")}
    # ':' stays escaped so a first segment can never read as a URI scheme.
    uri = quote(_path_bytes(PurePosixPath(*rel.parts).as_posix()), safe="/@!$&'()*+,;=")
    return {"uri": uri, "uriBaseId": SRCROOT}


def _path_bytes(text: str) -> bytes:
    """A path's bytes on disk: UTF-8, with the bytes of a name that is not UTF-8 (kept by
    Python as surrogate escapes) given back as they were."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no byte came from
        return text.encode("utf-8", "surrogatepass")


def _artifact(s: SourceSummary, where: _Places) -> dict[str, Any]:
    art: dict[str, Any] = {"location": where.uri(s.path), "length": s.bytes}
    if s.sha256:
        art["hashes"] = {"sha-256": s.sha256}
    art["properties"] = {"type": s.type, "messages": s.messages, "skipped": s.skipped}
    return art


class _Places:
    """Source paths → artifact index and container type, for locating results and skips."""

    def __init__(self, base: Path, sources: Sequence[SourceSummary]) -> None:
        self.base = base
        self.index = {s.path: i for i, s in enumerate(sources)}
        self.types = {s.path: s.type for s in sources}
        self._uris: dict[str, dict[str, Any]] = {}

    def uri(self, path: str) -> dict[str, Any]:
        """`_uri(path)`, computed once per path (a source holds many findings)."""
        if path not in self._uris:
            self._uris[path] = _uri(path, self.base)
        return dict(self._uris[path])

    def physical(self, source: str, *, whole: bool, offset: int | None = None,
                 line: int | None = None) -> dict[str, Any]:
        """A physicalLocation inside `source`: the whole file (`whole`: a one-message file),
        an mbox message at byte `offset`, or a log `line`."""
        loc = self.uri(source)
        if source in self.index:
            loc["index"] = self.index[source]
        physical: dict[str, Any] = {"artifactLocation": loc}
        if whole:
            physical["region"] = {"startLine": 1}  # a one-message file: the message starts there
        elif line is not None:
            physical["region"] = {"startLine": line}
        # Offsets in compressed mboxes count decompressed bytes: only plain files get one.
        elif offset is not None and self.types.get(source) == "mbox":
            physical["region"] = {"byteOffset": offset}
        return physical


def _result(f: Finding, rule_index: dict[str, int], where: _Places) -> dict[str, Any]:
    flow = _FLOW_NAME[f.flow]
    severity = _SEVERITY_NAME[f.severity]
    message = (f"{f.category} data ({f.rule}, {severity}) in the {f.where} of a {flow} "
               f"message: {f.evidence}")
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index[f.rule],
        "level": result_level(f),
        "message": {"text": message},
        "locations": [{
            "physicalLocation": where.physical(f.source, whole=f.locator == f.source,
                                               offset=f.offset),
            "logicalLocations": [{
                "name": f"part {f.part}",
                "fullyQualifiedName": f"{f.locator}#{f.part}",
                "kind": "message-part",
            }],
        }],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "flow": flow,
            "consumer_addresses": list(f.consumer_addresses),
            "confidence": f.confidence,
            "category": f.category,
            "severity": severity,
            "occurrences": f.occurrences,
            "test_data": f.test_data,
            "message_id": f.message_id,
            "date": f.date,
            "reasons": list(f.reasons),
            "custodian": f.custodian,
        },
    }


def _notification(s: Skipped, where: _Places) -> dict[str, Any]:
    loc = s.locator
    name = f"{loc}#{s.part}" if s.part else str(loc)
    whole = loc.offset is None and not loc.item and loc.line is None
    physical = (
        where.physical(loc.path, whole=whole, offset=loc.offset, line=loc.line)
        if loc.path in where.index
        # A file never opened as a source (unsupported, unreadable): locate the file itself.
        else {"artifactLocation": _uri(loc.path, where.base)}
    )
    # tracecheck's own failure (internal-error, worker-lost), or a limit on a consumer-flow
    # message, makes the run incomplete: an error; any other gap in the input is a warning.
    failed = s.incomplete
    text = (f"tracecheck failed ({s.kind.value}), not scanned: {s.reason}" if s.kind.incomplete
            else f"incomplete (a limit on a consumer flow), not scanned in full: {s.reason}"
            if failed else f"not scanned ({s.kind.value}): {s.reason}")
    return {
        "level": "error" if failed else "warning",
        "message": {"text": text},
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [{"fullyQualifiedName": name, "kind": "skipped"}],
        }],
        "properties": {"kind": s.kind},
    }
