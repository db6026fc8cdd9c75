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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

_C = TypeVar("_C", bound=type)


def _pickled_by_fields(cls: _C) -> _C:
    """Pickle a frozen slotted dataclass as `cls(*field values)`: about twice as fast both
    ways as the dataclass default (which calls `fields()` for every object), for the records
    that cross from worker processes and that `tracecheck.packed_records` keeps."""
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
    """Ordered severities; `--fail-on` compares against these (`low` and up)."""

    INFO = 0
    """Informational, below low: never counted as health data carried and never the exit code
    (a finding whose value is reserved test data gets it, `findings.counts`)."""
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
        """Parse `info|low|medium|high|critical` (case-insensitive)."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (info, low, medium, high, critical)") from None


class CustodianFrom(enum.StrEnum):
    """Where a message's custodian (whose mailbox it came from) is read (`--custodian-from`;
    the rule is `tracecheck.custodians`)."""

    PATH = "path"
    """A regex over the container's path (a folder per mailbox)."""
    HEADER = "header"
    """The first Delivered-To (else X-Original-To) address."""
    NONE = "none"
    """No attribution: every custodian is empty."""


class SkipKind(enum.StrEnum):
    """Why something found was not scanned, or scanned only in part: the one list of
    `Skipped.kind` values (docs/output.md documents each; a test holds the two equal)."""

    UNSUPPORTED = "unsupported"
    """A file that is not a mailbox, message or log this version reads."""
    UNREADABLE = "unreadable"
    """Input that could not be read or parsed (I/O error, damaged container or part)."""
    JUNK = "junk"
    """Bytes in a mailbox that are not a message (before the first separator)."""
    TRUNCATED = "truncated"
    """A message, archive or compressed stream that ends early."""
    NOT_EXTRACTED = "not-extracted"
    """An attachment type whose text is not extracted."""
    IMAGE = "image"
    """An image (no OCR)."""
    ENCRYPTED = "encrypted"
    """Encrypted or password-protected content."""
    LIMIT = "limit"
    """A configured limit (depth, size, members, ratio, message size) stopped the reading."""
    TIMEOUT = "timeout"
    """A detector ran out of time on one text."""
    SYMLINK_LOOP = "symlink-loop"
    """A symlinked folder already visited."""
    OUTSIDE_ROOT = "outside-root"
    """A symlink in a folder scanned that points outside it: not followed (unless
    `--follow-symlinks`)."""
    NON_MAIL = "non-mail"
    """An Outlook item that is not mail (contact, appointment, task, ...)."""
    CHANGED = "changed"
    """A file that changed while it was being scanned."""
    MALFORMED_LOG_LINE = "malformed-log-line"
    """A log line that does not parse."""
    INTERNAL_ERROR = "internal-error"
    """A failure inside tracecheck itself (a bug), not a problem with the input: the run
    exits 3."""
    WORKER_LOST = "worker-lost"
    """A worker process died or a Dask worker was lost while holding this work: the run
    exits 3."""

    @property
    def not_a_message(self) -> bool:
        """True for the kinds that say what was skipped is no message (a file that is not
        mail, an Outlook item that is not mail, a folder loop, a link out of the folder
        scanned): such entries are listed but
        never counted among the messages found."""
        return self in (SkipKind.UNSUPPORTED, SkipKind.NON_MAIL, SkipKind.SYMLINK_LOOP,
                        SkipKind.OUTSIDE_ROOT)

    @property
    def incomplete(self) -> bool:
        """True for the kinds that make a run incomplete (tracecheck failed, not the input)."""
        return self in (SkipKind.INTERNAL_ERROR, SkipKind.WORKER_LOST)


