"""One message being assembled from the lines or rows of a log, and the `LogEvent` it becomes.

Owns the accumulator every message-joining reader fills (`MessageBuilder`: the syslog readers
postfix, sendmail and exim, and the tabular joiners for Exchange tracking, Microsoft 365 trace,
Google Email Log Search and Gmail logs), the rule for a recipient seen again
(`merge_recipient`: the most final status wins, its detail goes with it, the first original
recipient is kept) and the construction of every `LogEvent`: a joined message (`event`), or
one forwarding target of an audit record (`forwarding_rule`). Never parses a line or a row:
the format modules decide what goes in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tracecheck.logs.base import LogSource, merge_status
from tracecheck.model import LogEvent, LogRecipient


def merge_recipient(old: LogRecipient, new: LogRecipient) -> LogRecipient:
    """`old` seen again as `new`: the status `merge_status` keeps, the detail of the line that
    gave it, and the first non-empty `orig_to` (the address keeps its first spelling)."""
    status = merge_status(old.status, new.status)
    detail = new.detail if status == new.status else old.detail
    return LogRecipient(old.addr, status, detail, old.orig_to or new.orig_to)


@dataclass(eq=False)
class MessageBuilder:
    """A message's facts as its lines or rows arrive; `event` makes the `LogEvent`.

    Recipients are keyed by their address as logged (`fold_case=False`: MTA envelope
    addresses) or case-folded (`fold_case=True`: exports that spell one recipient differently
    on different rows); the first spelling is kept either way.
    """

    lineno: int
    """Line of the message's first line or row (its locator)."""
    time: str | None
    sender: str = ""
    message_id: str = ""
    queue_id: str = ""
    size: int | None = None
    subject: str = ""
    direction: str = ""
    forwarding: str = ""
    fold_case: bool = False
    rcpts: dict[str, LogRecipient] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, addr: str, status: str, detail: str = "", orig: str = "") -> None:
        """Record a recipient; one seen again is merged (`merge_recipient`) in its place."""
        new = LogRecipient(addr, status, detail, orig)
        key = addr.lower() if self.fold_case else addr
        old = self.rcpts.get(key)
        self.rcpts[key] = new if old is None else merge_recipient(old, new)

    def note(self, text: str) -> None:
        """Add a note once (a repeated row does not repeat it)."""
        if text not in self.notes:
            self.notes.append(text)

    def event(self, src: LogSource, log_format: str, *, notes: Iterable[str] = ()) -> LogEvent:
        """The message as an event of `src`; `notes` are added after the message's own."""
        return LogEvent(
            log_format=log_format,
            source=src.path,
            locator=src.loc(self.lineno),
            time=self.time,
            sender=self.sender,
            recipients=tuple(self.rcpts.values()),
            message_id=self.message_id,
            queue_id=self.queue_id,
            size=self.size,
            subject=self.subject,
            direction=self.direction,
            forwarding=self.forwarding,
            notes=(*self.notes, *notes),
        )


def built_events(src: LogSource, msgs: Iterable[MessageBuilder], log_format: str
                 ) -> list[LogEvent]:
    """The messages as events, in order of their first line or row."""
    return [m.event(src, log_format) for m in sorted(msgs, key=lambda m: m.lineno)]


def forwarding_rule(src: LogSource, log_format: str, lineno: int, *, time: str | None,
                    mailbox: str, target: str, label: str, actor: str, notes: tuple[str, ...],
                    queue_id: str = "") -> LogEvent:
    """The event of one forwarding target set up by an audit record: `target` is the
    forwarding and the only recipient (its status unknown, its detail the setting `label`)."""
    return LogEvent(
        log_format=log_format,
        source=src.path,
        locator=src.loc(lineno),
        time=time,
        sender=mailbox,
        recipients=(LogRecipient(target, "unknown", label),),
        queue_id=queue_id,
        forwarding=target,
        kind="forwarding-rule",
        actor=actor,
        notes=notes,
    )
