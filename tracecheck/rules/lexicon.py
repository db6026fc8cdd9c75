"""A detector's lexicon: literal health terms found as whole words, in one automaton pass.

Owns what a term list matches. A term is lower-case ASCII words separated by single spaces;
it matches, ignoring case, where its words occur with one white-space character between each
(a line break included, so a term wrapped across lines is found), not inside a longer word.
At each position the longest term wins, and matches do not overlap: exactly what the regular
expression `slow_pattern` finds with `finditer`, which stays the definition. The fast path
runs one Aho-Corasick pass (ahocorasick-rs) over the text lower-cased with every white-space
character made a space, and is used only where that copy keeps the text's indexes and no
character could fold into ASCII under case-insensitive matching; elsewhere the slow pattern
runs. Tests hold the two equal on the samples, the corpora and generated text.

Never judges a match (the matcher and the context step do) and never reads a pack file.
"""

from __future__ import annotations

import functools

import ahocorasick_rs
import regex

from tracecheck.rules.literals import FOLDS_TO_ASCII

_WORD = regex.compile(r"\w")
_SPACE = regex.compile(r"\s")
_ASCII_SPACES = bytes(ord(" ") if _SPACE.match(chr(b)) else b for b in range(256))
"""Byte table: every ASCII character `\\s` matches becomes a space."""


@functools.cache
def _spaces() -> dict[int, str]:
    """Every character `\\s` matches, mapped to a space (no white space lies past U+3000)."""
    return {code: " " for code in range(0x3001) if _SPACE.match(chr(code))}


def _spaced(low: str) -> str:
    """`low` with every white-space character a space, index for index."""
    if low.isascii():
        return low.encode("ascii").translate(_ASCII_SPACES).decode("ascii")
    return low.translate(_spaces())


def valid_term(term: str) -> bool:
    """A term the lexicon can hold: lower-case ASCII words, single spaces between them, a
    word character at each end."""
    return (bool(term) and term.isascii() and term == term.lower() and term == term.strip()
            and "  " not in term and all(w for w in term.split(" "))
            and bool(_WORD.match(term[0])) and bool(_WORD.match(term[-1]))
            and not any(ch.isspace() and ch != " " for ch in term))


class Lexicon:
    """A set of terms, matched as whole words (see the module docstring)."""

    def __init__(self, terms: tuple[str, ...]) -> None:
        self.terms = tuple(sorted(set(terms), key=lambda t: (-len(t), t)))
        self._automaton = ahocorasick_rs.AhoCorasick(list(self.terms))
        self._lengths = [len(t) for t in self.terms]

    @functools.cached_property
    def slow_pattern(self) -> regex.Pattern[str]:
        """The definition: the terms, longest first, as one case-insensitive alternation
        with `\\s` between words and no word character either side."""
        alternatives = "|".join(r"\s".join(regex.escape(w) for w in t.split(" "))
                                for t in self.terms)
        return regex.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", regex.IGNORECASE)

    def spans(self, text: str, low: str | None = None) -> list[tuple[int, int, str]]:
        """(start, end, matched text) of every match in `text`, in order (`low`: the text
        lower-cased, if known)."""
        low = text.lower() if low is None else low
        if len(low) != len(text) or (not text.isascii() and not FOLDS_TO_ASCII.isdisjoint(text)):
            return [(m.start(), m.end(), m.group()) for m in self.slow_pattern.finditer(text)]
        hits = self._automaton.find_matches_as_indexes(_spaced(low), overlapping=True)
        size = len(text)
        found = []
        end = 0
        # Leftmost first, then longest: the order finditer tries the alternation in.
        for _, start, stop in sorted(hits, key=lambda h: (h[1], h[1] - h[2])):
            if start < end:
                continue
            if start > 0 and _WORD.match(text, start - 1):
                continue
            if stop < size and _WORD.match(text, stop):
                continue
            found.append((start, stop, text[start:stop]))
            end = stop
        return found


@functools.lru_cache(maxsize=256)
def lexicon(terms: tuple[str, ...]) -> Lexicon:
    """The compiled lexicon of a term tuple (built once per process)."""
    return Lexicon(terms)
