"""What the log events mean for a breach: findings, and the join with the mailbox export.

Owns two views of `LogEvent`s, both typed records of `tracecheck.model`: `log_findings`
(`LogConsumerFlow` per sender, day and flow; `LogForwarding` to consumer addresses;
`LogSubjectMatch` for subjects that match health rules - reported by rule id and a masked form,
never the subject text) and `correlate` (a `LogSummary`: which consumer-bound messages in the
logs the export holds, which it does not - "content unknown" - and the delivery status of
exported messages, joined by normalised Message-ID and by queue id through `join`, the one
join), plus the flow and status
of one event that the tables share. Output order is deterministic. Never reads files, never
formats output (`tables` does) and never decides what a consumer domain is (the caller's
`is_consumer` does).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tracecheck.logs.base import norm_message_id, status_rank
from tracecheck.logs.join import ExportIndex
from tracecheck.model import (
    Flow,
    Locator,
    LogConsumerFlow,
    LogEvent,
    LogFinding,
    LogForwarding,
    LogSubjectMatch,
    LogSummary,
    MessageRef,
    NotInExport,
    Severity,
)
from tracecheck.rules.mask import mask_subject

IsConsumer = Callable[[str], bool]
SubjectHits = Callable[[str], list[str]]

MAX_LOCATORS = 20
"""Locators listed per aggregated finding (the count is always complete)."""

def consumer_address(is_consumer: IsConsumer, addr: str) -> bool:
    """True for an address (it has an `@`) at a consumer domain."""
    return bool(addr) and "@" in addr and is_consumer(addr)


def flow_of(event: LogEvent, is_consumer: IsConsumer) -> Flow:
    """Consumer flow of a message event (org-independent: non-consumer counts as other)."""
    sender_c = consumer_address(is_consumer, event.sender)
    rc = [consumer_address(is_consumer, r.addr) for r in event.recipients]
    if not event.sender and not rc:
        return Flow.UNKNOWN
    if sender_c and any(rc):
        return Flow.CONSUMER_TO_CONSUMER
    if any(rc):
        return Flow.TO_CONSUMER
    if sender_c:
        return Flow.FROM_CONSUMER
    return Flow.EXTERNAL_OTHER


def consumer_recipients(event: LogEvent, is_consumer: IsConsumer) -> list[str]:
    """Consumer recipient addresses of an event, in logged order, without duplicates."""
    return list(dict.fromkeys(r.addr for r in event.recipients
                              if consumer_address(is_consumer, r.addr)))


def overall_status(statuses: Iterable[str]) -> str:
    """One status for a message: delivered when every copy was, `partly-delivered` when some
    were, else the most final status seen."""
    seen = list(statuses)
    if not seen:
        return "unknown"
    if all(s == "delivered" for s in seen):
        return "delivered"
    if any(s == "delivered" for s in seen):
        return "partly-delivered"
    return max(seen, key=lambda s: (status_rank(s), s))


def _message_status(event: LogEvent, is_consumer: IsConsumer) -> str:
    picked = [r.status for r in event.recipients if consumer_address(is_consumer, r.addr)]
    return overall_status(picked or [r.status for r in event.recipients])


def _locator_key(locator: Locator) -> tuple[str, int]:
    return (locator.path, locator.line or 0)


def day_of(time: str | None) -> str:
    """The UTC day of an event's time, or `unknown`."""
    return time[:10] if time else "unknown"


@dataclass
class _FlowCount:
    """One (sender, day, flow) group of `log_findings` while events are counted."""

    first_time: str | None
    last_time: str | None
    messages: int = 0
    delivered: int = 0
    consumer_recipients: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    locators: list[Locator] = field(default_factory=list)
    """The first `MAX_LOCATORS` in `_locator_key` order, ties in the order seen (as a stable
    sort of them all would give), among a few more (`keep`): never every one."""

    def keep(self, locator: Locator) -> None:
        """Count `locator` among those that may be listed."""
        self.locators.append(locator)
        if len(self.locators) >= 4 * MAX_LOCATORS:
            # a stable sort keeps ties in the order seen: the cut is what sorting all would be
            self.locators = sorted(self.locators, key=_locator_key)[:MAX_LOCATORS]


