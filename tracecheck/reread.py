"""Reading flagged messages again, to find who they are about.

Owns the second, narrow pass over the evidence: only the container files that hold a flagged
message are opened (read-only, through the same sources and MIME walk as the scan), and only
the flagged messages are parsed; their text goes to `mentions` and is dropped. A file or
message that cannot be read again (moved, changed, or unreadable) simply gives no mentions:
its people are then counted as the report's method says for a message with no names. Never
scans for findings and never keeps a message's text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from tracecheck.content.mime import Unparseable, Walker, parse_full
from tracecheck.model import ExtractLimits, RawMessage, Skipped, TextUnit
from tracecheck.persons.mentions import Mention, mentions_of
from tracecheck.sources.files import discover, open_stream, read_messages


def mentions_by_message(wanted: Mapping[str, Iterable[str]], known: frozenset[str],
                        limits: ExtractLimits | None = None) -> dict[str, tuple[Mention, ...]]:
    """Mentions of the messages `wanted` names ({container path: message locators}), keyed by
    locator. `known`: identifier values (digits) the scan reported."""
    lim = limits or ExtractLimits()
    out: dict[str, tuple[Mention, ...]] = {}
    for path in sorted(wanted):
        locators = set(wanted[path])
        for raw in _messages(path, lim):
            key = str(raw.locator)
            if key in locators and key not in out:
                out[key] = mentions_of(_units(raw, lim), known)
    return out


def _messages(path: str, limits: ExtractLimits) -> Iterator[RawMessage]:
    """The messages of one container file, read as the scan reads them; nothing when the file
    is gone or unreadable now."""
    try:
        for inp in discover([path]):
            if isinstance(inp, Skipped) or inp.kind == "log":
                continue
            with open_stream(inp) as (stream, _hasher):
                for item in read_messages(inp, stream, hash_messages=False, limits=limits):
                    if isinstance(item, RawMessage):
                        yield item
    except (OSError, EOFError):  # the evidence moved or went bad since the scan
        return


def _units(raw: RawMessage, limits: ExtractLimits) -> Iterator[tuple[str, str]]:
    try:
        message = parse_full(raw)
    except Unparseable:
        return
    for unit in Walker(limits).units(message):
        if isinstance(unit, TextUnit):
            yield unit.where, unit.text