class NoteKind(enum.StrEnum):
    """Non-fatal observations (`Note.kind`): the content was read."""

    DECODE = "decode"
    """MIME defects, charset fallbacks, address-parser disagreements, dates without a zone,
    an HTML alternative that repeats the plain text."""
    SOURCE = "note"
    """What a container reader says about a file or item it read (a password-protected PST
    read anyway, a damaged property, the year of a year-less log and what it rests on)."""
    SUPPRESSED = "suppressed"
    """Quoted reply text already counted in another message to the same addresses."""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Locator:
    """Where something is, kept as parts so that nothing splits a string to find them again.

    `str()` gives the one written form: `path` (a file, or a one-message file), `path@offset`
    (an mbox message), `path:/Folder/#N` (a PST item), `path:line` (a log line), each with
    `#where` for a place inside a message (`attachment:cases.zip/zip:a.csv`). In an archive,
    `item` names the member (`export.zip:Export/0001.eml`, nested archives joined by `:`, a
    PST item after its member's name) and `offset` is inside that member:
    `export.zip:inbox.mbox@120` (`sources.archive` escapes member names so that no two
    members render alike). A locator with no path is relative: `within` is a place inside
    whatever holds it (`Locator.under`)."""

    path: str = ""
    """The file as the user named it (or as found by walking)."""
    offset: int | None = None
    """Byte offset of an mbox message's `From ` line (decompressed stream for .gz; in the
    archive member named by `item` when there is one)."""
    item: str = ""
    """An item inside a container file (`/Folder/#N` in a PST; a member of an archive,
    `Export/0001.eml`, `inner.zip:a.eml`, `box.pst:/Inbox/#3`)."""
    line: int | None = None
    """A line of a log file, from 1."""
    within: str = ""
    """A place inside the message or blob: `body`, `attachment:NAME/...`, `page:3`."""

    def __str__(self) -> str:
        text = self.path
        if self.item:
            text = f"{text}:{self.item}"
        # After the item: the offset of a message in an mbox held by an archive member
        # (`export.zip:mail/inbox.mbox@120`) counts bytes of that member, not of the file.
        if self.offset is not None:
            text = f"{text}@{self.offset}"
        if self.line is not None:
            text = f"{text}:{self.line}"
        if self.within:
            text = f"{text}#{self.within}" if text else self.within
        return text

    @property
    def message(self) -> Locator:
        """The message (or file) this place is in: the locator without `within`."""
        return Locator(self.path, self.offset, self.item, self.line) if self.within else self

    def inside(self, within: str) -> Locator:
        """A place inside this message (or blob): `within` appended to this one's `within`."""
        if not within:
            return self
        joined = f"{self.within}/{within}" if self.within else within
        return Locator(self.path, self.offset, self.item, self.line, joined)

    def under(self, outer: Locator) -> Locator:
        """This relative place (a `within` only) placed inside `outer`."""
        return outer.inside(self.within) if self.within else outer

    @classmethod
    def parse_legacy(cls, text: str) -> Locator:
        """A locator stored as text by an older version: kept whole as the path, so it is
        written out exactly as it was read (its parts are not recovered)."""
        return cls(path=text)


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message's exact bytes as stored in its container."""

    source: str
    """Path of the container file as the user named it (or as found by walking)."""
    locator: Locator
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
    rest: Iterable[bytes] | None = None
    """The message's bytes after `raw`, when it is larger than the bound it was read with
    (`ExtractLimits.max_message_bytes`): read from the source as they are iterated, once,
    before the source reads on (a source that reads on drains what was not taken). None when
    `raw` is the whole message. `sha256` is then empty: whoever reads `rest` hashes it."""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Skipped:
    """Something found but not scanned (or scanned only in part), with the reason."""

    locator: Locator
    """Where: a file, a message, or a place inside a message (`Locator.within`)."""
    reason: str
    """Human-readable reason, e.g. `not extracted: image/png` or `truncated message`."""
    part: str | None = None
    """MIME part path when only a part was skipped."""
    kind: SkipKind = SkipKind.UNREADABLE
    """Machine-readable class (`SkipKind`)."""
    consumer_flow: bool = False
    """Set on a `limit` entry of a message on a consumer flow: a limit cut short the content
    that `--fail-on` judges, so the run is incomplete (`incomplete`)."""

    def placed(self, message: Locator) -> Skipped:
        """This entry, found inside a message with a relative locator, placed at `message`."""
        return dataclasses.replace(self, locator=self.locator.under(message))

    @property
    def incomplete(self) -> bool:
        """The one definition of an entry that makes a run incomplete (exit code 3): a failure
        of tracecheck itself (`SkipKind.incomplete`: `internal-error`, `worker-lost`), or a
        limit that cut short a message on a consumer flow (`consumer_flow`): content that may
        hold what a CI gate looks for was not scanned, so a clean result would be a guess."""
        return self.kind.incomplete or (self.consumer_flow and self.kind is SkipKind.LIMIT)


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Note:
    """A non-fatal observation about something that was read (never a coverage gap)."""

    locator: Locator
    reason: str
    part: str | None = None
    kind: NoteKind = NoteKind.DECODE


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

    at: Locator
    """The message's locator, as parts."""
    source: str
    sha256: str
    message_id: str
    date: str | None
    """ISO 8601 UTC (`YYYY-MM-DDTHH:MM:SSZ`) or None when missing/unparseable."""
    subject: str
    senders: tuple[Address, ...]
    recipients: tuple[Address, ...]
    container: str = "eml"
    notes: tuple[str, ...] = ()
    """Parsing notes (defects, address disagreements, date problems)."""
    hops: tuple[Hop, ...] = ()

    @property
    def locator(self) -> str:
        """The message's locator as written (`str(at)`): its identity in every output."""
        return str(self.at)

    @property
    def offset(self) -> int | None:
        """Byte offset of the message in its mbox (None for other containers)."""
        return self.at.offset


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
    """True when the match lies in quoted reply text (every occurrence, when several)."""
    occurrences: int = 1
    """How many hits of the same rule and value in the same part this record stands for
    (the matcher keeps one record per part, rule and value: `rules.tally`); its position,
    `where` and evidence are the first one's, its confidence the highest."""
    reasons: tuple[str, ...] = ()
    """Why it fired: checks passed, companions and context found, what tied it to a person.
    Fixed phrases, never matched text."""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Finding:
    """A reportable hit: a match joined to its message and flow."""

    fingerprint: str
    message_id: str
    source: str
    at: Locator
    """The message's locator, as parts."""
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
    reasons: tuple[str, ...] = ()
    """Why its most confident occurrence fired (`Match.reasons`)."""
    custodian: str = ""
    """Whose mailbox the message came from (`tracecheck.custodians`); "" when not known."""

    @property
    def locator(self) -> str:
        """The message's locator as written (`str(at)`)."""
        return str(self.at)

    @property
    def offset(self) -> int | None:
        """The message's byte offset in its mbox (None for other containers)."""
        return self.at.offset

    def with_flow(self, flow: Flow) -> Finding:
        """This finding on another flow: `dataclasses.replace(self, flow=flow)` without its
        per-call walk of the fields (the merge settles many findings' flows at the end)."""
        values = list(_FINDING_VALUES(self))
        values[_FINDING_FLOW] = flow
        return Finding(*values)


