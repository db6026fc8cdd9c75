"""Required literals of a regular expression: strings one of which every match contains.

Owns one derivation and the window test built on it. `required(pattern)` reads a compiled
pattern with the stdlib's regular-expression parser and returns a few lower-case ASCII
strings such that every match of the pattern contains at least one of them (ignoring ASCII
case), or None when it cannot say. `Occurrences` finds those strings in a text once, and then
answers for any window of it whether the pattern could match there (`may_match`): a window
that holds none of them, and holds only ASCII characters, cannot contain a match.

The matcher asks before each windowed companion, context and deny-context search, most of
which find nothing (a patient CSV row has no COVID test word within 60 characters of its
result). The answer changes speed only: a window that may match still goes to the regex.

Soundness rests on three rules. Only constructs whose content is known count (literals,
small character classes, groups, alternation, bounded or `+` repeats); a zero-width
assertion contributes nothing, and anything else (`.`, `\\w`, back-references, a repeat
that may be absent) is "unknown". A construct the `regex` module reads differently from the
stdlib (fuzzy `{e<=1}`, POSIX classes, set operations, version-1 syntax, inline flags the
stdlib rejects) or any non-ASCII character in the pattern gives None. And a window with a
non-ASCII character is always searched: under case folding a non-ASCII character can match
an ASCII one (the Kelvin sign matches `k`). Never decides a match.

A required string may also be known to begin a word in every match: it follows `\\b`, `^`, a
space or punctuation in the pattern (`\\b(?:if|anyone)\\s+`, `[.!?]\\s+(?:book|get)`). Such a
string right after an ASCII letter, digit or underscore in the text is no occurrence (the
judge's `\\bthe\\s+new\\s+$` is not woken by "Heather"), except at the very start of a window
searched as a string of its own, which `may_match` looks at directly.
"""

from __future__ import annotations

import bisect
import functools
import importlib
import re
import warnings
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick_rs
import regex

_LIMIT = 64
"""Largest set of strings tracked for one construct (alternations, classes, products)."""

try:  # the stdlib's own regular-expression parser (Python 3.11+); a private module
    _parser: Any = importlib.import_module("re._parser")
    _c: Any = importlib.import_module("re._constants")
except ImportError:  # a Python that moved it: no prefilter, every window is searched
    _parser = _c = None

_PARSE_FLAGS = re.IGNORECASE | re.VERBOSE | re.MULTILINE | re.DOTALL | re.UNICODE | re.ASCII
_REGEX_ONLY = regex.VERSION1 | regex.REVERSE | regex.POSIX | regex.WORD | regex.FULLCASE
"""`regex` flags that change what a pattern means or how it is searched: no derivation."""

Strings = frozenset[str]


@dataclass(frozen=True, slots=True)
class _Facts:
    """What is known of a construct: `exact`, every string it can match (None: too many or
    unknown); `need`, strings one of which every match contains (None: nothing known)."""

    exact: Strings | None
    need: Strings | None


_EMPTY = _Facts(frozenset({""}), None)
_UNKNOWN = _Facts(None, None)

_BOUNDARY = "\ue000"
"""Stands for a `\\b` word-boundary assertion inside a derived string (a private-use
character; a pattern that names it is not understood). It matches no text: a string
that begins with it is a word that every match begins at a word boundary (`Occurrences`
checks the character before), and it is dropped from the strings searched for."""
_AT_BOUNDARY = _Facts(frozenset({_BOUNDARY}), None)
_ANCHOR_WEIGHT = 2
"""How many characters a word boundary before a string is worth when choosing the most
selective requirement (`_best`): `\\bper` (a word start) over `cent` (anywhere)."""
_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _plain(s: str) -> str:
    return s.replace(_BOUNDARY, "")


def _anchored(s: str) -> bool:
    """Does `s` begin with a word boundary before an ASCII word character? Only then does
    the boundary say something about the character before it (that it is no ASCII letter,
    digit or underscore, which are word characters under every flag)."""
    return s.startswith(_BOUNDARY) and s.lstrip(_BOUNDARY)[:1].lower() in _ASCII_WORD


def _score(s: str) -> int:
    """How selective a string is: its length, and a word start before two characters or
    more (a one-letter word start, `\\bh`, is still common)."""
    size = len(_plain(s))
    return size + (_ANCHOR_WEIGHT if size > 1 and _anchored(s) else 0)


