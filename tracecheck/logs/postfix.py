"""Postfix: syslog lines joined into one event per message by (host, queue id).

Owns the postfix message lifecycle: `client=` (smtpd) or `uid= from=` (pickup) opens a
message, `message-id=` (cleanup), `from= size=` (qmgr), `to= [orig_to=] status=` (smtp, local,
virtual, lmtp, pipe, error) add to it, and `removed` closes it. A queue id seen again with a new
`client=` before `removed` is a reused id: the old message is emitted first. Content-filter
re-injection (`status=sent (250 ... queued as X)` to a loopback relay) and `.forward`
expansion (`forwarded as X`) join the child queue id's recipients into the parent's event, so a
message filtered through amavis is one event with its final recipients. `NOQUEUE` rejects are
never messages and are not emitted. Never reads files itself (the syslog module frames lines).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from tracecheck.logs.base import LogSource, clean_addr
from tracecheck.logs.message import MessageBuilder
from tracecheck.logs.syslog import Frame, frames
from tracecheck.model import LogEvent, LogRecipient, Skipped

NAME = "postfix"

PROG = re.compile(r"postfix[\w.-]*(?:/[\w.-]+)*/(?P<svc>[\w.-]+)")
_QID = re.compile(
    r"(?P<qid>[0-9A-F]{5,12}|[0-9BCDFGHJ-NP-TV-Zbcdfghj-np-tv-z]{10,16}): (?P<body>.*)"
)
_CLIENT = re.compile(r"client=(?P<client>[^,\s]+)(?:.*?sasl_username=(?P<sasl>[^,\s]+))?")
_PICKUP = re.compile(r"uid=\S+ from=<(?P<from>[^>]*)>")
_MSGID = re.compile(r"message-id=(?P<mid><[^>]*>|\S*)")
_FROM = re.compile(r"from=<(?P<from>[^>]*)>(?:, size=(?P<size>\d+))?")
_TO = re.compile(
    r"to=<(?P<to>[^>]*)>(?:, orig_to=<(?P<orig>[^>]*)>)?(?:, relay=(?P<relay>[^,\s]+))?"
    r"(?:.*?, status=(?P<status>\w+)(?: \((?P<detail>.*)\))?)?"
)
_SUBJECT = re.compile(r"\w+: header Subject: (?P<subj>.*?) from [^;]*;")
_REJECT_RCPT = re.compile(
    r"reject: RCPT from [^;]*?: (?P<detail>[^;]*); from=<(?P<from>[^>]*)> to=<(?P<to>[^>]*)>"
)
_QUEUED_AS = re.compile(r"queued as (?P<qid>[0-9A-Za-z]{5,16})")
_FORWARDED_AS = re.compile(r"forwarded as (?P<qid>[0-9A-Za-z]{5,16})")
_LOOPBACK = re.compile(r"(?:^|\[)(?:127\.\d+\.\d+\.\d+|::1|localhost)\b", re.IGNORECASE)

STATUS = {
    "sent": "delivered",
    "deferred": "deferred",
    "bounced": "bounced",
    "expired": "failed",
    "undeliverable": "failed",
    "deliverable": "unknown",
}

MAX_PENDING = 20_000
"""Closed messages kept waiting for a `queued as` link (as parent or as loopback-submitted
child) before they are emitted unlinked."""

Key = tuple[str, str]


@dataclass(eq=False)
class _Rec(MessageBuilder):
    key: Key = ("", "")
    has_from: bool = False
    client: str = ""
    closed: bool = False
    parent: _Rec | None = None
    waiting: set[Key] = field(default_factory=set)
    forwards: dict[Key, str] = field(default_factory=dict)
    """Child key → local recipient that `.forward` expanded into it."""
    extra_qids: list[str] = field(default_factory=list)

    def useful(self) -> bool:
        return bool(self.sender or self.rcpts or self.message_id)

    def absorb(self, child: _Rec) -> None:
        """Join a re-injected or forwarded child's recipients into this message."""
        qid = child.key[1]
        self.extra_qids.append(qid)
        self.extra_qids.extend(child.extra_qids)
        expanded = self.forwards.get(child.key)
        if expanded is None:
            # Content filter: the hop to the filter is replaced by the child's deliveries.
            for addr, r in list(self.rcpts.items()):
                if f"queued as {qid}" in r.detail:
                    del self.rcpts[addr]
            self.notes.append(f"re-injected as {qid}")
        else:
            self.notes.append(f"forwarded as {qid}")
            old = self.rcpts.get(expanded)
            if old is not None:
                # Handed to .forward/alias expansion: the copy went on under a new queue id.
                self.rcpts[expanded] = LogRecipient(old.addr, "expanded", old.detail, old.orig_to)
        for r in child.rcpts.values():
            self.add(r.addr, r.status, r.detail, r.orig_to or expanded or "")
        if not self.message_id:
            self.message_id = child.message_id
        if not self.subject:
            self.subject = child.subject
        self.waiting.discard(child.key)

    def done(self, src: LogSource) -> LogEvent:
        notes = []
        if self.extra_qids:
            notes.append("queue-ids: " + " ".join([self.key[1], *self.extra_qids]))
        if not self.closed:
            notes.append("no 'removed' line in this log")
        return self.event(src, NAME, notes=notes)


