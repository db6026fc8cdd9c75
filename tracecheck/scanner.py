"""Scanning one shard: a source's items → triage → content → matches, one message at a time.

Owns the per-shard work that parallel executors distribute (`scan_shard` is a plain function
of picklable arguments). The stages read top to bottom: the source yields messages, gaps and
notes (`_read`); each message is triaged on its headers (`triage`), and its content is parsed,
walked and matched only when its flow or the mode asks for it (`scan_message`); the shard adds
up the outcomes (`_Shard.take`). An input problem becomes a `Skipped` of its own kind where it
arises; a failure of tracecheck itself becomes an `internal-error` entry at the message (or
file) where it happened (`isolation`). Never decides org domains, findings or exit codes (the
api does, after all shards are in).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from tracecheck.content import headers as hdr
from tracecheck.content.mime import (
    Unparseable,
    Walker,
    header_fields,
    is_bulk,
    message_info,
    parse_full,
)
from tracecheck.domains import ConsumerDomains
from tracecheck.header_block import HeaderFields, RawHeaders, body_start, header_end
from tracecheck.isolation import isolated
from tracecheck.model import (
    ExtractLimits,
    Locator,
    Match,
    MessageInfo,
    MessageRef,
    Note,
    NoteKind,
    RawMessage,
    ShardResult,
    SkipKind,
    Skipped,
    SourceSummary,
    TextUnit,
)
from tracecheck.rules.matcher import Matcher
from tracecheck.rules.pack import load_packs
from tracecheck.sources.files import (
    HashingReader,
    InputFile,
    open_evidence,
    open_stream,
    read_messages,
)
from tracecheck.sources.shards import RangeReader, Shard, read_range, whole
from tracecheck.triage import Verdict, full_verdict, quick_verdict


@dataclass(frozen=True)
class ScanConfig:
    """Everything a worker needs to scan a shard; picklable (packs are loaded by path)."""

    pack_paths: tuple[str, ...]
    extra_consumer: tuple[str, ...] = ()
    all_messages: bool = True
    """Scan content of every message; False scans only messages with a consumer address."""
    min_confidence: float | None = None
    regex_timeout: float = 5.0
    disabled: tuple[str, ...] = ()
    limits: ExtractLimits = field(default_factory=ExtractLimits)
    case_reference: str | None = None
    """The organisation's case-reference pattern (config `scan.case_reference`)."""
    allow_addresses: tuple[str, ...] = ()
    """Addresses never treated as consumer mailboxes (config `scan.allow_addresses`)."""
    keep_all_refs: bool = True
    """Keep a `MessageRef` for every message (case store, log correlation); False keeps
    them for consumer messages only, so a plain scan stays flat in memory."""


@functools.lru_cache(maxsize=8)
def _matcher(cfg: ScanConfig) -> Matcher:
    packs = load_packs(cfg.pack_paths)
    return Matcher(packs, min_confidence=cfg.min_confidence, timeout=cfg.regex_timeout,
                   case_reference=cfg.case_reference,
                   disabled=cfg.disabled)


@functools.lru_cache(maxsize=8)
def _consumer(extra: tuple[str, ...], allow: tuple[str, ...] = ()) -> ConsumerDomains:
    return ConsumerDomains.load_default(extra).with_allowed(allow)


def warm(cfg: ScanConfig) -> None:
    """Load what every worker needs (rule packs, consumer list, the public suffix list)
    once, so processes forked afterwards start with it instead of each loading it again."""
    _matcher(cfg)
    _consumer(cfg.extra_consumer, cfg.allow_addresses).is_consumer("warm@example.com")


