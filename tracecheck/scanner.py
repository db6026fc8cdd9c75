"""Scanning one shard: input file → messages → triage → text units → matches.

Owns the per-shard work that parallel executors distribute (`scan_shard` is a plain function
of picklable arguments). It parses headers first for every message (flow triage), parses
and walks the full MIME tree only for messages that need content scanning, and turns every
problem into a `Skipped` in the shard's result. It never decides org domains or exit codes
(api does, after all shards are in).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import BinaryIO, cast

from tracecheck.content import headers as hdr
from tracecheck.content.mime import Walker, is_bulk, message_info, parse_full, parse_headers
from tracecheck.content.quickparse import split_fields
from tracecheck.domains import ConsumerDomains, classify, registrable
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


def _with_prefix(skip: Skipped, locator: Locator) -> Skipped:
    return dataclasses.replace(skip, locator=skip.locator.under(locator))




class RawHeaders:
    """The header fields of a plain message, split exactly as the stdlib compat32 parser
    splits them (`raw_items()` gives the same pairs); enough for `message_info`."""

    __slots__ = ("body_start", "by_name", "items")
    defects: tuple[object, ...] = ()

    def __init__(self, items: list[tuple[str, str]], body_start: int) -> None:
        self.items = items
        self.body_start = body_start
        self.by_name: dict[str, list[str]] = {}
        for key, value in items:
            self.by_name.setdefault(key.lower(), []).append(value)

    def raw_items(self) -> Iterator[tuple[str, str]]:
        """(name, value) pairs in order, values unfolded the compat32 way (folds kept)."""
        return iter(self.items)

    def field_values(self, name: str) -> list[str]:
        """Every value of the (lower-case) field `name`, in order."""
        return self.by_name.get(name, [])


def fast_headers(data: bytes) -> RawHeaders | None:
    """Split the header section of an ordinary message without the email package, or None
    when anything is unusual (8-bit bytes, a bare CR, a line that is not a header field,
    no blank line before the body, an envelope `From ` line): those go to the stdlib."""
    end = _header_end(data)
    if end < 0 or data[:1] in (b"\n", b"\r", b" ", b"\t"):
        return None
    block = data[: end + 1]
    if not block.isascii() or block.count(b"\r") != block.count(b"\r\n"):
        return None
    items = split_fields(block.decode("ascii"))
    if items is None:
        return None
    return RawHeaders(items, end + (2 if data[end + 1:end + 2] == b"\n" else 3))


def triage_headers(raw: RawMessage) -> Message | RawHeaders:
    """The header fields for flow triage: the fast split when it applies, else the stdlib."""
    if raw.parsed is None:
        fast = fast_headers(raw.raw)
        if fast is not None:
            return fast
    return parse_headers(raw)


class _ShardState:
    def __init__(self) -> None:
        self.found = 0
        self.scanned = 0
        self.skipped: list[Skipped] = []
        self.notes: list[Note] = []
        self.messages: list[MessageInfo] = []
        self.matches: list[tuple[str, Match]] = []
        self.refs: list[MessageRef] = []
        self.flows: Counter[str] = Counter()
        self.keep_all_refs = True
        self.senders: Counter[str] = Counter()
        self.domain_verdicts: dict[bytes, bool] = {}
        """Consumer-or-not per raw domain seen in header blocks (the quick triage)."""

    def add_ref(self, ref: MessageRef) -> None:
        """Count the message's flow; keep the reference when it is wanted."""
        self.flows[ref.flow] += 1
        if ref.consumer or self.keep_all_refs:
            self.refs.append(ref)


_AT_DOMAIN = re.compile(r"@([A-Za-z0-9.\-]+)")
_SPACED_AT = re.compile(r"\s@|@\s")


def _cannot_be_consumer(head: Message | RawHeaders, consumer: ConsumerDomains) -> bool:
    """True when no recipient or sender field can hold a consumer address (fast test)."""
    if not isinstance(head, RawHeaders):
        return False
    text = " ".join(v for f in (*hdr.SENDER_FIELDS, *hdr.RECIPIENT_FIELDS)
                    for v in head.field_values(f))
    # Anything unusual (8-bit, comments, spaces around @) goes to the full parse.
    if not text.isascii() or "(" in text or _SPACED_AT.search(text):
        return False
    return not any(consumer.is_consumer_domain(d) for d in _AT_DOMAIN.findall(text))