class _State:
    """Open, waiting and recently closed messages of one postfix log."""

    def __init__(self, src: LogSource) -> None:
        self.src = src
        self.open: dict[Key, _Rec] = {}
        self.held: dict[Key, _Rec] = {}
        self.recent: OrderedDict[Key, _Rec] = OrderedDict()
        self.links: dict[Key, _Rec] = {}

    def start(self, key: Key, lineno: int, frame: Frame) -> tuple[_Rec, list[LogEvent]]:
        out: list[LogEvent] = []
        old = self.open.get(key)
        if old is not None and (old.has_from or old.rcpts):
            old.notes.append("queue id reused before 'removed'")
            out.extend(self.finish(old, closed=False))
            old = None
        if old is None:
            old = _Rec(lineno, frame.time, queue_id=key[1], key=key)
            self.open[key] = old
            parent = self.links.pop(key, None)
            if parent is not None:
                old.parent = parent
        return old, out

    def get(self, key: Key, lineno: int, frame: Frame) -> _Rec:
        rec = self.open.get(key)
        if rec is None:
            rec = _Rec(lineno, frame.time, queue_id=key[1], key=key)
            self.open[key] = rec
        return rec

    def link(self, parent: _Rec, child_qid: str, forwarded_from: str | None) -> list[LogEvent]:
        key = (parent.key[0], child_qid)
        if key == parent.key:
            return []
        if forwarded_from is not None:
            parent.forwards[key] = forwarded_from
        child = self.open.get(key)
        if child is not None:
            child.parent = parent
            parent.waiting.add(key)
            return []
        done = self.recent.pop(key, None)
        if done is not None:
            parent.absorb(done)
            return []
        self.links[key] = parent
        parent.waiting.add(key)
        return []

    def finish(self, rec: _Rec, *, closed: bool) -> list[LogEvent]:
        """Close `rec`; emit it unless it waits for a child or may still be someone's child."""
        rec.closed = rec.closed or closed
        if self.open.get(rec.key) is rec:
            del self.open[rec.key]
        if rec.waiting and closed:
            self.held[rec.key] = rec
            out: list[LogEvent] = []
            while len(self.held) > MAX_PENDING:
                # The `queued as` id never showed up here (another MTA on loopback, say).
                oldest = self.held.pop(next(iter(self.held)))
                for child in oldest.waiting:
                    self.links.pop(child, None)
                oldest.waiting.clear()
                out.extend(self._emit(oldest))
            return out
        if rec.parent is not None:
            parent = rec.parent
            parent.absorb(rec)
            if not parent.waiting and self.held.get(parent.key) is parent:
                del self.held[parent.key]
                return self.finish(parent, closed=True)
            return []
        if closed and _LOOPBACK.search(rec.client):
            self.recent[rec.key] = rec
            out = []
            while len(self.recent) > MAX_PENDING:
                _, oldest = self.recent.popitem(last=False)
                out.extend(self._emit(oldest))
            return out
        return self._emit(rec)

    def _emit(self, rec: _Rec) -> list[LogEvent]:
        return [rec.done(self.src)] if rec.useful() else []

    def flush(self) -> list[LogEvent]:
        """End of file: everything still open, held or waiting, in first-line order."""
        rest: dict[int, _Rec] = {}
        for rec in [*self.open.values(), *self.held.values(), *self.recent.values()]:
            rest[id(rec)] = rec
        self.open.clear()
        self.held.clear()
        self.recent.clear()
        out: list[LogEvent] = []
        # Children first, so their recipients reach a parent that is still unemitted.
        def order(r: _Rec) -> tuple[bool, int]:
            return (r.parent is None, -r.lineno if r.parent else r.lineno)

        for rec in sorted(rest.values(), key=order):
            if rec.parent is not None and id(rec.parent) in rest:
                rec.parent.absorb(rec)
                continue
            out.extend(self._emit(rec))
        out.sort(key=lambda e: e.locator.line or 0)
        return out