@dataclass(slots=True)
class Outcome:
    """What scanning one message gave: its facts, its matches, and what could not be read."""

    scanned: bool = True
    """False when the message was only listed (its headers or structure could not be read)."""
    flow: str = ""
    """`MessageRef.flow`: a consumer flow, `non-consumer` or `unknown`."""
    org_senders: tuple[str, ...] = ()
    ref: MessageRef | None = None
    info: MessageInfo | None = None
    """Header facts, kept for a message with matches."""
    matches: list[Match] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def scan_message(raw: RawMessage, cfg: ScanConfig, seen: dict[bytes, bool]) -> Outcome:
    """Triage one message on its headers; scan its content when its flow (or the mode) asks
    for it. `seen` is the shard's cache of consumer-or-not per raw domain."""
    consumer = _consumer(cfg.extra_consumer, cfg.allow_addresses)
    if not cfg.all_messages:
        verdict = quick_verdict(raw, consumer, seen)
        if verdict is not None:
            return _facts_only(raw, verdict, cfg)
    try:
        head = header_fields(raw)
    except Unparseable as exc:
        return _unreadable(raw, f"unparseable message ({exc})")
    info = message_info(raw, head)
    verdict = full_verdict(info, consumer)
    if not (cfg.all_messages or verdict.flow.is_consumer):
        return _facts_only(raw, verdict, cfg, head)
    out = Outcome(flow=verdict.name, org_senders=verdict.org_senders)
    if len(raw.raw) > cfg.limits.max_message_bytes:
        _scan_oversized(raw, cfg, head, out)
    else:
        try:
            _scan_content(raw, cfg, head, out)
        except RecursionError:
            return _unreadable(raw, "limit: message structure too deeply nested",
                               SkipKind.LIMIT)
        except Unparseable as exc:
            return _unreadable(raw, f"content not scanned (unparseable: {exc})")
        if verdict.flow.is_consumer and cfg.keep_all_refs:
            # Received hops (queue ids) serve log correlation and the case store only.
            info = dataclasses.replace(info, hops=hdr.received_hops(head))
    out.notes.extend(Note(locator=raw.locator, kind=NoteKind.DECODE, reason=n)
                     for n in info.notes)
    if out.matches or verdict.flow.is_consumer or cfg.keep_all_refs:
        sha = _sha256(raw)
        queue_ids = tuple(sorted({h.id for h in info.hops if h.id}))
        out.ref = MessageRef(locator=info.locator, sha256=sha, message_id=info.message_id,
                             date=info.date, consumer=verdict.flow.is_consumer,
                             flow=verdict.name, queue_ids=queue_ids, source=raw.source)
        if out.matches:
            out.info = info if info.sha256 == sha else dataclasses.replace(info, sha256=sha)
    return out


def _facts_only(raw: RawMessage, verdict: Verdict, cfg: ScanConfig,
                head: HeaderFields | None = None) -> Outcome:
    """A message whose content is not scanned (default mode, no consumer address): its
    flow and sender domains, and its reference when a record of every message is kept."""
    out = Outcome(flow=verdict.name, org_senders=verdict.org_senders)
    if cfg.keep_all_refs:
        fields = head if head is not None else header_fields(raw)
        out.ref = MessageRef(
            locator=str(raw.locator), sha256=_sha256(raw), message_id=hdr.message_id(fields),
            date=hdr.parse_date(hdr.first_value(fields, "date"), []), consumer=False,
            flow=verdict.name, source=raw.source)
    return out


def _unreadable(raw: RawMessage, reason: str, kind: SkipKind = SkipKind.UNREADABLE
                ) -> Outcome:
    return Outcome(scanned=False, skipped=[Skipped(locator=raw.locator, kind=kind,
                                                   reason=reason)])


def _scan_content(raw: RawMessage, cfg: ScanConfig, head: HeaderFields, out: Outcome) -> None:
    """Parse the whole message, walk its parts and run the detectors over every text."""
    fields = head if isinstance(head, RawHeaders) else None
    full = parse_full(raw, fields)
    walker = Walker(cfg.limits)
    matcher = _matcher(cfg)
    bulk = is_bulk(head)
    for unit in walker.units(full, fields):
        if isinstance(unit, TextUnit):
            found, skips = matcher.scan(unit, bulk=bulk)
            if found:
                out.matches.extend(found)
            if skips:
                out.skipped.extend(s.placed(raw.locator) for s in skips)
        else:
            out.skipped.append(unit.placed(raw.locator))
    if walker.notes:
        out.notes.extend(Note(locator=raw.locator, part=part, kind=NoteKind.DECODE,
                              reason=note) for part, note in walker.notes)


