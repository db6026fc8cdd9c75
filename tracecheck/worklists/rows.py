"""The rows of the three worklists, built from the ICO report's own figures.

Owns what each row says: `recipients` (one per consumer mailbox: flagged messages received
and sent, records, first and last dates, the dated subject of each message (masked through
`rules.mask.mask_subject` unless revealed), people, staff accounts involved, the forwarding
found in the logs that points at it, containment status, and notes saying what is not known
and why; a forwarding target that received no flagged message is a row of its own),
`subjects` (one per linked person: identifiers, name, date of birth and case references,
masked unless revealed; the categories of data exposed, first and last dates, mailboxes) and
`senders` (one per staff account: flagged messages, dates, mailboxes, people). Built from
`reports.ico.numbers.Numbers`, so a worklist and the report cannot disagree, and from what
the case snapshot adds beside them (`CaseFacts`: subjects, forwarding). Never formats output
and never reads the case store.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tracecheck.case.snapshot import CaseSnapshot, text_key
from tracecheck.model import LogForwarding
from tracecheck.reports.ico.numbers import FlaggedMessage, Numbers, category_label
from tracecheck.rules.mask import mask_address, mask_identifier, mask_subject, mask_words


class Worklist(enum.StrEnum):
    """Which list."""

    RECIPIENTS = "recipients"
    SUBJECTS = "subjects"
    SENDERS = "senders"


@dataclass(frozen=True, slots=True)
class Table:
    """A worklist as columns and rows of plain values (text, numbers, lists of text)."""

    worklist: Worklist
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    revealed: bool

    def records(self) -> list[dict[str, object]]:
        """The rows as dicts, keys in column order."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


RECIPIENT_COLUMNS = ("address", "domain", "messages", "received", "sent", "records", "first",
                     "last", "subjects", "data_subjects", "staff_accounts", "forwarding_rules",
                     "forwarded_by", "forwarding_first", "forwarding_last",
                     "containment_status", "status_date", "notes")
SUBJECT_COLUMNS = ("person", "name", "date_of_birth", "identifiers", "case_references",
                   "categories", "first", "last", "mailboxes", "messages", "linked_by",
                   "review")
SENDER_COLUMNS = ("account", "direction", "messages", "sent", "received", "first", "last",
                  "consumer_mailboxes", "data_subjects")


@dataclass(frozen=True, slots=True)
class Containment:
    """A consumer mailbox's current containment status and when it was recorded."""

    status: str
    at: str


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the case keeps beside the report's figures that the recipients list shows."""

    subjects: Mapping[str, str | None] = field(default_factory=dict)
    """The Subject of each flagged message by locator (`CaseSnapshot.subjects`)."""
    forwarding: tuple[LogForwarding, ...] | None = ()
    """Forwarding to consumer addresses found in the logs; None when the case's logs were
    scanned before it was kept (unknown), empty when there is none or no logs."""
    inferred_logs: frozenset[str] = frozenset()
    """Log files whose year-less times got their year from the file's date alone."""
    extra_consumer: tuple[str, ...] = ()
    """Consumer domains the scans added to the shipped list (`--consumer-domain`)."""
    allowed: tuple[str, ...] = ()
    """Addresses the scans never treated as consumer mailboxes (`allow_addresses`)."""

    def is_consumer(self, address: str) -> bool:
        """The one consumer-mailbox rule (`domains.ConsumerDomains`), as the scans used it."""
        from tracecheck.domains import ConsumerDomains

        rule = ConsumerDomains.load_default(self.extra_consumer).with_allowed(self.allowed)
        return rule.is_consumer(address)

    @classmethod
    def of(cls, snapshot: CaseSnapshot) -> CaseFacts:
        """The facts of a case snapshot."""
        summary = snapshot.log_summary
        return cls(
            subjects=snapshot.subjects,
            forwarding=snapshot.log_forwarding if summary is not None else (),
            inferred_logs=frozenset(y.path for y in summary.years if y.basis.inferred)
            if summary is not None else frozenset(),
            extra_consumer=_run_option(snapshot, "extra_consumer"),
            allowed=_run_option(snapshot, "allow_addresses"))


def _run_option(snapshot: CaseSnapshot, key: str) -> tuple[str, ...]:
    """A list option of the case's scans (every run's, merged)."""
    out: set[str] = set()
    for run in snapshot.runs:
        values = run.options.get(key)
        if isinstance(values, list):
            out.update(v for v in values if isinstance(v, str))
    return tuple(sorted(out))


