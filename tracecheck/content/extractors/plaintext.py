"""Text that python-magic calls `application/octet-stream`: BOM-less UTF-16, text with a few
control bytes, unusual encodings.

Owns the text-or-binary decision for unclassified bytes: UTF-16 by its zero-byte pattern,
otherwise UTF-8 or cp1252 when nearly every character is printable. Binary data is listed as
not extracted. Never guesses at formats (those have their own extractors).
"""

from __future__ import annotations

from collections.abc import Iterator

from tracecheck.content.extract import Context, Extracted, Member, register, registered
from tracecheck.deps import Requirement
from tracecheck.model import Locator, SkipKind, Skipped

SAMPLE = 8192
MIN_PRINTABLE = 0.95


def _printable_share(text: str) -> float:
    if not text:
        return 0.0
    good = sum(1 for ch in text if ch.isprintable() or ch in "\t\r\n\f")
    return good / len(text)


def as_text(data: bytes) -> str | None:
    """`data` decoded when it is text in some common encoding, else None."""
    head = data[:SAMPLE]
    if len(head) >= 4:
        odd_zero = head[1::2].count(0) / (len(head) // 2)
        even_zero = head[0::2].count(0) / ((len(head) + 1) // 2)
        for enc, share in (("utf-16-le", odd_zero), ("utf-16-be", even_zero)):
            if share > 0.8:
                text = data[: len(data) // 2 * 2].decode(enc, errors="replace")
                if _printable_share(text[:SAMPLE]) >= MIN_PRINTABLE:
                    return text
    if b"\x00" in head:
        return None
    for enc in ("utf-8", "cp1252"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _printable_share(text[:SAMPLE]) >= MIN_PRINTABLE:
            return text
    return None


class OctetTextExtractor:
    """Unclassified bytes that turn out to be text."""

    name = "text"
    requires: tuple[Requirement, ...] = ()

    def accepts(self, mime: str, head: bytes) -> bool:
        # The fallback for octet-stream: any extractor that recognises the bytes by their
        # signature (a zip libmagic failed to name, binary OpenPGP) goes first, whatever the
        # registration order.
        if mime != "application/octet-stream":
            return False
        return not any(e.accepts(mime, head) for e in registered() if e is not self)

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        text = as_text(data)
        if text is None:
            yield Skipped(locator=Locator(), kind=SkipKind.NOT_EXTRACTED,
                          reason="not extracted: application/octet-stream (binary data)")
            return
        if text.strip():
            yield Extracted("", text)


register(OctetTextExtractor())
