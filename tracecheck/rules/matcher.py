"""The matcher: runs compiled detectors over text units and yields masked `Match` records.

Owns the per-unit pipeline: prefilter (keywords, digit count) → pattern (regex module, under
a timeout) → allowlist → token check (URL, email, IBAN) → validators → deny-context →
required companions within N characters → context window → confidence threshold → masking.
Boilerplate (signatures, disclaimers, footers) neither matches nor provides context; matches
in quoted reply text are marked. A timeout on a hostile unit becomes a `Skipped` (kind
`timeout`), never a hang and never silence. Never sees message headers or flows.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import hashlib
import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import ahocorasick_rs
import regex

from tracecheck.errors import UsageError
from tracecheck.model import ExtractLimits, Locator, Match, Severity, SkipKind, Skipped, TextUnit
from tracecheck.rules import mask
from tracecheck.rules.boilerplate import Regions, blank, regions
from tracecheck.rules.judge import (
    about_no_one,
    cue_strength,
    is_mailing,
    person_cues,
    to_many,
    unwrapped,
)
from tracecheck.rules.lexicon import lexicon
from tracecheck.rules.literals import Occurrences, occurrences, reach
from tracecheck.rules.pack import NEVER, Companion, ContextRule, Detector, Pack
from tracecheck.rules.tally import Tally
from tracecheck.rules.validators import MIN_DIGITS, REGISTRY, UNISSUED_FACTOR, Verdict

DEFAULT_TIMEOUT = 5.0
HEALTH_NEAR = 60
"""Characters between an identifier and a health statement that make it one (a roster line:
`George T (88) 447.679.8276 - palliative`)."""
REPLAY_CHARS = 4096
"""Units at least this long are hashed, so that the same text again in the same part adds
its hits without the detectors running (`rules.tally.Tally.replay`)."""
_IBAN = regex.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_NON_DIGITS = bytes(b for b in range(128) if not chr(b).isdigit())

TEN_DIGITS = (r"(?:(?<![\w£$€\-/]|\d[.\-]|\+\d{1,3}[\s-]?) "
              r"(?:\d{3}([\s.\-–—]?|[.\-–—]?[^\S\n]*\n[^\S\n]*)\d{3}"
              r"(?:\1|[.\-–—]?[^\S\n]*\n[^\S\n]*|(?<=\n\d{3})[\s.\-–—])\d{4}| "
              r"\d{6}[\s\-–—]\d{4}|\d{5}[^\S\n]\d{5}| "
              r"\d{6}[^\S\n]*\|[^\S\n]*\d{4}|\d{3}[^\S\n]*\|[^\S\n]*\d{3}[^\S\n]*\|[^\S\n]*\d{4}| "
              r"(?<!\d[^\S\n])\d(?:[^\S\n]\d){9}(?![^\S\n]\d)) "
              r"(?![\w]|\.\d|,\d{1,2}(?![\d/.\-])|[.\-/–—]\d))")
"""The shipped pack's ten-digit pattern (set `ten_digits`, shared by the NHS, CHI and H&C
detectors) as compiled; `ten_digit_shape` is a necessary condition for it (tests hold the
constant equal to the shipped pack and the condition necessary)."""


def _shape_table() -> bytes:
    table = bytearray(b"x" * 256)  # x: neither a digit nor a word character
    for ch in b"0123456789":
        table[ch] = ord("d")
    for ch in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_":
        table[ch] = ord("w")
    return bytes(table)


_SHAPE_TABLE = _shape_table()
_CANDIDATE = re.compile(
    rb"(?<![dw])(?:ddd(?=(?:x*ddd)x*dddd(?![dw])|ddxddddd(?![dw]))|d(?=(?:xd){9}(?![dw])))")
"""In the byte map: digits shaped 3-3-4 with separator runs (or none) between the groups
(a table cell's `|` is a separator too), 5-5, or ten single digits each after one separator,
at a word start and not followed by a digit or word character. Every ASCII match of
`TEN_DIGITS` has one of these shapes (a separator is never a digit or word character)."""


def ten_digit_starts(text: str) -> list[int] | None:
    """Every position where a match of `TEN_DIGITS` could start, in order (None for text
    that is not ASCII): in ASCII text every match is ten digits grouped 3-3-4 (separator
    runs or none between the groups), 5-5 or one at a time, at the start of the text or
    after a character that is neither a digit nor a word character. One C-level regex walk
    over a byte map of the text instead of the pattern's own walk over every position (most
    business mail has phone numbers, dates and figures, and no such run)."""
    if not text.isascii():
        return None
    shapes = text.encode("ascii").translate(_SHAPE_TABLE)
    return [m.start() for m in _CANDIDATE.finditer(shapes)]


def ten_digit_shape(text: str) -> bool:
    """False only when `text` cannot hold a match of `TEN_DIGITS` (`ten_digit_starts`)."""
    starts = ten_digit_starts(text)
    return starts is None or bool(starts)


@dataclass(frozen=True, slots=True)
class Hit:
    """A raw detector hit inside one string."""

    start: int
    end: int
    value: str
    confidence: float
    test_data: bool
    quoted: bool = False
    context: bool = False
    """The detector's context window matched (or it has none)."""
    listed: bool = False
    """Below the threshold only for want of context, with the value alone on its row of a
    list (`_in_row`): context elsewhere in the list may vouch for it."""
    why: tuple[str, ...] = ()
    """Why it fired: the checks passed, the companions and context found, the person cues."""


