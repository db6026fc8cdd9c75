"""Boilerplate and quoted text inside a text unit: signatures, disclaimers, footers, replies.

Owns the spans of a text that should not count as someone's health data: a signature block
(after a `-- ` delimiter line), legal disclaimers and confidentiality footers (paragraphs
that open with or contain the usual phrases, many of which mention "NHS"), and quoted reply
text (`>` lines, or everything after "On … wrote:" / "-----Original Message-----" / an
Outlook "From: … Sent: …" header block). Matches inside boilerplate are dropped and words in
it never serve as context; matches inside quotes are kept but marked `quoted`. Pure text
functions; never sees headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracecheck.rules.literals import may_occur

_SIG_DELIM = re.compile(r"^-- ?$", re.MULTILINE)
_DISCLAIMER = re.compile(
    r"(?i)\b(?:this\s+e-?mail\s+(?:and\s+any\s+(?:files|attachments)\s+)?(?:transmitted\s+)?"
    r"(?:is|are|may\s+be|contains?)\s+(?:strictly\s+)?(?:confidential|privileged|intended)|"
    r"if\s+you\s+(?:are\s+not|have\s+received\s+this)\s+(?:the\s+intended\s+recipient|"
    r"(?:e-?mail|message)\s+in\s+error)|"
    r"confidentiality\s+(?:notice|warning|statement)|disclaimer:|"
    r"the\s+information\s+contained\s+in\s+this\s+(?:e-?mail|message|communication)|"
    r"registered\s+in\s+england(?:\s+and\s+wales)?|company\s+registration\s+(?:no|number)|"
    r"to\s+unsubscribe|unsubscribe\s+(?:here|from\s+this)|you\s+are\s+receiving\s+this\s+"
    r"(?:e-?mail|newsletter|message)|view\s+this\s+email\s+in\s+your\s+browser|"
    r"please\s+consider\s+the\s+environment\s+before\s+printing)"
)
_QUOTE_START = re.compile(
    r"(?im)^(?:on\s.{1,200}?\bwrote:\s*$|-{2,}\s*original\s+message\s*-{2,}|"
    r"-{2,}\s*forwarded\s+message\s*-{2,}|begin\s+forwarded\s+message:|"
    r"from:\s.+\n(?:sent|date):\s.+\n)"
)
_SIGN_OFF = re.compile(
    r"(?im)^[ \t]*(?:(?:kind|best|warm|many)\s+(?:regards|wishes|thanks)|regards|thanks|"
    r"thank\s+you|cheers|yours\s+(?:sincerely|faithfully)|sent\s+from\s+my\s+\w+|"
    r"get\s+outlook\s+for\s+\w+)[ \t,.!]*$"
)
MAX_SIGNATURE_LINES = 12
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_PARA = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True, slots=True)
class Regions:
    """Character spans of boilerplate and of quoted text, each sorted and non-overlapping."""

    boilerplate: tuple[tuple[int, int], ...]
    quoted: tuple[tuple[int, int], ...]

    def in_boilerplate(self, start: int, end: int) -> bool:
        """True when [start, end) lies inside boilerplate."""
        return any(s <= start and end <= e for s, e in self.boilerplate)

    def in_quote(self, start: int, end: int) -> bool:
        """True when [start, end) lies inside quoted reply text."""
        return any(s <= start and end <= e for s, e in self.quoted)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for m in _PARA.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return spans


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)


def regions(text: str) -> Regions:
    """Find boilerplate and quoted spans in `text`. A pattern none of whose required
    strings occurs in the text is not run (`literals.may_occur`: speed only)."""
    low = text.lower() if text.isascii() else None

    def may(pattern: re.Pattern[str]) -> bool:
        return may_occur(pattern, text, low)

    quoted: list[tuple[int, int]] = (
        [m.span() for m in _QUOTED_LINE.finditer(text)] if may(_QUOTED_LINE) else [])
    start = _QUOTE_START.search(text) if may(_QUOTE_START) else None
    if start is not None:
        quoted.append((start.start(), len(text)))
    boiler: list[tuple[int, int]] = []
    sig = None
    for m in _SIG_DELIM.finditer(text) if may(_SIG_DELIM) else ():
        # A signature delimiter inside a quote belongs to the quoted message.
        if not any(s <= m.start() < e for s, e in quoted):
            sig = m
            break
    limit = start.start() if start is not None else len(text)
    if sig is not None and sig.start() < limit:
        boiler.append((sig.start(), limit))
    elif may(_SIGN_OFF):
        # A sign-off ("Kind regards,") followed by a few short lines: name, title, org, phone.
        for m in _SIGN_OFF.finditer(text, 0, limit):
            tail = text[m.end() : limit].strip("\n").splitlines()
            # Long lines are allowed only when they are the disclaimer itself.
            if len(tail) <= MAX_SIGNATURE_LINES and all(
                len(t) <= 100 or _DISCLAIMER.search(t) for t in tail
            ):
                boiler.append((m.end(), limit))
                break
    if may(_DISCLAIMER) and _DISCLAIMER.search(text):
        for s, e in _paragraphs(text):
            if _DISCLAIMER.search(text, s, e):
                boiler.append((s, e))
    return Regions(boilerplate=_merge(boiler), quoted=_merge(quoted))


def blank(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """`text` with the spans replaced by spaces (lengths and offsets preserved)."""
    if not spans:
        return text
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)
