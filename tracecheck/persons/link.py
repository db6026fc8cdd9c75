"""Linking mentions into persons: the data-subject count of a case.

Owns the rule of who is the same person, within and across flagged messages:
- the same health identifier (NHS, CHI or H&C number) is one person;
- the same name with the same date of birth is one person;
- the same name with the same case reference is one person;
- a name alone never links two messages (names repeat); a message that carries health data
  but names nobody it can link counts as one person;
- an identifier seen with two or more different names is not merged: each name is a person
  of its own, and each is flagged for review;
- two different identifiers are never joined because they sit in one mention: each is a
  person of its own, and when a name stood beside several of them (a household, a list
  under one name) none of them takes the name and each is flagged for review; identifiers
  joined across mentions by a name with a date of birth or case reference are flagged too;
- a staff name (the message's sender, an address in the organisation's domains, as
  `staff_names` spells them) is never a data subject: an identifier beside it is nameless.
So the count never falls below the distinct identifiers without a review flag.
Identifiers count only when the report counts them (`counted`: consumer flows, neither a false
positive nor reserved test data). Never reads the case or the evidence, never masks, never
formats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tracecheck.persons.mentions import Mention, normal_name

METHOD = (
    "people, not hits: mentions in the flagged messages are linked into persons when they "
    "share a health identifier (NHS, CHI or H&C number), a name with a date of birth, or a "
    "name with a case reference, within and across messages; a name alone never links two "
    "messages; a flagged message with health data that names nobody it can link counts as one "
    "person; an identifier seen with two different names is not merged (each name counts, and "
    "is flagged for review); two different identifiers are never joined because they appear "
    "together (each counts; a name written beside several is flagged for review); names of "
    "the sender and the organisation's staff are never taken for data subjects; copies of one "
    "message count once; false positives and reserved test-range numbers are excluded"
)
"""The method, as the report states it."""

NO_NAMES_METHOD = (
    "distinct identifier values (NHS, CHI, H&C numbers) across flagged messages, plus flagged "
    "messages that carry health data but no identifier (each counted as one person); copies "
    "of one message count once; false positives and reserved test-range numbers are excluded. "
    "The names in the messages were not read for this case (scanned before tracecheck linked "
    "people): scan it again to link them"
)
"""The method when the case holds no mentions (a case scanned by an older tracecheck)."""


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What linking needs of one flagged message (a disclosure, copies counted once)."""

    key: str
    date: str | None
    identifiers: tuple[str, ...]
    """Counted identifier values found in it (digits)."""
    health: bool
    """It carries counted health data other than an identifier."""
    confirmed: bool
    """At least one of its counted findings is confirmed by review."""
    mentions: tuple[Mention, ...]
    staff_names: frozenset[str] = frozenset()
    """Normalised names of its sender and of the organisation's addresses among its
    recipients (`staff_names`), whose names in a signature or greeting are not data
    subjects."""


@dataclass(frozen=True, slots=True)
class Person:
    """One data subject as linked: what identifies them and the messages about them."""

    key: str
    """Stable id within the case (`P0001`...), in order of first message then name."""
    name: str
    """A name as written in the messages (empty when none was found)."""
    dob: str
    identifiers: tuple[str, ...]
    refs: tuple[str, ...]
    messages: tuple[str, ...]
    """Keys of the flagged messages about them."""
    first: str | None
    last: str | None
    confirmed: bool
    linked_by: str
    """`identifier`, `name and date of birth`, `name and case reference`, or `message` (one
    person counted for a message that names nobody it can link)."""
    review: str = ""
    """Why a reviewer should look at this person (an identifier seen with several names)."""


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _keyed(mention: Mention) -> bool:
    return bool(mention.identifiers) or bool(mention.name and (mention.dob or mention.refs))