def _product(a: Strings, b: Strings) -> Strings | None:
    if len(a) * len(b) > _LIMIT:
        return None
    return frozenset(x + y for x in a for y in b)


def _best(*candidates: Strings | None) -> Strings | None:
    """The most selective requirement: longest shortest string, then fewest strings."""
    usable = [c for c in candidates if c and all(map(_plain, c))]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(map(_score, c)), -len(c)))


def _sequence(items: Sequence[tuple[Any, Any]], lead: bool = False,
              trail: bool = False) -> _Facts:
    """A concatenation: the product of its parts, and the best requirement among its parts
    and among runs of consecutive parts whose strings are all known. `lead`: the character
    before it is no ASCII word character, if it begins with one (after `\\b`, `^`, a space
    or punctuation); that holds inside each branch of a group too (`\\b(?:cat|guinea\\s+pig)`
    is read as `(?:\\bcat|\\bguinea\\s+pig)`, the same pattern). A string that begins at
    such a place is marked (`_BOUNDARY`).

    `trail`: what follows the sequence, if anything, begins with no ASCII word character (a
    `\\b`, a space, punctuation, the end); that too holds inside each branch. A string that
    ends in a word character where what follows begins with none (`\\b(?:po|tel)\\b`,
    `\\bin\\s+`) gets the marker after it: it ends a word in every match."""
    data = list(getattr(items, "data", items))  # the parser's list (its indexing is slow)
    if not data and trail:  # an empty branch (`a(?:|n|ny)\\s`): what follows ends the word
        return _Facts(frozenset({_BOUNDARY}), None)
    follow = [trail] * len(data)
    """follow[i]: what comes after item i begins with no ASCII word character, if anything."""
    for i in range(len(data) - 2, -1, -1):
        op, av = data[i + 1]
        follow[i] = _edge(op, av, follow[i + 1], ahead=True)
    facts: list[_Facts] = []
    chars: list[str] = []  # consecutive literal characters, taken as one string

    def close(after_nonword: bool) -> None:
        facts.append(_Facts(frozenset({"".join(chars)}), None))
        if after_nonword and chars[-1].lower() in _ASCII_WORD:
            facts.append(_AT_BOUNDARY)
        chars.clear()

    for i, (op, av) in enumerate(data):
        if op is _c.LITERAL and chr(av) != _BOUNDARY:
            if not chars and lead:
                facts.append(_AT_BOUNDARY)
            chars.append(chr(av))
            lead = _nonword(chr(av))
            continue
        if chars:
            close(_edge(op, av, follow[i], ahead=True))
        facts.append(_item(op, av, lead, follow[i]))
        lead = _edge(op, av, lead, ahead=False)
    if chars:
        close(trail)
    candidates: list[Strings | None] = [f.need for f in facts if f.need]
    whole: Strings | None = frozenset({""})
    run: Strings | None = frozenset({""})
    for f in facts:
        whole = _product(whole, f.exact) if whole is not None and f.exact is not None else None
        if f.exact is None:
            candidates.append(run)
            run = frozenset({""})
            continue
        grown = _product(run, f.exact) if run is not None else None
        if grown is None:  # too many strings: close the run, start again from this part
            candidates.append(run)
            grown = f.exact
        run = grown
    candidates.append(run)
    return _Facts(whole, _best(whole, *candidates))


def _nonword(ch: str) -> bool:
    """A character of a pattern that matches no ASCII word character under any flag (not
    one, nor one whose case folds into one, as the Kelvin sign does)."""
    return ch.lower() not in _ASCII_WORD and ch not in FOLDS_TO_ASCII


def _class_nonword(av: Any) -> bool:
    """Does every character of a class `[...]` fall outside the ASCII word characters? A
    negated class that leaves out every non-space (`[^\\S\\n]`, white space but a line
    break) holds only white space."""
    if av and av[0][0] is _c.NEGATE:
        return any(kind is _c.CATEGORY and value is _c.CATEGORY_NOT_SPACE for kind, value in av)
    for kind, value in av:
        if kind is _c.LITERAL:
            if not _nonword(chr(value)):
                return False
        elif kind is _c.RANGE:
            if value[1] >= 128 or not all(_nonword(chr(c))
                                          for c in range(value[0], value[1] + 1)):
                return False
        elif kind is not _c.CATEGORY or value not in (_c.CATEGORY_SPACE,
                                                      _c.CATEGORY_NOT_WORD):
            return False  # a negated class, digits, words, anything else
    return True


