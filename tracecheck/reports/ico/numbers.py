"""The numbers behind the ICO report, computed from a case snapshot.

Owns the counting rules: which findings count (consumer flows only; false positives and
reserved test-range values left out; confirmed and unreviewed kept apart), copies of one
message counted once, the data-subject estimate (the persons `persons.link` finds in the
flagged messages), records (each flagged message and each
flagged attachment), first/last flagged times from mail and logs (log times whose year rests on
a file's mtime alone kept apart and marked inferred), and the log correlation figures. Never
formats text and never exposes an unmasked value unless asked to reveal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tracecheck.case import dedup
from tracecheck.case.containment import NOT_CONTACTED, ContainmentStatus, current
from tracecheck.case.review import Status, counted
from tracecheck.case.snapshot import CaseSnapshot, text_key
from tracecheck.domains import in_org
from tracecheck.findings import counts
from tracecheck.model import (
    CONSUMER_FLOWS,
    Finding,
    Flow,
    LogEvent,
    LogSummary,
    LogYear,
    MessageRef,
)
from tracecheck.persons.link import METHOD, NO_NAMES_METHOD, MessageFacts, Person, link, staff_names
from tracecheck.reports.ico.names import SourceNames
from tracecheck.rules.mask import mask_address

IDENTIFIER_CATEGORIES = frozenset(
    {"identifier", "health-identifier", "nhs-number", "chi-number", "hc-number", "chi"}
)
"""Finding categories that name a person (one distinct value ≈ one data subject)."""
IDENTIFIER_RULE_HINTS = ("nhs-number", "nhs_number", "chi-number", "hc-number", "h-and-c")

CATEGORY_LABELS = {
    "identifier": "Health identifiers (NHS, CHI or H&C numbers)",
    "health-identifier": "Health identifiers (NHS, CHI or H&C numbers)",
    "nhs-number": "Health identifiers (NHS, CHI or H&C numbers)",
    "chi-number": "Health identifiers (NHS, CHI or H&C numbers)",
    "hc-number": "Health identifiers (NHS, CHI or H&C numbers)",
    "test-result": "Test results (e.g. COVID PCR/LFD)",
    "symptom": "Symptoms",
    "condition": "Medical conditions",
    "treatment": "Treatment and medication",
    "medication": "Treatment and medication",
    "hospital": "Hospital admission",
    "pregnancy": "Pregnancy",
    "disability": "Disability",
    "vaccination": "Vaccination status",
}


def is_identifier(finding: Finding) -> bool:
    """True for a finding whose value identifies a person (NHS/CHI/H&C number)."""
    if finding.category.lower() in IDENTIFIER_CATEGORIES:
        return True
    rule = finding.rule.lower()
    return any(hint in rule for hint in IDENTIFIER_RULE_HINTS)


def category_label(category: str) -> str:
    """Human label of a finding category."""
    return CATEGORY_LABELS.get(category.lower(), category.replace("-", " ").capitalize())


def _norm_id(message_id: str) -> str:
    return message_id.strip().strip("<>").strip().lower()


@dataclass(frozen=True, slots=True)
class FlaggedMessage:
    """One disclosure (a message, counted once however many copies) that carries health data
    to or from a consumer mailbox."""

    key: str
    locators: tuple[str, ...]
    message_id: str
    date: str | None
    sender: str
    """Sender as shown in the report (masked when it is a consumer address)."""
    consumer_addresses: tuple[str, ...]
    """As shown (masked unless revealed)."""
    consumer_domains: tuple[str, ...]
    flow: str
    categories: tuple[str, ...]
    rules: tuple[str, ...]
    status: str
    """confirmed (at least one confirmed finding) or unreviewed."""
    identifiers: int
    records: int
    delivery: str | None
    """Delivery status from logs; None when the case holds no logs."""
    fingerprints: tuple[str, ...]
    evidence: tuple[str, ...] = ()
    """Masked evidence snippets; only filled with reveal (they carry health context)."""
    values: tuple[str, ...] = ()
    """Unmasked matched values; only filled with reveal."""
    staff_recipients: tuple[str, ...] = ()
    """The recipients that are not consumer mailboxes (as the scan classified them) of a
    message sent from a consumer mailbox: the staff accounts that received it."""


@dataclass(frozen=True, slots=True)
class UnknownContent:
    """A consumer-bound message seen in the logs that the mailbox export does not hold."""

    time: str | None
    sender: str
    recipients: tuple[str, ...]
    """Consumer recipients as shown (masked unless revealed)."""
    status: str
    ref: str
    """Log locator (`path:line`) or Message-ID, whichever is known."""
    year_inferred: bool = False
    """The year of `time` rests on the log file's mtime alone."""


