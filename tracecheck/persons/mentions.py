"""Mentions of people in a message's text: a name, a date of birth, case references and
health identifiers that sit together.

Owns what counts as a person's name, a date of birth and a case reference in free text and in
a CSV table, and the rule that groups them: in a CSV, a row is one mention; in other text, each
paragraph is split at its names and every date of birth, reference and identifier goes with
the nearest name in the paragraph (a paragraph with no name gives one nameless mention).
Identifiers are recognised only when their digits are among the values the scan reported
(`known`), so no other number is ever kept. Never decides whether two mentions are the same
person (`link` does) and never masks or prints anything.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_TOKEN = rf"[{_UPPER}][{_LOWER}]+(?:[-'’][{_UPPER}{_LOWER}][{_LOWER}]+)?"
_PARTICLE = r"(?:N[íi]|Ó|O'|Mac|Mc|de|van|von|da|di)"
_NAME = re.compile(
    rf"(?<![\w@.])(?:{_TOKEN}|{_PARTICLE})(?:[ \u00a0](?:{_TOKEN}|{_PARTICLE}[ \u00a0]?{_TOKEN}))"
    rf"{{1,3}}(?![\w@])")
_STOP = frozenset("""
hi hello dear thanks thank regards kind best cheers morning afternoon evening team all
case cases patient patients name names update re fw fwd result results notes note call calls
back test tests pcr lfd lft nhs chi hsc dob date born subject sent from to cc bcc household
member members monday tuesday wednesday thursday friday saturday sunday january february march
april may june july august september october november december ltd limited tracecall contact
centre center manager managers handler tracer lead leader shift quality operations welfare
scotland glasgow belfast england wales ireland northern hospital ward gp surgery trust board
service services unit please urgent callback chase record list new open today yesterday
tomorrow the a an and or of for on in at with by lateral flow covid sars rna positive negative
inconclusive void detected swab microsoft outlook iphone android mobile office clinical nurse
doctor dr mr mrs ms miss prof sir madam status notes vaccination vaccinated admitted discharged
""".split())
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof"})
_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?!\d)")
_DOB_LABEL = re.compile(r"(?:\bD\.?O\.?B\b|\bdate of birth|\bborn(?: on)?)[\s:.\-]*$",
                        re.IGNORECASE)
_REF = re.compile(r"(?<![\w-])([A-Z]{2,5}-\d{4,10})(?![\w-])")
_DIGITS = re.compile(r"(?<![\d])\d(?:[ \u00a0\-.]?\d){8,11}(?!\d)")
_PARAGRAPH = re.compile(r"\n[ \t\r\u00a0]*\n|\r\n[ \t]*\r\n")
MAX_REACH = 240
"""Characters a date, reference or identifier may lie from the name it goes with."""


@dataclass(frozen=True, slots=True)
class Mention:
    """One person as a message's text shows them: what sits together in one row or paragraph.
    Every field is normalised (`normal_name`, ISO dates, digits only)."""

    name: str
    """The name as written (spaces collapsed), empty when none was found near the rest."""
    dob: str
    """Date of birth as YYYY-MM-DD, or empty."""
    refs: tuple[str, ...] = ()
    """Case references (e.g. `TC-123456`)."""
    identifiers: tuple[str, ...] = ()
    """Identifier values (digits) the scan reported, found here."""
    where: str = "body"
    """The text unit it was found in (`subject`, `body`, `attachment:NAME`)."""

    @property
    def key_name(self) -> str:
        """The name as compared: `normal_name`."""
        return normal_name(self.name)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (key order fixed)."""
        return {"name": self.name, "dob": self.dob, "refs": list(self.refs),
                "identifiers": list(self.identifiers), "where": self.where}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Mention:
        """The inverse of `as_dict`; a `TypeError`/`KeyError` on a record of another shape."""
        refs, ids = data["refs"], data["identifiers"]
        if not isinstance(refs, list) or not isinstance(ids, list):
            raise TypeError("refs and identifiers must be lists")
        return cls(str(data["name"]), str(data["dob"]), tuple(str(r) for r in refs),
                   tuple(str(i) for i in ids), str(data["where"]))


def normal_name(name: str) -> str:
    """A name as two mentions compare it: accents and case folded, titles dropped, one space
    between words (`Dr Zoë  Brontë` → `zoe bronte`)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = [w for w in re.split(r"[\s\u00a0]+", plain.replace("’", "'")) if w]
    return " ".join(w for w in words if w.rstrip(".") not in _TITLES)


def names_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of every person's name in `text`: two to four capitalised words,
    none of them a greeting, a label, a weekday or another word of the stop list (a possessive
    `'s` is left out)."""
    out = []
    for m in _NAME.finditer(text):
        words = m.group().replace("\u00a0", " ").split(" ")
        start = m.start()
        while words and words[0].casefold().strip("'’") in _STOP:
            start += len(words[0]) + 1
            words = words[1:]
        while words and words[-1].casefold() in _STOP:
            words = words[:-1]
        if len(words) < 2 or any(w.casefold() in _STOP for w in words):
            continue
        last = words[-1]
        if last.endswith(("'s", "’s")):
            words[-1] = last[:-2]
        name = " ".join(words)
        out.append((start, start + len(name), name))
    return out