_EDGE_ASSERTIONS = {
    False: frozenset({"AT_BOUNDARY", "AT_BEGINNING", "AT_BEGINNING_STRING"}),
    True: frozenset({"AT_BOUNDARY", "AT_END", "AT_END_STRING"}),
}
"""The zero-width assertions that put a non-word character (or the text's edge) on their far
side of a word character: `\\b` and `^` before the next character, `\\b` and `$` after the
last one."""


def _edge(op: Any, av: Any, known: bool, ahead: bool) -> bool:
    """Whether the text beside one construct is no ASCII word character (or the text's edge)
    where the neighbouring word character needs it. Read backward (`ahead` False: the
    character before whatever comes next, its last one; `known`, what held before it) or
    forward (`ahead`: the next character after an ASCII word character, its first one;
    `known`, what holds after it). A zero-width assertion leaves `known` as it is, except
    `\\b` and `^` (backward) or `\\b` and `$` (forward), which make it so; a repeat that
    may be absent needs `known` too."""
    if op is _c.LITERAL:
        return _nonword(chr(av))
    if op is _c.IN:
        return _class_nonword(av)
    if op is _c.AT:
        return known or str(av) in _EDGE_ASSERTIONS[ahead]
    if op is _c.ASSERT or op is _c.ASSERT_NOT:
        return known
    if op is _c.SUBPATTERN:
        return _edges(av[3], known, ahead)
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _edges(av, known, ahead)
    if op is _c.BRANCH:
        return all(_edges(b, known, ahead) for b in av[1])
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        lo, _, sub = av
        each = _edges(sub, known, ahead)
        return each if lo >= 1 else known and each
    return False


def _edges(items: Any, known: bool, ahead: bool) -> bool:
    """`_edge` of a sequence of constructs, read in its direction."""
    data = list(getattr(items, "data", items))
    for op, av in (reversed(data) if ahead else data):
        known = _edge(op, av, known, ahead)
    return known


def _item(op: Any, av: Any, lead: bool = False, trail: bool = False) -> _Facts:
    """One construct of the stdlib parser's tree (`lead`: right after a word boundary;
    `trail`: before what begins with no word character; a group or an alternation carries
    both into each of its branches)."""
    if op is _c.LITERAL:
        return _Facts(frozenset({chr(av)}), None) if chr(av) != _BOUNDARY else _UNKNOWN
    if op is _c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is _c.LITERAL:
                chars.add(chr(value))
            elif kind is _c.RANGE and value[1] - value[0] < _LIMIT:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:  # a negated set, a category such as \s, a wide range
                return _UNKNOWN
        if not chars or len(chars) > _LIMIT or _BOUNDARY in chars:
            return _UNKNOWN
        return _Facts(frozenset(chars), None)
    if op is _c.AT and av is _c.AT_BOUNDARY:
        return _AT_BOUNDARY
    if op is _c.AT or op is _c.ASSERT or op is _c.ASSERT_NOT:
        return _EMPTY  # zero-width: nothing of it is part of the match
    if op is _c.SUBPATTERN:
        return _sequence(av[3], lead, trail)
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _sequence(av, lead, trail)
    if op is _c.BRANCH:
        branches = [_sequence(b, lead, trail) for b in av[1]]
        exact: Strings | None = frozenset()
        need: Strings | None = frozenset()
        for b in branches:
            exact = exact | b.exact if exact is not None and b.exact is not None else None
            wanted = _best(b.exact, b.need)
            need = need | wanted if need is not None and wanted is not None else None
        if exact is not None and len(exact) > _LIMIT:
            exact = None
        return _Facts(exact, need)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        inner = _sequence(sub)
        need = _best(inner.exact, inner.need) if lo >= 1 else None
        return _Facts(_repeated(inner.exact, lo, hi), need)
    return _UNKNOWN  # ., categories, back-references, conditionals, anything new


def _repeated(exact: Strings | None, lo: int, hi: int) -> Strings | None:
    """Every string of `lo` to `hi` repetitions of a construct (few repetitions only)."""
    if exact is None or hi > 4:
        return None
    total: set[str] = set()
    power: Strings | None = frozenset({""})
    for n in range(hi + 1):
        if power is None or len(total) > _LIMIT:
            return None
        if n >= lo:
            total.update(power)
        power = _product(power, exact)
    return frozenset(total) if len(total) <= _LIMIT else None