NOT_KEPT = ("subject unknown for {n} message(s): the case was scanned before tracecheck kept "
            "subjects (scan the evidence again with --case to fill them)")
NOT_READ = ("subject unknown for {n} message(s): the message could not be read again after "
            "the scan (moved, changed or unreadable)")
FORWARDING_NOT_KEPT = ("forwarding rules unknown: the case's logs were scanned before "
                       "tracecheck kept them (scan the logs again with --case)")
FORWARDING_YEAR = ("the year of a forwarding time rests on the log file's date alone "
                   "(inferred)")
FORWARD_ONLY = ("no flagged message to or from this mailbox: listed as the target of "
                "forwarding found in the logs (what it received is not known)")
UNKNOWN_SUBJECT = "(subject unknown)"
NO_SUBJECT = "(no subject)"


def build(worklist: Worklist, n: Numbers, *, reveal: bool,
          containment: Mapping[str, Containment] | None = None,
          facts: CaseFacts | None = None) -> Table:
    """The worklist from the report's figures, `n` computed revealed (one row per real
    mailbox: two addresses that mask alike stay two rows); masked here unless `reveal`.
    `containment`: the current status per consumer address (lower case); `facts`: what the
    case keeps beside the figures (none: subjects unknown, no forwarding)."""
    by_key = dict(zip(n.flagged_keys, n.flagged, strict=True))
    rows: list[tuple[object, ...]]
    columns: tuple[str, ...]
    if worklist is Worklist.RECIPIENTS:
        rows = _recipients(n, by_key, containment or {}, facts or CaseFacts(), reveal)
        columns = RECIPIENT_COLUMNS
    elif worklist is Worklist.SUBJECTS:
        rows = _subjects(n, by_key, reveal)
        columns = SUBJECT_COLUMNS
    else:
        rows = _senders(n, by_key)
        columns = SENDER_COLUMNS
    return Table(worklist, columns, tuple(rows), reveal)


def _people_by_message(n: Numbers) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for person in n.persons:
        for key in person.messages:
            out.setdefault(key, set()).add(person.key)
    return out


def _consumer_shown(n: Numbers) -> set[str]:
    return {a for m in n.flagged for a in m.consumer_addresses}


def _dates(messages: Sequence[FlaggedMessage]) -> tuple[str, str]:
    dates = sorted(m.date for m in messages if m.date)
    return (dates[0], dates[-1]) if dates else ("", "")


def _subject_lines(keys: Sequence[str], by_key: Mapping[str, FlaggedMessage],
                   subjects: Mapping[str, str | None], reveal: bool) -> tuple[list[str], list[str]]:
    """(`DAY subject` per message, date order, masked unless `reveal`; notes on the unknown).
    A message's subject is the one read from any of its copies."""
    lines: list[tuple[str, str, str]] = []
    not_kept = not_read = 0
    for key in keys:
        m = by_key[key]
        found = [subjects[text_key(loc)] for loc in (key, *m.locators)
                 if text_key(loc) in subjects]
        text = next((t for t in found if t is not None), None)
        if text is None:
            not_kept += not found
            not_read += bool(found)
            shown = UNKNOWN_SUBJECT
        else:
            shown = mask_subject(text, reveal) if text else NO_SUBJECT
        lines.append((m.date or "", key, f"{(m.date or 'undated')[:10]} {shown}"))
    notes = ([NOT_KEPT.format(n=not_kept)] if not_kept else []) + (
        [NOT_READ.format(n=not_read)] if not_read else [])
    return [line for _, _, line in sorted(lines)], notes


@dataclass
class _Forwards:
    """The forwarding found in the logs that points at one consumer address."""

    count: int = 0
    times: list[str] = field(default_factory=list)
    mailboxes: set[str] = field(default_factory=set)
    inferred: bool = False


def _forwards(facts: CaseFacts) -> dict[str, _Forwards]:
    out: dict[str, _Forwards] = {}
    for f in facts.forwarding or ():
        agg = out.setdefault(f.target.lower(), _Forwards())
        agg.count += 1
        if f.time:
            agg.times.append(f.time)
            agg.inferred |= f.locator.path in facts.inferred_logs
        agg.mailboxes.add((f.mailbox or f.actor or "unknown").lower())
    return out


