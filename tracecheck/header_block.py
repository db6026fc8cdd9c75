"""The header section of a raw message: where it ends, and its fields split the compat32 way.

Owns the one rule for "where does the header section end" (the first empty line: `\n\n` or
`\n\r\n`, whichever comes first) and the one field splitter that reproduces the stdlib compat32
parser on ordinary header blocks (`split_fields`), plus `RawHeaders`, the split block that
triage, the quick parser and the header-fact functions read like an `email.message.Message`.
Anything the compat32 parser would treat specially (a line that is neither a field nor a fold,
8-bit bytes, a bare CR, no empty line) makes the splitters decline (None), and the caller uses
the stdlib. Never decodes bodies and never parses addresses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import AnyStr, Protocol

_FIELD = re.compile(r"^(([\x21-\x39\x3b-\x7e]+):[ \t]*([^\n]*\n(?:[ \t][^\n]*\n)*))",
                    re.MULTILINE)
_FIELDS = re.compile(r"(?:[\x21-\x39\x3b-\x7e]+:[^\n]*\n(?:[ \t][^\n]*\n)*)*")


class HeaderFields(Protocol):
    """What header-fact functions read: (name, value) pairs in order, values unmodified
    (a compat32 `email.message.Message` and a `RawHeaders` both are one)."""

    def raw_items(self) -> Iterator[tuple[str, str]]:
        """(name, value) pairs in order."""
        ...


def header_end(data: AnyStr, start: int = 0, end: int | None = None) -> int:
    """Index of the line break that ends the header section of `data[start:end]` (an empty
    line follows it), or -1 when there is no empty line."""
    stop = len(data) if end is None else end
    if isinstance(data, str):
        a = data.find("\n\n", start, stop)
        b = data.find("\n\r\n", start, a + 2 if a >= 0 else stop)  # only an earlier one counts
    else:
        a = data.find(b"\n\n", start, stop)
        b = data.find(b"\n\r\n", start, a + 2 if a >= 0 else stop)
    return a if b < 0 else b if a < 0 else min(a, b)


def body_start(data: AnyStr, end_of_headers: int) -> int:
    """Where the body starts, given `header_end`'s answer (after the empty line)."""
    return end_of_headers + (2 if data[end_of_headers + 1:end_of_headers + 2] in ("\n", b"\n")
                             else 3)


def header_bytes(raw: bytes) -> bytes:
    """The header section of a raw message including its empty line (all of `raw` when it
    has none): what a headers-only parse needs."""
    end = header_end(raw)
    return raw if end < 0 else raw[: body_start(raw, end)]


def is_field_block(block: str) -> bool:
    """True when every line of `block` (whole lines, no bare CR) is a header field or a fold:
    the compat32 parser reads all of it as header fields."""
    return _FIELDS.fullmatch(block) is not None


def split_fields(block: str) -> list[tuple[str, str]] | None:
    """The (name, value) pairs of a header block (whole lines, each ending in a line break,
    no bare CR) as compat32 splits them: the first line's value loses its leading blanks,
    folds are kept, the final line break goes. None when a line is neither a field nor a
    fold (a first-line fold, an envelope `From ` line, a line without a field name): the
    feedparser would note a defect or end the headers there."""
    # The fields found at line starts cover the whole block exactly when every line is a
    # field or a fold (`is_field_block`): one pass instead of two.
    found = _FIELD.findall(block)
    if sum(len(whole) for whole, _, _ in found) != len(block):
        return None
    return [(name, value.rstrip("\r\n")) for _, name, value in found]


class RawHeaders:
    """The header fields of a plain message, split exactly as the stdlib compat32 parser
    splits them (`raw_items()` gives the same pairs)."""

    __slots__ = ("body_start", "by_name", "items")
    defects: tuple[object, ...] = ()

    def __init__(self, items: list[tuple[str, str]], body_start: int) -> None:
        self.items = items
        self.body_start = body_start
        self.by_name: dict[str, list[str]] = {}
        for key, value in items:
            self.by_name.setdefault(key.lower(), []).append(value)

    def raw_items(self) -> Iterator[tuple[str, str]]:
        """(name, value) pairs in order, values unfolded the compat32 way (folds kept)."""
        return iter(self.items)

    def field_values(self, name: str) -> list[str]:
        """Every value of the (lower-case) field `name`, in order."""
        return self.by_name.get(name, [])


def fast_headers(data: bytes) -> RawHeaders | None:
    """Split the header section of an ordinary message without the email package, or None
    when anything is unusual (8-bit bytes, a bare CR, a line that is not a header field,
    no empty line before the body, an envelope `From ` line): those go to the stdlib."""
    end = header_end(data)
    if end < 0 or data[:1] in (b"\n", b"\r", b" ", b"\t"):
        return None
    block = data[: end + 1]
    if not block.isascii() or block.count(b"\r") != block.count(b"\r\n"):
        return None
    items = split_fields(block.decode("ascii"))
    if items is None:
        return None
    return RawHeaders(items, body_start(data, end))
