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
from typing import Any, BinaryIO

from tracecheck.content import headers as hdr
from tracecheck.content.mime import (
    Unparseable,
    Walker,
    header_fields,
    is_bulk,
    message_info,
    parse_full,
    parts_over,
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
from tracecheck.rules.tally import Tally
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
    for it. `seen` is the shard's cache of consumer-or-not per raw domain. A limit that cuts
    short a message on a consumer flow marks its entries (`Skipped.consumer_flow`): the run
    is then incomplete."""
    consumer = _consumer(cfg.extra_consumer, cfg.allow_addresses)
    whole = _Whole(raw)
    if not cfg.all_messages:
        verdict = quick_verdict(raw, consumer, seen)
        if verdict is not None:
            return _facts_only(raw, verdict, cfg, whole)
    try:
        head = header_fields(raw)
    except Unparseable as exc:
        return _unreadable(raw, f"unparseable message ({exc})")
    info = message_info(raw, head)
    verdict = full_verdict(info, consumer)
    if not (cfg.all_messages or verdict.flow.is_consumer):
        return _facts_only(raw, verdict, cfg, whole, head)
    out = Outcome(flow=verdict.name, org_senders=verdict.org_senders)
    tally = Tally(cfg.limits)
    text = _TextBudget(cfg.limits)
    if raw.rest is not None or len(raw.raw) > cfg.limits.max_message_bytes:
        _scan_raw(whole, cfg, head, out, tally, text, None)
    elif raw.parsed is None and (parts := parts_over(raw.raw, cfg.limits.max_parts)) is not None:
        _scan_raw(whole, cfg, head, out, tally, text, parts)
    else:
        try:
            _scan_content(raw, cfg, head, out, tally, text)
        except RecursionError:
            return _cut_short(_unreadable(raw, "limit: message structure too deeply nested",
                                          SkipKind.LIMIT), verdict.flow.is_consumer)
        except Unparseable as exc:
            return _unreadable(raw, f"content not scanned (unparseable: {exc})")
        if verdict.flow.is_consumer and cfg.keep_all_refs:
            # Received hops (queue ids) serve log correlation and the case store only.
            info = dataclasses.replace(info, hops=hdr.received_hops(head))
    out.matches = tally.matches()
    out.skipped.extend(text.limits_reached(raw.locator))
    out.skipped.extend(tally.limits_reached(raw.locator))
    _cut_short(out, verdict.flow.is_consumer)
    out.notes.extend(Note(locator=raw.locator, kind=NoteKind.DECODE, reason=n)
                     for n in info.notes)
    if out.matches or verdict.flow.is_consumer or cfg.keep_all_refs:
        sha = whole.sha256()
        queue_ids = tuple(sorted({h.id for h in info.hops if h.id}))
        out.ref = MessageRef(locator=info.locator, sha256=sha, message_id=info.message_id,
                             date=info.date, consumer=verdict.flow.is_consumer,
                             flow=verdict.name, queue_ids=queue_ids, source=raw.source)
        if out.matches:
            out.info = info if info.sha256 == sha else dataclasses.replace(info, sha256=sha)
    return out


def _cut_short(out: Outcome, consumer: bool) -> Outcome:
    """On a message on a consumer flow, mark every `limit` entry (`Skipped.consumer_flow`):
    content that `--fail-on` judges was cut short. The one place that says so."""
    if consumer:
        out.skipped = [dataclasses.replace(s, consumer_flow=True)
                       if s.kind is SkipKind.LIMIT else s for s in out.skipped]
    return out


class _Whole:
    """A message's bytes, for its hash and its raw-text scan: `raw`, then its `rest` (read
    once, by whichever comes first)."""

    def __init__(self, raw: RawMessage) -> None:
        self.raw = raw
        self.size = len(raw.raw)
        self._hasher: Any = None

    def chunks(self) -> Iterator[bytes]:
        """`raw` and then the rest, hashed as they go."""
        self._hasher = hashlib.sha256(self.raw.raw)
        yield self.raw.raw
        for chunk in self.raw.rest or ():
            self._hasher.update(chunk)
            self.size += len(chunk)
            yield chunk

    def sha256(self) -> str:
        """The message's SHA-256 (mbox messages are hashed only when a record of them is
        kept; the rest is read to its end when nothing has read it)."""
        if self.raw.sha256:
            return self.raw.sha256
        if self._hasher is None:
            for _ in self.chunks():
                pass
        return str(self._hasher.hexdigest())


def _facts_only(raw: RawMessage, verdict: Verdict, cfg: ScanConfig, whole: _Whole,
                head: HeaderFields | None = None) -> Outcome:
    """A message whose content is not scanned (default mode, no consumer address): its
    flow and sender domains, and its reference when a record of every message is kept."""
    out = Outcome(flow=verdict.name, org_senders=verdict.org_senders)
    if cfg.keep_all_refs:
        fields = head if head is not None else header_fields(raw)
        out.ref = MessageRef(
            locator=str(raw.locator), sha256=whole.sha256(), message_id=hdr.message_id(fields),
            date=hdr.parse_date(hdr.first_value(fields, "date"), []), consumer=False,
            flow=verdict.name, source=raw.source)
    return out


def _unreadable(raw: RawMessage, reason: str, kind: SkipKind = SkipKind.UNREADABLE
                ) -> Outcome:
    return Outcome(scanned=False, skipped=[Skipped(locator=raw.locator, kind=kind,
                                                   reason=reason)])


class _TextBudget:
    """How much of one message's text goes to the detectors: `max_text_chars` of a unit and
    `max_message_text_chars` of the message; what is held back is listed."""

    def __init__(self, limits: ExtractLimits) -> None:
        self.limits = limits
        self.used = 0
        self.over = 0
        """Characters held back by the message's limit."""
        self.cut: list[Skipped] = []

    def admit(self, unit: TextUnit) -> TextUnit:
        """The part of `unit` the limits let through (possibly none of it)."""
        lim = self.limits
        text = unit.text
        if len(text) > lim.max_text_chars:
            self.cut.append(Skipped(
                locator=Locator(within=unit.where), part=unit.part, kind=SkipKind.LIMIT,
                reason=f"limit: text of {len(text):,} characters is over "
                       f"{lim.max_text_chars:,} (max_text_chars): the rest was not scanned"))
            text = text[:lim.max_text_chars]
        room = max(lim.max_message_text_chars - self.used, 0)
        if len(text) > room:
            self.over += len(text) - room
            text = text[:room]
        self.used += len(text)
        return unit if text is unit.text else dataclasses.replace(unit, text=text)

    def limits_reached(self, message: Locator) -> list[Skipped]:
        """The entries of what was held back, placed at `message`."""
        out = [s.placed(message) for s in self.cut]
        if self.over:
            out.append(Skipped(
                locator=message, part="*", kind=SkipKind.LIMIT,
                reason=f"limit: more than {self.limits.max_message_text_chars:,} characters "
                       f"of text in this message (max_message_text_chars): {self.over:,} "
                       "more were not scanned"))
        return out


