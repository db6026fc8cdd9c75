"""Records that flow through tracecheck: frozen dataclasses and enums only.

This module owns the shapes of the data (raw messages, parsed addresses, text
units, matches, findings, skips, log events). It never reads files, parses mail
or formats output; every other layer imports from here and nothing here imports
from another tracecheck module.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

_C = TypeVar("_C", bound=type)


def _pickled_by_fields(cls: _C) -> _C:
    """Pickle a frozen slotted dataclass as `cls(*field values)`: about twice as fast both
    ways as the dataclass default (which calls `fields()` for every object), for the records
    that cross from worker processes and that `tracecheck.packed` keeps."""
    names = [f.name for f in dataclasses.fields(cls)]
    values = operator.attrgetter(*names)  # a tuple: every class here has several fields
    assert len(names) > 1

    def __reduce__(self: object) -> tuple[Any, ...]:
        return (cls, values(self))

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


class Flow(enum.StrEnum):
    """Direction of a message relative to consumer mailbox providers."""

    TO_CONSUMER = "to-consumer"
    """A non-consumer sender and at least one consumer recipient."""
    FROM_CONSUMER = "from-consumer"
    """A consumer sender and only non-consumer recipients."""
    CONSUMER_TO_CONSUMER = "consumer-to-consumer"
    """A consumer sender and at least one consumer recipient."""
    INTERNAL = "internal"
    """Sender and every recipient in the organisation's domains."""
    EXTERNAL_OTHER = "external-other"
    """Any other mix of non-consumer addresses."""
    UNKNOWN = "unknown"
    """No sender and no recipient address could be parsed."""

    @property
    def is_consumer(self) -> bool:
        """True for the three flows that involve a consumer mailbox."""
        return self in CONSUMER_FLOWS


CONSUMER_FLOWS = frozenset({Flow.TO_CONSUMER, Flow.FROM_CONSUMER, Flow.CONSUMER_TO_CONSUMER})


