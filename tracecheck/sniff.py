"""Content sniffing with libmagic: bytes → MIME type, never from a file name.

Owns the one python-magic handle and the rule "libmagic failing on odd bytes means unknown
binary". Both `tracecheck.sources` (naming an unsupported input file) and `tracecheck.content`
(choosing an attachment extractor) ask it, so it depends on neither. Never decides what a
type means: sources and extractors do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

SNIFF_BYTES = 16384
"""How much of a blob libmagic is shown."""

EMPTY = "application/x-empty"
UNKNOWN = "application/octet-stream"


@functools.cache
def _magic() -> Callable[[bytes], str]:
    import magic

    m = magic.Magic(mime=True)

    def sniff(head: bytes) -> str:
        try:
            return str(m.from_buffer(head))
        except Exception:  # python-magic/libmagic errors on odd input: unknown binary
            return UNKNOWN

    return sniff


def sniff(data: bytes) -> str:
    """MIME type of `data` from its content (libmagic over the first 16 KiB)."""
    if not data:
        return EMPTY
    return _magic()(data[:SNIFF_BYTES])