@dataclass(frozen=True, slots=True)
class LogNumbers:
    """What the mail-server logs add (present only when logs were part of the case)."""

    events: int
    consumer_bound_messages: int
    matched_in_export: int
    not_in_export: int
    forwarding_rules: int
    delivery: tuple[tuple[str, int], ...]
    """Delivery status → number of flagged messages, incl. `no log record`."""
    first_flagged: str | None
    """First log time of a flagged message."""
    last_flagged: str | None
    unknown_first: str | None
    """First log time of consumer-bound mail the export does not hold."""
    unknown_last: str | None
    unknown: tuple[UnknownContent, ...]
    inferred_first_flagged: str | None = None
    """First log time of a flagged message in a log whose year rests on the file's mtime
    alone: marked inferred, and not in `first_flagged` (nor in the breach window)."""
    inferred_last_flagged: str | None = None
    unknown_first_inferred: bool = False
    """`unknown_first` comes from a log whose year rests on the file's mtime alone."""
    unknown_last_inferred: bool = False
    years: tuple[LogYear, ...] = ()
    """Per log file with year-less stamps, its year and what it rests on (empty for a case
    scanned before this was recorded)."""


@dataclass(frozen=True)
class Numbers:
    """Every figure the ICO report states."""

    messages_found: int
    messages_scanned: int
    unique_messages: int
    duplicate_copies: int
    messages_flagged: int
    messages_confirmed: int
    messages_unreviewed: int
    findings_confirmed: int
    findings_unreviewed: int
    findings_needs_review: int
    findings_false_positive: int
    findings_other_flows: int
    findings_test_data: int
    distinct_identifiers: int
    distinct_identifiers_confirmed: int
    messages_without_identifier: int
    messages_without_identifier_confirmed: int
    data_subjects_estimate: int
    data_subjects_confirmed: int
    records: int
    records_confirmed: int
    first_seen: str | None
    last_seen: str | None
    categories: tuple[tuple[str, str, int, int], ...]
    """(category, label, flagged messages, findings), most messages first."""
    consumer_domains: tuple[tuple[str, int], ...]
    consumer_addresses: tuple[tuple[str, str, int], ...]
    """(address as shown, domain, flagged messages)."""
    senders: tuple[tuple[str, int], ...]
    """(sender account as shown, flagged messages), consumer mailboxes included (masked)."""
    staff_senders: tuple[tuple[str, int], ...]
    """The senders that are not consumer mailboxes: (account, flagged messages)."""
    consumer_sent: int
    """Flagged messages sent from a consumer mailbox (a member of the public, or staff using
    a personal account): never counted as staff accounts."""
    by_day: tuple[tuple[str, int], ...]
    flagged: tuple[FlaggedMessage, ...]
    copies: tuple[tuple[str, tuple[str, ...]], ...]
    """Flagged disclosures found more than once: (key, every locator)."""
    flows: tuple[tuple[str, int], ...]
    skipped_by_kind: tuple[tuple[str, int], ...]
    logs: LogNumbers | None
    has_identifiers: bool
    has_health_content: bool
    names: SourceNames
    """How the report names files and places (ids and masked names unless revealed)."""
    log_files: int = 0
    """Mail-server and audit log files in the case."""
    log_events_read: int = 0
    """Log events read from them (not messages: counted apart)."""
    all_messages: bool | None = None
    """The scan mode (`CaseSnapshot.all_messages`)."""
    headers_only: int = 0
    """In the default mode, messages whose headers only were read (no consumer address)."""
    persons: tuple[Person, ...] = ()
    """The data subjects, linked (`persons.link`); `data_subjects_estimate` counts them."""
    persons_method: str = METHOD
    """How they were counted, as the report states it."""
    containment: tuple[tuple[str, int], ...] = ()
    """Consumer mailboxes (those of the flagged messages and those the logs forward to) by
    current containment status (`case.containment`), every status listed in order,
    `not contacted` last."""
    containment_records: int = 0
    first_request: str | None = None
    """When the first mailbox was asked to delete the data."""
    first_confirmed: str | None = None
    """When a mailbox's owner first confirmed the deletion."""
    last_confirmed: str | None = None
    flagged_keys: tuple[str, ...] = ()
    """The stored key (first locator) of each of `flagged`, in the same order (`flagged`
    shows it masked unless revealed); persons name their messages by these keys."""

    @property
    def persons_for_review(self) -> int:
        """Persons a reviewer should look at (an identifier seen with several names)."""
        return sum(1 for p in self.persons if p.review)