class Severity(enum.IntEnum):
    """Ordered severities; `--fail-on` compares against these."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """Lower-case name used in files and on the command line."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse `low|medium|high|critical` (case-insensitive)."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (low, medium, high, critical)") from None


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message's exact bytes as stored in its container."""

    source: str
    """Path of the container file as the user named it (or as found by walking)."""
    locator: str
    """Stable address of the message: `path@offset` for mbox, the path for one-file messages,
    `container:/Folder/#N` for PST items."""
    raw: bytes
    """The stored bytes, unaltered (mbox quoting left in place)."""
    sha256: str
    """SHA-256 of `raw`, hex."""
    offset: int | None = None
    """Byte offset of the message's `From ` line in an mbox (decompressed stream for .gz)."""
    container: str = "eml"
    """Container type the message came from: mbox, eml, maildir, msg, pst."""
    mbox_quoted: bool = False
    """True when body lines may carry mbox `>From ` quoting that the parser should undo."""
    folder: str | None = None
    """Folder path inside a container (PST/Maildir), when the container has folders."""
    parsed: object | None = None
    """A pre-parsed `email.message.Message` for containers that do not hold RFC 5322 bytes
    (Outlook MSG/PST); `raw` then holds the bytes that were hashed."""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Skipped:
    """Something found but not scanned (or scanned only in part), with the reason."""

    locator: str
    """Where: a file, `path@offset`, or a message locator."""
    reason: str
    """Human-readable reason, e.g. `not extracted: image/png` or `truncated message`."""
    part: str | None = None
    """MIME part path when only a part was skipped."""
    kind: str = "skipped"
    """Machine-readable class: unsupported, junk, truncated, unreadable, not-extracted,
    encrypted, limit, timeout, decode, image, non-mail."""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox address as found in a header."""

    addr: str
    """`local@domain` with the domain lower-cased and IDNA-encoded (punycode)."""
    name: str = ""
    """Decoded display name (RFC 2047 decoded), may be empty."""
    field: str = ""
    """Header it came from, lower-case (from, sender, to, cc, bcc, resent-to, delivered-to, ...)."""

    @property
    def domain(self) -> str:
        """Domain part (after the last `@`)."""
        return self.addr.rpartition("@")[2]


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Hop:
    """One Received header, as parsed by mail-parser (only what correlation needs)."""

    by: str = ""
    from_: str = ""
    id: str = ""
    for_: str = ""
    date_utc: str = ""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class MessageInfo:
    """The header-level facts about a message (no body content)."""

    locator: str
    source: str
    sha256: str
    message_id: str
    date: str | None
    """ISO 8601 UTC (`YYYY-MM-DDTHH:MM:SSZ`) or None when missing/unparseable."""
    subject: str
    senders: tuple[Address, ...]
    recipients: tuple[Address, ...]
    container: str = "eml"
    offset: int | None = None
    notes: tuple[str, ...] = ()
    """Parsing notes (defects, address disagreements, date problems)."""
    hops: tuple[Hop, ...] = ()


@dataclass(frozen=True, slots=True)
class TextUnit:
    """A piece of decoded text to scan, with where it came from."""

    part: str
    """MIME part path: `1`, `2.1`, `2/rfc822/1`; `header` (or `2/rfc822/header`) for subjects."""
    where: str
    """`subject`, `body` or `attachment:NAME` (NAME may include an inner path)."""
    text: str
    content_type: str = "text/plain"


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Match:
    """One detector hit inside one text unit, before flows and masking are applied."""

    rule: str
    category: str
    severity: Severity
    part: str
    where: str
    start: int
    end: int
    value: str
    """Normalised matched value (digits only for identifiers; lower-case words for phrases)."""
    evidence: str
    """Masked snippet with context; never contains the unmasked value."""
    confidence: float = 1.0
    test_data: bool = False
    """True when the value is from a reserved test range (e.g. NHS 999 range)."""
    pack: str = ""
    quoted: bool = False
    """True when the match lies in quoted reply text."""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Finding:
    """A reportable hit: a match joined to its message and flow."""

    fingerprint: str
    message_id: str
    source: str
    locator: str
    part: str
    where: str
    date: str | None
    sender: str
    recipients: tuple[str, ...]
    flow: Flow
    consumer_addresses: tuple[str, ...]
    rule: str
    category: str
    severity: Severity
    evidence: str
    value: str
    """Normalised value; only written out with `--reveal`."""
    confidence: float = 1.0
    occurrences: int = 1
    test_data: bool = False
    message_sha256: str = ""
    pack: str = ""
    quoted: bool = False
    """All occurrences were in quoted reply text."""


@dataclass(frozen=True, slots=True)
class LogRecipient:
    """One recipient of a logged message with its delivery status."""

    addr: str
    status: str
    """Normalised status: delivered, deferred, bounced, failed, pending, expanded, quarantined,
    filtered, received, unknown."""
    detail: str = ""
    orig_to: str = ""
    """Original recipient before alias/forward rewriting (Postfix `orig_to=`)."""


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One message as seen in one mail-server log (all lines for it joined)."""

    log_format: str
    """postfix, exim, sendmail, exchange, m365, google, o365-audit, gmail-audit."""
    source: str
    locator: str
    """`path:line` of the first line of the message in the log."""
    time: str | None
    """ISO 8601 UTC of the first line."""
    sender: str
    recipients: tuple[LogRecipient, ...]
    message_id: str = ""
    queue_id: str = ""
    size: int | None = None
    subject: str = ""
    direction: str = ""
    forwarding: str = ""
    """For audit events: the forwarding target (a forwarding rule or mailbox forward)."""
    kind: str = "message"
    """`message` for a transported message, `forwarding-rule` for an audit event."""
    actor: str = ""
    """Who created a forwarding rule (audit events)."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PackRef:
    """A loaded rule pack as reported in outputs."""

    pack: str
    version: str
    sha256: str
    path: str


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class SourceSummary:
    """Per-source coverage: one container file."""

    path: str
    type: str
    bytes: int
    sha256: str
    messages: int
    skipped: int


@dataclass(frozen=True)
class OrgDomains:
    """The organisation's domains and how they were decided."""

    domains: tuple[str, ...]
    inferred: bool
    evidence: tuple[tuple[str, int], ...] = ()
    """For inferred domains: (domain, sender count) pairs that led to the choice."""


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan produced, in deterministic order."""

    tool_version: str
    packs: tuple[PackRef, ...]
    sources: tuple[SourceSummary, ...]
    messages_found: int
    messages_scanned: int
    skipped: tuple[Skipped, ...]
    findings: Sequence[Finding]
    """In order; a tuple, or from `api.scan` a compact `tracecheck.packed.Packed` sequence
    (decoded block by block when read: iterate it once rather than index it at random)."""
    org: OrgDomains
    flow_counts: dict[str, int] = field(default_factory=dict)
    notes: tuple[Skipped, ...] = ()
    """Decode notes and other non-fatal observations (kind `decode`)."""
    log_events: tuple[LogEvent, ...] = ()
    log_findings: tuple[dict[str, object], ...] = ()
    log_summary: dict[str, object] | None = None
    """`logs.analysis.correlate` output when log files were scanned, else None."""
    refs: Sequence[MessageRef] = ()
    """Compact facts on every message scanned (dedup across exports, log correlation); a
    tuple, or from `api.scan` a `tracecheck.packed.Packed` sequence."""
    options: dict[str, object] = field(default_factory=dict)
    """Options that shape the output (mode, thresholds, limits), echoed in coverage."""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class MessageRef:
    """The compact facts kept for every message scanned (for dedup and log correlation)."""

    locator: str
    sha256: str
    message_id: str
    date: str | None
    consumer: bool
    """True when the message involves a consumer address (org-independent)."""
    flow: str = ""
    """Consumer flow (`to-consumer`, `from-consumer`, `consumer-to-consumer`), or
    `non-consumer` / `unknown` (internal vs external-other needs the org domains)."""
    queue_ids: tuple[str, ...] = ()
    """Queue ids seen in Received headers (`id` clauses), for log correlation."""


@dataclass(frozen=True)
class ShardResult:
    """What scanning one shard (a source file, or a byte range of one) produced.

    Shards are the unit of parallel work and of resumption: a case store can save a
    ShardResult and hand it back on a rerun instead of rescanning.
    """

    key: str
    """`path` or `path@start-end`; stable across runs."""
    source: SourceSummary | None
    found: int
    scanned: int
    skipped: tuple[Skipped, ...]
    notes: tuple[Skipped, ...]
    messages: tuple[MessageInfo, ...]
    """Header facts for every message that produced at least one match."""
    matches: tuple[tuple[str, Match], ...]
    """(message locator, match) pairs in document order."""
    refs: tuple[MessageRef, ...]
    sender_domains: tuple[tuple[str, int], ...]
    """Non-consumer sender registrable domains with counts (for org-domain inference)."""
    log_events: tuple[LogEvent, ...] = ()
    order: tuple[int, ...] = ()
    """Sort key of the shard (source index, start offset) for deterministic merging."""
    flow_counts: tuple[tuple[str, int], ...] = ()
    """Messages per `MessageRef.flow` value, counted for every message scanned (refs may be
    kept for consumer messages only)."""