def _literal_braces(items: Sequence[tuple[Any, Any]]) -> bool:
    """True when the tree holds a literal `{` or `}` anywhere: the stdlib reads a `regex`
    fuzzy constraint (`(?:abc){e<=1}`) as literal text."""
    for op, av in getattr(items, "data", items):
        if op is _c.LITERAL and av in (0x7B, 0x7D):
            return True
        if op is _c.IN and any(k is _c.LITERAL and v in (0x7B, 0x7D) for k, v in av):
            return True
        subs: list[Any] = []
        if op is _c.SUBPATTERN:
            subs = [av[3]]
        elif op is _c.BRANCH:
            subs = list(av[1])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            subs = [av[2]]
        elif op is _c.ASSERT or op is _c.ASSERT_NOT:
            subs = [av[1]]
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            subs = [av]
        elif op is _c.GROUPREF_EXISTS:
            subs = [s for s in av[1:] if s is not None]
        if any(_literal_braces(s) for s in subs):
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _parse(source: str, flags: int) -> tuple[Any, bool]:
    """The stdlib parser's tree of a pattern (None when it cannot read it), and whether it
    warned while reading it; parsed once for `required` and `pumpable`."""
    if _parser is None:
        return None, False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tree = _parser.parse(source, flags & _PARSE_FLAGS)
    except (re.error, RecursionError, OverflowError):
        return None, False
    return tree, any(issubclass(w.category, FutureWarning | DeprecationWarning) for w in caught)


def _understood(source: str, flags: int) -> Any:
    """The stdlib parser's tree of a pattern it reads as the regex module does, or None (a
    non-ASCII pattern, a regex-only flag, a warning such as "possible nested set", a brace
    the regex module reads as a literal): what `required` and `reach` may derive from."""
    if _parser is None or not source.isascii() or flags & _REGEX_ONLY:
        return None
    tree, warned = _parse(source, flags)
    if tree is None or warned:
        return None
    if ("{" in source or "}" in source) and _literal_braces(tree.data):
        return None
    return tree


@functools.lru_cache(maxsize=1024)
def _derive(source: str, flags: int) -> tuple[tuple[str, bool, bool], ...] | None:
    """The required strings of a pattern (lower case, boundaries dropped), each with whether
    every match holds it at a word start (`_anchored`) and at a word end (`_closed`); None
    when nothing can be said."""
    tree = _understood(source, flags)
    if tree is None:
        return None
    facts = _sequence(tree.data)
    need = _best(facts.exact, facts.need)
    if need is None:
        return None
    found: dict[str, tuple[bool, bool]] = {}
    for s in need:
        plain = _plain(s).lower()
        at, end = found.get(plain, (True, True))
        found[plain] = (at and _anchored(s), end and _closed(s))
    # One of a string's substrings in the set already says "maybe" (a word start: only of
    # a word start too, as its prefix; a word end: of a word end, as its suffix; a whole
    # word: of nothing else): keep the shortest.
    return tuple(sorted(
        (s, at, end) for s, (at, end) in found.items()
        if not any(o != s and o in s and not (o_at and o_end)
                   and (not o_at or (at and s.startswith(o)))
                   and (not o_end or (end and s.endswith(o)))
                   for o, (o_at, o_end) in found.items())))


def _closed(s: str) -> bool:
    """Does `s` end with a word boundary after an ASCII word character (`_anchored`'s other
    side: the character after it is no ASCII letter, digit or underscore)?"""
    return s.endswith(_BOUNDARY) and s.rstrip(_BOUNDARY)[-1:].lower() in _ASCII_WORD


def _lookahead_reach(items: Any) -> int | None:
    """Most characters the lookaheads (and `\\b`, `$`) of a parsed pattern read past the
    position they stand at; None when a lookahead is unbounded."""
    most = 1  # a word boundary or end anchor reads one character ahead
    for op, av in items:
        subs: list[Any] = []
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            direction, sub = av
            if direction == 1:
                width = sub.getwidth()[1]
                inner = _lookahead_reach(sub.data)
                if width >= _c.MAXREPEAT or inner is None:
                    return None
                most = max(most, width + inner)
            subs = [sub]
        elif op is _c.SUBPATTERN:
            subs = [av[3]]
        elif op is _c.BRANCH:
            subs = list(av[1])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            subs = [av[2]]
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            subs = [av]
        elif op is _c.GROUPREF_EXISTS:
            subs = [s for s in av[1:] if s is not None]
        for sub in subs:
            inner = _lookahead_reach(sub.data if hasattr(sub, "data") else sub)
            if inner is None:
                return None
            most = max(most, inner)
    return most