def _scan_content(raw: RawMessage, cfg: ScanConfig, head: HeaderFields, out: Outcome,
                  tally: Tally, text: _TextBudget) -> None:
    """Parse the whole message, walk its parts and run the detectors over every text."""
    fields = head if isinstance(head, RawHeaders) else None
    full = parse_full(raw, fields)
    walker = Walker(cfg.limits)
    matcher = _matcher(cfg)
    bulk = is_bulk(head)
    for unit in walker.units(full, fields):
        if isinstance(unit, TextUnit):
            skips = matcher.scan_into(text.admit(unit), tally, bulk=bulk)
            if skips:
                out.skipped.extend(s.placed(raw.locator) for s in skips)
        else:
            out.skipped.append(unit.placed(raw.locator))
    if walker.notes:
        out.notes.extend(Note(locator=raw.locator, part=part, kind=NoteKind.DECODE,
                              reason=note) for part, note in walker.notes)


WINDOW = 1 << 20
OVERLAP = 4096


def _scan_raw(whole: _Whole, cfg: ScanConfig, head: HeaderFields, out: Outcome, tally: Tally,
              text: _TextBudget, parts: int | None) -> None:
    """A message that is not MIME-parsed (too large to parse in bounded memory, or more
    parts than `max_parts`: `parts` delimiters): scan its raw body as text, in overlapping
    1 MiB windows, as it is read (a message longer than the reading bound is never held
    whole), and list it so the report says its parts were not decoded."""
    matcher = _matcher(cfg)
    bulk = is_bulk(head)
    first = len(out.skipped)
    for chunk, last in _windows(whole):
        unit = text.admit(TextUnit(part="1", where="body",
                                   text=chunk.decode("utf-8", errors="replace")))
        # A hit that starts in the overlap belongs to the next window (no double counting).
        skips = matcher.scan_into(unit, tally, bulk=bulk, until=None if last else WINDOW)
        out.skipped.extend(s.placed(whole.raw.locator) for s in skips)
    lim = cfg.limits
    if parts is not None:
        reason = (f"limit: more than {lim.max_parts:,} MIME parts ({parts:,} part delimiters; "
                  "max_parts): not MIME-parsed; its body was scanned as raw text (encoded "
                  "attachments not decoded)")
    else:
        size_mb = whole.size / (1024 * 1024)
        limit_mb = lim.max_message_bytes / (1024 * 1024)
        reason = (f"limit: message of {size_mb:.0f} MB is over {limit_mb:.0f} MB; its body "
                  "was scanned as raw text (encoded attachments not decoded)")
    out.skipped.insert(first, Skipped(locator=whole.raw.locator, part="*",
                                      kind=SkipKind.LIMIT, reason=reason))


def _windows(whole: _Whole) -> Iterator[tuple[bytes, bool]]:
    """(window, last) over the message's body: `WINDOW` + `OVERLAP` bytes every `WINDOW`
    bytes, the body read as the windows need it (never held whole)."""
    chunks = whole.chunks()
    data = next(chunks)
    end = header_end(data)
    buf = bytearray(data[body_start(data, end) if end >= 0 else 0:])
    for chunk in chunks:
        buf += chunk
        while len(buf) > WINDOW + OVERLAP:  # more follows: not the last window
            yield bytes(buf[:WINDOW + OVERLAP]), False
            del buf[:WINDOW]
    while buf:
        yield bytes(buf[:WINDOW + OVERLAP]), len(buf) <= WINDOW
        del buf[:WINDOW]


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
            yield (read_range(reader, inp.path, 0, hash_messages=False,
                              max_bytes=limits.max_message_bytes), lambda: reader.count,
                   hasher.finish)
        else:
            reader = RangeReader(f, shard.start, shard.end)
            yield (read_range(reader, inp.path, shard.start, hash_messages=False,
                              max_bytes=limits.max_message_bytes),
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
