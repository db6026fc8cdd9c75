"""Baselines: a file of accepted findings, so a CI check fails only on new ones.

Owns the baseline file format (schema_version 1, JSON), reading it with one-line errors that
name the file, building it from a scan, updating it (new findings added, vanished ones dropped,
earlier reasons kept) and applying it to a `ScanResult`. A finding is matched by its stable
fingerprint (message raw hash, part path, rule id, normalised value), so a baseline survives
moving messages around inside an mbox or renaming the file.

A baseline holds hashes and locators only: it never stores a matched value, evidence, a
subject or any other content of the mail. Never scans, prints or decides exit codes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracecheck.errors import UsageError
from tracecheck.model import BaselineApplied, Finding, ScanResult
from tracecheck.output_file import write_text
from tracecheck.packed_records import Packed

BASELINE_SCHEMA_VERSION = 1
DEFAULT_BASELINE = ".tracecheck-baseline.json"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ENTRY_KEYS = ("fingerprint", "rule", "locator", "part", "flow", "reason", "accepted_by",
               "accepted_at")
_FORBIDDEN = ("value", "evidence", "subject")


@dataclass(frozen=True)
class Accepted:
    """One accepted finding: its fingerprint and where it was seen, never what it matched."""

    fingerprint: str
    """The finding's fingerprint (SHA-256 hex); the only field used for matching."""
    rule: str
    locator: str
    """Message locator when it was accepted (for people reading the file; may go stale)."""
    part: str
    flow: str
    reason: str = ""
    """Why it was accepted (`--reason`), e.g. `synthetic fixture data`."""
    accepted_by: str = ""
    accepted_at: str = ""
    """ISO 8601 UTC time it was first accepted."""


@dataclass(frozen=True)
class PackStamp:
    """A rule pack the baseline was generated with."""

    pack: str
    version: str
    sha256: str


@dataclass(frozen=True)
class Baseline:
    """A loaded or freshly built baseline."""

    tool_version: str
    generated_from: tuple[str, ...]
    """Paths scanned to build it (what `baseline update` rescans by default)."""
    rules: tuple[PackStamp, ...]
    accepted: tuple[Accepted, ...]
    schema_version: int = BASELINE_SCHEMA_VERSION
    path: str = ""
    """File it was read from (not written into the file)."""

    @property
    def fingerprints(self) -> frozenset[str]:
        """Fingerprints of every accepted finding."""
        return frozenset(a.fingerprint for a in self.accepted)


@dataclass(frozen=True)
class BaselineUpdate:
    """What `update_baseline` changed."""

    baseline: Baseline
    added: tuple[Accepted, ...]
    removed: tuple[Accepted, ...]
    kept: tuple[Accepted, ...]


def utc_now() -> str:
    """The current time as ISO 8601 UTC to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_who() -> str:
    """Who is accepting: `$TRACECHECK_USER`, else the login name, else `unknown`."""
    who = os.environ.get("TRACECHECK_USER", "")
    if who:
        return who
    try:
        import getpass

        return getpass.getuser()
    except (ImportError, KeyError, OSError):
        return "unknown"


def _in_order(pairs: Iterable[tuple[Finding, Accepted]]) -> tuple[Accepted, ...]:
    """Entries in the order their findings' messages sit in the evidence (file, offset or
    item, part, rule), so a rescan in another order writes the same file."""
    def key(pair: tuple[Finding, Accepted]) -> tuple[str, int, str, str, str, str]:
        f, a = pair
        at = f.at
        offset = at.offset if at.offset is not None else -1
        return (at.path, offset, at.item, a.part, a.rule, a.fingerprint)

    return tuple(a for _, a in sorted(pairs, key=key))


def _accepted(f: Finding, reason: str, who: str, when: str) -> Accepted:
    return Accepted(fingerprint=f.fingerprint, rule=f.rule, locator=f.locator, part=f.part,
                    flow=f.flow.value, reason=reason, accepted_by=who, accepted_at=when)


def _unique(findings: Sequence[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for f in findings:
        seen.setdefault(f.fingerprint, f)
    return list(seen.values())


def _stamps(result: ScanResult) -> tuple[PackStamp, ...]:
    return tuple(PackStamp(p.pack, p.version, p.sha256) for p in result.packs)


def new_baseline(
    result: ScanResult,
    paths: Sequence[str],
    *,
    reason: str = "",
    who: str | None = None,
    now: str | None = None,
) -> Baseline:
    """A baseline accepting every finding of `result` (every flow, one entry per fingerprint)."""
    by = default_who() if who is None else who
    when = now or utc_now()
    entries = [(f, _accepted(f, reason, by, when)) for f in _unique(result.findings)]
    return Baseline(tool_version=result.tool_version, generated_from=tuple(paths),
                    rules=_stamps(result), accepted=_in_order(entries))


def update_baseline(
    old: Baseline,
    result: ScanResult,
    paths: Sequence[str],
    *,
    reason: str = "",
    who: str | None = None,
    now: str | None = None,
) -> BaselineUpdate:
    """Accept new findings, drop entries no longer found, keep earlier entries' reasons.

    A kept entry's locator is refreshed to where the finding is now.
    """
    by = default_who() if who is None else who
    when = now or utc_now()
    previous = {a.fingerprint: a for a in old.accepted}
    current = _unique(result.findings)
    found = {f.fingerprint for f in current}
    kept = [(f, replace(previous[f.fingerprint], locator=f.locator, part=f.part,
                        flow=f.flow.value)) for f in current if f.fingerprint in previous]
    added = [(f, _accepted(f, reason, by, when)) for f in current
             if f.fingerprint not in previous]
    # entries no longer found: as the old file had them (they have no message any more)
    removed = tuple(a for a in old.accepted if a.fingerprint not in found)
    baseline = Baseline(tool_version=result.tool_version, generated_from=tuple(paths),
                        rules=_stamps(result), accepted=_in_order([*kept, *added]),
                        path=old.path)
    return BaselineUpdate(baseline=baseline, added=_in_order(added), removed=removed,
                          kept=_in_order(kept))


def apply_baseline(result: ScanResult, baseline: Baseline) -> ScanResult:
    """A copy of `result` without the accepted findings.

    The copy's `options.baseline` says which file was applied and how many findings it
    suppressed, so every report shows that findings were left out, and why.
    """
    accepted = baseline.fingerprints
    remaining = Packed(f for f in result.findings if f.fingerprint not in accepted)
    seen = {f.fingerprint for f in result.findings}
    applied = BaselineApplied(
        file=baseline.path,
        accepted=len(accepted),
        suppressed=len(result.findings) - len(remaining),
        not_found=len(accepted - seen),
    )
    return replace(result, findings=remaining, options=replace(result.options, baseline=applied))


def baseline_dict(baseline: Baseline) -> dict[str, Any]:
    """The file's JSON document."""
    return {
        "schema_version": baseline.schema_version,
        "tool_version": baseline.tool_version,
        "generated_from": list(baseline.generated_from),
        "rules": [{"pack": r.pack, "version": r.version, "sha256": r.sha256}
                  for r in baseline.rules],
        "accepted": [{k: getattr(a, k) for k in _ENTRY_KEYS} for a in baseline.accepted],
    }