def _recipients(n: Numbers, by_key: Mapping[str, FlaggedMessage],
                containment: Mapping[str, Containment], facts: CaseFacts, reveal: bool
                ) -> list[tuple[object, ...]]:
    people = _people_by_message(n)
    consumer = _consumer_shown(n)
    forwards = _forwards(facts)
    # a forwarding mailbox at a consumer domain is someone's personal address: masked

    def forwarding(address: str) -> tuple[list[object], list[str]]:
        if facts.forwarding is None:
            return ["unknown", [], "", ""], [FORWARDING_NOT_KEPT]
        agg = forwards.pop(address.lower(), _Forwards())
        times = sorted(agg.times)
        by = sorted({mask_address(a, reveal) if facts.is_consumer(a) else a
                     for a in agg.mailboxes})
        return ([agg.count, by, times[0] if times else "", times[-1] if times else ""],
                [FORWARDING_YEAR] if agg.inferred else [])

    rows: list[tuple[object, ...]] = []
    for address, domain, count in n.consumer_addresses:
        keys = [k for k, m in by_key.items() if address in m.consumer_addresses]
        msgs = [by_key[k] for k in keys]
        sent = sum(1 for m in msgs if m.sender == address)
        first, last = _dates(msgs)
        staff = sorted({m.sender for m in msgs if m.sender not in consumer}
                       | {r for m in msgs for r in m.staff_recipients})
        state = containment.get(address.lower())
        subjects, notes = _subject_lines(keys, by_key, facts.subjects, reveal)
        fwd, fwd_notes = forwarding(address)
        rows.append((mask_address(address, reveal), domain, count, count - sent, sent,
                     sum(m.records for m in msgs), first, last, subjects,
                     len({p for k in keys for p in people.get(k, ())}), staff, *fwd,
                     state.status if state else "not contacted", state.at if state else "",
                     notes + fwd_notes))
    for target in sorted(forwards):  # forwarded to, but no flagged message: contain it too
        fwd, fwd_notes = forwarding(target)
        state = containment.get(target)
        rows.append((mask_address(target, reveal), target.rpartition("@")[2], 0, 0, 0, 0,
                     "", "", [], 0, [], *fwd,
                     state.status if state else "not contacted", state.at if state else "",
                     [FORWARD_ONLY, *fwd_notes]))
    return rows


def _subjects(n: Numbers, by_key: Mapping[str, FlaggedMessage],
              reveal: bool) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for person in n.persons:
        msgs = [by_key[k] for k in person.messages if k in by_key]
        categories = sorted({category_label(c) for m in msgs for c in m.categories})
        mailboxes = sorted({mask_address(a, reveal) for m in msgs
                            for a in m.consumer_addresses})
        rows.append((
            person.key,
            person.name if reveal else mask_words(person.name),
            person.dob if reveal else mask_subject(person.dob),
            [v if reveal else mask_identifier(v) for v in person.identifiers],
            [r if reveal else mask_subject(r) for r in person.refs],
            categories, person.first or "", person.last or "", mailboxes, len(msgs),
            person.linked_by, person.review))
    return rows


def _senders(n: Numbers, by_key: Mapping[str, FlaggedMessage]) -> list[tuple[object, ...]]:
    """Staff accounts: those that sent flagged mail to a consumer mailbox and those that
    received it from one, each with its direction."""
    people = _people_by_message(n)
    consumer = _consumer_shown(n)
    accounts = {a for a, _ in n.staff_senders} | {
        r for m in by_key.values() for r in m.staff_recipients}
    rows: list[tuple[object, ...]] = []
    for account in accounts:
        sent = [k for k, m in by_key.items() if m.sender == account and account not in consumer]
        received = [k for k, m in by_key.items() if account in m.staff_recipients]
        keys = sorted(set(sent) | set(received))
        msgs = [by_key[k] for k in keys]
        first, last = _dates(msgs)
        direction = ("sent and received" if sent and received else
                     "sent" if sent else "received")
        rows.append((account, direction, len(keys), len(sent), len(received), first, last,
                     len({a for m in msgs for a in m.consumer_addresses}),
                     len({p for k in keys for p in people.get(k, ())})))
    rows.sort(key=lambda r: (-int(str(r[2])), str(r[0])))
    return rows