@functools.lru_cache(maxsize=1024)
def _reach(source: str, flags: int) -> tuple[int, int] | None:
    tree = _understood(source, flags)
    if tree is None:
        return None
    width = tree.getwidth()[1]
    ahead = _lookahead_reach(tree.data)
    if width >= _c.MAXREPEAT or ahead is None:
        return None
    return width, ahead


def reach(pattern: regex.Pattern[str] | re.Pattern[str]) -> tuple[int, int] | None:
    """(the most characters a match spans, the most characters its assertions read past a
    match's end), by the stdlib parser's reading, or None when either is unbounded or the
    pattern is not understood well enough to say (the same refusals as `required`)."""
    return _reach(pattern.pattern, int(pattern.flags))


_PUMPED = 16
"""Most strings `pumpable` returns for one pattern (the shortest first)."""
_SPELLED = 8
"""A repeated construct that can match at most this many strings gives them all; one that
can match more (`[A-Z]`, `\\s`) gives one string of each of its alternatives."""
_CATEGORY_CHARS = {"CATEGORY_DIGIT": "1", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "a",
                   "CATEGORY_LINEBREAK": "\n"}
"""A character of each class escape (`\\d`, `\\s`, `\\w`); a negated one gives `!`."""


def _class_char(av: Any) -> str:
    """A character a set (`[a-z]`, `[\\d\\s]`) matches; `!` for a negated one."""
    for kind, value in av:
        if kind is _c.NEGATE:
            return "!"
        if kind is _c.LITERAL:
            return chr(value)
        if kind is _c.RANGE:
            return chr(value[0])
        if kind is _c.CATEGORY:
            name = str(value)
            return "!" if "_NOT_" in name else _CATEGORY_CHARS.get(name, "a")
    return "a"


def _sample(items: Sequence[tuple[Any, Any]]) -> str:
    """One string a construct can match: the first alternative of each choice, a repeat as
    few times as it must (at least once), a character of each set."""
    out: list[str] = []
    for op, av in getattr(items, "data", items):
        if op is _c.LITERAL:
            out.append(chr(av))
        elif op is _c.ANY:
            out.append("a")
        elif op is _c.IN:
            out.append(_class_char(av))
        elif op is _c.BRANCH:
            out.append(_sample(av[1][0]))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            out.append(_sample(av[2]) * min(max(av[0], 1), 8))
        elif op is _c.SUBPATTERN or op is getattr(_c, "ATOMIC_GROUP", None):
            out.append(_sample(_children(op, av)[0]))
    return "".join(out)[:64]


def _children(op: Any, av: Any) -> list[Any]:
    """The sub-trees of one construct."""
    if op is _c.SUBPATTERN:
        return [av[3]]
    if op is _c.BRANCH:
        return list(av[1])
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        return [av[2]]
    if op is _c.ASSERT or op is _c.ASSERT_NOT:
        return [av[1]]
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return [av]
    if op is _c.GROUPREF_EXISTS:
        return [s for s in av[1:] if s is not None]
    return []


def _pumped(items: Sequence[tuple[Any, Any]], out: set[str]) -> None:
    for op, av in getattr(items, "data", items):
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[1] > 1:
            body = av[2]
            exact = _sequence(body).exact
            if exact is not None and len(exact) <= _SPELLED:
                out.update(plain for plain in map(_plain, exact) if plain)
            else:  # each alternative of the body once (`(?:new\\s+|dry\\s+)*`: `new `, `dry `)
                out.update(s for s in map(_sample, _alternatives(body)) if s)
        for sub in _children(op, av):
            _pumped(sub, out)


def _alternatives(items: Any) -> list[Any]:
    """The alternatives of a construct that is one choice (possibly in a group), else the
    construct itself."""
    data = list(getattr(items, "data", items))
    while len(data) == 1 and data[0][0] is _c.SUBPATTERN:
        data = list(getattr(data[0][1][3], "data", data[0][1][3]))
    if len(data) == 1 and data[0][0] is _c.BRANCH:
        return list(data[0][1][1])
    return [data]