CUE_INDEX_AFTER = 16
"""Windows of one judge's cue searched outright in a text before its strings are found in
the whole text (`Text.cue_may_match`)."""
CUE_SEARCH_WIDTH = 400
"""The widest window of a cue searched outright (`Text.cue_may_match`)."""


class Text:
    """One string to scan, with lazily computed lower-case, regions and context view."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.low = text.lower()
        self._spans: dict[tuple[str, int], Found] = {}
        self._words: dict[tuple[str, ...], list[tuple[int, int, str]]] = {}
        self._digits: int | None = None
        self._found: dict[tuple[str, int], Occurrences | None] = {}
        """Required strings of a window pattern found in the text (`may_match`), by pattern
        and flags (detectors compile the same context sets each for itself)."""
        self._found_blanked: dict[tuple[str, int], Occurrences | None] = {}
        """The same in the context text, when boilerplate was blanked."""
        self._mailing: bool | None = None
        self._to_many: bool | None = None
        self._cue_asks: dict[tuple[str, int], int] = {}
        self._cue_index: dict[tuple[str, int], Occurrences | None] = {}
        """Required strings of the judge's cues found in `judged_text`, once asked for."""

    def has_digits(self, n: int) -> bool:
        """False only when the text holds fewer than `n` digit characters (`str.isdigit`, as
        `normalise` counts them): counted exactly for ASCII text, else bounded by length."""
        if n <= 0:
            return True
        if self._digits is None:
            text = self.text
            self._digits = (len(text.encode("ascii").translate(None, _NON_DIGITS))
                            if text.isascii() else len(text))
        return self._digits >= n

    def spans(self, pattern: regex.Pattern[str], timeout: float) -> Found:
        """(start, end, text) of every match of `pattern`; detectors that share a pattern
        (NHS and H&C numbers) scan the text once."""
        key = (pattern.pattern, pattern.flags)
        found = self._spans.get(key)
        if found is None:
            starts = (ten_digit_starts(self.text)
                      if key[0] == TEN_DIGITS and key[1] & regex.VERBOSE else None)
            found = Found(self.text)
            windows = self._windows(pattern) if starts is None else None
            if starts is not None:
                _matches_at(pattern, self.text, starts, timeout, found)
            elif windows is not None:
                _matches_in(pattern, self.text, windows, timeout, found)
            else:
                for m in pattern.finditer(self.text, timeout=timeout):
                    found.add(m.start(), m.end())
            self._spans[key] = found
        return found

    def lexicon_spans(self, terms: tuple[str, ...]) -> list[tuple[int, int, str]]:
        """(start, end, text) of every lexicon match (`rules/lexicon.py`), found once."""
        found = self._words.get(terms)
        if found is None:
            found = self._words[terms] = lexicon(terms).spans(self.text, self.low)
        return found

    def _windows(self, pattern: regex.Pattern[str]) -> list[tuple[int, int, int]] | None:
        """Where a match of `pattern` could lie, as (lo, hi, reach): spans around the
        strings every match contains, as wide as a match (`literals.reach`), and how far
        past `hi` the pattern's assertions read. None when that cannot be said (an
        unbounded or unreadable pattern, no required strings, a text whose lower case moved
        indexes or that holds a character folding into ASCII): search the whole text."""
        bounds = reach(pattern)
        if bounds is None:
            return None
        key = (pattern.pattern, pattern.flags)
        try:
            found = self._found[key]
        except KeyError:
            found = self._found[key] = occurrences(pattern, self.text, self.low)
        spans = found.windows(bounds[0]) if found is not None else None
        if spans is None:
            return None
        return [(lo, hi, bounds[1]) for lo, hi in spans]

    def may_match(self, pattern: regex.Pattern[str], lo: int, hi: int, *, raw: bool) -> bool:
        """False only when `pattern` cannot match inside [lo, hi) of the text (`raw`) or of
        the context text: the window holds none of the strings every match contains
        (`literals`). Those strings are found once per text and pattern."""
        found = self._index(pattern, raw=raw)
        return found is None or found.may_match(lo, hi)

    def _index(self, pattern: regex.Pattern[str], *, raw: bool) -> Occurrences | None:
        """Where `pattern`'s required strings lie in the text (`raw`) or the context text,
        found once per text and pattern; None when there is no prefilter."""
        if raw or not self.regions.boilerplate:
            cache, text, low = self._found, self.text, self.low
        else:
            cache, text = self._found_blanked, self.context_text
            low = None
        key = (pattern.pattern, pattern.flags)
        try:
            return cache[key]
        except KeyError:
            found = cache[key] = occurrences(pattern, text,
                                             text.lower() if low is None else low)
            return found

    def cue_may_match(self, pattern: regex.Pattern[str], lo: int, hi: int) -> bool:
        """`may_match` on the text the judge reads (`judged_text`), for its cues.
        The first `CUE_INDEX_AFTER` narrow windows of a cue in a text are searched outright:
        finding a cue's strings in the whole of a long text costs more than searching the
        few windows of a text with few candidates. From then on, and for a window wider than
        `CUE_SEARCH_WIDTH` (the animal and fiction cues' 1,200 characters, which cost more to
        search than the text to index), the strings answer: once found, for every window."""
        key = (pattern.pattern, pattern.flags)
        try:
            found = self._cue_index[key]
        except KeyError:
            if hi - lo <= CUE_SEARCH_WIDTH:
                asked = self._cue_asks.get(key, 0)
                if asked < CUE_INDEX_AFTER:
                    self._cue_asks[key] = asked + 1
                    return True
            text = self.judged_text
            found = self._cue_index[key] = (
                self._index(pattern, raw=False) if text is self.context_text
                else occurrences(pattern, text, text.lower()))
        return found is None or found.may_match(lo, hi)

    def to_many(self, timeout: float) -> bool:
        """`judge.to_many` of the context text, asked once per text."""
        if self._to_many is None:
            self._to_many = to_many(self.context_text, timeout)
        return self._to_many

    def mailing(self, timeout: float) -> bool:
        """`judge.is_mailing` of the context text, asked once per text."""
        if self._mailing is None:
            self._mailing = is_mailing(self.context_text, timeout)
        return self._mailing

    @functools.cached_property
    def regions(self) -> Regions:
        """Boilerplate and quoted spans."""
        return regions(self.text)

    @functools.cached_property
    def judged_text(self) -> str:
        """The context text as the context step reads it (`judge.unwrapped`: soft line
        breaks read as spaces, index for index); the same object when it has none."""
        return unwrapped(self.context_text)

    @functools.cached_property
    def context_text(self) -> str:
        """The text with boilerplate blanked: what context and companion searches see."""
        return blank(self.text, self.regions.boilerplate)