_FINDING_NAMES = [f.name for f in dataclasses.fields(Finding)]
_FINDING_VALUES = operator.attrgetter(*_FINDING_NAMES)
_FINDING_FLOW = _FINDING_NAMES.index("flow")


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
    locator: Locator
    """The log file and the line (from 1) of the message's first line (`path:line`)."""
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


# --- what the log events mean (`tracecheck.logs.analysis`) ---------------------------------


class LogFindingType(enum.StrEnum):
    """The kinds of log finding (`type` in the JSON `logs.findings` records): one record
    class each (`LogForwarding`, `LogConsumerFlow`, `LogSubjectMatch`)."""

    FORWARDING = "log-forwarding"
    CONSUMER_FLOW = "log-consumer-flow"
    SUBJECT_MATCH = "log-subject-match"


@dataclass(frozen=True, slots=True)
class LogForwarding:
    """A forwarding rule, mailbox forward, inbox-rule message or auto-forward whose target is a
    consumer address (always high severity)."""

    kind: str
    """The event's kind: `forwarding-rule` (audit logs) or `message` (an auto-forwarded one)."""
    time: str | None
    mailbox: str
    """Whose mail is forwarded (the event's sender)."""
    actor: str
    """Who made the change (audit logs)."""
    target: str
    operation: str
    """The event's first note: the audit operation (`New-InboxRule`, ...)."""
    log_format: str
    source: str
    locator: Locator

    @property
    def type(self) -> LogFindingType:
        """`log-forwarding`."""
        return LogFindingType.FORWARDING

    @property
    def severity(self) -> Severity:
        """High."""
        return Severity.HIGH

    def as_dict(self) -> dict[str, object]:
        """The record as written in `logs.findings` (keys in contract order)."""
        return {
            "type": self.type.value,
            "severity": self.severity.label,
            "kind": self.kind,
            "time": self.time,
            "mailbox": self.mailbox,
            "actor": self.actor,
            "target": self.target,
            "operation": self.operation,
            "log_format": self.log_format,
            "source": self.source,
            "locator": str(self.locator),
        }


