"""Attachment/part text extraction: one `Extractor` interface, a registry keyed by sniffed type.

Owns the decision "what text does this blob of bytes hold": it sniffs the bytes with
libmagic (`tracecheck.sniff`; never the declared MIME type or the file name), picks the
registered extractor for the sniffed type, and recurses into members that extractors hand
back (archives), within `ExtractLimits`. A message an extractor finds (an Outlook .msg) goes
back to the one MIME walker (`content.mime.Walker`). Registration is loud: an extractor whose
package is missing raises `MissingDependencyError` naming it (an optional one is listed as
not extracted, saying which package it needs). A third-party library failing on hostile
bytes is a `Skipped` with a reason (extractors raise `Unreadable` from `library` blocks); an
error in tracecheck's own code propagates. It does not walk MIME trees (content.mime does)
and does not run detectors.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Protocol, TypeVar

from tracecheck.content.charset import decode_text
from tracecheck.deps import MissingDependencyError, Requirement, check
from tracecheck.limits import Budget
from tracecheck.model import ExtractLimits, Locator, SkipKind, Skipped, TextUnit
from tracecheck.sniff import sniff

__all__ = [
    "Attached", "Context", "Extracted", "ExtractLimits", "Extractor", "Member",
    "MissingDependencyError", "Unreadable", "extract_units", "is_texty", "library",
    "load_extractors", "register", "registered", "sniff",
]

T = TypeVar("T")


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


@dataclass(frozen=True, slots=True)
class Attached:
    """The blob is a message (an Outlook .msg): the MIME walker walks it as an attached
    message, under the blob's part path (`PART/rfc822/...`) and locator."""

    message: Message
    notes: tuple[str, ...] = ()
    """Observations on the message as built (a Date taken from the creation time)."""
    skips: tuple[Skipped, ...] = ()
    """What the built message could not carry (an unreadable attachment), relative locators."""


class Context(Budget):
    """Mutable per-attachment budget shared by the recursion (`tracecheck.limits`)."""


class Unreadable(Exception):
    """A third-party library failed on the bytes an extractor gave it. The dispatcher lists
    the blob as `unreadable` (`NAME: could not read (ERROR)`) and stops that extractor."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(type(cause).__name__)
        self.cause_name = type(cause).__name__


@contextlib.contextmanager
def library(name: str) -> Iterator[None]:
    """Put around one call into the third-party library `name` (pypdf, zipfile, odfpy...):
    whatever it raises on hostile bytes becomes `Unreadable`. Errors outside such a block
    are tracecheck's own and propagate."""
    try:
        yield
    except Unreadable:
        raise
    except Exception as exc:  # the library named by `name` failing on hostile input
        raise Unreadable(exc) from exc


def library_iter(name: str, items: Iterable[T]) -> Iterator[T]:
    """Iterate what the third-party library `name` produces (rows of a sheet), each step
    guarded as in `library`, the caller's code between steps not."""
    with library(name):
        it = iter(items)
    while True:
        with library(name):
            try:
                item = next(it)
            except StopIteration:
                return
        yield item


class Extractor(Protocol):
    """One file type's text extractor."""

    name: str
    """Short name used in coverage (`pdf`, `docx`, `zip`)."""
    requires: tuple[Requirement, ...]
    """The third-party packages it calls (checked at registration, never imported there)."""

    def accepts(self, mime: str, head: bytes) -> bool:
        """True when this extractor handles bytes sniffed as `mime` starting with `head`."""
        ...

    def extract(
        self, data: bytes, ctx: Context
    ) -> Iterator[Extracted | Member | Attached | Skipped]:
        """Yield text, nested members, a message, or skips (locators relative to this blob).

        Calls into a third-party library go in `library(NAME)` blocks; everything else an
        extractor raises is a bug and propagates."""
        ...


_REGISTRY: list[Extractor] = []
_UNAVAILABLE: dict[str, Requirement] = {}
"""Extractor name → the optional package it lacks."""