def _quick_non_consumer(raw: RawMessage, head: RawHeaders, st: _ShardState) -> None:
    """Default mode, a message no consumer address can be on: count the sender domain for
    org inference and keep its reference; no recipient parsing and no content scan."""
    notes: list[str] = []
    senders = hdr.addresses(cast(Message, head), hdr.SENDER_FIELDS, notes)
    for a in senders:
        if a.field == "from":
            st.senders[registrable(a.domain)] += 1
    st.scanned += 1
    has_address = bool(senders) or any("@" in v for f in hdr.RECIPIENT_FIELDS
                                       for v in head.field_values(f))
    flow = "non-consumer" if has_address else "unknown"
    if not st.keep_all_refs:  # only the flow count is wanted: skip building the reference
        st.flows[flow] += 1
        return
    m = cast(Message, head)
    date = hdr.parse_date(hdr.first_value(m, "date"), notes)
    st.add_ref(MessageRef(locator=str(raw.locator), sha256=_sha256(raw),
                          message_id=hdr.message_id(m), date=date, consumer=False, flow=flow,
                          source=raw.source))


WINDOW = 1 << 20
OVERLAP = 4096


def _scan_oversized(raw: RawMessage, cfg: ScanConfig, head: Message | RawHeaders,
                    st: _ShardState) -> list[Match]:
    """A message too large to MIME-parse in bounded memory: scan its raw body as text, in
    overlapping 1 MiB windows, and list it so the report says its parts were not decoded."""
    data = raw.raw
    size_mb = len(data) / (1024 * 1024)
    limit_mb = cfg.limits.max_message_bytes / (1024 * 1024)
    st.skipped.append(Skipped(
        locator=raw.locator, part="*", kind=SkipKind.LIMIT,
        reason=f"limit: message of {size_mb:.0f} MB is over {limit_mb:.0f} MB; its body was "
               "scanned as raw text (encoded attachments not decoded)"))
    matcher = _matcher(cfg)
    bulk = is_bulk(cast(Message, head))
    body = data.find(b"\n\n")
    start = body + 2 if body >= 0 else 0
    matches: list[Match] = []
    pos = start
    while pos < len(data):
        chunk = data[pos : pos + WINDOW + OVERLAP].decode("utf-8", errors="replace")
        found, skips = matcher.scan(TextUnit(part="1", where="body", text=chunk), bulk=bulk)
        # A hit that starts in the overlap belongs to the next window (no double counting).
        matches.extend(m for m in found if m.start < WINDOW or pos + WINDOW >= len(data))
        st.skipped.extend(_with_prefix(s, raw.locator) for s in skips)
        pos += WINDOW
    return matches


_BLOCK_DOMAIN = re.compile(rb"@([A-Za-z0-9.\-]+)")
_AT_COMMENT = re.compile(rb"@[A-Za-z0-9.\-]*\(")
_SPACED_ATS = (b" @", b"@ ", b"\t@", b"@\t", b"\n@", b"@\n", b"\r@", b"@\r")
_FROM_FIELD = re.compile(rb"(?im)^from[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")


def _header_end(data: bytes) -> int:
    """Index of the line break that ends the header section (the blank line follows), or
    -1 when there is no blank line."""
    a = data.find(b"\n\n")
    b = data.find(b"\n\r\n", 0, a + 2 if a >= 0 else len(data))  # only an earlier one counts
    return a if b < 0 else b if a < 0 else min(a, b)


def _header_block(data: bytes) -> bytes | None:
    end = _header_end(data)
    return data[: end + 1] if end >= 0 else None


def _quick_raw(raw: RawMessage, consumer: ConsumerDomains, st: _ShardState) -> bool:
    """The cheapest triage, for plain scans that keep no per-message references: when no
    domain anywhere in the header block (every field, Received lines included) is a consumer
    domain, the message cannot have a consumer flow. Count it and its From domain; done.
    Anything unusual (8-bit headers, no header end, `@` next to spaces or comments) returns
    False and takes the normal path."""
    if raw.parsed is not None:
        return False
    block = _header_block(raw.raw)
    if block is None or not block.isascii():
        return False
    # Unusual forms (`x @y`, `x@ y`, `x@gmail(comment).com`) go to the full parse.
    if any(s in block for s in _SPACED_ATS) or _AT_COMMENT.search(block):
        return False
    seen = st.domain_verdicts
    for domain in _BLOCK_DOMAIN.findall(block):
        verdict = seen.get(domain)
        if verdict is None:
            verdict = seen[domain] = consumer.is_consumer_domain(domain.decode("ascii"))
        if verdict:
            return False
    st.found += 1
    st.scanned += 1
    for m in _FROM_FIELD.finditer(block):
        for a in hdr.field_addresses(m.group(1).decode("ascii").strip(), "from")[0]:
            st.senders[registrable(a.domain)] += 1
    st.flows["non-consumer" if b"@" in block else "unknown"] += 1
    return True


