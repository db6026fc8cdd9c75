"""TNEF (`winmail.dat`, `application/ms-tnef`) with tnefparse: body text and attachments.

Owns the unpacking of a TNEF blob: the plain body as text (`tnef:body`), the HTML and RTF
bodies and every attachment handed back as members (`tnef:body.html`, `tnef:NAME`) so that the
dispatcher sniffs and extracts them like any other attachment (an embedded message is itself
TNEF and recurses). The text decoding of TNEF values is `sources.tnef`'s, which reads a
standalone `winmail.dat` as a message. Never trusts the TNEF checksums to decide anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from tracecheck.content.extract import Context, Extracted, Member, register
from tracecheck.content.extractors._budget import admit
from tracecheck.deps import Requirement
from tracecheck.model import Locator, SkipKind, Skipped
from tracecheck.sources.tnef import SIGNATURE, as_bytes, as_text, truncated

TNEF_MIMES = frozenset({"application/vnd.ms-tnef", "application/ms-tnef"})


class TnefExtractor:
    """Outlook's Transport Neutral Encapsulation Format."""

    name = "tnef"
    requires: tuple[Requirement, ...] = (Requirement("tnefparse", "tnefparse"),)

    def accepts(self, mime: str, head: bytes) -> bool:
        return mime in TNEF_MIMES or head.startswith(SIGNATURE)

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        from tnefparse.tnef import TNEF

        logging.getLogger("tnefparse").setLevel(logging.ERROR)
        try:
            tnef = TNEF(data, do_checksum=False)
        except Exception as exc:  # tnefparse raises bare struct/index errors on damage
            yield Skipped(locator=Locator(), kind=SkipKind.UNREADABLE,
                          reason=f"tnef: not readable ({type(exc).__name__})")
            return
        if truncated(data):
            yield Skipped(locator=Locator(), kind=SkipKind.TRUNCATED,
                          reason="tnef: truncated (an attribute runs past the end); "
                                 "read what is there")
        codepage = tnef.codepage if isinstance(tnef.codepage, str) else None
        body = as_text(tnef.body, codepage)
        if body.strip():
            yield Extracted("tnef:body", body)
        if tnef.htmlbody:
            yield from _member(ctx, "tnef:body.html", as_bytes(tnef.htmlbody))
        if not body.strip() and not tnef.htmlbody:
            try:
                rtf = tnef.rtfbody
            except Exception:  # tnefparse: damaged compressed RTF
                rtf = None
                yield Skipped(locator=Locator(within="tnef:body.rtf"), kind=SkipKind.UNREADABLE,
                              reason="tnef: compressed RTF body not readable")
            if rtf:
                yield from _member(ctx, "tnef:body.rtf", as_bytes(rtf))
        seen: dict[str, int] = {}
        for num, att in enumerate(tnef.attachments, start=1):
            try:
                name = att.long_filename() or att.name
            except Exception:  # tnefparse: an undecodable name must not lose the data
                name = ""
            name = str(name or f"attachment-{num}").replace("/", "_")
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name}#{seen[name]}"
            yield from _member(ctx, f"tnef:{name}", as_bytes(att.data))


def _member(ctx: Context, loc: str, data: bytes) -> Iterator[Member | Skipped]:
    refused = admit(ctx, loc, len(data), None, "tnef")
    yield refused if refused is not None else Member(loc, data)


register(TnefExtractor())
