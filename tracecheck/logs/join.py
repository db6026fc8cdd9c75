"""How a log event is matched to the messages of a mailbox export: the one join.

Owns the join key of each side (the normalised Message-ID; the queue ids of an event, its own
and the ones joined to it by a content filter or a forward, against the queue ids of the
export's Received headers) and `ExportIndex`, which the correlation with the export
(`analysis.correlate`) and the year of year-less stamps (`years`) both use. Never reads files
and never decides what a match means.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from tracecheck.logs.base import norm_message_id
from tracecheck.model import LogEvent, MessageRef


def event_queue_ids(event: LogEvent) -> list[str]:
    """The event's queue id plus any joined ones (content-filter re-injection, forwarding)."""
    ids = [event.queue_id] if event.queue_id else []
    for note in event.notes:
        if note.startswith("queue-ids: "):
            ids.extend(q for q in note[len("queue-ids: "):].split() if q not in ids)
    return ids


class ExportIndex:
    """The export's messages by normalised Message-ID and by Received queue id (built in one
    pass over the references, which may be a packed sequence)."""

    def __init__(self, refs: Iterable[MessageRef]) -> None:
        self._by_mid: dict[str, list[MessageRef]] = defaultdict(list)
        self._by_qid: dict[str, list[MessageRef]] = defaultdict(list)
        for ref in refs:
            if ref.message_id:
                self._by_mid[norm_message_id(ref.message_id)].append(ref)
            for q in ref.queue_ids:
                self._by_qid[q].append(ref)

    def __bool__(self) -> bool:
        return bool(self._by_mid or self._by_qid)

    def refs_for(self, event: LogEvent) -> list[MessageRef]:
        """The exported messages `event` matches: by Message-ID first, then by queue id, each
        once, in that order."""
        refs: list[MessageRef] = []
        if event.message_id:
            refs.extend(self._by_mid.get(norm_message_id(event.message_id), []))
        for q in event_queue_ids(event):
            refs.extend(r for r in self._by_qid.get(q, []) if r not in refs)
        return refs
