"""The rows of the three worklists, built from the ICO report's own figures.

Owns what each row says: `recipients` (one per consumer mailbox: flagged messages received
and sent, records, first and last dates, people, staff accounts involved, containment status),
`subjects` (one per linked person: identifiers, name, date of birth and case references,
masked unless revealed; the categories of data exposed, first and last dates, mailboxes) and
`senders` (one per staff account: flagged messages, dates, mailboxes, people). Built from
`reports.ico.numbers.Numbers`, so a worklist and the report cannot disagree. Never formats
output and never reads the case.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
                     "last", "data_subjects", "staff_accounts", "containment_status",
                     "status_date")
SUBJECT_COLUMNS = ("person", "name", "date_of_birth", "identifiers", "case_references",
                   "categories", "first", "last", "mailboxes", "messages", "linked_by",
                   "review")
SENDER_COLUMNS = ("account", "messages", "first", "last", "consumer_mailboxes",
                  "data_subjects")


@dataclass(frozen=True, slots=True)
class Containment:
    """A consumer mailbox's current containment status and when it was recorded."""

    status: str
    at: str


def build(worklist: Worklist, n: Numbers, *, reveal: bool,
          containment: Mapping[str, Containment] | None = None) -> Table:
    """The worklist from the report's figures, `n` computed revealed (one row per real
    mailbox: two addresses that mask alike stay two rows); masked here unless `reveal`.
    `containment`: the current status per consumer address (lower case)."""
    by_key = dict(zip(n.flagged_keys, n.flagged, strict=True))
    rows: list[tuple[object, ...]]
    columns: tuple[str, ...]
    if worklist is Worklist.RECIPIENTS:
        rows = _recipients(n, by_key, containment or {}, reveal)
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


def _recipients(n: Numbers, by_key: Mapping[str, FlaggedMessage],
                containment: Mapping[str, Containment], reveal: bool
                ) -> list[tuple[object, ...]]:
    people = _people_by_message(n)
    consumer = _consumer_shown(n)
    rows: list[tuple[object, ...]] = []
    for address, domain, count in n.consumer_addresses:
        keys = [k for k, m in by_key.items() if address in m.consumer_addresses]
        msgs = [by_key[k] for k in keys]
        sent = sum(1 for m in msgs if m.sender == address)
        first, last = _dates(msgs)
        staff = sorted({m.sender for m in msgs if m.sender not in consumer})
        state = containment.get(address.lower())
        rows.append((mask_address(address, reveal), domain, count, count - sent, sent,
                     sum(m.records for m in msgs), first, last,
                     len({p for k in keys for p in people.get(k, ())}), staff,
                     state.status if state else "not contacted", state.at if state else ""))
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
    people = _people_by_message(n)
    rows: list[tuple[object, ...]] = []
    for account, count in n.staff_senders:
        keys = [k for k, m in by_key.items() if m.sender == account]
        msgs = [by_key[k] for k in keys]
        first, last = _dates(msgs)
        rows.append((account, count, first, last,
                     len({a for m in msgs for a in m.consumer_addresses}),
                     len({p for k in keys for p in people.get(k, ())})))
    return rows