@functools.lru_cache(maxsize=1024)
def _pumpable(source: str, flags: int) -> tuple[str, ...]:
    tree = _parse(source, flags)[0] if not flags & _REGEX_ONLY else None
    found: set[str] = set()
    if tree is not None:
        _pumped(tree.data, found)
    else:  # syntax only the regex module reads: the pattern's own word characters
        found = {ch for ch in source if ch.isalnum()}
    return tuple(sorted(found, key=lambda s: (len(s), s))[:_PUMPED])


def pumpable(pattern: regex.Pattern[str] | re.Pattern[str]) -> tuple[str, ...]:
    """Strings that a repeat in `pattern` can match over and over (`(?:x|xx)+` gives `x`
    and `xx`; `[a-z]+` gives `a`; `(?:\\w+\\s?)*` gives `a` and ` `): the pieces a
    backtracking probe repeats (`rules.pack`). From the stdlib parser's reading of the
    pattern, as `required` is; a pattern it cannot read gives the pattern's own letters and
    digits. At most 16, the shortest first. Says nothing about what a pattern matches."""
    return _pumpable(pattern.pattern, int(pattern.flags))


def required(pattern: regex.Pattern[str] | re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case ASCII strings one of which every match of `pattern` contains, ignoring
    ASCII case; None when the pattern is not understood well enough to say."""
    derived = _derive(pattern.pattern, int(pattern.flags))
    if derived is None:
        return None
    plain = {s for s, _, _ in derived}
    return tuple(sorted(s for s in plain if not any(o != s and o in s for o in plain)))


def _span(found: tuple[int, int, int]) -> tuple[int, int]:
    return found[1], found[2]


_Plan = tuple[ahocorasick_rs.AhoCorasick, frozenset[int], frozenset[int],
              dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], int]


@functools.lru_cache(maxsize=1024)
def _plan(strings: tuple[str, ...], anchored: frozenset[str], closed: frozenset[str]) -> _Plan:
    """What `Occurrences` needs of a set of strings, whatever the text, worked out once: the
    automaton; the indexes of the strings held at a word start and at a word end; those
    strings by first and by last character (`may_match` looks at a window's edges); the
    longest length."""
    heads: dict[str, tuple[str, ...]] = {}
    for string in sorted(anchored & set(strings)):
        heads[string[0]] = (*heads.get(string[0], ()), string)
    tails: dict[str, tuple[str, ...]] = {}
    for string in sorted(closed & set(strings)):
        tails[string[-1]] = (*tails.get(string[-1], ()), string)
    return (ahocorasick_rs.AhoCorasick(list(strings)),
            frozenset(i for i, string in enumerate(strings) if string in anchored),
            frozenset(i for i, string in enumerate(strings) if string in closed),
            heads, tails, max(map(len, strings)))


class Occurrences:
    """Where a pattern's required strings occur in one text (found once, as spans sorted
    by start), to answer for any window whether the pattern could match there."""

    __slots__ = ("_ascii", "_ends", "_heads", "_low", "_starts", "_tails", "_text")

    _CHUNK = 1 << 20
    """Characters searched at a time (the automaton lists a chunk's matches at once)."""

    def __init__(self, strings: tuple[str, ...], text: str, low: str,
                 anchored: frozenset[str] = frozenset(),
                 closed: frozenset[str] = frozenset()) -> None:
        """`low` is `text` lower-cased, index for index (same length). `anchored`: those of
        `strings` that every match holds at a word start (`required`'s derivation): an
        occurrence of one right after an ASCII letter, digit or underscore is dropped (it
        can begin a match only at the very start of a window searched as a string of its
        own, which `may_match` looks at directly). `closed`: those every match holds at a
        word end: an occurrence right before an ASCII letter, digit or underscore is dropped
        (it can end a match only at the very end of a window)."""
        automaton, at, end, self._heads, self._tails, longest = _plan(strings, anchored, closed)
        size = len(low)
        # arrays: a dense text has a required string on every line (about 16 bytes each)
        self._starts = array("q")
        self._ends = array("q")
        step = self._CHUNK
        for base in range(0, len(low), step):
            spans = automaton.find_matches_as_indexes(low[base: base + step + longest - 1],
                                                      overlapping=True)
            spans.sort(key=_span)
            # a span that starts in the overlap is the next chunk's to find
            kept = [(s + base, e + base) for i, s, e in spans
                    if s < step and not (i in at and s + base > 0
                                         and low[s + base - 1] in _ASCII_WORD)
                    and not (i in end and e + base < size and low[e + base] in _ASCII_WORD)
                    ] if at or end else [(s + base, e + base) for _, s, e in spans if s < step]
            self._starts.extend(s for s, _ in kept)
            self._ends.extend(e for _, e in kept)
        self._text = text
        self._low = low
        self._ascii = text.isascii()

    def may_match(self, lo: int, hi: int) -> bool:
        """False only when no match of the pattern can lie inside text[lo:hi]: the window
        holds none of the required strings whole (an anchored one at a word start, or at
        `lo`; a closed one at a word end, or at `hi`), and no character outside ASCII."""
        if not self._ascii and not self._text[lo:hi].isascii():
            return True
        starts = self._starts
        size = len(starts)
        i = bisect.bisect_left(starts, lo)
        if i < size and starts[i] < hi:
            ends = self._ends
            while i < size and starts[i] < hi:
                if ends[i] <= hi:
                    return True
                i += 1
        low = self._low
        hi = min(hi, len(low))
        if lo >= hi:
            return False
        # The window's edges, read in the lower-cased text (the same characters as lowering
        # the window itself: an ASCII window, whose case maps one character to one).
        if self._heads:
            for string in self._heads.get(low[lo], ()):
                if low.startswith(string, lo, hi):
                    return True
        if self._tails:
            for string in self._tails.get(low[hi - 1], ()):
                if low.endswith(string, lo, hi):
                    return True
        return False

    def windows(self, width: int) -> list[tuple[int, int]] | None:
        """The spans of the text where a match at most `width` characters wide could lie:
        around each required string, `width` either side, overlapping spans merged. None
        when the text holds a character outside ASCII whose case folds into ASCII (the
        Kelvin sign, the long s): a match might then hold no required string."""
        if not self._ascii and not _ascii_equivalent(self._text):
            return None
        merged: list[tuple[int, int]] = []
        size = len(self._text)
        for s, e in zip(self._starts, self._ends, strict=True):
            lo, hi = max(0, s - width), min(size, e + width)
            if merged and lo <= merged[-1][1]:
                if hi > merged[-1][1]:
                    merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        return merged


FOLDS_TO_ASCII = frozenset("\u00df\u0130\u0131\u0149\u017f\u01f0\u1e96\u1e97\u1e98\u1e99"
                           "\u1e9a\u1e9e\u212a\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06")
"""Characters outside ASCII whose lower, upper or folded case holds an ASCII letter (a
case-insensitive match can take them for one): every such character of the Basic
Multilingual Plane, as Python's case tables give them (a test recomputes the set)."""


def _ascii_equivalent(text: str) -> bool:
    """True when no character of `text` outside ASCII can match an ASCII letter under case
    folding."""
    return FOLDS_TO_ASCII.isdisjoint(text)


def may_occur(pattern: regex.Pattern[str] | re.Pattern[str], text: str,
              low: str | None = None) -> bool:
    """False only when `pattern` cannot match anywhere in `text`: the text is ASCII and
    holds none of the pattern's required strings (`low`: the text lower-cased, if known)."""
    strings = required(pattern)
    if strings is None or not text.isascii():
        return True
    low = text.lower() if low is None else low
    return any(s in low for s in strings)


def occurrences(pattern: regex.Pattern[str], text: str, low: str) -> Occurrences | None:
    """The required strings of `pattern` found in `text` (`low`: its lower case), or None
    when there is no prefilter: the pattern has no required strings, or lower-casing moved
    the text's indexes (a character whose lower case is longer)."""
    args = _occurrence_args(pattern.pattern, int(pattern.flags))
    if args is None or len(low) != len(text):
        return None
    strings, anchored, closed = args
    return Occurrences(strings, text, low, anchored, closed)


@functools.lru_cache(maxsize=1024)
def _occurrence_args(source: str, flags: int
                     ) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]] | None:
    """`_derive` of a pattern as `Occurrences` takes it: the strings, those held at a word
    start, those held at a word end."""
    derived = _derive(source, flags)
    if derived is None:
        return None
    return (tuple(s for s, _, _ in derived), frozenset(s for s, at, _ in derived if at),
            frozenset(s for s, _, end in derived if end))


__all__ = ["Occurrences", "may_occur", "occurrences", "pumpable", "reach", "required"]
