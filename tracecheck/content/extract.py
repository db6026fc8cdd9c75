"""Attachment/part text extraction: one `Extractor` interface, a registry keyed by sniffed type.

Owns the decision "what text does this blob of bytes hold": it sniffs the bytes with
python-magic (never trusting the declared MIME type or the file name), picks the registered
extractor for the sniffed type, and recurses into members that extractors hand back (archives),
within `ExtractLimits`. Anything it cannot open becomes a `Skipped` with a reason, never an
exception and never silence. It does not walk MIME trees (content.mime does) and does not run
detectors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from tracecheck.content.charset import decode_text
from tracecheck.model import ExtractLimits, Locator, SkipKind, Skipped, TextUnit


@dataclass(frozen=True, slots=True)
class Extracted:
    """Text an extractor found. `name` extends the locator path (e.g. `sheet:Cases`)."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Member:
    """A nested file handed back by a container extractor (zip member, TNEF attachment)."""

    name: str
    """Path element to append, e.g. `zip:batch/cases.csv`."""
    data: bytes


class Context:
    """Mutable per-attachment budget shared by the recursion."""

    def __init__(self, limits: ExtractLimits) -> None:
        self.limits = limits
        self.members = 0
        self.total_bytes = 0


class Extractor(Protocol):
    """One file type's text extractor."""

    name: str
    """Short name used in coverage (`pdf`, `docx`, `zip`)."""

    def accepts(self, mime: str, head: bytes) -> bool:
        """True when this extractor handles bytes sniffed as `mime` starting with `head`."""
        ...

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        """Yield text, nested members, or skips (locators relative to this blob)."""
        ...


_REGISTRY: list[Extractor] = []


def register(extractor: Extractor) -> Extractor:
    """Add an extractor; later registrations are tried first."""
    _REGISTRY.insert(0, extractor)
    return extractor


def registered() -> tuple[Extractor, ...]:
    """The registered extractors, in the order they are tried."""
    _load_builtin()
    return tuple(_REGISTRY)


@functools.cache
def _load_builtin() -> None:
    """Import the optional extractor modules so that they register themselves."""
    try:
        import tracecheck.content.extractors  # noqa: F401
    except ImportError:  # pragma: no cover - package absent in a minimal install
        pass


@functools.cache
def _magic() -> Callable[[bytes], str]:
    import magic

    m = magic.Magic(mime=True)

    def sniff(head: bytes) -> str:
        try:
            return str(m.from_buffer(head))
        except Exception:  # libmagic errors on odd input; treat as unknown binary
            return "application/octet-stream"

    return sniff


def sniff(data: bytes) -> str:
    """MIME type of `data` from its content (python-magic over the first 16 KiB)."""
    if not data:
        return "application/x-empty"
    return _magic()(data[:16384])


TEXT_MIMES = frozenset({"application/json", "application/xml", "application/csv"})


def is_texty(mime: str) -> bool:
    """True for sniffed types that are scanned as plain text."""
    return mime.startswith("text/") or mime in TEXT_MIMES


def extract_units(
    data: bytes,
    *,
    part: str,
    where: str,
    declared_charset: str | None,
    limits: ExtractLimits,
    notes: list[str],
    ctx: Context | None = None,
    depth: int = 0,
) -> Iterator[TextUnit | Skipped]:
    """Text units inside one attachment's bytes, or skips saying why not.

    `part` is the MIME part path; `where` is `attachment:NAME`. Nested members extend
    `where` with `/member-name`.
    """
    if ctx is None:
        ctx = Context(limits)
    mime = sniff(data)
    for extractor in registered():
        if not extractor.accepts(mime, data[:64]):
            continue
        yield from _run(extractor, data, part=part, where=where, limits=limits,
                        notes=notes, ctx=ctx, depth=depth)
        return
    if mime == "text/html":
        from tracecheck.content.html import html_to_text

        text = decode_text(data, declared_charset, notes)
        yield TextUnit(part=part, where=where, text=html_to_text(text), content_type=mime)
        return
    if is_texty(mime):
        text = decode_text(data, declared_charset, notes)
        yield TextUnit(part=part, where=where, text=text, content_type=mime)
        return
    if mime == "application/x-empty":
        return
    image = mime.startswith("image/")
    reason = f"image: not scanned (no OCR): {mime}" if image else f"not extracted: {mime}"
    yield Skipped(locator=Locator(within=where), reason=reason, part=part,
                  kind=SkipKind.IMAGE if image else SkipKind.NOT_EXTRACTED)


def _run(
    extractor: Extractor,
    data: bytes,
    *,
    part: str,
    where: str,
    limits: ExtractLimits,
    notes: list[str],
    ctx: Context,
    depth: int,
) -> Iterator[TextUnit | Skipped]:
    try:
        for item in extractor.extract(data, ctx):
            if isinstance(item, Extracted):
                name = f"{where}/{item.name}" if item.name else where
                yield TextUnit(part=part, where=name, text=item.text, content_type=extractor.name)
            elif isinstance(item, Member):
                name = f"{where}/{item.name}"
                if depth + 1 > limits.max_depth:
                    yield Skipped(locator=Locator(within=name), part=part, kind=SkipKind.LIMIT,
                                  reason=f"limit: nesting deeper than {limits.max_depth}")
                    continue
                yield from extract_units(item.data, part=part, where=name, declared_charset=None,
                                         limits=limits, notes=notes, ctx=ctx, depth=depth + 1)
            else:
                yield Skipped(locator=Locator(within=where).inside(item.locator.within),
                              part=part, kind=item.kind, reason=item.reason)
    except Exception as exc:  # an extractor library failing on hostile input is a skip
        yield Skipped(locator=Locator(within=where), part=part, kind=SkipKind.UNREADABLE,
                      reason=f"{extractor.name}: could not read ({type(exc).__name__})")
