"""RTF text with striprtf.

Owns the conversion of RTF (7-bit, with `\\'xx` and `\\u` escapes) to plain text. Never keeps
embedded pictures or objects (their hex data is not text).
"""

from __future__ import annotations

from collections.abc import Iterator

from tracecheck.content.extract import Context, Extracted, Member, library, register
from tracecheck.deps import Requirement
from tracecheck.model import Skipped

RTF_MIMES = frozenset({"text/rtf", "application/rtf", "text/richtext"})


class RtfExtractor:
    """Rich Text Format documents."""

    name = "rtf"
    requires: tuple[Requirement, ...] = (Requirement("striprtf", "striprtf"),)

    def accepts(self, mime: str, head: bytes) -> bool:
        return mime in RTF_MIMES or head.lstrip()[:5] == b"{\\rtf"

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        from striprtf.striprtf import rtf_to_text

        # RTF is 7-bit by definition; latin-1 maps every byte so nothing is lost before the
        # escapes are resolved by striprtf.
        with library("striprtf"):
            text = str(rtf_to_text(data.decode("latin-1"), errors="ignore"))  # type: ignore[no-untyped-call]
        if text.strip():
            yield Extracted("", text)


register(RtfExtractor())
