"""Lexicons and match windows change speed, never results (issue 16).

A detector's lexicon is defined by `Lexicon.slow_pattern` (`finditer`); its Aho-Corasick pass
must give the same spans. A bounded pattern is searched only in windows around its required
strings (`Text._windows`); that must give what a search of the whole text gives. Both are
held to the slow forms on generated text (white space of every kind, word characters either
side, case folding into ASCII), on the samples, every shared corpus, generated MIME and the
independent corpus, and on the matcher's whole output.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import mime_gen
from tests.conftest import SAMPLES, corpus, raw_messages
from tests.rules.test_literals import _matches, _units
from tracecheck.errors import RulePackError
from tracecheck.model import Locator, RawMessage, TextUnit
from tracecheck.rules import literals
from tracecheck.rules.lexicon import Lexicon, valid_term
from tracecheck.rules.matcher import Matcher, Text
from tracecheck.rules.pack import NEVER, load_pack, load_packs
from tracecheck.shipped_rules import default_pack_paths

PACKS = load_packs(default_pack_paths())
SHIPPED = Matcher(PACKS)
LEXICONS = [d.lexicon for d in SHIPPED.detectors if d.lexicon]
BOUNDED = [d.pattern for d in SHIPPED.detectors
           if d.pattern is not NEVER and literals.reach(d.pattern) is not None]
INDEPENDENT = Path(__file__).resolve().parents[2] / "eval" / "independent"


class Whole(Text):
    """The matcher's text before the fast paths: whole-text searches, slow lexicons."""

    def _windows(self, pattern: regex.Pattern[str]) -> None:
        return None  # the whole text is searched

    def lexicon_spans(self, terms: tuple[str, ...]) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), m.group())
                for m in Lexicon(terms).slow_pattern.finditer(self.text)]


def _same(units: Iterator[TextUnit]) -> int:
    """Fast and slow forms agree on every unit, span by span and finding by finding."""
    n = 0
    for unit in units:
        n += 1
        low = unit.text.lower()
        for terms in LEXICONS:
            lex = Lexicon(terms)
            assert lex.spans(unit.text, low) == [
                (m.start(), m.end(), m.group()) for m in lex.slow_pattern.finditer(unit.text)]
        t = Text(unit.text)
        for pattern in BOUNDED:
            whole = [(m.start(), m.end(), m.group()) for m in pattern.finditer(unit.text)]
            assert list(t.spans(pattern, 5.0)) == whole, pattern.pattern[:60]
        assert _matches(SHIPPED, unit, Text) == _matches(SHIPPED, unit, Whole)
    return n


def test_the_shipped_lexicons_and_windows_are_in_effect() -> None:
    assert {d.id for d in SHIPPED.detectors if d.lexicon} >= {"symptom", "condition",
                                                             "medication", "disability"}
    assert len(BOUNDED) >= 5


def test_samples_give_the_same_spans_and_findings() -> None:
    assert _same(_units(raw_messages(SAMPLES))) > 100


def test_every_shared_corpus_gives_the_same_spans_and_findings() -> None:
    assert _same(_units(raw_messages(corpus()))) > 10


def test_the_independent_corpus_gives_the_same_spans_and_findings() -> None:
    assert _same(_units(raw_messages(INDEPENDENT))) > 300


@settings(max_examples=mime_gen.EXAMPLES // 4, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_messages_give_the_same_spans_and_findings(seed: int) -> None:
    raw = RawMessage(source="g", locator=Locator("g"), raw=mime_gen.build(seed), sha256="")
    _same(_units(iter([raw])))


_ATOMS = st.sampled_from([
    "stroke", "Stroke", "STROKE unit", "stroke\nunit", "stroke\u00a0unit", "strokes", "x",
    "chest", " pain", "chest pains", "cough", "coughing", "persistent ", "new  ", "_", "-",
    "'", " ", "\n", "\t", "\u2028", "\u3000", "\x1c", "\u017fickle cell", "\u212aidney disease",
    "\u0130", "e\u0301", "diabetes", "type 2 diabetes", "ckd 3", "signed him off", "crohn's",
    "self-harm", "self harm", "NHS", "9", "é", "on insulin", "lost her sense of taste",
    "temp of 38.5", "deaf", "bsl", "hearing aids", "can't taste or smell",
])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_ATOMS, max_size=25))
def test_generated_text_gives_the_same_spans_and_findings(atoms: list[str]) -> None:
    text = "".join(atoms)
    _same(iter([TextUnit(part="1", where="body", text=text)]))


def test_the_characters_that_fold_into_ascii_are_all_listed() -> None:
    every = set()
    for code in range(128, 0x110000):
        ch = chr(code)
        if any(o.isascii() and o.isalpha() for v in (ch.lower(), ch.upper(), ch.casefold())
               for o in v):
            every.add(ch)
    assert every == set(literals.FOLDS_TO_ASCII)


def _pack_with(term: str, tmp_path: Path) -> Path:
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "schema_version: 1\npack: {id: p}\ndetectors:\n"
        "  - id: d\n    category: condition\n    severity: low\n    description: d\n"
        f"    lexicon: [{term!r}]\n"
        "    examples: {match: ['he has had a stroke'], no_match: ['strokes of luck']}\n",
        encoding="utf-8")
    return pack


@pytest.mark.parametrize("term", ["", "café", "-stroke", "stroke-", "stroke!"])
def test_a_term_the_lexicon_cannot_hold_is_refused(term: str, tmp_path: Path) -> None:
    assert not valid_term(term)
    with pytest.raises(RulePackError, match="lexicon term"):
        load_pack(_pack_with(term, tmp_path))


@pytest.mark.parametrize("term", ["Stroke", " stroke", "stroke ", "STROKE"])
def test_a_term_is_lower_cased_with_single_spaces(term: str, tmp_path: Path) -> None:
    assert not valid_term(term)
    det = load_pack(_pack_with(term, tmp_path)).detectors[0]
    assert det.lexicon == ("stroke",) and det.keywords == ("stroke",)


def test_every_shipped_lexicon_term_holds_one_of_its_detectors_keywords() -> None:
    """The keyword gate may only skip a detector that cannot hit: each term of a lexicon
    contains one of the detector's keywords whole."""
    for det in SHIPPED.detectors:
        for term in det.lexicon:
            assert any(k in term for k in det.keywords), (det.id, term)


def test_a_multi_word_term_adds_no_common_word_when_one_of_its_words_is_a_term(
        tmp_path: Path) -> None:
    """`hiv positive` needs no keyword `positive` (which would wake the detector for every
    test result) when `hiv` is a term; `long covid` still needs one of its words."""
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "schema_version: 1\npack: {id: p, version: '1', description: p}\ndetectors:\n"
        "  - id: d\n    category: condition\n    severity: low\n    description: d\n"
        "    lexicon: [hiv, hiv positive, long covid]\n    keywords: derived\n"
        "    examples: {match: ['he has hiv', 'she has long covid'], no_match: ['positive']}\n",
        encoding="utf-8")
    det = load_pack(pack).detectors[0]
    assert det.keywords == ("covid", "hiv")
    assert Matcher([load_pack(pack)]).scan(
        TextUnit("1", "body", "Result: positive, all fine"))[0] == []
