"""Reading YAML text: which parser reads every YAML file tracecheck loads.

Owns one choice for rule packs and the consumer-domain list: libyaml's parser where PyYAML
has it (the shipped files parse in a few milliseconds instead of tens, which every run pays
at start-up), and for a document libyaml rejects, the pure-Python parser, so what is
accepted and every error message are that parser's. Both build the document with the same
safe constructor. Never reads files and never validates what a document means.
"""

from __future__ import annotations

from typing import Any

import yaml

LOADERS: tuple[type[yaml.SafeLoader], ...] = (
    *((yaml.CSafeLoader,) if hasattr(yaml, "CSafeLoader") else ()), yaml.SafeLoader)
"""The loaders tried in order; the last one's error is the one raised."""


def safe_load(text: str) -> Any:
    """`yaml.safe_load(text)`, parsed by the first of `LOADERS` that accepts it."""
    for n, loader_cls in enumerate(LOADERS, 1):
        loader = loader_cls(text)
        try:
            return loader.get_single_data()
        except yaml.YAMLError:
            if n == len(LOADERS):
                raise
        finally:
            loader.dispose()
    raise AssertionError("unreachable")  # pragma: no cover
