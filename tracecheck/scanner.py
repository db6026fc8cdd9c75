"""Scanning one shard: input file → messages → triage → text units → matches.

Owns the per-shard work that parallel executors distribute (`scan_shard` is a plain function
of picklable arguments). It parses headers first for every message (flow triage), parses
and walks the full MIME tree only for messages that need content scanning, and turns every
problem into a `Skipped` in the shard's result. It never decides org domains or exit codes
(api does, after all shards are in).
"""

from __future__ import annotations

import functools
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tracecheck.content.extract import ExtractLimits
from tracecheck.content.mime import Walker, message_info, parse_full, parse_headers
from tracecheck.domains import ConsumerDomains, classify, registrable
from tracecheck.model import (
    Match,
    MessageInfo,
    MessageRef,
    RawMessage,
    ShardResult,
    Skipped,
    SourceSummary,
    TextUnit,
)
from tracecheck.rules.matcher import Matcher
from tracecheck.rules.pack import load_packs
from tracecheck.sources.files import InputFile, open_stream, read_messages


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


@functools.lru_cache(maxsize=8)
def _matcher(cfg: ScanConfig) -> Matcher:
    packs = load_packs(cfg.pack_paths)
    return Matcher(packs, min_confidence=cfg.min_confidence, timeout=cfg.regex_timeout,
                   disabled=cfg.disabled)


@functools.lru_cache(maxsize=8)
def _consumer(extra: tuple[str, ...]) -> ConsumerDomains:
    return ConsumerDomains.load_default(extra)


def _with_prefix(skip: Skipped, locator: str) -> Skipped:
    return Skipped(locator=f"{locator}#{skip.locator}", reason=skip.reason, part=skip.part,
                   kind=skip.kind)


class _ShardState:
    def __init__(self) -> None:
        self.found = 0
        self.scanned = 0
        self.skipped: list[Skipped] = []
        self.notes: list[Skipped] = []
        self.messages: list[MessageInfo] = []
        self.matches: list[tuple[str, Match]] = []
        self.refs: list[MessageRef] = []
        self.senders: Counter[str] = Counter()


def scan_message(raw: RawMessage, cfg: ScanConfig, st: _ShardState) -> None:
    """Triage and (if needed) content-scan one message into the shard state."""
    consumer = _consumer(cfg.extra_consumer)
    st.found += 1
    try:
        head = parse_headers(raw)
        info = message_info(raw, head)
    except Exception as exc:  # the stdlib parser should not raise; if it does, list it
        st.skipped.append(Skipped(locator=raw.locator, kind="unreadable",
                                  reason=f"unparseable message ({type(exc).__name__})"))
        return
    flow, _ = classify(info.senders, info.recipients, consumer, ())
    is_consumer = flow.is_consumer
    for a in info.senders:
        if a.field == "from" and not consumer.is_consumer(a.addr):
            st.senders[registrable(a.domain)] += 1
    matches: list[Match] = []
    if cfg.all_messages or is_consumer:
        try:
            full = parse_full(raw)
            if is_consumer:
                info = message_info(raw, full, hops=True)
            walker = Walker(cfg.limits)
            matcher = _matcher(cfg)
            for unit in walker.units(full):
                if isinstance(unit, TextUnit):
                    found, skips = matcher.scan(unit)
                    matches.extend(found)
                    st.skipped.extend(_with_prefix(s, raw.locator) for s in skips)
                else:
                    st.skipped.append(_with_prefix(unit, raw.locator))
            for part, note in walker.notes:
                st.notes.append(Skipped(locator=raw.locator, part=part, kind="decode",
                                        reason=note))
        except RecursionError:
            st.skipped.append(Skipped(locator=raw.locator, kind="limit",
                                      reason="limit: message structure too deeply nested"))
            return
        except Exception as exc:  # hostile input must never stop the scan
            st.skipped.append(Skipped(locator=raw.locator, kind="unreadable",
                                      reason=f"content not scanned ({type(exc).__name__})"))
            return
    for note in info.notes:
        st.notes.append(Skipped(locator=raw.locator, kind="decode", reason=note))
    st.scanned += 1
    queue_ids = tuple(sorted({h.id for h in info.hops if h.id}))
    st.refs.append(MessageRef(locator=raw.locator, sha256=raw.sha256,
                              message_id=info.message_id, date=info.date, consumer=is_consumer,
                              flow=flow.value if is_consumer else (
                                  "unknown" if flow.value == "unknown" else "non-consumer"),
                              queue_ids=queue_ids))
    if matches:
        st.messages.append(info)
        st.matches.extend((raw.locator, m) for m in matches)


def scan_shard(
    inp: InputFile,
    cfg: ScanConfig,
    progress: Callable[[int], None] | None = None,
) -> ShardResult:
    """Scan one input file (a mailbox container or a single message)."""
    st = _ShardState()
    size = 0
    sha = ""
    last = 0
    try:
        with open_stream(inp) as (stream, hasher):
            for item in _messages(inp, stream):
                if isinstance(item, Skipped):
                    if item.kind != "non-mail":  # PST contacts etc. are not messages
                        st.found += 1
                    st.skipped.append(item)
                else:
                    scan_message(item, cfg, st)
                if progress is not None and hasher.count - last >= 1 << 20:
                    progress(hasher.count - last)
                    last = hasher.count
            size, sha = hasher.finish()
    except (OSError, EOFError, zlib.error) as exc:
        reason = "truncated or corrupt gzip" if inp.gz else f"read error ({exc})"
        st.skipped.append(Skipped(locator=inp.path, kind="truncated" if inp.gz else "unreadable",
                                  reason=f"{reason}; messages after this point not read"))
    if progress is not None and size - last > 0:
        progress(size - last)
    n_skipped = sum(1 for s in st.skipped if s.locator.split("#", 1)[0] == s.locator)
    source = SourceSummary(path=inp.path, type=_type_name(inp), bytes=size, sha256=sha,
                           messages=st.scanned, skipped=n_skipped)
    return ShardResult(
        key=inp.path,
        source=source,
        found=st.found,
        scanned=st.scanned,
        skipped=tuple(st.skipped),
        notes=tuple(st.notes),
        messages=tuple(st.messages),
        matches=tuple(st.matches),
        refs=tuple(st.refs),
        sender_domains=tuple(sorted(st.senders.items())),
        order=(inp.order, 0),
    )


def _type_name(inp: InputFile) -> str:
    name = inp.container or inp.kind
    return f"{name}+gzip" if inp.gz else name


def _messages(inp: InputFile, stream: object):  # type: ignore[no-untyped-def]
    if inp.kind in ("mbox", "eml"):
        return read_messages(inp, stream)  # type: ignore[arg-type]
    if inp.kind == "msg":
        from tracecheck.sources.msg import read_msg

        return read_msg(inp.path)
    if inp.kind == "pst":
        from tracecheck.sources.pst import read_pst

        return read_pst(inp.path)
    raise ValueError(f"not a mail container: {inp.kind}")