WINDOW = 1 << 20
OVERLAP = 4096


def _scan_oversized(raw: RawMessage, cfg: ScanConfig, head: HeaderFields, out: Outcome
                    ) -> None:
    """A message too large to MIME-parse in bounded memory: scan its raw body as text, in
    overlapping 1 MiB windows, and list it so the report says its parts were not decoded."""
    data = raw.raw
    size_mb = len(data) / (1024 * 1024)
    limit_mb = cfg.limits.max_message_bytes / (1024 * 1024)
    out.skipped.append(Skipped(
        locator=raw.locator, part="*", kind=SkipKind.LIMIT,
        reason=f"limit: message of {size_mb:.0f} MB is over {limit_mb:.0f} MB; its body was "
               "scanned as raw text (encoded attachments not decoded)"))
    matcher = _matcher(cfg)
    bulk = is_bulk(head)
    end = header_end(data)
    pos = body_start(data, end) if end >= 0 else 0
    while pos < len(data):
        chunk = data[pos : pos + WINDOW + OVERLAP].decode("utf-8", errors="replace")
        found, skips = matcher.scan(TextUnit(part="1", where="body", text=chunk), bulk=bulk)
        # A hit that starts in the overlap belongs to the next window (no double counting).
        out.matches.extend(m for m in found if m.start < WINDOW or pos + WINDOW >= len(data))
        out.skipped.extend(s.placed(raw.locator) for s in skips)
        pos += WINDOW


def _sha256(raw: RawMessage) -> str:
    """The message's SHA-256 (mbox messages are hashed only when a record of them is kept)."""
    return raw.sha256 or hashlib.sha256(raw.raw).hexdigest()


class _Shard:
    """What a shard has produced so far."""

    def __init__(self, keep_all_refs: bool) -> None:
        self.keep_all_refs = keep_all_refs
        self.found = 0
        self.scanned = 0
        self.skipped: list[Skipped] = []
        self.notes: list[Note] = []
        self.messages: list[MessageInfo] = []
        self.matches: list[tuple[str, Match]] = []
        self.refs: list[MessageRef] = []
        self.flows: Counter[str] = Counter()
        self.senders: Counter[str] = Counter()
        self.seen: dict[bytes, bool] = {}
        """Consumer-or-not per raw domain seen in header blocks (`triage.quick_verdict`)."""

    def take(self, item: RawMessage | Skipped | Note, cfg: ScanConfig) -> None:
        """One item from the source: a message to scan, or a listed gap or note."""
        if isinstance(item, Note):
            self.notes.append(item)  # e.g. "password-protected PST; read anyway"
            return
        if isinstance(item, Skipped):
            if not item.kind.not_a_message:  # PST contacts, archive members that are no mail
                self.found += 1
            self.skipped.append(item)
            return
        self.found += 1
        outcome = isolated(lambda: scan_message(item, cfg, self.seen), item.locator)
        if isinstance(outcome, Skipped):  # tracecheck failed on this message
            self.skipped.append(outcome)
            return
        self.skipped.extend(outcome.skipped)
        self.notes.extend(outcome.notes)
        if not outcome.scanned:
            return
        self.scanned += 1
        for domain in outcome.org_senders:
            self.senders[domain] += 1
        self.flows[outcome.flow] += 1
        ref = outcome.ref
        if ref is not None and (ref.consumer or self.keep_all_refs):
            self.refs.append(ref)
        if outcome.info is not None:
            self.messages.append(outcome.info)
            self.matches.extend((outcome.info.locator, m) for m in outcome.matches)


