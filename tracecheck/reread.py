"""Reading flagged messages again, to find who they are about and what they were titled.

Owns the second, narrow pass over the evidence: only the container files that hold a flagged
message are opened (read-only, through the same sources and MIME walk as the scan), and only
the flagged messages are parsed; their text goes to `mentions` and is dropped, and their
Subject is decoded by the scan's own header reader (`content.headers.subject`, as in
`MessageInfo`). A file or message that cannot be read again (moved, changed, or unreadable)
simply gives no mentions and no subject: its people are then counted as the report's method
says for a message with no names, and its subject is unknown. Never scans for findings, never
keeps a message's body text and never masks (the worklists do, through `rules.mask`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.message import Message

from tracecheck.content.headers import subject as header_subject
from tracecheck.content.mime import Unparseable, Walker, parse_full
from tracecheck.model import ExtractLimits, RawMessage, Skipped, TextUnit
from tracecheck.persons.mentions import Mention, mentions_of
from tracecheck.sources.files import discover, open_stream, read_messages


@dataclass(frozen=True, slots=True)
class Reread:
    """What reading one flagged message again gave."""

    mentions: tuple[Mention, ...]
    subject: str | None
    """Its decoded Subject (`""` when it has none); None when it could not be parsed."""


def read_again(wanted: Mapping[str, Iterable[str]], known: frozenset[str],
               limits: ExtractLimits | None = None) -> dict[str, Reread]:
    """Mentions and Subject of the messages `wanted` names ({container path: message
    locators}), keyed by locator; a message not found again has no entry. `known`: identifier
    values (digits) the scan reported."""
    lim = limits or ExtractLimits()
    out: dict[str, Reread] = {}
    for path in sorted(wanted):
        locators = set(wanted[path])
        for raw in _messages(path, lim):
            key = str(raw.locator)
            if key in locators and key not in out:
                message = _parsed(raw)
                out[key] = Reread(
                    mentions_of(_units(message, lim), known) if message is not None else (),
                    header_subject(message) if message is not None else None)
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


def _parsed(raw: RawMessage) -> Message | None:
    try:
        return parse_full(raw)
    except Unparseable:
        return None


def _units(message: Message, limits: ExtractLimits) -> Iterator[tuple[str, str]]:
    for unit in Walker(limits).units(message):
        if isinstance(unit, TextUnit):
            yield unit.where, unit.text
