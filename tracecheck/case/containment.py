"""Containment: asking each personal mailbox that received the data to delete it.

Owns the vocabulary (requested, deleted, refused, no-response), the dated record of one
request or answer, and the rule that a mailbox's current status is its latest record (the
history keeps every one). `deleted` is a confirmation: the mailbox's owner confirmed the
deletion. Never writes to the store (the store persists records) and never formats output.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class ContainmentStatus(enum.StrEnum):
    """Where a request to a consumer mailbox stands."""

    REQUESTED = "requested"
    DELETED = "deleted"
    """The owner confirmed the deletion (a confirmation)."""
    REFUSED = "refused"
    NO_RESPONSE = "no-response"

    @classmethod
    def parse(cls, text: str) -> ContainmentStatus:
        """A status as typed on the command line."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown containment status {text!r} ({names})") from None


NOT_CONTACTED = "not contacted"
"""The status shown for a consumer mailbox with no record yet."""


@dataclass(frozen=True, slots=True)
class ContainmentRecord:
    """One dated request or answer about one consumer mailbox."""

    address: str
    """The consumer address, lower case."""
    status: ContainmentStatus
    note: str
    who: str
    at: str
    """ISO 8601 UTC time it was recorded."""


def current(records: Iterable[ContainmentRecord]) -> dict[str, ContainmentRecord]:
    """The latest record per address (records given oldest first)."""
    out: dict[str, ContainmentRecord] = {}
    for record in records:
        out[record.address] = record
    return out