def scan_shard(
    shard: Shard | InputFile,
    cfg: ScanConfig,
    progress: Callable[[int], None] | None = None,
) -> ShardResult:
    """Scan one shard: a whole input file (a mailbox container or a single message), or a
    byte range of an mbox. A range that starts at 0 also hashes the whole file, so the
    file's `SourceSummary` bytes and sha256 come out the same however the file was cut;
    other ranges leave them empty (`merge.join` takes them from the first range)."""
    if isinstance(shard, InputFile):
        shard = whole(shard)
    inp = shard.input
    st = _Shard(cfg.keep_all_refs)
    read = isolated(lambda: _read(shard, cfg, st, progress), Locator(path=inp.path))
    size, sha = (0, "") if isinstance(read, Skipped) else read
    if isinstance(read, Skipped):  # tracecheck failed reading the file: the rest is unread
        st.skipped.append(read)
    n_skipped = sum(1 for s in st.skipped if not s.locator.within)
    source = SourceSummary(path=inp.path, type=source_type(inp), bytes=size, sha256=sha,
                           messages=st.scanned, skipped=n_skipped)
    return ShardResult(
        key=shard.key,
        source=source,
        found=st.found,
        scanned=st.scanned,
        skipped=tuple(st.skipped),
        notes=tuple(st.notes),
        messages=tuple(st.messages),
        matches=tuple(st.matches),
        refs=tuple(st.refs),
        flow_counts=tuple(sorted(st.flows.items())),
        sender_domains=tuple(sorted(st.senders.items())),
        order=shard.order,
    )


def _read(shard: Shard, cfg: ScanConfig, st: _Shard, progress: Callable[[int], None] | None
          ) -> tuple[int, str]:
    """Feed every item of the shard's source to `st`; (file bytes, sha256) of the file."""
    inp = shard.input
    last = 0
    counter: Callable[[], int] = _nothing_read
    size, sha = 0, ""
    try:
        with _open_shard(shard, cfg.limits) as (items, counter, finish):
            for item in items:
                st.take(item, cfg)
                if progress is not None and counter() - last >= 1 << 20:
                    progress(counter() - last)
                    last = counter()
            size, sha = finish()
    except (OSError, EOFError, zlib.error) as exc:  # reading the file (or its gzip stream)
        reason = "truncated or corrupt gzip" if inp.gz else f"read error ({exc})"
        st.skipped.append(Skipped(locator=Locator(path=inp.path),
                                  kind=SkipKind.TRUNCATED if inp.gz else SkipKind.UNREADABLE,
                                  reason=f"{reason}; messages after this point not read"))
    if progress is not None and counter() - last > 0:
        progress(counter() - last)
    return size, sha


def _nothing_read() -> int:
    return 0


_Opened = tuple[Iterable[RawMessage | Skipped | Note], Callable[[], int], Callable[[], tuple[int,
                                                                                             str]]]


@contextlib.contextmanager
def _open_shard(shard: Shard, limits: ExtractLimits) -> Iterator[_Opened]:
    """The shard's messages, a bytes-read counter, and `finish()` → (file bytes, sha256)."""
    inp = shard.input
    if not shard.ranged:
        with open_stream(inp) as (stream, hasher):
            yield _messages(inp, stream, limits), lambda: hasher.count, hasher.finish
        return
    with open_evidence(inp.path) as f:
        if shard.start == 0 and shard.hash_file:
            hasher = HashingReader(f)
            reader = RangeReader(hasher, 0, shard.end)
            yield (read_range(reader, inp.path, 0, hash_messages=False), lambda: reader.count,
                   hasher.finish)
        else:
            reader = RangeReader(f, shard.start, shard.end)
            yield (read_range(reader, inp.path, shard.start, hash_messages=False),
                   lambda: reader.count,
                   lambda: (0, ""))


def source_type(inp: InputFile) -> str:
    """The coverage name of a source's type: its container (or kind), `+gzip` when gzipped."""
    name = inp.container or inp.kind
    return f"{name}+gzip" if inp.gz else name


def _messages(inp: InputFile, stream: BinaryIO, limits: ExtractLimits
              ) -> Iterator[RawMessage | Skipped | Note]:
    """The input's messages, read by the source registered for its type (sources.registry;
    an archive within `limits`); a type with no message reader raises `NoReaderError`."""
    return read_messages(inp, stream, hash_messages=False, limits=limits)