def scan_message(raw: RawMessage, cfg: ScanConfig, st: _ShardState) -> None:
    """Triage and (if needed) content-scan one message into the shard state."""
    consumer = _consumer(cfg.extra_consumer, cfg.allow_addresses)
    if not cfg.all_messages and not st.keep_all_refs and _quick_raw(raw, consumer, st):
        return
    st.found += 1
    try:
        head = triage_headers(raw)
        if not cfg.all_messages and _cannot_be_consumer(head, consumer):
            _quick_non_consumer(raw, cast(RawHeaders, head), st)
            return
        info = message_info(raw, cast(Message, head))
    except Exception as exc:  # the stdlib parser should not raise; if it does, list it
        st.skipped.append(Skipped(locator=raw.locator, kind=SkipKind.UNREADABLE,
                                  reason=f"unparseable message ({type(exc).__name__})"))
        return
    flow, _ = classify(info.senders, info.recipients, consumer, ())
    is_consumer = flow.is_consumer
    for a in info.senders:
        if a.field == "from" and not consumer.is_consumer(a.addr):
            st.senders[registrable(a.domain)] += 1
    matches: list[Match] = []
    if (cfg.all_messages or is_consumer) and len(raw.raw) > cfg.limits.max_message_bytes:
        matches = _scan_oversized(raw, cfg, head, st)
    elif cfg.all_messages or is_consumer:
        try:
            full = parse_full(raw, head if isinstance(head, RawHeaders) else None)
            if is_consumer and cfg.keep_all_refs:
                # Received hops (queue ids) serve log correlation and the case store only;
                # the header facts are those of triage (tests hold the two parses equal).
                info = dataclasses.replace(info, hops=hdr.received_hops(full))
            walker = Walker(cfg.limits)
            matcher = _matcher(cfg)
            bulk = is_bulk(cast(Message, head))
            for unit in walker.units(full):
                if isinstance(unit, TextUnit):
                    found, skips = matcher.scan(unit, bulk=bulk)
                    matches.extend(found)
                    st.skipped.extend(_with_prefix(s, raw.locator) for s in skips)
                else:
                    st.skipped.append(_with_prefix(unit, raw.locator))
            for part, note in walker.notes:
                st.notes.append(Note(locator=raw.locator, part=part, kind=NoteKind.DECODE,
                                     reason=note))
        except RecursionError:
            st.skipped.append(Skipped(locator=raw.locator, kind=SkipKind.LIMIT,
                                      reason="limit: message structure too deeply nested"))
            return
        except Exception as exc:  # hostile input must never stop the scan
            st.skipped.append(Skipped(locator=raw.locator, kind=SkipKind.UNREADABLE,
                                      reason=f"content not scanned ({type(exc).__name__})"))
            return
    for note in info.notes:
        st.notes.append(Note(locator=raw.locator, kind=NoteKind.DECODE, reason=note))
    st.scanned += 1
    flow_name = flow.value if is_consumer else (
        "unknown" if flow.value == "unknown" else "non-consumer")
    if not (matches or is_consumer or st.keep_all_refs):
        st.flows[flow_name] += 1  # no record of this message is kept: no hash, no reference
        return
    sha = _sha256(raw)
    queue_ids = tuple(sorted({h.id for h in info.hops if h.id}))
    st.add_ref(MessageRef(locator=info.locator, sha256=sha, message_id=info.message_id,
                          date=info.date, consumer=is_consumer, flow=flow_name,
                          queue_ids=queue_ids, source=raw.source))
    if matches:
        st.messages.append(info if info.sha256 == sha else dataclasses.replace(info, sha256=sha))
        st.matches.extend((info.locator, m) for m in matches)


def _sha256(raw: RawMessage) -> str:
    """The message's SHA-256 (mbox messages are hashed only when a record of them is kept)."""
    return raw.sha256 or hashlib.sha256(raw.raw).hexdigest()