def _ranked(counter: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _refs_with_findings(snapshot: CaseSnapshot) -> list[MessageRef]:
    refs = list(snapshot.messages)
    known = {r.locator for r in refs}
    for f in snapshot.findings:
        if f.locator not in known:  # a scan that kept no refs: fall back on the finding
            refs.append(MessageRef(f.locator, f.message_sha256, f.message_id, f.date, True))
            known.add(f.locator)
    return refs


def _lookup_delivery(delivery: Mapping[str, str], disclosure: dedup.Disclosure) -> str | None:
    normalised = {_norm_id(k): v for k, v in delivery.items()}
    for loc in disclosure.locators:
        if loc in delivery:
            return delivery[loc]
    for mid in disclosure.message_ids:
        status = normalised.get(_norm_id(mid))
        if status is not None:
            return status
    return None


def _unknown_items(
    summary: LogSummary, events: Iterable[LogEvent], consumer: set[str], reveal: bool,
    inferred: frozenset[str], names: SourceNames,
) -> list[UnknownContent]:
    by_key: dict[str, LogEvent] = {}
    for event in events:
        by_key[str(event.locator)] = event
        if event.message_id:
            by_key[_norm_id(event.message_id)] = event
    out: list[UnknownContent] = []
    for item in summary.not_in_export_list:
        ref = str(item.locator) or item.message_id
        ev = by_key.get(ref) or by_key.get(_norm_id(ref))
        time, sender, status = item.time, item.sender, item.status
        # the event's own locator: a stored summary keeps its locators as written
        path = ev.locator.path if ev is not None else item.locator.path
        rcpts = list(item.consumer_recipients)
        known_consumer = {r.rpartition("@")[2] for r in rcpts}
        if ev is not None:
            time = time or ev.time
            sender = sender or ev.sender
            if not rcpts:
                rcpts = [r.addr for r in ev.recipients]
            if not status:
                status = ",".join(sorted({r.status for r in ev.recipients}))
        shown = tuple(
            mask_address(r, reveal) for r in rcpts if r and r.rpartition("@")[2] in consumer
        ) or tuple(mask_address(r, reveal) for r in rcpts if r)
        sender_text = sender
        # a personal mailbox as the sender is masked like any consumer address
        if sender_text.rpartition("@")[2] in consumer | known_consumer:
            sender_text = mask_address(sender_text, reveal)
        out.append(
            UnknownContent(
                time=time or None,
                sender=sender_text,
                recipients=shown,
                status=status or "unknown",
                ref=names.place(ref) if str(item.locator) else ref,
                year_inferred=path in inferred,
            )
        )
    return sorted(out, key=lambda u: (u.time or "", u.ref))


def compute(snapshot: CaseSnapshot, reveal: bool = False) -> Numbers:
    """All report figures for a snapshot (deterministic for the same snapshot)."""
    decisions = snapshot.decisions
    # one finding per fingerprint: identical copies of a message yield the same fingerprints
    unique: dict[str, Finding] = {}
    for f in sorted(snapshot.findings, key=lambda f: (f.locator, f.fingerprint)):
        unique.setdefault(f.fingerprint, f)
    findings = list(unique.values())
    consumer_findings = [f for f in findings if f.flow.is_consumer]
    other_flows = len(findings) - len(consumer_findings)
    # counted as every output counts them (findings.counts); the rest of the consumer-flow
    # findings are reserved test data (info)
    live = [f for f in consumer_findings if counts(f)]
    test_data = [f for f in consumer_findings if not counts(f)]
    kept = counted(live, decisions)
    statuses = Counter(status for _, status in kept)
    needs_review = sum(
        1
        for f, s in kept
        if s is Status.UNREVIEWED
        and f.fingerprint in decisions
        and decisions[f.fingerprint].decision.value == "needs-review"
    )
    false_pos = len(live) - len(kept)

    disclosures = dedup.group(_refs_with_findings(snapshot))
    where = dedup.index(disclosures)
    per_msg: dict[str, list[tuple[Finding, Status]]] = {}
    for f, s in kept:
        per_msg.setdefault(where[f.locator].key, []).append((f, s))

    consumer_addrs = {a.lower() for f, _ in kept for a in f.consumer_addresses}
    consumer_domains_all = {a.rpartition("@")[2] for a in consumer_addrs}
    delivery_map: Mapping[str, str] | None = None
    if snapshot.log_summary is not None:
        delivery_map = snapshot.log_summary.delivery

    names = SourceNames(snapshot, reveal)
    flagged: list[tuple[str, FlaggedMessage]] = []
    ids_all: set[str] = set()
    ids_confirmed: set[str] = set()
    no_id = no_id_confirmed = records = records_confirmed = 0
    cat_msgs: Counter[str] = Counter()
    cat_findings: Counter[str] = Counter()
    dom_msgs: Counter[str] = Counter()
    addr_msgs: Counter[tuple[str, str]] = Counter()
    sender_msgs: Counter[str] = Counter()
    staff_msgs: Counter[str] = Counter()
    consumer_sent = 0
    day_msgs: Counter[str] = Counter()
    facts: list[MessageFacts] = []
    for key in sorted(per_msg):
        items = per_msg[key]
        disclosure = where[key]
        confirmed = any(s is Status.CONFIRMED for _, s in items)
        ids = {f.value for f, _ in items if is_identifier(f)}
        ids_all |= ids
        if confirmed:
            ids_confirmed |= {
                f.value for f, s in items if is_identifier(f) and s is Status.CONFIRMED
            }
        health = any(not is_identifier(f) for f, _ in items)
        if not ids and health:
            no_id += 1
            if confirmed:
                no_id_confirmed += 1
        units = {f.where if f.where.startswith("attachment:") else "message" for f, _ in items}
        records += len(units)
        if confirmed:
            records_confirmed += len(
                {
                    f.where if f.where.startswith("attachment:") else "message"
                    for f, s in items
                    if s is Status.CONFIRMED
                }
            )
        cats = sorted({f.category for f, _ in items})
        for c in cats:
            cat_msgs[c] += 1
        for f, _ in items:
            cat_findings[f.category] += 1
        addrs = sorted({a.lower() for f, _ in items for a in f.consumer_addresses})
        domains = sorted({a.rpartition("@")[2] for a in addrs})
        for d in domains:
            dom_msgs[d] += 1
        for a in addrs:
            addr_msgs[(mask_address(a, reveal), a.rpartition("@")[2])] += 1
        first = min(items, key=lambda fs: (fs[0].date or "", fs[0].fingerprint))[0]
        sender_raw = first.sender.lower()
        from_consumer = (sender_raw in consumer_addrs
                         or first.flow in (Flow.FROM_CONSUMER, Flow.CONSUMER_TO_CONSUMER))
        sender = mask_address(sender_raw, reveal) if from_consumer else sender_raw
        sender_msgs[sender] += 1
        if from_consumer:
            consumer_sent += 1
        else:
            staff_msgs[sender] += 1
        dates = sorted(f.date for f, _ in items if f.date)
        date = dates[0] if dates else disclosure.date
        if date:
            day_msgs[date[:10]] += 1
        facts.append(MessageFacts(
            key=key, date=date, identifiers=tuple(sorted(ids)), health=health,
            confirmed=confirmed,
            mentions=tuple(dict.fromkeys(m for loc in disclosure.locators
                                         for m in snapshot.mentions.get(text_key(loc), ()))),
            staff_names=staff_names({a for f, _ in items for a in (f.sender, *f.recipients)
                                     if a == f.sender
                                     or in_org(a.rpartition("@")[2], snapshot.org_domains)})))
        delivery = None
        if delivery_map is not None:
            delivery = _lookup_delivery(delivery_map, disclosure) or "no log record"
        flagged.append((key, FlaggedMessage(
                key=names.place(key),
                locators=tuple(names.place(loc) for loc in disclosure.locators),
                message_id=disclosure.message_ids[0] if disclosure.message_ids else "",
                date=date,
                sender=sender,
                consumer_addresses=tuple(mask_address(a, reveal) for a in addrs),
                consumer_domains=tuple(domains),
                flow=first.flow.value,
                categories=tuple(cats),
                rules=tuple(sorted({f.rule for f, _ in items})),
                status="confirmed" if confirmed else "unreviewed",
                identifiers=len(ids),
                records=len(units),
                delivery=delivery,
                fingerprints=tuple(sorted({f.fingerprint for f, _ in items})),
                evidence=tuple(sorted({f.evidence for f, _ in items})) if reveal else (),
                values=tuple(sorted({f.value for f, _ in items})) if reveal else (),
                staff_recipients=tuple(sorted(
                    {r.lower() for f, _ in items for r in f.recipients}
                    - {a.lower() for f, _ in items for a in f.consumer_addresses}
                )) if from_consumer else (),
            )))
    # ordered by the stored locator, whatever the report shows for it
    flagged.sort(key=lambda km: (km[1].date or "~", km[0]))
    shown = [m for _, m in flagged]
    dates_all = [m.date for m in shown if m.date]

    logs = None
    if snapshot.log_summary is not None:
        logs = _log_numbers(snapshot.log_summary, snapshot, shown, consumer_domains_all,
                            reveal, names)

    persons = link(facts)
    # every mailbox the recipients worklist lists to contain: a forwarding target too
    contained = _containment(snapshot, consumer_addrs | {
        f.target.lower() for f in snapshot.log_forwarding or ()})
    read_for_names = any(text_key(loc) in snapshot.mentions
                         for f in facts for loc in where[f.key].locators)
    categories = tuple((c, category_label(c), n, cat_findings[c]) for c, n in _ranked(cat_msgs))
    n_confirmed = sum(1 for m in shown if m.status == "confirmed")
    skipped_kinds = Counter(s.kind.value for s in snapshot.skipped)
    flows = Counter(snapshot.flow_counts)
    log_sources = [s for s in snapshot.sources if s.is_log]
    consumer_flows = {f.value for f in CONSUMER_FLOWS}
    return Numbers(
        messages_found=max(snapshot.messages_found, snapshot.messages_scanned),
        messages_scanned=snapshot.messages_scanned,
        unique_messages=len(
            {where[m.locator].key for m in snapshot.messages if m.locator in where}
        ),
        duplicate_copies=sum(d.copies - 1 for d in disclosures),
        messages_flagged=len(shown),
        messages_confirmed=n_confirmed,
        messages_unreviewed=len(shown) - n_confirmed,
        findings_confirmed=statuses[Status.CONFIRMED],
        findings_unreviewed=statuses[Status.UNREVIEWED],
        findings_needs_review=needs_review,
        findings_false_positive=false_pos,
        findings_other_flows=other_flows,
        findings_test_data=len(test_data),
        distinct_identifiers=len(ids_all),
        distinct_identifiers_confirmed=len(ids_confirmed),
        messages_without_identifier=no_id,
        messages_without_identifier_confirmed=no_id_confirmed,
        data_subjects_estimate=len(persons),
        data_subjects_confirmed=sum(1 for p in persons if p.confirmed),
        records=records,
        records_confirmed=records_confirmed,
        first_seen=min(dates_all) if dates_all else None,
        last_seen=max(dates_all) if dates_all else None,
        categories=categories,
        consumer_domains=_ranked(dom_msgs),
        consumer_addresses=tuple(
            (a, d, n) for (a, d), n in sorted(addr_msgs.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        senders=_ranked(sender_msgs),
        staff_senders=_ranked(staff_msgs),
        consumer_sent=consumer_sent,
        by_day=tuple(sorted(day_msgs.items())),
        flagged=tuple(shown),
        copies=tuple((m.key, m.locators) for m in shown if len(m.locators) > 1),
        flows=_ranked(flows),
        skipped_by_kind=_ranked(skipped_kinds),
        logs=logs,
        has_identifiers=bool(ids_all),
        has_health_content=any(not is_identifier(f) for f, _ in kept),
        names=names,
        log_files=len(log_sources),
        log_events_read=sum(s.messages for s in log_sources),
        all_messages=snapshot.all_messages,
        # The default mode reads only the headers of a message with no consumer address.
        headers_only=0 if snapshot.all_messages else sum(
            k for flow, k in flows.items() if flow not in consumer_flows),
        persons=persons,
        containment=contained[0],
        containment_records=contained[1],
        first_request=contained[2],
        first_confirmed=contained[3],
        last_confirmed=contained[4],
        flagged_keys=tuple(k for k, _ in flagged),
        persons_method=METHOD if read_for_names or not facts else NO_NAMES_METHOD,
    )


def _containment(snapshot: CaseSnapshot, mailboxes: set[str]
                 ) -> tuple[tuple[tuple[str, int], ...], int, str | None, str | None,
                            str | None]:
    """(mailboxes by current status, records, first request, first and last confirmation) for
    the consumer mailboxes the report counts and the consumer addresses the logs forward to
    (the mailboxes `worklist recipients` lists)."""
    records = [r for r in snapshot.containment if r.address in mailboxes]
    now = current(records)
    by_status = Counter(now[a].status.value if a in now else NOT_CONTACTED for a in mailboxes)
    order = [s.value for s in ContainmentStatus] + [NOT_CONTACTED]
    requests = sorted(r.at for r in records if r.status is ContainmentStatus.REQUESTED)
    confirmed = sorted(r.at for r in records if r.status is ContainmentStatus.DELETED)
    return (tuple((s, by_status[s]) for s in order), len(records),
            requests[0] if requests else None, confirmed[0] if confirmed else None,
            confirmed[-1] if confirmed else None)


def _log_numbers(
    summary: LogSummary,
    snapshot: CaseSnapshot,
    flagged: list[FlaggedMessage],
    consumer_domains: set[str],
    reveal: bool,
    names: SourceNames,
) -> LogNumbers:
    events = list(snapshot.log_events)
    by_id: dict[str, list[LogEvent]] = {}
    for ev in events:
        if ev.message_id:
            by_id.setdefault(_norm_id(ev.message_id), []).append(ev)
    inferred = frozenset(y.path for y in summary.years if y.basis.inferred)
    flagged_events = [
        ev
        for m in flagged
        if m.message_id
        for ev in by_id.get(_norm_id(m.message_id), [])
        if ev.time
    ]
    # A year that rests on a file's mtime alone never sets the breach window: kept apart.
    flagged_times = sorted(str(ev.time) for ev in flagged_events
                           if ev.locator.path not in inferred)
    guessed_times = sorted(str(ev.time) for ev in flagged_events if ev.locator.path in inferred)
    delivery = Counter(m.delivery or "no log record" for m in flagged)
    unknown = _unknown_items(summary, events, consumer_domains, reveal, inferred, names)
    unknown_times = sorted(u.time for u in unknown if u.time)
    guessed_unknown = {u.time for u in unknown if u.time and u.year_inferred}
    return LogNumbers(
        events=summary.events,
        consumer_bound_messages=summary.consumer_bound_messages,
        matched_in_export=summary.matched_in_export,
        not_in_export=summary.not_in_export,
        forwarding_rules=summary.forwarding_rules,
        delivery=_ranked(delivery),
        first_flagged=flagged_times[0] if flagged_times else None,
        last_flagged=flagged_times[-1] if flagged_times else None,
        unknown_first=unknown_times[0] if unknown_times else None,
        unknown_last=unknown_times[-1] if unknown_times else None,
        unknown=tuple(unknown),
        inferred_first_flagged=guessed_times[0] if guessed_times else None,
        inferred_last_flagged=guessed_times[-1] if guessed_times else None,
        unknown_first_inferred=bool(unknown_times) and unknown_times[0] in guessed_unknown,
        unknown_last_inferred=bool(unknown_times) and unknown_times[-1] in guessed_unknown,
        years=tuple(y for y in summary.years if y.first_year is not None),
    )
