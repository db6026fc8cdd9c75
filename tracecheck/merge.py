"""Joining shard results: the byte ranges of one file, and the files of a run.

Owns the one rule for putting results back together, whatever order they arrived in: results
are grouped per file by `file_key` (discovery order, path), the ranges of a file are taken in
offset order, and a file's coverage entry is its first range's, with the messages and skips
of every range added up (`joined_source`). `join` makes the one-file `ShardResult` a whole-file
scan would have made (the case store saves per file); `Joiner` hands each file's joined result
back as soon as its last range arrives; `Merger` turns a run's results into findings and
coverage with the same grouping, settling the org-dependent flows once the organisation's
domains are known. Never scans.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from tracecheck.domains import ConsumerDomains, infer_org, non_consumer_flow
from tracecheck.findings import findings_for
from tracecheck.model import (
    Finding,
    Flow,
    Match,
    MessageInfo,
    MessageRef,
    Note,
    OrgDomains,
    ShardResult,
    Skipped,
    SourceSummary,
)
from tracecheck.packed_records import Packed, Packer
from tracecheck.quotes import drop_counted_quotes
from tracecheck.triage import full_verdict

FileKey = tuple[int, str]
"""(discovery order, path) of the file a result covers."""


def path_of(result: ShardResult) -> str:
    """The file a shard result covers (its source path; a range key is `path@start-end`)."""
    if result.source is not None:
        return result.source.path
    return result.key.rpartition("@")[0] or result.key


def file_key(result: ShardResult) -> FileKey:
    """Which file a shard result belongs to, as a sort key in discovery order."""
    return (result.order[0] if result.order else 0, path_of(result))


def is_whole(results: Sequence[ShardResult]) -> bool:
    """True when `results` is one whole-file result (nothing to join)."""
    return len(results) == 1 and results[0].key == path_of(results[0])


class _Part(Protocol):
    @property
    def source(self) -> SourceSummary | None: ...


def joined_source(parts: Sequence[_Part]) -> SourceSummary | None:
    """A file's coverage entry from its ranges in offset order: the first range's entry
    (which carries the whole file's bytes and hash) with every range's counts added."""
    head = parts[0].source
    if head is None or len(parts) == 1:
        return head
    return SourceSummary(
        path=head.path, type=head.type, bytes=head.bytes, sha256=head.sha256,
        messages=sum(p.source.messages for p in parts if p.source is not None),
        skipped=sum(p.source.skipped for p in parts if p.source is not None),
    )


def join(parts: Iterable[ShardResult]) -> ShardResult:
    """One file's result from the results of its byte ranges (any order): the result a
    whole-file scan gives, with the whole file's bytes and sha256."""
    ordered = sorted(parts, key=lambda p: p.order)
    if is_whole(ordered):
        return ordered[0]
    first = ordered[0]
    senders: Counter[str] = Counter()
    flows: Counter[str] = Counter()
    for p in ordered:
        senders.update(dict(p.sender_domains))
        flows.update(dict(p.flow_counts))
    return ShardResult(
        key=path_of(first),
        source=joined_source(ordered),
        found=sum(p.found for p in ordered),
        scanned=sum(p.scanned for p in ordered),
        skipped=tuple(s for p in ordered for s in p.skipped),
        notes=tuple(n for p in ordered for n in p.notes),
        messages=tuple(m for p in ordered for m in p.messages),
        matches=tuple(m for p in ordered for m in p.matches),
        refs=tuple(r for p in ordered for r in p.refs),
        flow_counts=tuple(sorted(flows.items())),
        sender_domains=tuple(sorted(senders.items())),
        log_events=tuple(e for p in ordered for e in p.log_events),
        order=(first.order[0], 0) if first.order else (),
    )


class Joiner:
    """Collects range results and hands back each file's joined result once complete."""

    def __init__(self, expected: dict[FileKey, int]) -> None:
        self.expected = expected
        """Ranges per file (files not named are whole: one result)."""
        self.parts: dict[FileKey, list[ShardResult]] = defaultdict(list)

    def add(self, result: ShardResult) -> Iterator[ShardResult]:
        """Yield the file's joined result when `result` was its last missing range."""
        key = file_key(result)
        parts = self.parts[key]
        parts.append(result)
        if len(parts) >= self.expected.get(key, 1):
            del self.parts[key]
            yield join(parts)


@dataclass(frozen=True, slots=True)
class _Kept:
    """One shard result as the merger keeps it: its findings and refs packed, the messages
    whose flow waits for the org domains, and the small things (counts, skips, notes)."""

    key: FileKey
    order: tuple[int, ...]
    source: SourceSummary | None
    findings: Packed[Finding]
    recheck: tuple[tuple[str, tuple[str, ...]], ...]
    """(locator, address domains) of flagged non-consumer messages: `internal` or
    `external-other` once the org domains are known."""
    refs: Packed[MessageRef]
    skipped: tuple[Skipped, ...]
    notes: tuple[Note, ...]


class Merger:
    """Merges shard results as they arrive: each becomes findings at once (flows that need
    the org domains are settled at the end) and is kept packed (`packed_records`), so the
    parent holds one shard's objects at a time plus compact records, whatever the input size.
    The result is the one a merge of all shards at once gives, files in discovery order."""

    def __init__(self, consumer: ConsumerDomains,
                 custodian: Callable[[MessageInfo], str] | None = None) -> None:
        self.consumer = consumer
        self.custodian = custodian
        """Whose mailbox a message came from (`custodians.Custodians.of`); None: nobody's."""
        self.senders: Counter[str] = Counter()
        self.flow_counts: Counter[str] = Counter()
        self.found = 0
        self.scanned = 0
        self.quoted_keys: set[tuple[str, str]] = set()
        """(rule, value) of every quoted finding (`quotes.drop_counted_quotes` indexes these)."""
        self.kept: list[_Kept] = []

    def add(self, shard: ShardResult) -> None:
        """Take one shard result (a whole file or a byte range of one)."""
        self.senders.update(dict(shard.sender_domains))
        self.found += shard.found
        self.scanned += shard.scanned
        self.flow_counts.update(dict(shard.flow_counts))
        infos = {m.locator: m for m in shard.messages}
        by_msg: dict[str, list[Match]] = defaultdict(list)
        for locator, match in shard.matches:
            by_msg[locator].append(match)
        findings: Packer[Finding] = Packer()
        recheck: list[tuple[str, tuple[str, ...]]] = []
        for locator, matches in by_msg.items():
            info = infos[locator]
            verdict = full_verdict(info, self.consumer)
            if verdict.flow is Flow.EXTERNAL_OTHER:
                recheck.append((locator, tuple(sorted({a.domain for a in (*info.senders,
                                                                          *info.recipients)}))))
            owner = self.custodian(info) if self.custodian is not None else ""
            for f in findings_for(info, matches, verdict.flow, verdict.consumer_addresses,
                                  owner):
                if f.quoted:
                    self.quoted_keys.add((f.rule, f.value))
                findings.add(f)
        self.kept.append(_Kept(
            key=file_key(shard), order=shard.order, source=shard.source,
            findings=findings.done(), recheck=tuple(recheck), refs=Packed(shard.refs),
            skipped=shard.skipped, notes=shard.notes))

    def result(self, *, org_domains: Sequence[str] = ()) -> Merged:
        """Everything merged, files in discovery order; the merger is emptied."""
        org = infer_org(self.senders, org_domains)
        files: dict[FileKey, list[_Kept]] = defaultdict(list)
        for kept in self.kept:
            files[kept.key].append(kept)
        self.kept = []
        skipped: list[Skipped] = []
        notes: list[Note] = []
        sources: list[SourceSummary] = []
        found: Packer[Finding] = Packer()
        refs: Packer[MessageRef] = Packer()
        for key in sorted(files):
            parts = sorted(files.pop(key), key=lambda k: k.order)
            source = joined_source(parts)
            if source is not None:
                sources.append(source)
            for part in parts:
                skipped.extend(part.skipped)
                notes.extend(part.notes)
                refs.add_packed(part.refs)
                internal = {loc for loc, domains in part.recheck
                            if non_consumer_flow(domains, org.domains) is Flow.INTERNAL}
                if internal:
                    found.extend(f.with_flow(Flow.INTERNAL)
                                 if f.locator in internal else f for f in part.findings)
                else:
                    found.add_packed(part.findings)
        findings = found.done()
        if self.quoted_keys:
            findings, quoted_notes = drop_counted_quotes(findings, self.quoted_keys)
            notes.extend(quoted_notes)
        return Merged(org=org, sources=tuple(sources), skipped=tuple(skipped),
                      notes=tuple(notes), findings=findings, refs=refs.done(),
                      found=self.found, scanned=self.scanned,
                      flow_counts=dict(sorted(self.flow_counts.items())))


@dataclass(frozen=True)
class Merged:
    """What the shards of a run add up to (the api adds packs, logs and options)."""

    org: OrgDomains
    sources: tuple[SourceSummary, ...]
    skipped: tuple[Skipped, ...]
    notes: tuple[Note, ...]
    findings: Packed[Finding]
    refs: Packed[MessageRef]
    found: int
    scanned: int
    flow_counts: dict[str, int]