class SpanArrays:
    """Spans in document order, kept as two arrays (a dense text has hundreds of
    thousands): the matches of a pattern (`Found`) or the hits of a detector (`_Spans`)."""

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.starts = array("q")
        self.ends = array("q")

    def add(self, start: int, end: int) -> None:
        self.starts.append(start)
        self.ends.append(end)


class Found(SpanArrays):
    """The matches of one pattern in one text, in order: (start, end, matched text) when
    iterated."""

    __slots__ = ("_digits", "text")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self._digits: list[str] | None = None

    def digits(self) -> list[str]:
        """`normalise(match, "digits")` of each match, worked out once for the detectors
        that share the pattern (NHS, CHI and H&C numbers)."""
        if self._digits is None:
            text = self.text
            self._digits = [normalise(text[start:end], "digits")
                            for start, end in zip(self.starts, self.ends, strict=True)]
        return self._digits

    def __len__(self) -> int:
        return len(self.starts)

    def __iter__(self) -> Iterator[tuple[int, int, str]]:
        text = self.text
        for start, end in zip(self.starts, self.ends, strict=True):
            yield start, end, text[start:end]


def _matches_in(pattern: regex.Pattern[str], text: str, windows: list[tuple[int, int, int]],
                timeout: float, found: Found) -> None:
    """What `pattern.finditer(text)` finds, given spans that hold every match whole, none
    crossing a span's start (each span begins a match's width before the first required
    string in it), and how far the pattern's assertions read past a match's end. Each span
    is searched with the text around it visible to look-behinds and to look-aheads up to
    that reach; a match that ends past the span exists only because the search stopped
    there (its required string lies beyond), so the search of that span ends at it."""
    size = len(text)
    for lo, hi, ahead in windows:
        for m in pattern.finditer(text, lo, min(size, hi + ahead + 1), timeout=timeout):
            if m.end() > hi:
                break
            if m.end() > m.start():
                found.add(m.start(), m.end())


