"""Exim mainlog: lines joined into one event per message by Exim message id.

Owns the Exim line shapes: `DATE [pid] ID <= sender ... S=size id=msgid T="subject" for rcpts`
opens a message, `=>` (delivery), `->` (another address in the same delivery), `*>` (delivery
suppressed), `==` (deferred), `**` (failed) add recipients, and `Completed` closes it. Both id
forms are read: the old 16-character `1hhlhb-006myf-8K` and the 23-character
`1r6Bwm-000000002h3-2n4V` of Exim 4.97+. Stamps are local time (`--log-tz`) unless Exim wrote
an offset (`log_timezone`). Lines without a message id (rejects, connections, queue runs) are
not messages; lines that are not Exim lines at all (including `# ...` comments) are malformed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from tracecheck.logs.base import LogSource, local_to_utc, parse_time
from tracecheck.logs.message import MessageBuilder, merge_recipient
from tracecheck.logs.syslog import YearClock, first_year, parse_frame
from tracecheck.model import LogEvent, LogRecipient, Skipped

NAME = "exim"

MSGID = r"[0-9A-Za-z]{6}-(?:[0-9A-Za-z]{11}-[0-9A-Za-z]{4}|[0-9A-Za-z]{6}-[0-9A-Za-z]{2})"
_LINE = re.compile(
    r"(?:\S+ exim\[\d+\]: )?(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d)(?:\.\d+)?"
    r"(?: (?P<off>[+-]\d{4}))?"
    r"(?: \S+ exim\[\d+\]:)?(?: \[\d+(?:/\d+)?\])? (?P<msg>.*)"
)
_ID = re.compile(rf"(?P<id>{MSGID}) (?P<rest>.*)")
_FLAG = re.compile(r"(?P<flag><=|=>|->|\*>|==|\*\*) (?P<rest>.*)")
_ARG = re.compile(r'(?:^| )(?P<k>[A-Za-z]{1,3})=(?P<v>"(?:[^"\\]|\\.)*"|\S+)')
_DELIVERY = re.compile(r"(?P<addr>\S+)(?: <(?P<orig>[^>]*)>)?(?P<rest>.*)")

FLAG_STATUS = {"=>": "delivered", "->": "delivered", "*>": "filtered", "==": "deferred",
               "**": "bounced"}


@dataclass(eq=False)
class _Rec(MessageBuilder):
    arrived: bool = False
    closed: bool = False

    def done(self, src: LogSource) -> LogEvent:
        return self.event(src, NAME, notes=() if self.closed else
                          ("no 'Completed' line in this log",))


def _args(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ARG.finditer(text):
        v = m.group("v")
        if v.startswith('"') and v.endswith('"') and len(v) >= 2:
            v = v[1:-1].replace('\\"', '"')
        out.setdefault(m.group("k"), v)
    return out


def _arrival(rec: _Rec, rest: str) -> None:
    sender, _, tail = rest.partition(" ")
    rec.sender = "" if sender == "<>" else sender
    rec.arrived = True
    # ` for rcpt ...` follows the last field; a quoted subject may itself contain " for ".
    args_end = max((m.end() for m in _ARG.finditer(tail)), default=0)
    cut = tail.find(" for ", args_end)
    head, sep, rcpts = (tail[:cut], " for ", tail[cut + 5:]) if cut >= 0 else (tail, "", "")
    a = _args(head)
    if a.get("S", "").isdigit():
        rec.size = int(a["S"])
    rec.message_id = a.get("id", "")
    rec.subject = a.get("T", "")
    if "P" in a:
        rec.notes.append(f"protocol {a['P']}")
    if "A" in a:
        rec.notes.append(f"authenticated {a['A']}")
    if sep:
        for addr in rcpts.split():
            if "@" in addr and addr not in rec.rcpts:
                rec.add(addr, "received")


def _delivery(rec: _Rec, flag: str, rest: str) -> None:
    m = _DELIVERY.match(rest)
    if not m:
        return
    addr = m.group("addr").rstrip(":")
    orig = m.group("orig") or ""
    detail = m.group("rest").strip()
    if "@" not in addr and orig:
        # :blackhole:, a pipe or a file: the routed-to thing is not an address.
        detail = f"{addr} {detail}".strip()
        addr, orig = orig, ""
    if orig and orig.lower() == addr.lower():
        orig = ""
    new = LogRecipient(addr, FLAG_STATUS[flag], detail[:200], orig)
    old = _pop_same(rec, addr) or (_pop_same(rec, orig) if orig else None)
    if old is not None:
        # The entry of the arrival (or of an earlier line) becomes this delivery, moved to
        # the end, under the address delivered to and the alias of the latest line.
        merged = merge_recipient(old, new)
        new = LogRecipient(addr, merged.status, merged.detail, orig or old.orig_to)
    rec.rcpts[addr] = new


def _pop_same(rec: _Rec, addr: str) -> LogRecipient | None:
    low = addr.lower()
    for key in rec.rcpts:
        if key.lower() == low:
            return rec.rcpts.pop(key)
    return None


class EximReader:
    """Reader for Exim main logs (file or syslog mode)."""

    name = NAME

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield each message at `Completed` (or at end of file); malformed lines as skips."""
        open_: dict[str, _Rec] = {}
        clock: YearClock | None = None
        for lineno, line in src.lines():
            if not line.strip():
                continue
            m = _LINE.match(line)
            if m:
                msg = m.group("msg")
                if m.group("off"):
                    when = parse_time(f"{m.group('date')}T{m.group('time')}{m.group('off')}")
                else:
                    try:
                        naive = datetime.fromisoformat(f"{m.group('date')} {m.group('time')}")
                        when = local_to_utc(naive, src.tz)
                    except ValueError:
                        when = None
            else:
                if clock is None:
                    clock = YearClock(first_year(src.path, src.year, src.tz))
                frame = parse_frame(line, clock, src.tz)
                if frame is None or not frame.prog.startswith("exim"):
                    yield src.bad(lineno, "not an Exim log line")
                    continue
                msg, when = frame.msg, frame.time
            if when is None:
                yield src.bad(lineno, "impossible date in Exim stamp")
                continue
            im = _ID.match(msg)
            if not im:
                continue
            mid, rest = im.group("id"), im.group("rest")
            rec = open_.get(mid)
            if rest == "Completed":
                if rec is not None:
                    rec.closed = True
                    del open_[mid]
                    yield rec.done(src)
                continue
            fm = _FLAG.match(rest)
            if fm is None:
                if rec is not None and rest.startswith("Message is frozen"):
                    rec.notes.append("frozen")
                continue
            flag = fm.group("flag")
            if flag == "<=":
                if rec is not None and rec.arrived:
                    rec.notes.append("message id seen again before 'Completed'")
                    yield rec.done(src)
                    rec = None
                if rec is None:
                    rec = open_[mid] = _Rec(lineno, when, queue_id=mid)
                _arrival(rec, fm.group("rest"))
                continue
            if rec is None:
                rec = open_[mid] = _Rec(lineno, when, queue_id=mid)
            _delivery(rec, flag, fm.group("rest"))
        for rec in sorted(open_.values(), key=lambda r: r.lineno):
            yield rec.done(src)