@dataclass(frozen=True, slots=True)
class LogConsumerFlow:
    """The logged messages of one sender on one day in one consumer flow (medium severity)."""

    sender: str
    """Lower-cased."""
    day: str
    """`YYYY-MM-DD` (UTC), or `unknown`."""
    flow: Flow
    messages: int
    delivered: int
    """Messages whose consumer copies were all or partly delivered."""
    consumer_recipients: tuple[str, ...]
    """Sorted."""
    first_time: str | None
    last_time: str | None
    statuses: tuple[tuple[str, int], ...]
    """(overall message status, messages), sorted by status."""
    locators: tuple[Locator, ...]
    """The first `MAX_LOCATORS` messages by file and line (`messages` counts them all)."""

    @property
    def type(self) -> LogFindingType:
        """`log-consumer-flow`."""
        return LogFindingType.CONSUMER_FLOW

    @property
    def severity(self) -> Severity:
        """Medium."""
        return Severity.MEDIUM

    def as_dict(self) -> dict[str, object]:
        """The record as written in `logs.findings` (keys in contract order)."""
        return {
            "type": self.type.value,
            "severity": self.severity.label,
            "sender": self.sender,
            "day": self.day,
            "flow": self.flow.value,
            "messages": self.messages,
            "delivered": self.delivered,
            "consumer_recipients": list(self.consumer_recipients),
            "first_time": self.first_time,
            "last_time": self.last_time,
            "statuses": dict(self.statuses),
            "locators": [str(loc) for loc in self.locators],
        }


@dataclass(frozen=True, slots=True)
class LogSubjectMatch:
    """A logged subject that health rules match: the rule ids and a masked subject, never the
    subject's text (high when a consumer party is involved, else medium)."""

    severity: Severity
    rules: tuple[str, ...]
    subject_masked: str
    time: str | None
    sender: str
    flow: Flow
    consumer_recipients: tuple[str, ...]
    message_id: str
    queue_id: str
    status: str
    """The message's overall status (`logs.analysis.overall_status`)."""
    log_format: str
    source: str
    locator: Locator

    @property
    def type(self) -> LogFindingType:
        """`log-subject-match`."""
        return LogFindingType.SUBJECT_MATCH

    def as_dict(self) -> dict[str, object]:
        """The record as written in `logs.findings` (keys in contract order)."""
        return {
            "type": self.type.value,
            "severity": self.severity.label,
            "rules": list(self.rules),
            "subject_masked": self.subject_masked,
            "time": self.time,
            "sender": self.sender,
            "flow": self.flow.value,
            "consumer_recipients": list(self.consumer_recipients),
            "message_id": self.message_id,
            "queue_id": self.queue_id,
            "status": self.status,
            "log_format": self.log_format,
            "source": self.source,
            "locator": str(self.locator),
        }


LogFinding = LogForwarding | LogConsumerFlow | LogSubjectMatch
"""A finding from log events; `.type` says which (`LogFindingType`)."""