def link(messages: Sequence[MessageFacts]) -> tuple[Person, ...]:
    """The persons of the flagged `messages` (deterministic for the same input)."""
    nodes: list[tuple[MessageFacts, Mention]] = []
    shared: set[int] = set()
    """Nodes of an identifier that a name stood beside together with other identifiers."""
    # A number counted in one message links a reply that quotes it (the quote is not counted
    # again, but it says who the reply is about).
    counted = {v for facts in messages for v in facts.identifiers}
    for facts in sorted(messages, key=lambda m: ((m.date or "~"), m.key)):
        seen_ids: set[str] = set()
        for mention in facts.mentions:
            ids = tuple(i for i in mention.identifiers if i in counted)
            # a signature is where the sender's name sits, not who the message is about
            staff = mention.key_name in facts.staff_names
            name = "" if staff else mention.name
            if len(ids) > 1:
                # which of them the name belongs to is not known: none takes it
                for value in ids:
                    if name:
                        shared.add(len(nodes))
                    nodes.append((facts, Mention("", "", (), (value,), mention.where)))
                seen_ids.update(ids)
                continue
            kept = Mention(name, mention.dob if name else "", mention.refs if name else (),
                           ids, mention.where)
            if _keyed(kept):
                nodes.append((facts, kept))
                seen_ids.update(ids)
        for value in sorted(set(facts.identifiers) - seen_ids):  # not found in the text again
            nodes.append((facts, Mention("", "", (), (value,), "")))
    names_of: dict[str, set[str]] = {}
    for _, mention in nodes:
        for value in mention.identifiers:
            if mention.key_name:
                names_of.setdefault(value, set()).add(mention.key_name)
    conflicted = {v for v, names in names_of.items() if len(names) > 1}

    union = _Union(len(nodes))
    first_by: dict[tuple[str, ...], int] = {}
    for i, (_, mention) in enumerate(nodes):
        name = mention.key_name
        keys: list[tuple[str, ...]] = []
        for value in mention.identifiers:
            if value in conflicted:
                keys.append(("idn", value, name or min(names_of[value])))
            else:
                keys.append(("id", value))
        if name and mention.dob:
            keys.append(("nd", name, mention.dob))
        keys.extend(("nr", name, ref) for ref in mention.refs if name)
        for key in keys:
            if key in first_by:
                union.union(first_by[key], i)
            else:
                first_by[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(nodes)):
        groups.setdefault(union.find(i), []).append(i)

    built = [_person(nodes, members, conflicted, shared) for members in groups.values()]
    linked = {k for p in built for k in p.messages}
    for facts in messages:
        if facts.health and facts.key not in linked:
            built.append(_unlinked(facts))
    built.sort(key=lambda p: (p.first or "~", p.messages[0], normal_name(p.name), p.identifiers))
    return tuple(_numbered(p, i) for i, p in enumerate(built, start=1))


def _person(nodes: Sequence[tuple[MessageFacts, Mention]], members: Iterable[int],
            conflicted: set[str], shared: set[int]) -> Person:
    indices = list(members)
    picked = [nodes[i] for i in indices]
    names = [m.name for _, m in picked if m.name]
    ids = sorted({v for _, m in picked for v in m.identifiers})
    dobs = sorted({m.dob for _, m in picked if m.dob})
    refs = sorted({r for _, m in picked for r in m.refs})
    facts = {f.key: f for f, _ in picked}
    dates = sorted(f.date for f in facts.values() if f.date)
    how = ("identifier" if ids else
           "name and date of birth" if dobs else "name and case reference")
    clash = [v for v in ids if v in conflicted]
    review = (f"{len(clash)} identifier(s) of this person also appear with another name: "
              "check whether they are one person" if clash else "")
    notes = [review] if review else []
    if len(ids) > 1:
        notes.append(f"{len(ids)} different identifiers joined by {_how_joined(picked)}: check "
                     "whether they are one person")
    if any(i in shared for i in indices):
        notes.append("a name was written beside this identifier and others: check whose it is")
    if len(dobs) > 1:
        notes.append("more than one date of birth")
    review = "; ".join(notes)
    return Person("", names[0] if names else "", dobs[0] if dobs else "", tuple(ids),
                  tuple(refs), tuple(sorted(facts)), dates[0] if dates else None,
                  dates[-1] if dates else None, any(f.confirmed for f in facts.values()), how,
                  review)


def _how_joined(picked: Sequence[tuple[MessageFacts, Mention]]) -> str:
    """The rule that joined a person's mentions beyond one identifier."""
    return ("a name and date of birth" if any(m.dob for _, m in picked)
            else "a name and case reference")


def _unlinked(facts: MessageFacts) -> Person:
    named = [m.name for m in facts.mentions
             if m.name and m.key_name not in facts.staff_names]
    return Person("", named[0] if named else "", "", (), (), (facts.key,), facts.date,
                  facts.date, facts.confirmed, "message")


def _numbered(person: Person, n: int) -> Person:
    return Person(f"P{n:04d}", person.name, person.dob, person.identifiers, person.refs,
                  person.messages, person.first, person.last, person.confirmed,
                  person.linked_by, person.review)


def staff_names(addresses: Iterable[str]) -> frozenset[str]:
    """Names an address spells in its local part (`wesley.gorton@…` → `wesley gorton`)."""
    out = set()
    for addr in addresses:
        local = addr.rpartition("@")[0].casefold()
        words = [w for w in local.replace("_", ".").replace("-", ".").split(".") if w.isalpha()]
        if len(words) >= 2:
            out.add(" ".join(words))
    return frozenset(out)
