"""Built-in attachment extractors: importing this package registers every one of them.

Owns only the list of built-in extractor modules. Each module registers its extractor with
`tracecheck.content.extract.register` at import time; the dispatcher there decides which one
runs (by sniffed content, never by file name or declared type). Never extracts anything itself.
"""

from __future__ import annotations

# The accepted types do not overlap, so the registration order does not matter; `plaintext`
# (octet-stream that turns out to be text) steps aside for any extractor that claims the bytes.
from tracecheck.content.extractors import (  # noqa: F401
    archive,
    compressed,
    ole,
    opendoc,
    pdf,
    plaintext,
    rtf,
    sealed,
    sheet,
    tnef,
    word,
)