def _iso(day: str, month: str, year: str) -> str:
    d, mth, y = int(day), int(month), int(year)
    if not (1 <= d <= 31 and 1 <= mth <= 12 and 1880 <= y <= 2100):
        return ""
    return f"{y:04d}-{mth:02d}-{d:02d}"


def _dates_of_birth(text: str) -> list[tuple[int, str]]:
    """(position, ISO date) of every date written after a date-of-birth label."""
    out = []
    for m in _DATE.finditer(text):
        if _DOB_LABEL.search(text[max(0, m.start() - 24):m.start()]):
            iso = _iso(*m.groups())
            if iso:
                out.append((m.start(), iso))
    return out


def _identifiers(text: str, known: frozenset[str]) -> list[tuple[int, str]]:
    out = []
    for m in _DIGITS.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if digits in known:
            out.append((m.start(), digits))
    return out


def mentions_in(text: str, where: str, known: frozenset[str]) -> list[Mention]:
    """The mentions in one text unit (`where` names it): a CSV table row by row, other text
    paragraph by paragraph. `known`: the identifier values (digits) the scan reported."""
    table = _csv_mentions(text, where, known)
    if table is not None:
        return table
    out: list[Mention] = []
    for piece in _PARAGRAPH.split(text):
        out.extend(_paragraph(piece, where, known))
    return out


def _paragraph(text: str, where: str, known: frozenset[str]) -> list[Mention]:
    names = names_in(text)
    dobs = _dates_of_birth(text)
    refs = [(m.start(), m.group(1)) for m in _REF.finditer(text)]
    ids = _identifiers(text, known)
    if not (dobs or refs or ids):
        return [Mention(name, "", (), (), where) for _, _, name in names]
    groups: dict[int, tuple[list[str], list[str], list[str]]] = {
        i: ([], [], []) for i in range(len(names))}
    loose: tuple[list[str], list[str], list[str]] = ([], [], [])
    for kind, items in ((0, dobs), (1, refs), (2, ids)):
        for at, value in items:
            nearest = min(
                range(len(names)),
                key=lambda i: (_distance(names[i], at), i),
                default=None)
            if nearest is None or _distance(names[nearest], at) > MAX_REACH:
                loose[kind].append(value)
            else:
                groups[nearest][kind].append(value)
    out = []
    for i, (_, _, name) in enumerate(names):
        d, r, n = groups[i]
        out.append(Mention(name, d[0] if d else "", tuple(dict.fromkeys(r)),
                           tuple(dict.fromkeys(n)), where))
    if any(loose[1:]):
        out.append(Mention("", loose[0][0] if loose[0] else "", tuple(dict.fromkeys(loose[1])),
                           tuple(dict.fromkeys(loose[2])), where))
    return out


def _distance(name: tuple[int, int, str], at: int) -> int:
    start, end, _ = name
    return start - at if at < start else max(0, at - end)


_NAME_COLUMNS = ("name", "full name", "patient", "patient name", "case name")
_FIRST_COLUMNS = ("forename", "first name", "firstname", "given name", "first")
_LAST_COLUMNS = ("surname", "last name", "lastname", "family name", "last")
_DOB_COLUMNS = ("dob", "d.o.b", "d.o.b.", "date of birth", "birth date", "born")
_REF_COLUMNS = ("case", "case ref", "case reference", "ref", "reference", "case id")


def _csv_mentions(text: str, where: str, known: frozenset[str]) -> list[Mention] | None:
    """One mention per row of a CSV table whose header names a name column; None when the
    text is not such a table."""
    head, _, _ = text.lstrip("\ufeff").partition("\n")
    if head.count(",") < 2:
        return None
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error:
        return None
    header = [h.strip().casefold() for h in rows[0]] if rows else []

    def column(names: Sequence[str]) -> int | None:
        return next((i for i, h in enumerate(header) if h in names), None)

    full, first, last = column(_NAME_COLUMNS), column(_FIRST_COLUMNS), column(_LAST_COLUMNS)
    if full is None and (first is None or last is None):
        return None
    dob, ref = column(_DOB_COLUMNS), column(_REF_COLUMNS)
    out = []
    for row in rows[1:]:
        cells = [c.strip() for c in row]
        if not any(cells):
            continue

        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i] if i is not None and i < len(cells) else ""

        name = cell(full) if full is not None else f"{cell(first)} {cell(last)}".strip()
        date = _DATE.fullmatch(cell(dob))
        iso = _iso(*date.groups()) if date else ""
        ids = tuple(dict.fromkeys(v for c in cells for _, v in _identifiers(c, known)))
        refs = tuple(r for r in (cell(ref),) if r)
        out.append(Mention(" ".join(name.split()), iso, refs, ids, where))
    return out


def mentions_of(units: Iterable[tuple[str, str]], known: frozenset[str]) -> tuple[Mention, ...]:
    """Every mention in a message's text units, given as (where, text), in order, duplicates
    (the plain and HTML alternatives of one body) kept once."""
    out: dict[Mention, None] = {}
    for where, text in units:
        for m in mentions_in(text, where, known):
            out.setdefault(m, None)
    return tuple(out)