def _matches_at(pattern: regex.Pattern[str], text: str, starts: list[int], timeout: float,
                found: Found) -> None:
    """What `pattern.finditer(text)` finds, given every position where a match could start
    (in order): the first candidate at or after the end of the previous match that matches
    is the next match (look-behinds see the text before a candidate, as in a search)."""
    pos = 0
    for start in starts:
        if start < pos:
            continue
        m = pattern.match(text, start, timeout=timeout)
        if m is not None and m.end() > m.start():
            found.add(m.start(), m.end())
            pos = m.end()


def normalise(text: str, kind: str) -> str:
    """Digits only for identifiers; lower-case single-spaced words for phrases."""
    if kind == "digits":
        return "".join(filter(str.isdigit, text))
    return " ".join(text.lower().split())


_CELL_BREAKS = frozenset(",;|\"'()<>[]{}#")


def _token(text: str, start: int, end: int) -> str:
    """The word around [start, end): bounded by white space and cell/quote punctuation."""
    s = start
    while s > 0 and not text[s - 1].isspace() and text[s - 1] not in _CELL_BREAKS:
        s -= 1
    e = end
    while e < len(text) and not text[e].isspace() and text[e] not in _CELL_BREAKS:
        e += 1
    return text[s:e]


def _bad_token(kinds: tuple[str, ...], text: str, start: int, end: int) -> bool:
    token = _token(text, start, end).rstrip(".:")
    if token == text[start:end]:
        return False
    low = token.lower()
    for kind in kinds:
        if kind == "url" and ("://" in low or low.startswith("www.") or "?" in low
                              or "=" in low or "&" in low):
            return True
        if kind == "email" and "@" in token:
            return True
        if kind == "iban" and _IBAN.fullmatch(token.replace(" ", "")):
            return True
        if kind == "alnum" and any(ch.isalpha() for ch in token.split(":")[-1]):
            return True
    return False


def _window(rule: ContextRule | Companion, t: Text, start: int, end: int,
            timeout: float, *, label: bool = False, raw: bool = False) -> bool:
    """Does `rule` match around [start, end)? `label`: the window ends where the match starts
    (a label such as "Order no:" must sit right before the value). `raw`: search the text as
    it is (a cheap first test) rather than with boilerplate blanked."""
    if isinstance(rule, Companion):
        lo, hi = start - rule.within, end + rule.within
    elif label and rule.after == 0:
        lo, hi = start - rule.before, start
    else:
        lo, hi = start - rule.before, end + rule.after
    lo = lo if lo > 0 else 0
    size = len(t.text)
    hi = hi if hi < size else size
    if not t.may_match(rule.pattern, lo, hi, raw=raw):
        return False  # none of the strings every match contains lies in the window
    text = t.text if raw else t.context_text
    return rule.pattern.search(text, lo, hi, timeout=timeout) is not None


# Rough frequencies (%) of characters in English text; anything else counts as rare (0.5).
_FREQ = dict(zip(" etaoinshrdlcumwfgypbvkjxqz",
                 (18, 12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4,
                  2.4, 2.2, 2.0, 2.0, 1.9, 1.5, 1.0, 0.8, 0.15, 0.15, 0.1, 0.07), strict=True))


