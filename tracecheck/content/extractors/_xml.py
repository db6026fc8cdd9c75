"""Safe XML parsing for document parts (no entity expansion, no network, no huge trees).

Owns the one parser configuration every document extractor uses. lxml is imported on first
use, so that a missing lxml is reported by the registration check, not by an import error.
Never interprets a schema.
"""

from __future__ import annotations

import functools
from typing import Any

from tracecheck.content.extract import library


@functools.cache
def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           remove_comments=True, remove_pis=True)


def parse(blob: bytes) -> Any:
    """Root element of `blob`; bad XML raises `Unreadable` (lxml's XMLSyntaxError)."""
    from lxml import etree

    with library("lxml"):
        return etree.fromstring(blob, parser=_parser())
