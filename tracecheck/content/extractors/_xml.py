"""Safe XML parsing for document parts (no entity expansion, no network, no huge trees).

Owns the one parser configuration every document extractor uses. Never interprets a schema.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_comments=True, remove_pis=True)


def parse(blob: bytes) -> Any:
    """Root element of `blob` (raises `etree.XMLSyntaxError` on bad XML)."""
    return etree.fromstring(blob, parser=_PARSER)