def _anchors(keywords: Iterable[str]) -> dict[str, str]:
    """keyword → one of its characters, chosen (greedy set cover over `_FREQ`) so that few,
    rare characters anchor every keyword. Affects speed only, never results."""
    left = sorted(set(keywords))
    chosen: dict[str, str] = {}
    while left:
        chars = {c for k in left for c in k}
        cost = {c: _FREQ.get(c, 0.5) / sum(c in k for k in left) for c in chars}
        best = min(cost, key=lambda c: (cost[c], c))
        chosen.update((k, best) for k in left if best in k)
        left = [k for k in left if best not in k]
    return chosen


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One stdlib regex that finds whether any of the non-empty `keywords` occurs in a text
    as a substring (exactly like `in`, case as given); None when there are none.

    A keyword `k` whose anchor is `k[i]` becomes `k[i]` + `k[i+1:]` + a look-behind for the
    whole of `k`: it matches exactly where `k` occurs, and the engine (which skips ahead to
    the next possible first character) tries only at the few positions holding an anchor.
    One pass over the text instead of one `in` per keyword."""
    groups: dict[str, list[str]] = {}
    for k, anchor in _anchors(k for k in keywords if k).items():
        i = k.index(anchor)
        tail = re.escape(k[i + 1:]) + (f"(?<={re.escape(k)})" if i else "")
        groups.setdefault(anchor, []).append(tail)
    if not groups:
        return None
    return re.compile("|".join(f"{re.escape(a)}(?:{'|'.join(tails)})"
                               for a, tails in sorted(groups.items())))


class KeywordSearch:
    """Which of a set of non-empty keywords occur in a text as substrings (exactly like
    `in`, case as given): one Aho-Corasick pass (ahocorasick-rs) that reports every
    occurrence, overlapping ones included, about a fifth of the cost of the
    `keyword_pattern` regex on ordinary mail. What the automaton cannot take (lone
    surrogates, such as undecodable bytes kept by surrogateescape, in a text or a keyword:
    ahocorasick-rs takes UTF-8 only) goes to the regex, which says only whether any occurs."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self._words = sorted({k for k in keywords if k})
        self._pattern = keyword_pattern(self._words)
        self._automaton = (ahocorasick_rs.AhoCorasick(self._words)
                           if self._words and all(_utf8(w) for w in self._words) else None)

    def found_in(self, text: str) -> bool:
        """True when some keyword occurs in `text`."""
        found = self.which(text)
        return bool(found) if found is not None else self._any(text)

    def which(self, text: str) -> frozenset[str] | None:
        """The keywords that occur in `text`; None when the automaton cannot say (then
        `found_in` asks the regex)."""
        if self._pattern is None:
            return frozenset()
        if self._automaton is not None:
            try:
                hits = self._automaton.find_matches_as_indexes(text, overlapping=True)
            except UnicodeEncodeError:  # a lone surrogate in the text
                return None
            words = self._words
            return frozenset(words[i] for i, _, _ in hits)
        return None

    def _any(self, text: str) -> bool:
        return self._pattern is not None and self._pattern.search(text) is not None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def min_digits(det: Detector) -> int:
    """Digit characters a text needs for `det` to hit: a `digits` value is INVALID below the
    largest `MIN_DIGITS` of its validators, and it holds only digits from the match."""
    if det.value != "digits":
        return 0
    return max((MIN_DIGITS.get(name, 0) for name in det.validators), default=0)


def may_hit(det: Detector, t: Text) -> bool:
    """False when `det` provably has no hit in `t`: none of its keywords occurs in the
    lower-cased text (substring test), or the text has too few digits for its validators."""
    if det.keywords and not any(map(t.low.__contains__, det.keywords)):
        return False
    return t.has_digits(min_digits(det))