def scan_shard(
    shard: Shard | InputFile,
    cfg: ScanConfig,
    progress: Callable[[int], None] | None = None,
) -> ShardResult:
    """Scan one shard: a whole input file (a mailbox container or a single message), or a
    byte range of an mbox. A range that starts at 0 also hashes the whole file, so the
    file's `SourceSummary` bytes and sha256 come out the same however the file was cut;
    other ranges leave them empty for `join_ranges` to fill."""
    if isinstance(shard, InputFile):
        shard = whole(shard)
    inp = shard.input
    st = _ShardState()
    st.keep_all_refs = cfg.keep_all_refs
    size = 0
    sha = ""
    last = 0
    counter: Callable[[], int] = _nothing_read
    try:
        with _open_shard(shard) as (messages, counter, finish):
            for item in messages:
                if isinstance(item, Note):
                    st.notes.append(item)  # e.g. "password-protected PST; read anyway"
                elif isinstance(item, Skipped):
                    if item.kind != "non-mail":  # PST contacts etc. are not messages
                        st.found += 1
                    st.skipped.append(item)
                else:
                    scan_message(item, cfg, st)
                if progress is not None and counter() - last >= 1 << 20:
                    progress(counter() - last)
                    last = counter()
            done = counter()
            size, sha = finish()
    except (OSError, EOFError, zlib.error) as exc:
        done = counter()
        reason = "truncated or corrupt gzip" if inp.gz else f"read error ({exc})"
        st.skipped.append(Skipped(locator=Locator(path=inp.path),
                                  kind=SkipKind.TRUNCATED if inp.gz else SkipKind.UNREADABLE,
                                  reason=f"{reason}; messages after this point not read"))
    if progress is not None and done - last > 0:
        progress(done - last)
    n_skipped = sum(1 for s in st.skipped if not s.locator.within)
    source = SourceSummary(path=inp.path, type=_type_name(inp), bytes=size, sha256=sha,
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


def _nothing_read() -> int:
    return 0


_Opened = tuple[Iterable[RawMessage | Skipped | Note], Callable[[], int], Callable[[], tuple[int,
                                                                                             str]]]


@contextlib.contextmanager
def _open_shard(shard: Shard) -> Iterator[_Opened]:
    """The shard's messages, a bytes-read counter, and `finish()` → (file bytes, sha256)."""
    inp = shard.input
    if not shard.ranged:
        with open_stream(inp) as (stream, hasher):
            yield _messages(inp, stream), lambda: hasher.count, hasher.finish
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


def join_ranges(parts: Sequence[ShardResult]) -> ShardResult:
    """One file's result from the results of its byte ranges (any order): the same result a
    whole-file `scan_shard` gives, with the whole file's bytes and sha256."""
    ordered = sorted(parts, key=lambda p: p.order)
    first = ordered[0]
    head = first.source
    path = head.path if head is not None else first.key.rpartition("@")[0] or first.key
    if len(ordered) == 1 and first.key == path:
        return first
    senders: Counter[str] = Counter()
    for p in ordered:
        senders.update(dict(p.sender_domains))
    source = None
    if head is not None:
        source = SourceSummary(
            path=head.path, type=head.type, bytes=head.bytes, sha256=head.sha256,
            messages=sum(p.source.messages for p in ordered if p.source is not None),
            skipped=sum(p.source.skipped for p in ordered if p.source is not None),
        )
    return ShardResult(
        key=path,
        source=source,
        found=sum(p.found for p in ordered),
        scanned=sum(p.scanned for p in ordered),
        skipped=tuple(s for p in ordered for s in p.skipped),
        notes=tuple(n for p in ordered for n in p.notes),
        messages=tuple(m for p in ordered for m in p.messages),
        matches=tuple(m for p in ordered for m in p.matches),
        refs=tuple(r for p in ordered for r in p.refs),
        flow_counts=tuple(sorted(sum((Counter(dict(p.flow_counts)) for p in ordered),
                                     Counter()).items())),
        sender_domains=tuple(sorted(senders.items())),
        log_events=tuple(e for p in ordered for e in p.log_events),
        order=(first.order[0], 0) if first.order else (),
    )


def _type_name(inp: InputFile) -> str:
    name = inp.container or inp.kind
    return f"{name}+gzip" if inp.gz else name


def _messages(inp: InputFile, stream: BinaryIO) -> Iterator[RawMessage | Skipped | Note]:
    """The input's messages, read by the source registered for its type (sources.registry);
    a type with no message reader raises `NoReaderError`."""
    return read_messages(inp, stream, hash_messages=False)
