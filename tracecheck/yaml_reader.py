"""Reading YAML text: which parser reads every YAML file tracecheck loads.

Owns one choice for rule packs and the consumer-domain list: libyaml's parser where PyYAML
has it (the shipped files parse in a few milliseconds instead of tens, which every run pays
at start-up), and for a document libyaml rejects, the pure-Python parser, so what is
accepted and every error message are that parser's. Both build the document with the same
safe constructor. It also owns the bound on what a document may expand to: YAML aliases
(`*name`) make a few hundred bytes stand for billions of nodes (the "billion laughs"), so a
document whose nodes, with every alias expanded, number more than `MAX_NODES` (or that nests
deeper than `MAX_DEPTH`) is refused before anything walks it. Never reads files and never
validates what a document means.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

LOADERS: tuple[type[yaml.SafeLoader], ...] = (
    *((yaml.CSafeLoader,) if hasattr(yaml, "CSafeLoader") else ()), yaml.SafeLoader)
"""The loaders tried in order; the last one's error is the one raised."""

MAX_NODES = 100_000
"""Nodes a document may hold with every alias expanded (the shipped rule pack has about
2,000; the consumer-domain list about 200)."""
MAX_DEPTH = 100
"""Levels of nested mappings and sequences a document may have."""


class ExpansionError(yaml.MarkedYAMLError):
    """A document that expands to more than `MAX_NODES` nodes or nests deeper than
    `MAX_DEPTH` (a YAML error like any other: the callers report it as one)."""


def check_expansion(node: yaml.Node) -> None:
    """Raise `ExpansionError` when `node`, with every alias expanded, holds more than
    `MAX_NODES` nodes or nests deeper than `MAX_DEPTH`. Counts without recursion and stops
    at the bound, so a bomb costs no more than `MAX_NODES` steps."""
    count = 0
    stack: list[tuple[yaml.Node, int]] = [(node, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpansionError(
                problem=f"the document expands to more than {MAX_NODES:,} nodes (YAML aliases "
                        "repeat what they name; write the values out, or use fewer aliases)",
                problem_mark=item.start_mark)
        if depth > MAX_DEPTH:
            raise ExpansionError(problem=f"the document nests deeper than {MAX_DEPTH} levels",
                                 problem_mark=item.start_mark)
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(item, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in item.value)


def load(text: str, *, loaders: tuple[type[Any], ...] = LOADERS,
         on_node: Callable[[yaml.Node], None] | None = None) -> Any:
    """The document in `text`, parsed by the first of `loaders` that accepts it (the last
    one's error is raised) and checked by `check_expansion` before anything else walks it.
    `on_node` sees the node graph before it is built into Python objects (rule packs take
    the line of every key from it)."""
    for n, loader_cls in enumerate(loaders, 1):
        loader = loader_cls(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            check_expansion(node)
            if on_node is not None:
                on_node(node)
            return loader.construct_document(node)
        except ExpansionError:
            raise  # the document's own size, whichever parser read it
        except RecursionError:
            raise ExpansionError(problem=f"the document nests deeper than {MAX_DEPTH} levels",
                                 problem_mark=None) from None
        except yaml.YAMLError:
            if n == len(loaders):
                raise
        finally:
            loader.dispose()
    raise AssertionError("unreachable")  # pragma: no cover


def safe_load(text: str) -> Any:
    """`yaml.safe_load(text)`, parsed by the first of `LOADERS` that accepts it, within
    `MAX_NODES` and `MAX_DEPTH`."""
    return load(text)