def detector_hits(
    det: Detector, text: str | Text, low: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[Hit]:
    """Every hit of one detector in `text`."""
    t = text if isinstance(text, Text) else Text(text)
    if may_hit(det, t):
        yield from _hits(det, t, timeout)


def _spans(det: Detector, t: Text, timeout: float) -> Iterable[tuple[int, int, str]]:
    """The detector's pattern matches, then its lexicon matches that overlap none of them,
    in text order."""
    if not det.lexicon:
        return t.spans(det.pattern, timeout)
    words = t.lexicon_spans(det.lexicon)
    found = list(t.spans(det.pattern, timeout)) if det.pattern is not NEVER else []
    if not found:
        return words
    extra = [w for w in words if not any(s < w[1] and w[0] < e for s, e, _ in found)]
    return sorted(found + extra) if extra else found


def _hits(det: Detector, t: Text, timeout: float) -> Iterator[Hit]:
    """`detector_hits` after the prefilter."""
    spans = _spans(det, t, timeout)
    values = (spans.digits() if det.value == "digits" and isinstance(spans, Found)
              else (normalise(raw, det.value) for _, _, raw in spans))
    for (start, end, raw), value in zip(spans, values, strict=True):
        if start == end:
            continue
        if det.allow and any(a.fullmatch(raw) for a in det.allow):
            continue
        # The validators before the token test: detectors that share a pattern (NHS, CHI,
        # H&C) see the same spans, and most spans fail all but one detector's validators.
        test_data = False
        rejected = False
        factor = 1.0
        for name in det.validators:
            verdict = REGISTRY[name](value)
            if verdict is Verdict.INVALID:
                rejected = True
                break
            if verdict is Verdict.TEST:
                test_data = True
            elif verdict is Verdict.UNISSUED:
                factor = UNISSUED_FACTOR
        if rejected:
            continue
        if det.reject_tokens and _bad_token(det.reject_tokens, t.text, start, end):
            continue
        if det.deny_context is not None and _window(det.deny_context, t, start, end, timeout,
                                                    label=True, raw=True):
            continue
        # Companions on the raw text first: cheap, and a miss there is a miss after blanking.
        # A person companion is the context step's to judge (`judge`), after the others.
        missing = False
        person: Companion | None = None
        for companion in det.requires:
            if "person" in companion.sets:
                person = companion
            elif not _window(companion, t, start, end, timeout, raw=True):
                missing = True
                break
        if missing:
            continue
        # Only now find signatures, disclaimers and quotes (the costly part) for this text.
        if t.regions.in_boilerplate(start, end):
            continue
        if t.regions.boilerplate and any(not _window(c, t, start, end, timeout)
                                         for c in det.requires if c is not person):
            continue
        # The context step: a health statement about no one (an animal, a template, a
        # statistic, advice, an idiom) is dropped; one that needs a person needs a cue.
        why = list(det.fixed_reasons)
        strength = 1.0
        if det.value != "digits":
            # Both are filters: the person cues first, as they cost a fraction of the
            # about-no-one cues, which a candidate with no person cue then never asks.
            if person is not None:
                cues = person_cues(t.judged_text, start, end, person.pattern, person.within,
                                   timeout, many=t.to_many(timeout))
                if not cues:
                    continue
                why += cues
                strength = cue_strength(cues)
            if about_no_one(t.judged_text, start, end, timeout,
                            may_match=t.cue_may_match,
                            mailing=t.mailing(timeout)) is not None:
                continue
        elif person is not None and not _window(person, t, start, end, timeout):
            continue
        confidence = det.confidence * strength
        context = True
        if det.context is not None:
            if _window(det.context, t, start, end, timeout):
                why.append("identity context" if det.value == "digits" else "context")
            else:
                if det.context.required:
                    continue
                confidence = det.confidence_without_context
                context = False
        if test_data:
            why.append("reserved test range")
        elif factor != 1.0:
            why.append("outside the issued ranges")
        yield Hit(start, end, value, confidence * factor, test_data,
                  t.regions.in_quote(start, end), context,
                  not context and det.value == "digits" and _in_row(t.text, start, end),
                  tuple(why))


_CELL = regex.compile(r"[,;|\t]|\s{2,}|\s[-–—]\s")


def _in_row(text: str, start: int, end: int) -> bool:
    """Is [start, end) a cell of a row (a line split into cells by commas, tabs, pipes,
    semicolons, runs of spaces or spaced dashes, with another line above it)?"""
    line_start = text.rfind("\n", 0, start) + 1
    if line_start == 0:
        return False
    line_end = text.find("\n", end)
    line = text[line_start: line_end if line_end >= 0 else len(text)]
    cells = _CELL.split(line)
    return len([c for c in cells if c.strip()]) >= 2


def _with_case_reference(det: Detector, case_ref: str) -> Detector:
    """A case reference (e.g. a Test and Trace case id) counts as identity context and as a
    reference to a person; it is not a test word, so other companions are left alone."""

    def widen(p: regex.Pattern[str]) -> regex.Pattern[str]:
        return regex.compile(f"(?:{p.pattern})|(?:{case_ref})", p.flags)

    context = det.context
    if context is not None:
        context = dataclasses.replace(context, pattern=widen(context.pattern))
    requires = tuple(dataclasses.replace(c, pattern=widen(c.pattern)) if "person" in c.sets
                     else c for c in det.requires)
    return dataclasses.replace(det, context=context, requires=requires)


def case_reference_detector(pattern: str) -> Detector:
    """The organisation's case-reference pattern as a detector of its own."""
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE)
    except regex.error as exc:
        raise UsageError(f"case reference pattern does not compile: {exc}") from None
    return Detector(
        id="case-reference",
        pack="config",
        category="case-reference",
        severity=Severity.MEDIUM,
        description="The organisation's case reference (config `scan.case_reference`).",
        pattern=compiled,
        value="text",
        validators=(),
        keywords=(),
        context=None,
        requires=(),
        allow=(),
        confidence=0.9,
        confidence_without_context=0.9,
        examples_match=(),
        examples_no_match=(),
    )