def register(extractor: Extractor) -> Extractor:
    """Add an extractor (later registrations are tried first), after checking that its
    packages are installed: a missing required one raises `MissingDependencyError`."""
    missing = check(f"the {extractor.name} extractor", extractor.requires)
    if missing:
        _UNAVAILABLE[extractor.name] = missing[0]
    _REGISTRY.insert(0, extractor)
    return extractor


@functools.cache
def _load_builtin() -> None:
    import tracecheck.content.extractors  # noqa: F401  (each module registers itself)


def load_extractors() -> tuple[Extractor, ...]:
    """Import the built-in extractors (they register themselves) and return the registry.
    Raises `MissingDependencyError` naming a package that is not installed: call it at
    start-up so that a broken install stops the run before anything is scanned."""
    _load_builtin()
    return tuple(_REGISTRY)


def registered() -> tuple[Extractor, ...]:
    """The registered extractors, in the order they are tried."""
    _load_builtin()
    return tuple(_REGISTRY)


def unavailable() -> dict[str, Requirement]:
    """Extractors registered without their optional package (name → what to install)."""
    _load_builtin()
    return dict(_UNAVAILABLE)


TEXT_MIMES = frozenset({"application/json", "application/xml", "application/csv"})


def is_texty(mime: str) -> bool:
    """True for sniffed types that are scanned as plain text."""
    return mime.startswith("text/") or mime in TEXT_MIMES


MessageWalk = Callable[[Attached, str, str, Context, int], Iterator[TextUnit | Skipped]]
"""How a found message is walked: (message, part, where, budget, depth) → units."""


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
    on_message: MessageWalk | None = None,
) -> Iterator[TextUnit | Skipped]:
    """Text units inside one attachment's bytes, or skips saying why not.

    `part` is the MIME part path; `where` is `attachment:NAME`. Nested members extend
    `where` with `/member-name`. `on_message` walks a message found in the bytes (the MIME
    walker passes its own; without it a walker is made for the message).
    """
    if ctx is None:
        ctx = Context(limits)
    mime = sniff(data)
    for extractor in registered():
        if not extractor.accepts(mime, data[:64]):
            continue
        lacking = _UNAVAILABLE.get(extractor.name)
        if lacking is not None:
            yield Skipped(locator=Locator(within=where), part=part, kind=SkipKind.NOT_EXTRACTED,
                          reason=f"not extracted: {mime} (needs the optional package "
                                 f"'{lacking.package}': {lacking.install_hint()})")
            return
        yield from _run(extractor, data, part=part, where=where, limits=limits,
                        notes=notes, ctx=ctx, depth=depth, on_message=on_message)
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
    on_message: MessageWalk | None,
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
                                         limits=limits, notes=notes, ctx=ctx, depth=depth + 1,
                                         on_message=on_message)
            elif isinstance(item, Attached):
                if depth + 1 > limits.max_depth:
                    yield Skipped(locator=Locator(within=where), part=part, kind=SkipKind.LIMIT,
                                  reason=f"limit: nesting deeper than {limits.max_depth}")
                    continue
                walk = on_message or functools.partial(_walk_message, notes=notes)
                yield from walk(item, part, where, ctx, depth + 1)
            else:
                yield Skipped(locator=Locator(within=where).inside(item.locator.within),
                              part=part, kind=item.kind, reason=item.reason)
    except Unreadable as exc:
        yield Skipped(locator=Locator(within=where), part=part, kind=SkipKind.UNREADABLE,
                      reason=f"{extractor.name}: could not read ({exc.cause_name})")


def _walk_message(found: Attached, part: str, where: str, ctx: Context, depth: int, *,
                  notes: list[str]) -> Iterator[TextUnit | Skipped]:
    """A found message walked by a MIME walker of its own (for callers that gave none)."""
    from tracecheck.content.mime import Walker  # mime imports this module: imported late

    walker = Walker(ctx.limits)
    yield from walker.attached(found, part, where, ctx, depth)
    notes.extend(note for _, note in walker.notes)