def dumps_baseline(baseline: Baseline) -> str:
    """The file's text: stable key order, one entry per block, trailing newline."""
    return json.dumps(baseline_dict(baseline), indent=2, ensure_ascii=False) + "\n"


def write_baseline(baseline: Baseline, path: str | Path) -> None:
    """Write atomically, mode 0600 (`output_file.write_text`: a failed write leaves the old
    file in place, never a partial one; never through a symbolic link); errors name the
    file."""
    write_text(path, dumps_baseline(baseline))


def _bad(path: str | Path, what: str) -> UsageError:
    return UsageError(f"{path}: not a usable tracecheck baseline: {what}")


def _str(entry: dict[str, Any], key: str, i: int, path: str | Path, required: bool) -> str:
    value = entry.get(key, None if required else "")
    if not isinstance(value, str):
        raise _bad(path, f"accepted[{i}].{key} must be a string")
    return value


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file; any problem is a one-line `UsageError` naming the file."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read baseline {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _bad(path, "not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(path, f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise _bad(path, "the top level must be a JSON object")
    version = doc.get("schema_version")
    if version != BASELINE_SCHEMA_VERSION:
        raise _bad(path, f"schema_version {version!r} is not supported "
                         f"(this tracecheck reads {BASELINE_SCHEMA_VERSION})")
    raw = doc.get("accepted")
    if not isinstance(raw, list):
        raise _bad(path, "`accepted` must be a list")
    entries = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise _bad(path, f"accepted[{i}] must be an object")
        leaked = [k for k in _FORBIDDEN if k in entry]
        if leaked:
            raise _bad(path, f"accepted[{i}] holds `{leaked[0]}`; a baseline holds "
                             "fingerprints and locators only")
        fp = _str(entry, "fingerprint", i, path, True)
        if not _HEX64.fullmatch(fp):
            raise _bad(path, f"accepted[{i}].fingerprint must be 64 lower-case hex digits")
        entries.append(Accepted(fp, *(_str(entry, k, i, path, False) for k in _ENTRY_KEYS[1:])))
    gen = doc.get("generated_from", [])
    if not isinstance(gen, list) or not all(isinstance(g, str) for g in gen):
        raise _bad(path, "`generated_from` must be a list of paths")
    rules = doc.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise _bad(path, "`rules` must be a list of objects")
    return Baseline(
        tool_version=str(doc.get("tool_version", "")),
        generated_from=tuple(gen),
        rules=tuple(PackStamp(str(r.get("pack", "")), str(r.get("version", "")),
                              str(r.get("sha256", ""))) for r in rules),
        accepted=tuple(entries),
        path=str(path),
    )


__all__ = [
    "BASELINE_SCHEMA_VERSION",
    "DEFAULT_BASELINE",
    "Accepted",
    "Baseline",
    "BaselineUpdate",
    "PackStamp",
    "apply_baseline",
    "baseline_dict",
    "default_who",
    "dumps_baseline",
    "load_baseline",
    "new_baseline",
    "update_baseline",
    "write_baseline",
]
