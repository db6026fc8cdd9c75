"""The format-neutral pieces of the ICO report: labelled fields, tables, sections, prompts.

Owns these small records and the visible prompt left where the organisation must still
answer. Never computes a figure and never knows about any output format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

LIST_LIMIT = 50
"""Rows shown in Markdown/HTML tables of addresses, messages and gaps (JSON keeps them all)."""


def prompt(text: str) -> str:
    """A visible placeholder the organisation must replace before filing."""
    return f"[TO COMPLETE: {text}]"


@dataclass(frozen=True, slots=True)
class Field:
    """One labelled answer; `missing` marks a prompt left for the organisation."""

    label: str
    value: str
    missing: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A small table; `more` counts rows left out of Markdown/HTML (JSON has them all)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    more: int = 0


@dataclass(frozen=True)
class Section:
    """One part of the report, with the ICO form question(s) and articles it answers."""

    key: str
    title: str
    refs: str
    paragraphs: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    tables: tuple[Table, ...] = ()
    data: dict[str, object] = field(default_factory=dict)


def or_prompt(label: str, value: str, what: str) -> Field:
    return Field(label, value) if value else Field(label, prompt(what), True)


def limit(rows: Sequence[tuple[str, ...]], headers: tuple[str, ...]) -> Table:
    return Table(headers, tuple(rows[:LIST_LIMIT]), max(0, len(rows) - LIST_LIMIT))
