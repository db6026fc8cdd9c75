"""The run manifest: what was run, with what, when, and how far it got.

Owns the shape of a run's manifest (tool version, Python version, rule packs with their
SHA-256, arguments, start/end times, coverage counts, status) as checked on the way in and as
read back, the shape of an audit entry, and the compatibility key that decides whether a saved
shard may be reused by a later run. Never touches the database and never scans anything.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tracecheck.case.errors import CaseStoreError
from tracecheck.model import PackRef

RUN_STATUSES = ("running", "complete", "interrupted")


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One scan run recorded in the case."""

    id: int
    tool_version: str
    python: str
    packs: tuple[PackRef, ...]
    arguments: tuple[str, ...]
    started: str
    ended: str | None
    status: str
    """running, complete or interrupted (a later run found it still running)."""
    messages_found: int | None = None
    messages_scanned: int | None = None
    skipped: int | None = None
    findings: int | None = None
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One export that revealed health data: when, who, what and how many rows."""

    at: str
    who: str
    action: str
    """e.g. `worklist subjects --reveal`."""
    rows: int
    detail: str = ""
    """The format and the output named (never a value)."""


@dataclass(frozen=True, slots=True)
class ReportSnapshot:
    """One report drafted from the case: when, which type and format, its figures and the
    SHA-256 of its text."""

    at: str
    report_type: str
    format: str
    figures: dict[str, object]
    sha256: str


def utc_now() -> str:
    """The current time as ISO 8601 UTC with a `Z`, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def default_python() -> str:
    """The running interpreter as recorded in a manifest, e.g. `CPython 3.11.7`."""
    return f"{platform.python_implementation()} {platform.python_version()}"


@dataclass(frozen=True, slots=True)
class Manifest:
    """A validated `begin_run` manifest."""

    tool_version: str
    python: str
    packs: tuple[PackRef, ...]
    arguments: tuple[str, ...]
    started: str
    options: dict[str, object]

    @property
    def compat(self) -> str:
        """Hash of everything that shapes a shard's content: tool version, the packs' hashes
        and the scan options. A saved shard is reused only under the same key."""
        blob = json.dumps(
            {
                "tool": self.tool_version,
                "packs": sorted(p.sha256 for p in self.packs),
                "options": self.options,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


def parse_manifest(raw: Mapping[str, Any]) -> Manifest:
    """Check a manifest dict as passed to `CaseStore.begin_run` and fill defaults.

    Required: `tool_version`. Optional: `python` (defaults to this interpreter), `packs`
    (list of {pack, version, sha256, path} or PackRef), `arguments` (list of str), `started`
    (ISO time, defaults to now), `options` (dict of scan options that change shard content).
    """
    if not isinstance(raw, Mapping):
        raise CaseStoreError("run manifest must be a mapping")
    tool_version = raw.get("tool_version")
    if not isinstance(tool_version, str) or not tool_version:
        raise CaseStoreError("run manifest needs a tool_version")
    packs: list[PackRef] = []
    for item in raw.get("packs") or ():
        if isinstance(item, PackRef):
            packs.append(item)
        elif isinstance(item, Mapping):
            try:
                packs.append(
                    PackRef(
                        pack=str(item["pack"]),
                        version=str(item.get("version", "")),
                        sha256=str(item["sha256"]),
                        path=str(item.get("path", "")),
                    )
                )
            except KeyError as exc:
                raise CaseStoreError(f"run manifest pack entry lacks {exc.args[0]!r}") from None
        else:
            raise CaseStoreError("run manifest packs must be mappings")
    arguments = raw.get("arguments") or ()
    if isinstance(arguments, str) or not all(isinstance(a, str) for a in arguments):
        raise CaseStoreError("run manifest arguments must be a list of strings")
    options = raw.get("options") or {}
    if not isinstance(options, Mapping):
        raise CaseStoreError("run manifest options must be a mapping")
    return Manifest(
        tool_version=tool_version,
        python=str(raw.get("python") or default_python()),
        packs=tuple(sorted(packs, key=lambda p: (p.pack, p.path))),
        arguments=tuple(arguments),
        started=str(raw.get("started") or utc_now()),
        options=dict(options),
    )