def _handle(st: _State, lineno: int, frame: Frame, svc: str) -> list[LogEvent]:
    m = _QID.match(frame.msg)
    if not m:
        return []
    key = (frame.host, m.group("qid"))
    body = m.group("body")
    out: list[LogEvent] = []
    if body.startswith("client="):
        rec, out = st.start(key, lineno, frame)
        cm = _CLIENT.match(body)
        if cm:
            rec.client = cm.group("client")
            rec.notes.append(f"client={cm.group('client')}")
            if cm.group("sasl"):
                rec.notes.append(f"sasl_username={cm.group('sasl')}")
        return out
    if svc == "pickup" and (pm := _PICKUP.match(body)):
        rec, out = st.start(key, lineno, frame)
        rec.sender = rec.sender or pm.group("from")
        rec.client = "pickup"
        rec.notes.append("local submission (pickup)")
        return out
    rec = st.get(key, lineno, frame)
    if body == "removed":
        return st.finish(rec, closed=True)
    if body.startswith("message-id="):
        mm = _MSGID.match(body)
        rec.message_id = clean_addr(mm.group("mid")) if mm else ""
    elif body.startswith("from="):
        fm = _FROM.match(body)
        if fm:
            rec.sender = fm.group("from")
            rec.has_from = True
            if fm.group("size"):
                rec.size = int(fm.group("size"))
    elif body.startswith("to="):
        return _recipient(st, rec, body)
    elif body.startswith("reject: RCPT"):
        rm = _REJECT_RCPT.search(body)
        if rm:
            rec.sender = rec.sender or rm.group("from")
            rec.add(rm.group("to"), "failed", "rejected: " + rm.group("detail"))
    elif (sm := _SUBJECT.match(body)) is not None:
        rec.subject = rec.subject or sm.group("subj")
        if body.startswith(("reject:", "discard:")):
            rec.notes.append(body.split(":", 1)[0] + " by header check")
    elif body.startswith(("milter-reject:", "reject:")):
        rec.notes.append("rejected: " + body.split(":", 1)[1].strip()[:120])
    elif body.startswith("hold:"):
        rec.notes.append("held in the hold queue")
    elif body.startswith("sender non-delivery notification:"):
        rec.notes.append("bounce sent: " + body.rpartition(":")[2].strip())
    return out


def _recipient(st: _State, rec: _Rec, body: str) -> list[LogEvent]:
    tm = _TO.match(body)
    if not tm:
        return []
    status = STATUS.get(tm.group("status") or "", "unknown")
    detail = tm.group("detail") or ""
    addr = tm.group("to")
    rec.add(addr, status, detail, tm.group("orig") or "")
    if status != "delivered":
        return []
    relay = tm.group("relay") or ""
    fwd = _FORWARDED_AS.search(detail)
    if fwd:
        return st.link(rec, fwd.group("qid"), addr)
    qa = _QUEUED_AS.search(detail)
    if qa and _LOOPBACK.search(relay):
        return st.link(rec, qa.group("qid"), None)
    if qa:
        rec.notes.append(f"next hop queue id {qa.group('qid')}")
    return []


class PostfixReader:
    """Reader for postfix logs (BSD, RFC 3339 and RFC 5424 syslog stamps)."""

    name = NAME

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield each message as it completes; malformed lines as skips."""
        st = _State(src)
        for lineno, item in frames(src):
            if isinstance(item, Skipped):
                yield item
                continue
            pm = PROG.fullmatch(item.prog)
            if pm is None:
                continue
            yield from _handle(st, lineno, item, pm.group("svc"))
        yield from st.flush()
