"""The hits of one message, kept as they are found: one record per part, rule and value, within
the findings limits.

Owns how a message's detector hits are kept. A hit of a (part, rule, value) already kept adds an
occurrence to it (the highest confidence is kept, and whether every occurrence was quoted); a
hit of a new one is kept while its part holds fewer than `max_findings_per_part` records and
the message fewer than `max_findings`, and is otherwise counted, not kept; after `max_matches`
hits the message's detectors stop. A unit whose part and text are those of a unit just scanned
adds what that one added (`replay`), without the detectors running again. The records come
out in the order their first hit was found, with that hit's place and evidence: exactly the
findings that grouping every hit would give (`findings.findings_for`), at a cost that grows
with the records kept, not with the hits. What a limit held back becomes a `limit` entry.
Never runs detectors and never masks (the matcher does both, `Matcher.scan_into`).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tracecheck.model import ExtractLimits, Locator, Match, SkipKind, Skipped, TextUnit
from tracecheck.rules.pack import Detector


@dataclass(slots=True)
class _Record:
    """One (part, rule, value) kept: its first hit and what later hits added."""

    det: Detector
    part: str
    where: str
    start: int
    end: int
    value: str
    test_data: bool
    confidence: float
    quoted: bool
    occurrences: int = 1
    evidence: str = ""
    reasons: tuple[str, ...] = ()
    """Why the most confident hit fired (`Match.reasons`): the first such hit in the text."""
    reasons_at: int = -1
    """Where the hit whose reasons are kept starts."""


@dataclass(slots=True)
class _Held:
    """Hits not kept because a findings limit was reached, by rule."""

    hits: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class _Seen:
    """What the hits of one unit added to the tally, to add again for a unit with the same
    part and text (the same zip member attached fifty times) without running the detectors:
    per (part, rule, value), the hits, their highest confidence, whether all were quoted."""

    kept: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)
    held: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """Hits of values that a findings limit held back, per key."""
    hits: int = 0


REPLAYS = 16
"""Units whose hits are remembered (the last ones, by part and text) for `replay`."""
REPLAY_KEYS = 4096
"""A unit with more distinct values than this is not remembered (it costs memory, and a text
that rich is seldom repeated)."""


class Tally:
    """The records of one message (mutable: the matcher adds to it unit by unit)."""

    def __init__(self, limits: ExtractLimits) -> None:
        self.limits = limits
        self._records: dict[tuple[str, str, str], _Record] = {}
        self._per_part: Counter[str] = Counter()
        self._new: dict[tuple[str, str, str], _Record] = {}
        """Records first found in the unit being scanned (committed by `end_unit`)."""
        self._unit: TextUnit | None = None
        self.hits = 0
        """Hits taken (kept or counted)."""
        self._part_full: dict[str, _Held] = {}
        self._message_full = _Held()
        self._seen: OrderedDict[tuple[str, bytes], _Seen] = OrderedDict()
        self._current: _Seen | None = None
        self._digest = b""

    @property
    def stopped(self) -> bool:
        """True once `max_matches` hits were taken: no detector runs any more."""
        return self.hits >= self.limits.max_matches

    def begin_unit(self, unit: TextUnit, digest: bytes = b"") -> None:
        """The hits that follow are in `unit`; `digest` (of its text) remembers what they
        add, for `replay`."""
        self._unit = unit
        self._new = {}
        self._digest = digest
        self._current = _Seen() if digest else None

    def replay(self, unit: TextUnit, digest: bytes) -> bool:
        """Add again what a unit of the same part and text (`digest`) added, as running the
        detectors over it would: each value's hits, highest confidence and quoting; the
        values a limit held back, held back again (the limits only fill up). False, and
        nothing added, when no such unit is remembered or the hits would pass `max_matches`
        (the detectors then run, and stop where they must)."""
        seen = self._seen.get((unit.part, digest))
        if seen is None or self.hits + seen.hits > self.limits.max_matches:
            return False
        self._seen.move_to_end((unit.part, digest))
        for key, (n, confidence, quoted) in seen.kept.items():
            record = self._records[key]
            record.occurrences += n
            record.confidence = max(record.confidence, confidence)
            record.quoted = record.quoted and quoted
        for key, n in seen.held.items():
            part, rule, _ = key
            if self._per_part[part] >= self.limits.max_findings_per_part:
                self._part_full.setdefault(part, _Held()).hits[rule] += n
            else:
                self._message_full.hits[rule] += n
        self.hits += seen.hits
        return True

    def take(self, det: Detector, start: int, end: int, value: str, confidence: float,
             test_data: bool, quoted: bool, reasons: tuple[str, ...] = ()) -> bool:
        """One hit at or above the confidence threshold; False when the message's detectors
        must stop (`stopped`)."""
        if self.stopped:
            return False
        unit = self._unit
        assert unit is not None
        self.hits += 1
        key = (unit.part, det.id, value)
        record = self._records.get(key) or self._new.get(key)
        kept = True
        if record is not None:
            record.occurrences += 1
            # A hit of this unit may come after a later one of the same value (identifiers
            # vouched for once every detector has run): the record keeps the first hit's place,
            # and the reasons of the first of the most confident hits, as grouping the unit's
            # hits in text order does. A record of an earlier unit is before any hit of this one.
            here = key in self._new
            if here and start < record.start:
                record.start, record.end = start, end
            if confidence > record.confidence or (
                    here and confidence == record.confidence and start < record.reasons_at):
                record.confidence = confidence
                record.reasons = reasons
                record.reasons_at = start
            record.quoted = record.quoted and quoted
        elif self._per_part[unit.part] >= self.limits.max_findings_per_part:
            self._part_full.setdefault(unit.part, _Held()).hits[det.id] += 1
            kept = False
        elif len(self._records) + len(self._new) >= self.limits.max_findings:
            self._message_full.hits[det.id] += 1
            kept = False
        else:
            self._new[key] = _Record(det, unit.part, unit.where, start, end, value, test_data,
                                     confidence, quoted, reasons=reasons, reasons_at=start)
            self._per_part[unit.part] += 1
        seen = self._current
        if seen is not None:
            seen.hits += 1
            if kept:
                got = seen.kept.get(key)
                if got is None:
                    seen.kept[key] = [1, confidence, quoted]
                else:
                    got[0] += 1
                    got[1] = max(got[1], confidence)
                    got[2] = got[2] and quoted
            else:
                seen.held[key] = seen.held.get(key, 0) + 1
            if len(seen.kept) + len(seen.held) > REPLAY_KEYS:
                self._current = None
        return not self.stopped

    def end_unit(self, evidence: Callable[[int, int], str], *, whole: bool = True) -> None:
        """Keep the unit's new records in the order their first hits come in the unit (by
        place, then rule id), each with `evidence(start, end)` of its first hit. `whole`:
        every detector ran to its end (no timeout), so the unit can be replayed."""
        for key, record in sorted(self._new.items(),
                                  key=lambda kv: (kv[1].start, kv[1].end, kv[1].det.id)):
            record.evidence = evidence(record.start, record.end)
            self._records[key] = record
        seen = self._current
        if seen is not None and whole and not self.stopped and self._unit is not None:
            self._seen[(self._unit.part, self._digest)] = seen
            if len(self._seen) > REPLAYS:
                self._seen.popitem(last=False)
        self._new = {}
        self._unit = None
        self._current = None

    def matches(self) -> list[Match]:
        """One `Match` per record, in the order first found; the tally is emptied (each
        record let go as its match is made)."""
        out = []
        records = self._records
        for key in list(records):
            r = records.pop(key)
            out.append(Match(rule=r.det.id, category=r.det.category, severity=r.det.severity,
                             part=r.part, where=r.where, start=r.start, end=r.end,
                             value=r.value, evidence=r.evidence,
                             confidence=round(r.confidence, 3), test_data=r.test_data,
                             pack=r.det.pack, quoted=r.quoted, occurrences=r.occurrences,
                             reasons=r.reasons))
        return out

    def limits_reached(self, message: Locator) -> list[Skipped]:
        """A `limit` entry for each part whose findings limit held hits back, one for the
        message's, and one when the detectors stopped (`stopped`)."""
        lim = self.limits
        out = [Skipped(locator=message, part=part, kind=SkipKind.LIMIT,
                       reason=f"limit: more than {lim.max_findings_per_part:,} distinct findings "
                              f"in this part (max_findings_per_part): {_held(held)} counted, "
                              "not listed")
               for part, held in self._part_full.items()]
        if self._message_full.hits:
            out.append(Skipped(
                locator=message, part="*", kind=SkipKind.LIMIT,
                reason=f"limit: more than {lim.max_findings:,} distinct findings in this message "
                       f"(max_findings_per_message): {_held(self._message_full)} counted, not "
                       "listed"))
        if self.stopped:
            out.append(Skipped(
                locator=message, part="*", kind=SkipKind.LIMIT,
                reason=f"limit: the detectors stopped after {lim.max_matches:,} hits in this "
                       "message (max_matches_per_message); the rest of its text was not "
                       "scanned"))
        return out


def _held(held: _Held) -> str:
    """`12,345 hits of further values (nhs-number 12,000, symptom 345)`."""
    total = sum(held.hits.values())
    rules = ", ".join(f"{rule} {n:,}" for rule, n in sorted(held.hits.items()))
    return f"{total:,} hits of further values ({rules})"
