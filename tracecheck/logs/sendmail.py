"""Sendmail: syslog lines joined into one event per message by (host, queue id).

Owns the sendmail line shapes: `QID: from=<..>, size=N, ..., msgid=<..>, ..., relay=..` opens
a message (the Message-ID is logged only there), `QID: to=<a>,<b>, ..., stat=Sent (..)` adds one
or more comma-joined recipients (a recipient retried later keeps its latest status), and
`QID: QID2: DSN: ..` notes a bounce. Sendmail writes no closing line, so a message stays open
until its queue id is seen with a new `from=` after deliveries (reuse) or the file ends.
Program names `sendmail`, `sm-mta`, `sm-msp-queue` and other `sm-*` tags are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tracecheck.logs.base import LogSource, clean_addr
from tracecheck.logs.message import MessageBuilder
from tracecheck.logs.syslog import frames
from tracecheck.model import LogEvent, Skipped

NAME = "sendmail"

PROG = re.compile(r"(?:sendmail|sm-[\w-]+)")
_QID = re.compile(r"(?P<qid>[0-9A-Za-z]{14,16}): (?P<body>.*)")
_KEY = re.compile(r", (?=[a-z]+=)")
_DSN = re.compile(r"[0-9A-Za-z]{14,16}: DSN: (?P<why>.*)")


@dataclass(eq=False)
class _Rec(MessageBuilder):
    nrcpts: int | None = None


def split_fields(body: str) -> dict[str, str]:
    """`a=1, b=x, y, c=3` → {a: "1", b: "x, y", c: "3"} (commas inside values kept)."""
    out: dict[str, str] = {}
    for piece in _KEY.split(body):
        name, eq, value = piece.partition("=")
        if eq and name.isalpha():
            out.setdefault(name, value.strip())
    return out


def _status(stat: str, dsn: str) -> str:
    low = stat.lower()
    if low.startswith("sent") or low.startswith("delivered"):
        return "delivered"
    if low.startswith("deferred") or dsn.startswith("4"):
        return "deferred"
    if low.startswith("queued"):
        return "pending"
    if dsn.startswith("5") or "unknown" in low or "refused" in low:
        return "bounced"
    return "unknown"


def _addrs(value: str) -> list[str]:
    return [a for a in (clean_addr(p) for p in value.split(",")) if a]


class SendmailReader:
    """Reader for sendmail / sm-mta syslog logs."""

    name = NAME

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield messages at reuse and at end of file (in first-line order); skips as met."""
        open_: dict[tuple[str, str], _Rec] = {}
        done: list[LogEvent] = []
        for lineno, item in frames(src):
            if isinstance(item, Skipped):
                yield item
                continue
            if not PROG.fullmatch(item.prog):
                continue
            m = _QID.match(item.msg)
            if not m:
                continue
            key = (item.host, m.group("qid"))
            body = m.group("body")
            rec = open_.get(key)
            if body.startswith("from="):
                if rec is not None and rec.rcpts:
                    rec.notes.append("queue id reused")
                    done.append(rec.event(src, NAME))
                    rec = None
                if rec is None:
                    rec = open_[key] = _Rec(lineno, item.time, queue_id=key[1])
                f = split_fields(body)
                rec.sender = clean_addr(f.get("from", ""))
                if f.get("size", "").isdigit():
                    rec.size = int(f["size"])
                rec.message_id = clean_addr(f.get("msgid", "")) or rec.message_id
                if f.get("nrcpts", "").isdigit():
                    rec.nrcpts = int(f["nrcpts"])
                continue
            if rec is None:
                if not body.startswith("to="):
                    continue
                rec = open_[key] = _Rec(lineno, item.time, queue_id=key[1])
            if body.startswith("to="):
                f = split_fields(body)
                status = _status(f.get("stat", ""), f.get("dsn", ""))
                detail = f.get("stat", "")
                for addr in _addrs(f.get("to", "")):
                    rec.add(addr, status, detail)
            elif (dm := _DSN.match(body)) is not None:
                rec.notes.append("DSN: " + dm.group("why")[:120])
        # A session that ended with no accepted recipient (nrcpts=0) carried no message.
        done.extend(r.event(src, NAME) for r in open_.values() if r.rcpts or r.nrcpts != 0)
        done.sort(key=lambda e: e.locator.line or 0)
        yield from done
