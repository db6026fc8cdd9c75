"""Required literals change speed, never results.

`literals.required(pattern)` promises that every match of the pattern contains one of its
strings (ignoring case), and `Occurrences.may_match` that a window it rules out holds no
match. Both are held to the `regex` module itself: on generated patterns and texts (case,
non-ASCII look-alikes such as the Kelvin sign, windows that cut words), on every window the
matcher searches in the samples, the shared corpora and generated MIME, and on the matcher's
output with the prefilter switched off.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import mime_gen
from tests.conftest import SAMPLES, corpus, raw_messages
from tracecheck.content.mime import Unparseable, Walker, header_fields, parse_full
from tracecheck.model import ExtractLimits, Locator, RawMessage, TextUnit
from tracecheck.rules import boilerplate, literals
from tracecheck.rules.matcher import Matcher, Text
from tracecheck.rules.pack import load_packs
from tracecheck.shipped_rules import default_pack_paths

PACKS = load_packs(default_pack_paths())
SHIPPED = Matcher(PACKS)
CASE_REF = Matcher(PACKS, case_reference=r"\bTC-\d{6}\b", min_confidence=0.2)
WINDOW_PATTERNS = list({r.pattern.pattern: r.pattern for m in (SHIPPED, CASE_REF)
                        for d in m.detectors
                        for r in (d.context, d.deny_context, *d.requires)
                        if r is not None}.values())


class Unfiltered(Text):
    """A text whose windows are always searched (the matcher before the prefilter)."""

    def may_match(self, pattern: regex.Pattern[str], lo: int, hi: int, *, raw: bool) -> bool:
        return True


def _matches(m: Matcher, unit: TextUnit, text: type[Text]) -> list[tuple[object, ...]]:
    import tracecheck.rules.matcher as matcher

    original = matcher.Text
    matcher.Text = text  # type: ignore[misc]
    try:
        found, skips = m.scan(unit)
    finally:
        matcher.Text = original  # type: ignore[misc]
    assert skips == []
    return [(x.rule, x.start, x.end, x.confidence, x.evidence, x.quoted, x.reasons)
            for x in found]


def _units(raws: Iterator[RawMessage]) -> Iterator[TextUnit]:
    for raw in raws:
        try:
            head = header_fields(raw)
            msg = parse_full(raw, head if not hasattr(head, "get_all") else None)
        except Unparseable:
            continue
        for unit in Walker(ExtractLimits()).units(msg):
            if isinstance(unit, TextUnit):
                yield unit


def _unfiltered_regions(text: str) -> boilerplate.Regions:
    original = boilerplate.may_occur
    boilerplate.may_occur = lambda *_: True  # type: ignore[assignment]
    try:
        return boilerplate.regions(text)
    finally:
        boilerplate.may_occur = original


def _same_windows(units: Iterator[TextUnit], seed: int = 0) -> tuple[int, int]:
    """Every window pattern on random windows of every unit: a window the prefilter rules
    out has no match. Returns (windows tried, windows ruled out)."""
    rng = random.Random(seed)
    tried = ruled_out = 0
    for unit in units:
        t = Text(unit.text)
        n = len(unit.text)
        for pattern in WINDOW_PATTERNS:
            for _ in range(6):
                lo = rng.randint(0, n)
                hi = min(n, lo + rng.choice((0, 1, 5, 30, 90, 200, 600)))
                for raw in (True, False):
                    tried += 1
                    if not t.may_match(pattern, lo, hi, raw=raw):
                        ruled_out += 1
                        text = unit.text if raw else t.context_text
                        assert pattern.search(text, lo, hi) is None, (pattern.pattern, lo, hi)
        assert _matches(SHIPPED, unit, Text) == _matches(SHIPPED, unit, Unfiltered)
        assert _matches(CASE_REF, unit, Text) == _matches(CASE_REF, unit, Unfiltered)
        assert boilerplate.regions(unit.text) == _unfiltered_regions(unit.text)
    return tried, ruled_out


def test_the_shipped_window_patterns_have_required_literals() -> None:
    """The prefilter is in effect for every context, deny-context and companion pattern."""
    assert len(WINDOW_PATTERNS) >= 5
    for pattern in WINDOW_PATTERNS:
        assert literals.required(pattern), pattern.pattern
    assert literals.required(boilerplate._DISCLAIMER)
    covid = next(d for d in PACKS[0].detectors if d.id == "covid-test-result")
    assert "pcr" in (literals.required(covid.requires[0].pattern) or ())


def test_samples_windows_and_matches_equal_the_unfiltered_search() -> None:
    tried, ruled_out = _same_windows(_units(raw_messages(SAMPLES)))
    assert tried > 10_000 and ruled_out > tried // 4


def test_every_shared_corpus_windows_and_matches_equal_the_unfiltered_search() -> None:
    tried, ruled_out = _same_windows(_units(raw_messages(corpus())), seed=1)
    assert tried > 1_000 and ruled_out > 0


@settings(max_examples=mime_gen.EXAMPLES // 4, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_messages_windows_equal_the_unfiltered_search(seed: int) -> None:
    raw = RawMessage(source="g", locator=Locator("g"), raw=mime_gen.build(seed), sha256="")
    _same_windows(_units(iter([raw])), seed)


def test_a_patient_csv_is_mostly_ruled_out_and_gives_the_same_matches() -> None:
    rows = ["Surname,Forename,NHS Number,Date of Birth,Test Date,COVID-19 PCR Result"]
    rows += [f"Smith,Jo,943476591{i % 10},01/02/1980,2021-01-1{i % 10},"
             f"{('positive', 'negative', 'void', 'not detected')[i % 4]}" for i in range(40)]
    unit = TextUnit(part="2", where="attachment:patients.csv", text="\r\n".join(rows))
    assert _matches(SHIPPED, unit, Text) == _matches(SHIPPED, unit, Unfiltered)
    covid = next(d for d in PACKS[0].detectors if d.id == "covid-test-result")
    t = Text(unit.text)
    far = unit.text.index("Smith", 2000)
    assert not t.may_match(covid.requires[0].pattern, far - 60, far + 60, raw=True)


# Generated patterns: the constructs the derivation knows, and some it must not trust.
_ATOMS = st.sampled_from([
    "a", "b", "ab", "abc", "k", "s", "kelvin", "test", "x-y", r"\-", r"\.", " ", r"\ ",
    "[ab]", "[a-c]", "[^a]", r"[\s-]", ".", r"\s", r"\w", r"\d", r"\b", "^", "$",
    "(?=ab)", "(?<=a)", "(?!b)", "(?<!c)", r"(a)\1",
    # what a word start is read from: a boundary, a line start, spaces and punctuation
    r"\b", r"\B", "^", r"\s+", r"[.!?]", r"[-*\u2022]", r"\u2022", r"\W", r"[^\w]", "_", "0",
    # negated classes: white space but a line break (no word character), and ones that hold
    # word characters
    r"[^\S\n]", r"[^\S]", r"[^\W]", r"[^\s]", r"[^\Sa]",
])
_QUANT = st.sampled_from(["", "", "", "?", "*", "+", "{2}", "{1,3}", "{0,2}", "+?", "??"])


@st.composite
def _patterns(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            branches = draw(st.lists(_patterns(depth + 1), min_size=1, max_size=3))
            parts.append("(?:" + "|".join(branches) + ")" + draw(_QUANT))
        else:
            parts.append(draw(_ATOMS) + draw(_QUANT))
    return "".join(parts)


_TEXT = st.text(alphabet="abcksABCKS \u212a\u017f-.x\n\t0y_\u2022!\u00e9", max_size=40)


class _Chunked(literals.Occurrences):
    """Occurrences found 3 characters at a time (`_CHUNK`), to hold the chunk edges."""

    __slots__ = ()
    _CHUNK = 3

    @property
    def starts(self) -> object:
        return self._starts

    @property
    def ends(self) -> object:
        return self._ends


def _occurrence_args(pattern: regex.Pattern[str], text: str
                     ) -> tuple[tuple[str, ...], str, str, frozenset[str]]:
    derived = literals._derive(pattern.pattern, int(pattern.flags))
    assert derived is not None
    return (tuple(s for s, _, _ in derived), text, text.lower(),
            frozenset(s for s, at, _ in derived if at),
            frozenset(s for s, _, end in derived if end))


@settings(max_examples=3000, deadline=None)
@given(_patterns(), st.sampled_from([0, regex.IGNORECASE, regex.IGNORECASE | regex.VERBOSE]),
       _TEXT, st.integers(0, 40), st.integers(0, 40))
def test_required_literals_hold_on_generated_patterns(source: str, flags: int, text: str,
                                                      lo: int, size: int) -> None:
    try:
        pattern = regex.compile(source, flags)
    except regex.error:
        return
    need = literals.required(pattern)
    if need is None:
        return
    for m in pattern.finditer(text, overlapped=True):
        if m.group().isascii():
            assert any(s in m.group().lower() for s in need), (source, m.group(), need)
    lo = min(lo, len(text))
    hi = min(len(text), lo + size)
    found = literals.occurrences(pattern, text, text.lower())
    if found is not None:  # found a chunk at a time: the same spans at any chunk size
        small = _Chunked(*_occurrence_args(pattern, text))
        assert (small.starts, small.ends) == (found._starts, found._ends)
    if found is not None and not found.may_match(lo, hi):
        # searched within the text, and as a string of its own (the judge's windows)
        assert pattern.search(text, lo, hi) is None, (source, text, lo, hi, need)
        assert pattern.search(text[lo:hi]) is None, (source, text, lo, hi, need)


def test_patterns_the_stdlib_reads_differently_get_no_literals() -> None:
    for source in (
        r"(?:covid){e<=1}",          # fuzzy matching: the stdlib reads literal braces
        r"[[:alpha:]]+test",         # a POSIX class: the stdlib reads a nested set
        r"(?V1)[[a-z]--[aeiou]]test",  # version-1 set operations
        r"\p{L}test",                # Unicode properties: not stdlib syntax
        r"(?:abc)?",                 # may be absent: nothing is required
        r".*",
        "caf\u00e9",                 # non-ASCII pattern text
        r"\mtest\M",                 # regex-only word boundaries
    ):
        assert literals.required(regex.compile(source, regex.IGNORECASE)) is None, source
    assert literals.required(regex.compile("test", regex.IGNORECASE | regex.FULLCASE)) is None
    assert literals.required(regex.compile("test", regex.VERSION1)) is None


@pytest.mark.parametrize(("source", "text", "lo", "hi", "may"), [
    # a word that every match ends: "po" in "positive" is no occurrence of `\bpo\b`
    (r"\b(?:order|po)\b(?![^\n]*nhs)[^\n]{0,30}$", "PCR positive\nNHS ", 0, 17, False),
    (r"\b(?:order|po)\b[^\n]{0,30}$", "PO 401 ", 0, 3, True),
    # ... except at the very end of a window, where the search sees the text end
    (r"\bpo\b", "positive", 0, 2, True),
    (r"\bpo\b", "a positive", 0, 4, True),
    # a branch that ends the word after a shorter one (`a(?:|n|ny)\s+`, as the stdlib reads
    # `(?:a|an|any)\s+`): "Aisha" is no occurrence
    (r"(?:^|\n)\s*(?:a|an|any)\s+\w+$", "\nAisha,Ava,", 0, 12, False),
    (r"(?:^|\n)\s*(?:a|an|any)\s+\w+$", "\nany case", 0, 9, True),
    # a whole word does not stand for a longer word that starts and ends like it
    (r"\b(?:a|aba)\b", "aba", 0, 3, True),
    (r"\b(?:in|inside)\s+x", "inside x", 0, 8, True),
    # white space but a line break before the word: "id" in "void" or "David" is none
    (r"[a-z]{2,}[^\S\n]+(?:number|id)[^\S\n]*:?$", "void,David,", 0, 11, False),
    (r"[a-z]{2,}[^\S\n]+(?:number|id)[^\S\n]*:?$", "applicant id:", 0, 13, True),
    (r"x[^\W]id", "xaid", 0, 4, True),
])
def test_a_string_every_match_holds_at_a_word_end(source: str, text: str, lo: int, hi: int,
                                                  may: bool) -> None:
    pattern = regex.compile(source, regex.IGNORECASE)
    found = literals.occurrences(pattern, text, text.lower())
    assert found is not None
    assert found.may_match(lo, hi) is may
    if not may:
        assert pattern.search(text, lo, hi) is None
    assert found.may_match(lo, hi) or pattern.search(text[lo:hi]) is None


def test_pumpable_strings_hold_no_boundary_marker() -> None:
    """The probes are text: the private character that marks a word boundary inside a
    derived string is never one of them (it was, for a boundary inside a repeat)."""
    for source in (r"(?:\ba)+", r"(?:a\b)+x", r"sa(?:p|po|poy)((?:i|in){2}(\b(?:a|){2})+)?"):
        probes = literals.pumpable(regex.compile(source, regex.IGNORECASE))
        assert probes and not any("\ue000" in p for p in probes), (source, probes)


def test_a_non_ascii_window_is_always_searched() -> None:
    """Under case folding the Kelvin sign matches `k` and the long s matches `s`."""
    for pattern, text in ((regex.compile("kelvin", regex.IGNORECASE), "\u212aelvin"),
                          (regex.compile("swab", regex.IGNORECASE), "\u017fwab")):
        assert pattern.search(text)
        t = Text(text)
        assert t.may_match(pattern, 0, len(text), raw=True)


_BOILERPLATE = st.sampled_from([
    "-- ", "--", "\n", "\n\n", "> ", ">", "On Mon, Jo wrote:", "wrote:", "Kind regards,",
    "Thanks", "thank you", "Sent from my iPhone", "-----Original Message-----", "From: a",
    "Sent: b", "Date: c", "This email is confidential", "DISCLAIMER:", "Disclaimer",
    "to unsubscribe", "Registered in England", "PCR positive", "he", "\u212a", "\u017f",
    "Jo Smith", "x" * 120,
])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_BOILERPLATE, max_size=16).map("".join))
def test_regions_equal_the_unfiltered_regions(text: str) -> None:
    assert boilerplate.regions(text) == _unfiltered_regions(text)


@pytest.mark.parametrize(("pattern", "pumped"), [
    (r"(?:x|xx)+$", ("x", "xx")),
    (r"\b(?:nhs|health\s+(?:and|&)\s+care)\b", (" ",)),  # only the repeats: \s+
    (r"(?:[k-m]|kk)*z", ("k", "l", "m", "kk")),
    (r"(?:[k-m]\d|kk)*z", ("k1", "kk")),
    (r"(?:new\s+|dry\s+)*cough", (" ", "dry ", "new ")),
    (r"[^a-z]\w+(?:\s[A-Z]+)*", ("A", "a", " A")),
    (r"(\p{Lu}q)+$", ("L", "p", "q", "u")),  # syntax only `regex` reads: its letters
    (r"abc", ()),
])
def test_pumpable_gives_what_repeats_can_match_over_and_over(pattern: str,
                                                              pumped: tuple[str, ...]) -> None:
    assert literals.pumpable(regex.compile(pattern, regex.VERBOSE)) == pumped
