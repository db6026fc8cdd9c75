"""A read-only picture of a case (or of one scan) that reports are built from.

Owns the `CaseSnapshot` record and its construction straight from a `ScanResult`, so a report
can be drawn from a case store or from a scan held in memory with the same code. Never writes
anything and never formats output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tracecheck.case.containment import ContainmentRecord
from tracecheck.case.manifest import RunRecord
from tracecheck.case.review import DecisionRecord
from tracecheck.model import (
    Finding,
    LogEvent,
    LogForwarding,
    LogSummary,
    MessageRef,
    Note,
    PackRef,
    ScanResult,
    Skipped,
)
from tracecheck.persons.mentions import Mention


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One container file in the case, with its hash at ingest and at the end of the run."""

    path: str
    type: str
    size: int
    sha256: str
    sha256_end: str | None
    messages: int
    skipped: int

    @property
    def is_log(self) -> bool:
        """True for a mail-server or audit log (type `log:FORMAT`): its `messages` are log
        events, not messages."""
        return self.type.startswith("log:")

    @property
    def changed(self) -> bool:
        """True when the file's hash at the end of the run differs from the one at ingest."""
        return self.sha256_end is not None and self.sha256_end != self.sha256


def text_key(value: str) -> str:
    """`value` as the case keeps it in a text column and as `CaseSnapshot.mentions` and
    `CaseSnapshot.subjects` are keyed: a name that is not UTF-8 (Python keeps its bytes as
    surrogate escapes, which SQLite refuses) becomes `\\xNN` escapes, the way every output
    shows it; any other text is unchanged. The one key rule: the store writes and looks up
    through it, and every lookup in those mappings goes through it, so both sides agree."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no byte came from
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class CaseSnapshot:
    """Everything a report needs, in deterministic order."""

    runs: tuple[RunRecord, ...]
    sources: tuple[SourceRecord, ...]
    messages: tuple[MessageRef, ...]
    findings: tuple[Finding, ...]
    decisions: Mapping[str, DecisionRecord]
    skipped: tuple[Skipped, ...]
    notes: tuple[Note, ...]
    log_events: tuple[LogEvent, ...]
    log_summary: LogSummary | None
    messages_found: int
    """Messages found in the mail sources (log events are not messages)."""
    packs: tuple[PackRef, ...] = ()
    flow_counts: dict[str, int] = field(default_factory=dict)
    org_domains: tuple[str, ...] = ()
    org_inferred: bool = False
    all_messages: bool | None = None
    """The scan mode of the last complete run: True when every message's content was read,
    False in the default mode (content of consumer mail only), None when not recorded."""
    mentions: Mapping[str, tuple[Mention, ...]] = field(default_factory=dict)
    """Who each flagged message is about, by message locator as `text_key` spells it
    (`persons.mentions`); a message without an entry was never read for names (a case scanned
    before they were kept)."""
    containment: tuple[ContainmentRecord, ...] = ()
    """Every request to and answer from a consumer mailbox, oldest first."""
    subjects: Mapping[str, str | None] = field(default_factory=dict)
    """The Subject of each flagged message, by locator as `text_key` spells it (None: it could
    not be read again); a
    message without an entry was scanned before subjects were kept."""
    log_forwarding: tuple[LogForwarding, ...] | None = None
    """Forwarding to consumer addresses found in the logs (`logs.analysis.log_findings`);
    None when there are no logs, or they were scanned before these were kept (tell them
    apart by `log_summary`)."""

    @property
    def messages_scanned(self) -> int:
        """Distinct messages (by locator) scanned into the case."""
        return len({m.locator for m in self.messages})

    @property
    def last_run(self) -> RunRecord | None:
        """The most recent run, complete or not."""
        return self.runs[-1] if self.runs else None

    @classmethod
    def from_scan(
        cls,
        result: ScanResult,
        decisions: Mapping[str, DecisionRecord] | None = None,
        sha256_end: Mapping[str, str] | None = None,
        mentions: Mapping[str, tuple[Mention, ...]] | None = None,
        subjects: Mapping[str, str | None] | None = None,
    ) -> CaseSnapshot:
        """A snapshot of a single in-memory scan (no runs, optional decisions)."""
        ends = sha256_end or {}
        return cls(
            runs=(),
            sources=tuple(
                SourceRecord(
                    path=s.path,
                    type=s.type,
                    size=s.bytes,
                    sha256=s.sha256,
                    sha256_end=ends.get(s.path),
                    messages=s.messages,
                    skipped=s.skipped,
                )
                for s in sorted(result.sources, key=lambda s: s.path)
            ),
            messages=tuple(sorted(result.refs, key=lambda r: r.locator)),
            findings=tuple(sorted(result.findings, key=lambda f: (f.locator, f.fingerprint))),
            decisions=dict(decisions or {}),
            skipped=result.skipped,
            notes=result.notes,
            log_events=result.log_events,
            log_summary=result.log_summary,
            messages_found=result.messages_found,
            packs=result.packs,
            flow_counts=dict(result.flow_counts),
            org_domains=result.org.domains,
            org_inferred=result.org.inferred,
            all_messages=result.options.all_messages,
            mentions={text_key(k): v for k, v in (mentions or {}).items()},
            subjects={text_key(k): v for k, v in (subjects or {}).items()},
            log_forwarding=None if result.log_summary is None else tuple(
                f for f in result.log_findings if isinstance(f, LogForwarding)),
        )