def log_findings(
    events: Iterable[LogEvent], is_consumer: IsConsumer, subject_hits: SubjectHits
) -> list[LogFinding]:
    """Findings from log events, deterministic order: forwarding (by time, locator, target),
    then consumer flows (by sender, day, flow), then subject matches (by time, locator).

    - `LogForwarding` (high): a forwarding rule or auto-forward to a consumer address.
    - `LogConsumerFlow` (medium): per sender, day and flow, the messages with a consumer
      party: counts, consumer recipients, delivered count, first/last time, locators.
    - `LogSubjectMatch` (high when a consumer party is involved, else medium): subjects
      that match health rules, as rule ids and a masked subject.
    """
    flows: dict[tuple[str, str, str], _FlowCount] = {}
    forwards: list[LogForwarding] = []
    subjects: list[LogSubjectMatch] = []
    for ev in events:
        if ev.forwarding and consumer_address(is_consumer, ev.forwarding):
            forwards.append(LogForwarding(
                kind=ev.kind,
                time=ev.time,
                mailbox=ev.sender,
                actor=ev.actor,
                target=ev.forwarding,
                operation=ev.notes[0] if ev.notes else "",
                log_format=ev.log_format,
                source=ev.source,
                locator=ev.locator,
            ))
        if ev.kind != "message":
            continue
        flow = flow_of(ev, is_consumer)
        crcpts = consumer_recipients(ev, is_consumer)
        if flow.is_consumer:
            key = (ev.sender.lower(), day_of(ev.time), flow.value)
            agg = flows.get(key)
            if agg is None:
                agg = flows[key] = _FlowCount(first_time=ev.time, last_time=ev.time)
            agg.messages += 1
            status = _message_status(ev, is_consumer)
            agg.statuses[status] += 1
            agg.delivered += status in ("delivered", "partly-delivered")
            agg.consumer_recipients.update(crcpts)
            if ev.time:
                agg.first_time = min(filter(None, [agg.first_time, ev.time]))
                agg.last_time = max(filter(None, [agg.last_time, ev.time]))
            agg.keep(ev.locator)
        if ev.subject:
            rules = sorted(set(subject_hits(ev.subject)))
            if rules:
                subjects.append(LogSubjectMatch(
                    severity=Severity.HIGH if flow.is_consumer else Severity.MEDIUM,
                    rules=tuple(rules),
                    subject_masked=mask_subject(ev.subject),
                    time=ev.time,
                    sender=ev.sender,
                    flow=flow,
                    consumer_recipients=tuple(crcpts),
                    message_id=ev.message_id,
                    queue_id=ev.queue_id,
                    status=_message_status(ev, is_consumer),
                    log_format=ev.log_format,
                    source=ev.source,
                    locator=ev.locator,
                ))
    forwards.sort(key=lambda f: (f.time or "", str(f.locator), f.target))
    subjects.sort(key=lambda s: (s.time or "", str(s.locator)))
    out: list[LogFinding] = [*forwards]
    for key in sorted(flows):
        agg = flows[key]
        out.append(LogConsumerFlow(
            sender=key[0],
            day=key[1],
            flow=Flow(key[2]),
            messages=agg.messages,
            delivered=agg.delivered,
            consumer_recipients=tuple(sorted(agg.consumer_recipients)),
            first_time=agg.first_time,
            last_time=agg.last_time,
            statuses=tuple(sorted(agg.statuses.items())),
            locators=tuple(sorted(agg.locators, key=_locator_key)[:MAX_LOCATORS]),
        ))
    out.extend(subjects)
    return out


def correlate(
    events: Iterable[LogEvent], export_refs: Iterable[MessageRef] | ExportIndex,
    is_consumer: IsConsumer,
) -> LogSummary:
    """Join log events to the mailbox export by Message-ID and queue id (`join.ExportIndex`;
    pass one already built to save a second pass over the references).

    The summary counts the events, the consumer-bound messages, those the export holds and
    those it does not (listed: their content is unknown), and the audit events that forward
    to a consumer address. `delivery`: for every exported message found in the logs, keyed by
    its normalised Message-ID (or locator when it has none), the overall status of its logged
    copies (consumer recipients only when it had any).
    """
    index = export_refs if isinstance(export_refs, ExportIndex) else ExportIndex(export_refs)
    n_events = consumer_bound = matched = forwarding = 0
    missing: list[NotInExport] = []
    # `overall_status` looks only at which statuses a message had, not how many times.
    delivery_statuses: dict[str, set[str]] = defaultdict(set)
    for ev in events:
        n_events += 1
        if ev.kind == "forwarding-rule":
            forwarding += consumer_address(is_consumer, ev.forwarding)
            continue
        refs = index.refs_for(ev)
        status = _message_status(ev, is_consumer)
        for ref in refs:
            key = norm_message_id(ref.message_id) if ref.message_id else ref.locator
            delivery_statuses[key].add(status)
        crcpts = consumer_recipients(ev, is_consumer)
        if not crcpts:
            continue
        consumer_bound += 1
        if refs:
            matched += 1
            continue
        missing.append(NotInExport(
            time=ev.time,
            sender=ev.sender,
            consumer_recipients=tuple(crcpts),
            message_id=ev.message_id,
            queue_id=ev.queue_id,
            size=ev.size,
            source=ev.source,
            locator=ev.locator,
            status=status,
        ))
    missing.sort(key=lambda m: (m.time or "", str(m.locator)))
    return LogSummary(
        events=n_events,
        consumer_bound_messages=consumer_bound,
        matched_in_export=matched,
        forwarding_rules=forwarding,
        not_in_export_list=tuple(missing),
        delivery={k: overall_status(v) for k, v in sorted(delivery_statuses.items())},
    )