@dataclass(frozen=True, slots=True)
class NotInExport:
    """A consumer-bound message in the logs that no exported message matches: its content is
    unknown."""

    time: str | None
    sender: str
    consumer_recipients: tuple[str, ...]
    message_id: str
    queue_id: str
    size: int | None
    source: str
    locator: Locator
    status: str

    def as_dict(self) -> dict[str, object]:
        """The record as written in `logs.not_in_export_list` (keys in contract order)."""
        return {
            "time": self.time,
            "sender": self.sender,
            "consumer_recipients": list(self.consumer_recipients),
            "message_id": self.message_id,
            "queue_id": self.queue_id,
            "size": self.size,
            "source": self.source,
            "locator": str(self.locator),
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NotInExport:
        """A record from its `as_dict` form (as a case store keeps it)."""
        size = data.get("size")
        return cls(
            time=None if data.get("time") is None else str(data["time"]),
            sender=str(data.get("sender") or ""),
            consumer_recipients=tuple(str(a) for a in data.get("consumer_recipients") or ()),
            message_id=str(data.get("message_id") or ""),
            queue_id=str(data.get("queue_id") or ""),
            size=size if isinstance(size, int) else None,
            source=str(data.get("source") or ""),
            # Stored as written; kept whole so it is written back exactly (never split).
            locator=Locator.parse_legacy(str(data.get("locator") or "")),
            status=str(data.get("status") or ""),
        )


class LogYearBasis(enum.StrEnum):
    """What the year of a log file's year-less syslog stamps rests on (`LogYear.basis`),
    strongest evidence first. docs/logs.md documents each."""

    GIVEN = "given"
    """Given with `--log-year`."""
    MATCHED = "matched-messages"
    """The dates of the export's messages that the file's events match (Message-ID or queue
    id)."""
    ROTATION = "rotation-order"
    """Chained through its rotated set from a file whose year the matched messages show."""
    MTIME = "mtime"
    """The file's modification time: the weakest evidence (a copy gets the date it was made).
    Dates that rest on it are marked inferred and never set the breach window."""
    STAMPED = "stamped"
    """The stamps carry their year: nothing to infer."""

    @property
    def label(self) -> str:
        """How the reports say it."""
        return _YEAR_BASIS_LABELS[self]

    @property
    def inferred(self) -> bool:
        """True when the year rests on no evidence but the file's mtime."""
        return self is LogYearBasis.MTIME


_YEAR_BASIS_LABELS = {
    LogYearBasis.GIVEN: "given with --log-year",
    LogYearBasis.MATCHED: "matched messages in the export",
    LogYearBasis.ROTATION: "rotation order",
    LogYearBasis.MTIME: "INFERRED from the file's modification time",
    LogYearBasis.STAMPED: "written in the log's stamps",
}
_YEAR_BASIS_VALUES = frozenset(b.value for b in LogYearBasis)


@dataclass(frozen=True, slots=True)
class LogYear:
    """The year of one log file's year-less stamps and what it rests on."""

    path: str
    log_format: str
    basis: LogYearBasis
    first_year: int | None = None
    """Year of the file's first year-less stamp (None when its stamps carry the year)."""
    last_year: int | None = None
    """Year of its last year-less stamp (later than `first_year` across a Dec → Jan turn)."""
    detail: str = ""
    """What the basis rests on, e.g. `the dates of 3 messages of the export it matches (3 of
    3 agree)` or `chained from mail.log.1 (...) through the rotated set`."""

    @property
    def years(self) -> str:
        """`2021`, `2020-2021`, or empty when the stamps carry the year."""
        if self.first_year is None:
            return ""
        if self.last_year is None or self.last_year == self.first_year:
            return str(self.first_year)
        return f"{self.first_year}-{self.last_year}"

    def as_dict(self) -> dict[str, object]:
        """The record as written in `logs.years` (keys in contract order)."""
        return {"path": self.path, "log_format": self.log_format, "basis": self.basis.value,
                "first_year": self.first_year, "last_year": self.last_year,
                "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogYear:
        """A record from its `as_dict` form (as a case store keeps it)."""
        first, last = data.get("first_year"), data.get("last_year")
        basis = str(data.get("basis") or "")
        return cls(
            path=str(data.get("path") or ""),
            log_format=str(data.get("log_format") or ""),
            # A basis this version does not know is taken as the weakest one.
            basis=LogYearBasis(basis) if basis in _YEAR_BASIS_VALUES else LogYearBasis.MTIME,
            first_year=first if isinstance(first, int) else None,
            last_year=last if isinstance(last, int) else None,
            detail=str(data.get("detail") or ""),
        )


@dataclass(frozen=True)
class LogSummary:
    """The join of log events with the mailbox export (`logs.analysis.correlate`)."""

    events: int
    """Log events read (messages and forwarding rules)."""
    consumer_bound_messages: int
    """Message events with at least one consumer recipient."""
    matched_in_export: int
    """Of those, the ones an exported message matches (Message-ID or queue id)."""
    forwarding_rules: int
    """Audit events that forward to a consumer address."""
    not_in_export_list: tuple[NotInExport, ...]
    """Consumer-bound messages no exported message matches, by time and locator."""
    delivery: dict[str, str]
    """Normalised Message-ID (or locator) of each exported message found in the logs → the
    overall status of its logged copies, sorted by key."""
    years: tuple[LogYear, ...] = ()
    """One per log file read, in reading order: the year of its year-less stamps and what it
    rests on (empty in cases scanned before it was recorded)."""

    def year_of(self, path: str) -> LogYear | None:
        """The year record of the log file `path`, if one was recorded."""
        return next((y for y in self.years if y.path == path), None)

    @property
    def not_in_export(self) -> int:
        """Consumer-bound messages whose content is unknown."""
        return len(self.not_in_export_list)

    def as_dict(self) -> dict[str, object]:
        """The summary as written in the JSON `logs` section and stored in a case."""
        return {
            "events": self.events,
            "consumer_bound_messages": self.consumer_bound_messages,
            "matched_in_export": self.matched_in_export,
            "not_in_export": self.not_in_export,
            "forwarding_rules": self.forwarding_rules,
            "not_in_export_list": [m.as_dict() for m in self.not_in_export_list],
            "delivery": dict(self.delivery),
            "years": [y.as_dict() for y in self.years],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogSummary:
        """A summary from its `as_dict` form (a case store keeps it as JSON text; cases of
        every version stored this form)."""
        return cls(
            events=int(data.get("events") or 0),
            consumer_bound_messages=int(data.get("consumer_bound_messages") or 0),
            matched_in_export=int(data.get("matched_in_export") or 0),
            forwarding_rules=int(data.get("forwarding_rules") or 0),
            not_in_export_list=tuple(NotInExport.from_dict(m)
                                     for m in data.get("not_in_export_list") or ()
                                     if isinstance(m, dict)),
            delivery={str(k): str(v) for k, v in (data.get("delivery") or {}).items()},
            years=tuple(LogYear.from_dict(y) for y in data.get("years") or ()
                        if isinstance(y, dict)),
        )


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


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """Bounds on what extraction may expand; every one is reported in coverage."""

    max_depth: int = 8
    """Nesting depth of containers (zip in zip in ...)."""
    max_members: int = 10_000
    """Members opened per top-level attachment."""
    max_total_bytes: int = 512 * 1024 * 1024
    """Total expanded bytes per top-level attachment."""
    max_ratio: float = 100.0
    """Largest accepted expanded/compressed ratio for one member (zip bomb guard)."""
    ratio_floor_bytes: int = 1024 * 1024
    """Members that expand to at most this many bytes are exempt from `max_ratio` (a small
    text of repeated separators compresses far better than 100:1 and is no bomb)."""
    max_text_chars: int = 32 * 1024 * 1024
    """Characters of text scanned per unit (a body, an attachment, a member); the rest is
    listed as skipped. (20,000,000 before it was enforced, which a 20 MiB CSV passes.)"""
    max_message_bytes: int = 32 * 1024 * 1024
    """Messages larger than this are not MIME-parsed (memory): their raw body is scanned as
    text in windows and the message is listed with kind `limit`. The bytes past it are never
    held: they are read from the source as they are scanned (a compressed input too)."""
    max_parts: int = 10_000
    """MIME parts per message (delimiter lines of its multipart boundaries): a message with
    more is not MIME-parsed; its raw body is scanned as text in windows, as above."""
    max_message_text_chars: int = 256 * 1024 * 1024
    """Characters of text run through the detectors per message, every part and window
    together; the rest is listed as skipped."""
    max_matches: int = 1_000_000
    """Detector hits evaluated per message; after it the rest of the message's text is not
    run through the detectors (listed)."""
    max_findings_per_part: int = 400_000
    """Distinct findings (rule and value) kept per MIME part: hits of further values are
    counted, not kept (listed)."""
    max_findings: int = 500_000
    """Distinct findings kept per message, as above."""

    def as_dict(self) -> dict[str, int | float]:
        """The limits as written in coverage and run manifests."""
        return {
            "max_depth": self.max_depth,
            "max_members": self.max_members,
            "max_total_bytes": self.max_total_bytes,
            "max_ratio": self.max_ratio,
            "max_text_chars": self.max_text_chars,
            "max_message_bytes": self.max_message_bytes,
            "ratio_floor_bytes": self.ratio_floor_bytes,
            "max_parts": self.max_parts,
            "max_message_text_chars": self.max_message_text_chars,
            "max_matches_per_message": self.max_matches,
            "max_findings_per_part": self.max_findings_per_part,
            "max_findings_per_message": self.max_findings,
        }


@dataclass(frozen=True, slots=True)
class BaselineApplied:
    """A baseline file applied to a result: which, and what it left out."""

    file: str
    accepted: int
    suppressed: int
    """Findings of this result that the baseline accepted (not reported)."""
    not_found: int
    """Accepted entries that this result no longer has."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """The options that shaped a result, echoed in coverage (`coverage.options`)."""

    all_messages: bool = False
    min_confidence: float = 0.5
    regex_timeout: float = 5.0
    limits: ExtractLimits = field(default_factory=ExtractLimits)
    baseline: BaselineApplied | None = None
    follow_symlinks: bool = False
    """Symlinks out of the folders given were followed (`--follow-symlinks`)."""

    def as_dict(self) -> dict[str, object]:
        """The JSON object of `coverage.options` (keys in contract order; `follow_symlinks`
        only when set)."""
        out: dict[str, object] = {
            "all_messages": self.all_messages,
            "min_confidence": self.min_confidence,
            "regex_timeout": self.regex_timeout,
            "limits": self.limits.as_dict(),
        }
        if self.follow_symlinks:
            out["follow_symlinks"] = True
        if self.baseline is not None:
            b = self.baseline
            out["baseline"] = {"file": b.file, "accepted": b.accepted,
                               "suppressed": b.suppressed, "not_found": b.not_found}
        return out


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
    """In order; a tuple, or from `api.scan` a compact `tracecheck.packed_records.Packed` sequence
    (decoded block by block when read: iterate it once rather than index it at random)."""
    org: OrgDomains
    flow_counts: dict[str, int] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    """Decode notes and other non-fatal observations."""
    log_events: tuple[LogEvent, ...] = ()
    log_findings: tuple[LogFinding, ...] = ()
    """`logs.analysis.log_findings` when log files were scanned."""
    log_summary: LogSummary | None = None
    """`logs.analysis.correlate` output when log files were scanned, else None."""
    refs: Sequence[MessageRef] = ()
    """Compact facts on every message scanned (dedup across exports, log correlation); a
    tuple, or from `api.scan` a `tracecheck.packed_records.Packed` sequence."""
    options: RunOptions = field(default_factory=lambda: RunOptions())
    """Options that shape the output (mode, thresholds, limits), echoed in coverage."""

    @property
    def incomplete(self) -> tuple[Skipped, ...]:
        """Coverage entries that make the run incomplete (`Skipped.incomplete`: tracecheck's
        failures, limits on consumer-flow messages; exit code 3)."""
        return tuple(s for s in self.skipped if s.incomplete)


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
    source: str = ""
    """The container file the message is in."""


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
    notes: tuple[Note, ...]
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