class Matcher:
    """All enabled detectors of a set of packs, with one confidence threshold."""

    def __init__(
        self,
        packs: Iterable[Pack],
        *,
        min_confidence: float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        disabled: Iterable[str] = (),
        case_reference: str | None = None,
    ) -> None:
        self.packs = tuple(packs)
        off = set(disabled)
        for pack in self.packs:
            off.update(pack.disabled)
        dets = [d for p in self.packs for d in p.detectors if d.id not in off]
        if case_reference:
            extra = case_reference_detector(case_reference)
            dets = [_with_case_reference(d, case_reference) for d in dets]
            if extra.id not in off:
                dets.append(extra)
        self.detectors = tuple(dets)
        self._keywords = KeywordSearch(k for d in dets for k in d.keywords)
        # Each detector with its prefilter: must one of its keywords occur ("" always does),
        # and how many digits the text needs. `_unkeyed`: those that need no keyword.
        self._gated = tuple((d, bool(d.keywords) and "" not in d.keywords, min_digits(d))
                            for d in dets)
        self._unkeyed = tuple(g for g in self._gated if not g[1])
        if min_confidence is None:
            min_confidence = min((p.min_confidence for p in self.packs), default=0.5)
        self.min_confidence = min_confidence
        self.timeout = timeout

    def scan(self, unit: TextUnit, *, bulk: bool = False) -> tuple[list[Match], list[Skipped]]:
        """Matches in one unit, one per rule and value (`rules.tally`, default limits), in
        the order first found (document order, then detector id), and any timeouts.

        `bulk` (newsletters, mailing lists) runs only detectors marked `in_bulk_mail`.
        """
        tally = Tally(ExtractLimits())
        skips = self.scan_into(unit, tally, bulk=bulk)
        return tally.matches(), skips

    def scan_into(self, unit: TextUnit, tally: Tally, *, bulk: bool = False,
                  until: int | None = None) -> list[Skipped]:
        """Run the detectors over one unit of a message, adding their hits to the message's
        `tally`; returns the timeouts. `until`: hits that start there or later are not
        taken (they belong to the next overlapping window), though they are masked in the
        evidence of those that are, as every hit of the unit is."""
        if not unit.text or tally.stopped:
            return []
        digest = b""
        if until is None and len(unit.text) >= REPLAY_CHARS:
            digest = hashlib.blake2b(unit.text.encode("utf-8", "surrogatepass"),
                                     digest_size=16).digest()
            if tally.replay(unit, digest):  # the same text in the same part, just scanned
                return []
        t = Text(unit.text)
        skips: list[Skipped] = []
        spans: list[_Spans] = []
        pending: list[tuple[Detector, Hit]] = []
        """Identifier hits below the threshold only for want of identity context."""
        identified: set[str] = set()
        """Identifier detectors with a hit that has identity context in this text."""
        statements: list[tuple[int, int]] = []
        """Health statements kept in this text (they vouch for identifiers near them)."""
        tally.begin_unit(unit, digest)
        stopped = False
        # Most text holds no keyword at all: one search says so, and says which keywords
        # occur; a detector runs when one of its own does (the same test `may_hit` makes).
        found_words = self._keywords.which(t.low)
        keyed = bool(found_words) if found_words is not None else self._keywords.found_in(t.low)
        for det, needs_keyword, digits in self._gated if keyed else self._unkeyed:
            if bulk and not det.in_bulk_mail:
                continue
            if needs_keyword and (found_words.isdisjoint(det.keywords)
                                  if found_words is not None
                                  else not any(map(t.low.__contains__, det.keywords))):
                continue
            if digits and not t.has_digits(digits):
                continue
            found = _Spans(det)
            try:
                for hit in _hits(det, t, self.timeout):
                    if hit.confidence < self.min_confidence:
                        if det.value == "digits" and not hit.context:
                            pending.append((det, hit))
                        continue
                    found.add(hit.start, hit.end)
                    if det.value == "digits":
                        if hit.context:
                            identified.add(det.id)
                    else:
                        statements.append((hit.start, hit.end))
                    if until is not None and hit.start >= until:
                        continue
                    if not tally.take(det, hit.start, hit.end, hit.value, hit.confidence,
                                      hit.test_data, hit.quoted, hit.why):
                        stopped = True
                        break
            except TimeoutError:
                skips.append(
                    Skipped(
                        locator=Locator(within=unit.where),
                        part=unit.part,
                        kind=SkipKind.TIMEOUT,
                        reason=f"timeout: detector {det.id} exceeded {self.timeout:g}s",
                    )
                )
            if found.starts:
                spans.append(found)
            if stopped:
                break
        if pending and not stopped:
            vouched: dict[str, _Spans] = {}
            for det, hit in self._vouched(pending, statements, identified):
                vouched.setdefault(det.id, _Spans(det)).add(hit.start, hit.end)
                if until is not None and hit.start >= until:
                    continue
                if not tally.take(det, hit.start, hit.end, hit.value, hit.confidence,
                                  hit.test_data, hit.quoted, hit.why):
                    stopped = True
                    break
            spans.extend(vouched.values())
        if stopped:  # detectors that did not run: mask whatever their patterns match
            spans.extend(self._pattern_spans(t, spans))
        tally.end_unit(_Evidence(unit.text, spans), whole=not skips)
        return skips

    def _vouched(self, pending: list[tuple[Detector, Hit]], statements: list[tuple[int, int]],
                 identified: set[str]) -> Iterator[tuple[Detector, Hit]]:
        """Identifier hits that lacked identity context but are vouched for, at the
        confidence context gives, in text order: alone on a row of a list in a text where
        another of the same kind has identity context (one "NHS no" header over many rows),
        or within `HEALTH_NEAR` characters of a health statement kept in the same text."""
        for det, h in sorted(pending, key=lambda dh: (dh[1].start, dh[1].end, dh[0].id)):
            if h.listed and det.id in identified:
                why = "listed with an identified number"
            elif any(s - HEALTH_NEAR <= h.end and h.start <= e + HEALTH_NEAR
                     for s, e in statements):
                why = "health statement nearby"
            else:
                continue
            confidence = h.confidence * det.confidence / det.confidence_without_context
            if confidence >= self.min_confidence:
                yield det, Hit(h.start, h.end, h.value, confidence, h.test_data, h.quoted, True,
                               False, (*h.why, why))

    def _pattern_spans(self, t: Text, done: list[_Spans]) -> list[_Spans]:
        """Every match of the patterns and lexicons of the detectors that have not run on `t`
        (not validated: what their hits could be), so that no evidence shows one unmasked."""
        ran = {s.det.id for s in done}
        out = []
        for det in self.detectors:
            if det.id in ran:
                continue
            found = _Spans(det)
            try:
                for start, end, _ in _spans(det, t, self.timeout):
                    found.add(start, end)
            except TimeoutError:
                found.add(0, len(t.text))  # mask it all rather than show it
            if found.starts:
                out.append(found)
        return out


