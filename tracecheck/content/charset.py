"""Bytes → text with fallbacks; owns every charset decision and records what it guessed.

Order: the declared charset (if Python knows it and it decodes cleanly), then UTF-8, then
charset-normalizer's best guess, then cp1252 with replacement. Every fallback appends a note
(charset names only, never content) so coverage shows which parts were decoded by guesswork.
Never raises.
"""

from __future__ import annotations

import codecs

_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
}


def _known(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    # Only real text encodings: never "undefined", "rot13", "base64_codec" and the like.
    if not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        return None
    return info.name


def decode_text(data: bytes, declared: str | None, notes: list[str]) -> str:
    """Decode `data`; append a note to `notes` whenever the declared charset was not used."""
    if not data:
        return ""
    codec = _known(declared)
    if codec is not None:
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError, ValueError, TypeError):
            notes.append(f"charset {declared!s} did not decode; fell back")
    elif declared and declared.strip().lower() not in ("us-ascii", "ascii"):
        notes.append(f"unknown charset {declared!s}; best-effort decode")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if len(data) <= 1_000_000:
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(data).best()
        except Exception:  # charset-normalizer (the guesser) failing is never fatal
            best = None
        if best is not None and best.encoding:
            notes.append(f"charset guessed as {best.encoding}")
            return str(best)
    notes.append("decoded as cp1252 with replacement")
    return data.decode("cp1252", errors="replace")


def header_text(value: str) -> str:
    """Turn a compat32 header string (raw 8-bit bytes surrogate-escaped) into real text."""
    if value.isascii():
        return value
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("ascii", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")
