"""Masking: how health data looks whenever it leaves the process without `--reveal`.

The one owner of every mask, used by the scan reporters, the ICO report, the review list and
the log tables alike (docs/output.md, "Masking", states the same rules):
- an identifier keeps its first three digits and every separator, `943 *** ****`
  (`9434765919` → `943*******`): the length and layout of what was matched stay visible;
- a matched phrase keeps each word's first character, `t***** p*******`;
- a mailbox address keeps the first character of its local part and its domain,
  `j***@gmail.com` (the domain is the finding); text that is not an address is `***`;
- a subject keeps each word's first letter and hides every word that starts with a digit
  whole, `R****** f** ******** ****` (subjects are not run through the detectors, so any
  number in one may be an identifier or a date of birth);
- an evidence snippet is a window of context around a match in which every detector hit,
  every long digit run and every email local part are masked;
- a mail server's reply (the `detail` of a logged recipient: `550 5.1.1 <j.doe@gmail.com>:
  ...`) is masked like that context, every email local part and every run of 4+ digits,
  keeping the reply code and enhanced status code (`550 5.1.1`) that say what happened;
- a file name or a place inside a locator (exports are often named after a message's subject)
  is masked like a subject, keeping what tracecheck itself wrote: extensions (`.eml`), its
  labels (`attachment:`, `zip:`, `page:`, `body`) and positions (`@512`, `#12`, `:40`),
  `L**-r*****-f**-J***.eml`.
Every function that takes `reveal` returns its input unchanged when it is set. Never logs
anything.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")
_LONG_DIGITS = re.compile(r"\d[\d \-.]{2,}\d")
_EMAIL = re.compile(r"([A-Za-z0-9._%+\-]+)@([A-Za-z0-9.\-]+)")
_WORD = re.compile(r"\w+")

WINDOW = 40


def mask_identifier(text: str) -> str:
    """Keep the first three digits and every separator; star the other digits."""
    seen = 0
    out = []
    for ch in text:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= 3 else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_words(text: str) -> str:
    """Keep each word's first character; star the rest."""
    return _WORD.sub(lambda m: m.group()[0] + "*" * (len(m.group()) - 1), text)


def mask_address(addr: str, reveal: bool = False) -> str:
    """`jane.doe@gmail.com` → `j***@gmail.com`; the domain follows the last `@`."""
    if reveal:
        return addr
    local, at, domain = addr.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_subject(subject: str, reveal: bool = False) -> str:
    """Subject shape without its content: each word → first letter + `*`s; a word that
    starts with a digit → all `*`s."""
    if reveal:
        return subject
    return _WORD.sub(_subject_word, subject)


def _subject_word(m: re.Match[str]) -> str:
    w = m.group()
    return "*" * len(w) if w[0].isdigit() else w[0] + "*" * (len(w) - 1)


_LABELS = frozenset({"attachment", "zip", "tar", "page", "tnef", "sheet", "embedded"})
"""Labels tracecheck writes before a name in a locator (`attachment:NAME`, `zip:MEMBER`)."""
_PLACES = frozenset({"body", "subject", "header", "media"})
"""Places tracecheck writes as a whole segment of a locator."""
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,5}")


def mask_place(text: str, reveal: bool = False) -> str:
    """A file name, or a place in a locator, without its content: each word masked as in a
    subject, except the extension, tracecheck's own labels and positions (a number after
    `@`, `#` or `:` that ends a segment)."""
    if reveal:
        return text

    def word(m: re.Match[str]) -> str:
        w, start, end = m.group(), m.start(), m.end()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        segment_start = before in ("", "/", "#")
        if w.isdigit() and before in ("@", "#", ":") and after in ("", "#", "/", "@", ":"):
            return w
        if w in _LABELS and segment_start and after == ":":
            return w
        if w in _PLACES and segment_start and after in ("", "/", "#"):
            return w
        if before == "." and after in ("", "/", "#") and _EXTENSION.fullmatch(w):
            return w
        return _subject_word(m)

    return _WORD.sub(word, text)


def mask_span(text: str, kind: str) -> str:
    """Mask one matched span by the detector's value kind (`digits` or `text`)."""
    return mask_identifier(text) if kind == "digits" else mask_words(text)


def masked_text(text: str, spans: list[tuple[int, int, str]]) -> str:
    """`text` with every (start, end, kind) span masked, lengths preserved; where spans
    overlap, a character is masked by the last span over it."""
    return splice(text, [(start, end, mask_span(text[start:end], kind))
                         for start, end, kind in spans])


def splice(text: str, cuts: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, replacement) applied in order, every replacement as long
    as what it replaces (a masked span, or the part of one inside `text`)."""
    if not cuts:
        return text
    if all(cuts[i][1] <= cuts[i + 1][0] for i in range(len(cuts) - 1)):
        # In order and apart (nearly always): the text between them, and each replacement.
        pieces: list[str] = []
        at = 0
        for start, end, cut in cuts:
            pieces += (text[at:start], cut)
            at = end
        pieces.append(text[at:])
        return "".join(pieces)
    chars = list(text)  # overlapping: character by character, the last one over it wins
    for start, end, cut in cuts:
        chars[start:end] = cut
    return "".join(chars)


_REPLY = re.compile(
    r"(?P<code>\b[245]\d\d(?=[ -][245]\.\d)|\b[245]\.\d{1,3}\.\d{1,3}(?![\d.]))"
    rf"|(?P<email>{_EMAIL.pattern})|(?P<digits>{_LONG_DIGITS.pattern})")


def mask_reply(text: str, reveal: bool = False) -> str:
    """A mail server's reply text without what it may quote of the mail: each email address
    as `mask_address`, each run of 4+ digits (with separators) as `#`s; the SMTP reply code
    and enhanced status code are kept (`550 5.7.1 ... ### *** ####` → `550 5.7.1 ...`)."""
    if reveal:
        return text

    def one(m: re.Match[str]) -> str:
        if m["code"]:
            return m.group()
        if m["email"]:
            return mask_address(m.group())
        return _DIGITS.sub("#", m.group())

    return _REPLY.sub(one, text)


def _scrub_context(text: str) -> str:
    if "@" in text:  # every address holds one: skip the search where none can match
        text = _EMAIL.sub(lambda m: mask_address(m.group()), text)
    return _LONG_DIGITS.sub(lambda m: _DIGITS.sub("#", m.group()), text)


def evidence(masked: str, start: int, end: int, window: int = WINDOW) -> str:
    """A one-line snippet: masked context, the masked match in [brackets], masked context."""
    left = masked[max(0, start - window) : start]
    right = masked[end : end + window]
    left = " ".join(_scrub_context(left).split())
    right = " ".join(_scrub_context(right).split())
    core = " ".join(masked[start:end].split())
    prefix = "…" if start > window else ""
    suffix = "…" if end + window < len(masked) else ""
    glue = "" if right[:1] in ",.;:!?)" else " "
    return f"{prefix}{left} [{core}]{glue}{right}{suffix}".strip()