class _Spans(SpanArrays):
    """Where one detector hit in one unit, in document order."""

    __slots__ = ("det",)

    def __init__(self, det: Detector) -> None:
        super().__init__()
        self.det = det


EVIDENCE_BLOCK = 1 << 15
"""Characters of a unit masked at a time for evidence (`_Evidence`): a block serves every
record whose window lies inside it, so a text dense with hits is masked once, a block at a
time, and memory stays bounded. Affects speed only."""


class _Evidence:
    """`mask.evidence` of a hit at [start, end) with every hit of the unit masked: the same
    snippet as masking the whole text (`mask.masked_text`, a character masked by the last
    hit over it in (start, end, detector id) order) and cutting it there
    (tests/rules/test_tally.py holds it to that at any block size).

    The text is masked a block at a time, from the window of the first record that the
    block before does not hold: the records come in text order, so a roster or a list of
    numbers is masked once, and a sparse text one block per record."""

    def __init__(self, text: str, spans: list[_Spans]) -> None:
        self.text = text
        self.spans = spans
        self._at = 0
        self._block = ""

    def __call__(self, start: int, end: int) -> str:
        text = self.text
        lo = max(0, start - mask.WINDOW - 1)  # one more each side: `evidence` tells from them
        hi = min(len(text), end + mask.WINDOW + 1)  # whether the text goes on (`…`)
        if not (self._at <= lo and hi <= self._at + len(self._block)):
            self._at = lo
            self._block = self._masked(lo, min(len(text), max(hi, lo + EVIDENCE_BLOCK)))
        at = self._at
        return mask.evidence(self._block[lo - at:hi - at], start - lo, end - lo)

    def _masked(self, lo: int, hi: int) -> str:
        """text[lo:hi] with every hit that reaches it masked, in (start, end, id) order."""
        text = self.text
        near: list[tuple[int, int, str, str]] = []
        for found in self.spans:
            starts, ends = found.starts, found.ends
            i = bisect.bisect_right(ends, lo)  # a detector's hits do not overlap: ends ascend
            det_id, kind = found.det.id, found.det.value
            while i < len(starts) and starts[i] < hi:
                if ends[i] > lo:
                    near.append((starts[i], ends[i], det_id, kind))
                i += 1
        near.sort()
        cuts: list[tuple[int, int, str]] = []
        for s, e, _, kind in near:
            a, b = max(s, lo), min(e, hi)
            cuts.append((a - lo, b - lo, mask.mask_span(text[s:e], kind)[a - s:b - s]))
        return mask.splice(text[lo:hi], cuts)
