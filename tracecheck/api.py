"""The library front door: `scan(...)` returns a `ScanResult`; nothing here prints.

Owns the run: discovering inputs, building the scan config, running shards (in order, or via
an executor), merging shard results deterministically, deciding the organisation's domains,
classifying flows, and turning matches into findings with stable fingerprints. Exit codes
and output formats belong to the CLI and the reporters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, cast

from tracecheck import __version__
from tracecheck.config import ScanSettings
from tracecheck.domains import ConsumerDomains, classify, in_org, infer_org
from tracecheck.errors import InputError, UsageError
from tracecheck.model import (
    ExtractLimits,
    Finding,
    Flow,
    Locator,
    LogEvent,
    LogFinding,
    LogSummary,
    Match,
    MessageInfo,
    MessageRef,
    Note,
    NoteKind,
    RunOptions,
    ScanResult,
    Severity,
    ShardResult,
    SkipKind,
    Skipped,
    SourceSummary,
)
from tracecheck.packed import Packed, Packer
from tracecheck.packs import default_pack_paths
from tracecheck.rules.pack import Pack, load_packs
from tracecheck.scanner import ScanConfig
from tracecheck.sources.files import InputFile, discover


@dataclass(frozen=True)
class ScanOptions:
    """User-facing scan options (the CLI maps flags onto these)."""

    rules: tuple[str, ...] = ()
    """Rule pack paths; empty means the shipped packs."""
    org_domains: tuple[str, ...] = ()
    extra_consumer: tuple[str, ...] = ()
    all_messages: bool = False
    """False (default): triage on headers and scan the content of messages that involve a
    consumer address only; True: scan every message (findings on every flow)."""
    min_confidence: float | None = None
    regex_timeout: float = 5.0
    disabled: tuple[str, ...] = ()
    limits: ExtractLimits = field(default_factory=ExtractLimits)
    log_year: int | None = None
    log_tz: str = "Europe/London"
    case_reference: str | None = None
    """A case-reference pattern (e.g. Test and Trace case ids) used as health context."""
    allow_addresses: tuple[str, ...] = ()
    """Addresses never treated as consumer mailboxes."""

    @classmethod
    def from_settings(cls, settings: ScanSettings, **overrides: object) -> ScanOptions:
        """Options from a config `[scan]` table; explicit overrides (CLI flags) win when set."""
        base = cls(
            rules=settings.rules,
            org_domains=settings.org_domains,
            extra_consumer=settings.consumer_domains,
            min_confidence=settings.min_confidence,
            disabled=settings.disable,
            case_reference=settings.case_reference,
            allow_addresses=settings.allow_addresses,
        )
        given = {k: v for k, v in overrides.items() if v not in (None, (), [])}
        if "rules" in given:
            given["rules"] = tuple(base.rules) + tuple(given["rules"])  # type: ignore[arg-type]
        for key in ("org_domains", "extra_consumer", "disabled", "allow_addresses"):
            if key in given:
                given[key] = tuple(dict.fromkeys((*getattr(base, key),
                                                  *given[key])))  # type: ignore[misc]
        return dataclasses.replace(base, **given)  # type: ignore[arg-type]


class Checkpoint(Protocol):
    """Where shard results are saved and found again (the case store implements it)."""

    def load_shard(self, key: str, size: int, mtime_ns: int) -> ShardResult | None:
        """A saved result for this shard, if the file is unchanged."""
        ...

    def save_shard(self, shard: ShardResult, size: int, mtime_ns: int) -> None:
        """Persist one finished shard."""
        ...


Executor = Callable[
    [Sequence[InputFile], ScanConfig, Callable[[int], None] | None], Iterator[ShardResult]
]
"""`executor(inputs, cfg, progress)` yields one ShardResult per input file, in any order
(`tracecheck.parallel.executor_for(workers=N)` or `(dask=ADDRESS)` builds one)."""


def resolve_packs(rules: Iterable[str]) -> tuple[Pack, ...]:
    """Load the named packs, or the shipped ones when none are named."""
    defaults = [str(p) for p in default_pack_paths()]
    paths = [str(p) for p in rules] or defaults
    packs = load_packs(paths)
    if rules and any(p.extends_default for p in packs):
        packs = load_packs([*defaults, *(p for p in paths if p not in defaults)])
    return packs


def fingerprint(message_sha256: str, part: str, rule: str, value: str) -> str:
    """Stable identity of a finding: message raw hash, part path, rule id, normalised value."""
    text = "\x1f".join((message_sha256, part, rule, value))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sequential() -> Executor:
    """The default executor: this process, in order; mbox files larger than 64 MiB in byte
    ranges, each merged as it is scanned, so a large file's findings are never held whole as
    objects (flat memory with one worker too)."""
    from tracecheck.parallel.local import LocalExecutor
    from tracecheck.sources.shards import DEFAULT_TARGET

    return LocalExecutor(workers=1, target_bytes=DEFAULT_TARGET)


def scan(
    paths: Sequence[str],
    options: ScanOptions | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
    executor: Executor | None = None,
    checkpoint: Checkpoint | None = None,
) -> ScanResult:
    """Scan mailbox exports (and log files) under `paths`.

    `progress(n)` is called with bytes processed; `total(n)` once with the bytes to process.
    """
    opts = options or ScanOptions()
    if not paths:
        raise UsageError("give at least one file or folder to scan")
    packs = resolve_packs(opts.rules)
    extra = tuple(sorted({*opts.extra_consumer, *(d for p in packs
                                                  for d in p.extra_consumer_domains)}))
    consumer = ConsumerDomains.load_default(extra).with_allowed(
        a.lower() for a in opts.allow_addresses)
    cfg = ScanConfig(
        pack_paths=tuple(p.path for p in packs),
        extra_consumer=extra,
        all_messages=opts.all_messages,
        min_confidence=opts.min_confidence,
        regex_timeout=opts.regex_timeout,
        disabled=opts.disabled,
        limits=opts.limits,
        case_reference=opts.case_reference,
        allow_addresses=tuple(a.lower() for a in opts.allow_addresses),
    )
    mail_inputs, log_inputs, top_skips = _discovered(paths)
    if total is not None:
        total(sum(i.size for i in mail_inputs))
    # Every message's reference is needed only to correlate logs or to fill a case store.
    cfg = dataclasses.replace(cfg, keep_all_refs=bool(log_inputs) or checkpoint is not None)

    merger = _Merger(consumer)
    todo: list[InputFile] = []
    stats: dict[str, tuple[int, int]] = {}
    for inp in mail_inputs:
        try:
            st = os.stat(inp.path)
            stats[inp.path] = (st.st_size, st.st_mtime_ns)
        except OSError:
            stats[inp.path] = (0, 0)
        saved = checkpoint.load_shard(inp.path, *stats[inp.path]) if checkpoint else None
        if saved is not None:
            merger.add(saved)
            if progress is not None:
                progress(inp.size)
        else:
            todo.append(inp)
    run = executor if executor is not None else _sequential()
    # Without a case store nothing needs one result per file: an executor that can yield its
    # byte ranges unjoined does, and each is packed as it arrives (flat parent memory).
    ranges = getattr(run, "ranges", None) if checkpoint is None else None
    results = cast(Executor, ranges)(todo, cfg, progress) if ranges else run(todo, cfg, progress)
    for shard in results:
        if checkpoint is not None:
            path = shard.source.path if shard.source is not None else shard.key
            checkpoint.save_shard(shard, *stats.get(path, (0, 0)))
        merger.add(shard)
        del shard
    top_skips.extend(_changed_during_scan(stats))

    log_events, log_skips, log_sources = _read_logs(log_inputs, opts)
    return merger.result(
        packs=packs,
        org_domains=opts.org_domains,
        top_skips=top_skips,
        log_events=log_events,
        log_skips=log_skips,
        log_sources=log_sources,
        options=RunOptions(
            all_messages=opts.all_messages,
            min_confidence=opts.min_confidence if opts.min_confidence is not None
            else min((p.min_confidence for p in packs), default=0.5),
            regex_timeout=opts.regex_timeout,
            limits=opts.limits),
    )


def options_manifest(opts: ScanOptions) -> dict[str, object]:
    """The options that change what a scan finds, as plain data (for run manifests and the
    case store's shard-reuse check)."""
    return {
        "all_messages": opts.all_messages,
        "min_confidence": opts.min_confidence,
        "regex_timeout": opts.regex_timeout,
        "disabled": list(opts.disabled),
        "extra_consumer": list(opts.extra_consumer),
        "case_reference": opts.case_reference,
        "allow_addresses": list(opts.allow_addresses),
        "limits": opts.limits.as_dict(),
    }


def read_log_events(
    paths: Sequence[str], options: ScanOptions | None = None
) -> tuple[list[LogEvent], list[Skipped]]:
    """Only the log files under `paths`: their events, and skips (malformed lines, files
    that are not logs). Mail containers under `paths` are listed as skipped here."""
    opts = options or ScanOptions()
    _, logs, skips = _discovered(paths, logs_only=True)
    events, log_skips, _ = _read_logs(logs, opts)
    return events, skips + log_skips


def _discovered(paths: Sequence[str], *, logs_only: bool = False
                ) -> tuple[list[InputFile], list[InputFile], list[Skipped]]:
    """What `discover` finds under `paths`: (mail containers, log files, skips), in
    discovery order. `logs_only`: mail containers are listed as skipped instead."""
    mail: list[InputFile] = []
    logs: list[InputFile] = []
    skips: list[Skipped] = []
    for item in discover(list(paths)):
        if isinstance(item, Skipped):
            skips.append(item)
        elif item.kind == "log":
            logs.append(item)
        elif logs_only:
            skips.append(Skipped(locator=Locator(path=item.path), kind=SkipKind.UNSUPPORTED,
                                 reason=f"not a log file ({item.kind}); use `tracecheck scan`"))
        else:
            mail.append(item)
    return mail, logs, skips


def _changed_during_scan(before: dict[str, tuple[int, int]]) -> list[Skipped]:
    """Sources whose size or modification time changed while they were being scanned."""
    out = []
    for path, (size, mtime) in before.items():
        try:
            st = os.stat(path)
            now = (st.st_size, st.st_mtime_ns)
        except OSError:
            now = (-1, -1)
        if now != (size, mtime):
            out.append(Skipped(locator=Locator(path=path), part="*", kind=SkipKind.CHANGED,
                               reason="file changed while it was being scanned; rescan it from "
                                      "a stable copy"))
    return out


def _read_logs(
    inputs: Sequence[InputFile], opts: ScanOptions
) -> tuple[list[LogEvent], list[Skipped], list[tuple[InputFile, int, int]]]:
    """Read log files into events, skips and per-file counts, through the logs package's one
    reading path (`logs.read_log_files`: rotation order, guarded year planning, damage as
    skips)."""
    if not inputs:
        return [], [], []
    from tracecheck.logs import read_log_files

    by_path = {i.path: i for i in inputs}
    read = read_log_files(list(by_path), formats={p: i.log_format for p, i in by_path.items()},
                          year=opts.log_year, tz=opts.log_tz)
    counted = [(by_path[c.path], c.events, c.skips) for c in read.files]
    return list(read.events), list(read.skipped), counted


def merge(
    shards: Sequence[ShardResult],
    *,
    packs: Sequence[Pack],
    consumer: ConsumerDomains,
    org_domains: Sequence[str] = (),
    top_skips: Sequence[Skipped] = (),
    log_events: Sequence[LogEvent] = (),
    log_skips: Sequence[Skipped] = (),
    log_sources: Sequence[tuple[InputFile, int, int]] = (),
    options: RunOptions | None = None,
) -> ScanResult:
    """Combine shard results into the final, deterministic result. Shards are whole files
    or byte ranges of them, in any order: ranges of one file are joined as
    `scanner.join_ranges` joins them, and files are taken in discovery order."""
    merger = _Merger(consumer)
    for shard in shards:
        merger.add(shard)
    return merger.result(packs=packs, org_domains=org_domains, top_skips=top_skips,
                         log_events=log_events, log_skips=log_skips, log_sources=log_sources,
                         options=options)


@dataclass(frozen=True, slots=True)
class _Part:
    """One shard result as the merger keeps it: its findings and refs packed, the messages
    whose flow waits for the org domains, and the small things (counts, skips, notes)."""

    key: str
    path: str
    order: tuple[int, ...]
    arrival: int
    source: SourceSummary | None
    findings: Packed[Finding]
    recheck: tuple[tuple[str, tuple[str, ...]], ...]
    """(locator, address domains) of messages found `external-other` before the org domains
    were known: `internal` when every domain turns out to be the organisation's."""
    refs: Packed[MessageRef]
    skipped: tuple[Skipped, ...]
    notes: tuple[Note, ...]


class _Merger:
    """Merges shard results as they arrive: each becomes findings at once (flows that need
    the org domains are fixed at the end) and is kept packed (`tracecheck.packed`), so the
    parent holds one shard's objects at a time plus compact records, whatever the input size.
    The result is the one a merge of all shards at once gives."""

    def __init__(self, consumer: ConsumerDomains) -> None:
        self.consumer = consumer
        self.senders: Counter[str] = Counter()
        self.flow_counts: Counter[str] = Counter()
        self.found = 0
        self.scanned = 0
        self.quoted_keys: set[tuple[str, str]] = set()
        """(rule, value) of every quoted finding (`_drop_counted_quotes` indexes these)."""
        self.parts: list[_Part] = []

    def add(self, shard: ShardResult) -> None:
        """Take one shard result (a whole file or a byte range of one)."""
        self.senders.update(dict(shard.sender_domains))
        self.found += shard.found
        self.scanned += shard.scanned
        if shard.flow_counts:
            self.flow_counts.update(dict(shard.flow_counts))
        else:  # a shard saved by an older version: count its references
            for ref in shard.refs:
                self.flow_counts[ref.flow or ("consumer" if ref.consumer else "non-consumer")] += 1
        infos = {m.locator: m for m in shard.messages}
        by_msg: dict[str, list[Match]] = defaultdict(list)
        for locator, match in shard.matches:
            by_msg[locator].append(match)
        findings: Packer[Finding] = Packer()
        recheck: list[tuple[str, tuple[str, ...]]] = []
        for locator, matches in by_msg.items():
            info = infos[locator]
            flow, consumer_addrs = classify(info.senders, info.recipients, self.consumer, ())
            if flow is Flow.EXTERNAL_OTHER:
                recheck.append((locator, tuple(sorted({a.domain for a in (*info.senders,
                                                                          *info.recipients)}))))
            for f in _findings(info, matches, flow, consumer_addrs):
                if f.quoted:
                    self.quoted_keys.add((f.rule, f.value))
                findings.add(f)
        head = shard.source
        path = head.path if head is not None else shard.key.rpartition("@")[0] or shard.key
        self.parts.append(_Part(
            key=shard.key, path=path, order=shard.order, arrival=len(self.parts),
            source=head, findings=findings.done(), recheck=tuple(recheck),
            refs=Packed(shard.refs), skipped=shard.skipped, notes=shard.notes))

    def _files(self) -> list[list[_Part]]:
        """Parts grouped per file (as `parallel.base.Joiner` groups them), files in order."""
        files: dict[tuple[int, str], list[_Part]] = {}
        for part in self.parts:
            files.setdefault((part.order[0] if part.order else 0, part.path), []).append(part)
        groups = [sorted(g, key=lambda p: p.order) for g in files.values()]

        def file_order(g: list[_Part]) -> tuple[tuple[int, ...], int]:
            first = g[0]  # the order a joined result carries
            return ((first.order[0], 0) if len(g) > 1 or first.key != first.path
                    else first.order) if first.order else (), min(p.arrival for p in g)

        return sorted(groups, key=file_order)

    def result(
        self,
        *,
        packs: Sequence[Pack],
        org_domains: Sequence[str] = (),
        top_skips: Sequence[Skipped] = (),
        log_events: Sequence[LogEvent] = (),
        log_skips: Sequence[Skipped] = (),
        log_sources: Sequence[tuple[InputFile, int, int]] = (),
        options: RunOptions | None = None,
    ) -> ScanResult:
        """The final result; the merger is emptied."""
        org = infer_org(self.senders, org_domains)
        files = self._files()
        self.parts = []
        skipped: list[Skipped] = list(top_skips)
        notes: list[Note] = []
        sources: list[SourceSummary] = []
        found: Packer[Finding] = Packer()
        refs: Packer[MessageRef] = Packer()
        for group in files:
            source = _joined_source(group)
            if source is not None:
                sources.append(source)
            for part in group:
                skipped.extend(part.skipped)
                notes.extend(part.notes)
                refs.add_packed(part.refs)
                internal = {loc for loc, domains in part.recheck
                            if org.domains and all(in_org(d, org.domains) for d in domains)}
                if internal:
                    found.extend(dataclasses.replace(f, flow=Flow.INTERNAL)
                                 if f.locator in internal else f for f in part.findings)
                else:
                    found.add_packed(part.findings)
            group.clear()
        findings = found.done()
        if self.quoted_keys:
            findings, quoted_notes = _drop_counted_quotes(findings, self.quoted_keys)
            notes.extend(quoted_notes)
        all_refs = refs.done()
        for inp, n_events, n_skips in log_sources:
            sources.append(SourceSummary(path=inp.path, type=f"log:{inp.log_format}",
                                         bytes=inp.size, sha256=_file_sha256(inp.path),
                                         messages=n_events, skipped=n_skips))
        log_summary = None
        log_findings: tuple[LogFinding, ...] = ()
        if log_sources:
            log_summary, log_findings = _log_analysis(log_events, all_refs, self.consumer,
                                                      packs)
        return ScanResult(
            tool_version=__version__,
            packs=tuple(p.ref for p in packs),
            sources=tuple(sources),
            messages_found=self.found,
            messages_scanned=self.scanned,
            skipped=tuple(skipped) + tuple(log_skips),
            findings=findings,
            org=org,
            flow_counts=dict(sorted(self.flow_counts.items())),
            notes=tuple(notes),
            log_events=tuple(log_events),
            log_findings=log_findings,
            log_summary=log_summary,
            refs=all_refs,
            options=options or RunOptions(),
        )


def _joined_source(parts: Sequence[_Part]) -> SourceSummary | None:
    """A file's coverage entry from its parts in order, as `scanner.join_ranges` makes it."""
    first = parts[0]
    head = first.source
    if head is None or (len(parts) == 1 and first.key == first.path):
        return head
    return SourceSummary(
        path=head.path, type=head.type, bytes=head.bytes, sha256=head.sha256,
        messages=sum(p.source.messages for p in parts if p.source is not None),
        skipped=sum(p.source.skipped for p in parts if p.source is not None),
    )


def _file_sha256(path: str) -> str:
    from tracecheck.sources.files import open_evidence

    h = hashlib.sha256()
    try:
        with open_evidence(path) as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()


def _log_analysis(
    events: Sequence[LogEvent],
    refs: Sequence[MessageRef],
    consumer: ConsumerDomains,
    packs: Sequence[Pack],
) -> tuple[LogSummary, tuple[LogFinding, ...]]:
    from tracecheck.logs.analysis import correlate, log_findings
    from tracecheck.model import TextUnit
    from tracecheck.rules.matcher import Matcher

    matcher = Matcher(packs)

    def subject_hits(subject: str) -> list[str]:
        found, _ = matcher.scan(TextUnit(part="header", where="subject", text=subject))
        return sorted({m.rule for m in found})

    summary = correlate(events, refs, consumer.is_consumer)
    found = log_findings(events, consumer.is_consumer, subject_hits)
    return summary, tuple(found)


def _drop_counted_quotes(
    findings: Packed[Finding], quoted_keys: set[tuple[str, str]] | None = None
) -> tuple[Packed[Finding], list[Note]]:
    """Drop findings that exist only in quoted reply text when the same rule and value were
    already found, unquoted, in another message to the same consumer addresses (the thread
    is counted once); each drop is noted. Quotes that reach a new address are kept: forwarding
    health data to someone new is a disclosure of its own.

    `quoted_keys`, when known, are the (rule, value) pairs of the quoted findings: only
    unquoted findings with one of them are indexed."""
    # (rule, value) → locators of unquoted findings, in order, and per consumer address
    # (each locator string kept once: packed findings decode a new one every time).
    anywhere: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_addr: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    locators: dict[str, str] = {}
    quoted: list[tuple[int, str, str, Locator, str, tuple[str, ...]]] = []
    for i, f in enumerate(findings):
        key = (f.rule, f.value)
        if f.quoted:
            quoted.append((i, f.rule, f.value, f.at, f.part, f.consumer_addresses))
        elif quoted_keys is None or key in quoted_keys:
            loc = locators.setdefault(f.locator, f.locator)
            anywhere[key].append(loc)
            for a in f.consumer_addresses:
                by_addr[key][a].add(loc)
    dropped: dict[int, Note] = {}
    for i, rule, value, at, part, addresses in quoted:
        locator = str(at)
        key = (rule, value)
        common: set[str] | None = None
        if addresses:
            common = set.intersection(*(by_addr[key].get(a, set()) for a in addresses))
        earlier = next((loc for loc in anywhere.get(key, ())
                        if loc != locator and (common is None or loc in common)), None)
        if earlier is not None:
            dropped[i] = Note(locator=at, part=part, kind=NoteKind.SUPPRESSED,
                              reason=f"quoted {rule} already counted in {earlier}")
    if not dropped:
        return findings, []
    return findings.without(dropped), list(dropped.values())


def _findings(
    info: MessageInfo, matches: Sequence[Match], flow: Flow, consumer_addrs: tuple[str, ...]
) -> Iterator[Finding]:
    sender = info.senders[0].addr if info.senders else ""
    recipients = tuple(dict.fromkeys(a.addr for a in info.recipients))
    grouped: dict[tuple[str, str, str], list[Match]] = {}
    for m in matches:
        grouped.setdefault((m.part, m.rule, m.value), []).append(m)
    for (part, rule, value), group in grouped.items():
        first = group[0]
        yield Finding(
            fingerprint=fingerprint(info.sha256, part, rule, value),
            message_id=info.message_id,
            source=info.source,
            at=info.at,
            part=part,
            where=first.where,
            date=info.date,
            sender=sender,
            recipients=recipients,
            flow=flow,
            consumer_addresses=consumer_addrs,
            rule=rule,
            category=first.category,
            severity=first.severity,
            evidence=first.evidence,
            value=value,
            confidence=max(m.confidence for m in group),
            occurrences=len(group),
            test_data=first.test_data,
            message_sha256=info.sha256,
            pack=first.pack,
            quoted=all(m.quoted for m in group),
        )


def failing(result: ScanResult, fail_on: Severity | None) -> list[Finding]:
    """Findings that make the default exit code 1: consumer flows, at or above `fail_on`,
    not reserved test data. `fail_on=None` means never fail."""
    return list(_failing(result, fail_on))


def fails(result: ScanResult, fail_on: Severity | None) -> bool:
    """True when `failing(result, fail_on)` is not empty (without listing the findings)."""
    return next(_failing(result, fail_on), None) is not None


def _failing(result: ScanResult, fail_on: Severity | None) -> Iterator[Finding]:
    if fail_on is None:
        return
    for f in result.findings:
        if f.flow.is_consumer and f.severity >= fail_on and not f.test_data:
            yield f


def source_hashes(result: ScanResult) -> dict[str, str]:
    """SHA-256 of every source file now (compare with the hash taken while scanning: evidence
    must not change under the scan)."""
    return {s.path: _file_sha256(s.path) for s in result.sources}


def check_paths(paths: Sequence[str]) -> None:
    """Raise InputError for a path that does not exist (before any work starts)."""
    for p in paths:
        if not Path(p).exists() and not os.path.lexists(p):
            raise InputError(f"no such file or folder: {p}")


__all__ = [
    "Checkpoint",
    "Flow",
    "ScanOptions",
    "ScanResult",
    "check_paths",
    "failing",
    "fails",
    "fingerprint",
    "merge",
    "resolve_packs",
    "scan",
]
