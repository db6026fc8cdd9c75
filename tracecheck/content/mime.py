"""MIME walking: a parsed message → text units with part paths, plus skips for what is not text.

Owns the part-path scheme (`1`, `2.1`, `2/rfc822/1`, `header`, `2/rfc822/header`) and the
walk itself: multiparts are descended, attached messages (message/rfc822) are kept and
walked as messages (never flattened into the parent), bodies are transfer-decoded and
charset-decoded, HTML becomes text, attachments go to `content.extract` (sniffed by content),
and a message found in one (an Outlook .msg) comes back here to be walked as an attached
message (`Walker.attached`).
Parsing uses the stdlib compat32 policy, which never raises on malformed headers and keeps
raw bytes; `policy.default` is avoided because it drops recipients and raises (BRIEF.md).
Well-formed messages get the same tree from `content.quickparse` (no feedparser).
Never runs detectors.
"""

from __future__ import annotations

import dataclasses
import email.parser
import email.policy
import functools
import re
from collections.abc import Iterator, Sequence
from email.message import Message

from tracecheck.content import headers as hdr
from tracecheck.content.charset import decode_text
from tracecheck.content.extract import Attached, Context, extract_units
from tracecheck.content.html import fold_lines, html_text
from tracecheck.content.quickparse import quick_parse
from tracecheck.header_block import HeaderFields, RawHeaders, fast_headers, header_bytes
from tracecheck.model import (
    ExtractLimits,
    Locator,
    MessageInfo,
    RawMessage,
    SkipKind,
    Skipped,
    TextUnit,
)
from tracecheck.sources.mbox import unquote_mboxrd

MAX_MIME_DEPTH = 100


class Unparseable(Exception):
    """The stdlib parser raised on a message (never seen on real mail: compat32 is lenient,
    but hostile input is never trusted). The caller lists the message as unreadable."""


def _stdlib_parse(data: bytes | str, *, headersonly: bool = False) -> Message:
    try:
        if isinstance(data, str):
            return email.parser.Parser(policy=email.policy.compat32).parsestr(data)
        return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
            data, headersonly=headersonly)
    except RecursionError:
        raise  # nesting too deep: the caller reports the limit
    except Exception as exc:  # the stdlib email feedparser raising on hostile bytes
        raise Unparseable(type(exc).__name__) from exc


_BOUNDARY = re.compile(rb'(?i)\bboundary\s*=\s*"?([^"\s;]{1,200})')
_MAX_BOUNDARIES = 256
"""Distinct boundary values counted one by one; a message declaring more is over any
sensible part limit on that alone (each multipart has one)."""


def parts_over(data: bytes, limit: int) -> int | None:
    """The number of MIME part delimiter lines in a message's bytes when it is more than
    `limit` (`ExtractLimits.max_parts`), else None; counted before anything is parsed, since
    the parsers build every part (2.5 million tiny parts took 1.2 GB). An upper bound of the
    parts (every line that starts `--` and a declared boundary, the closing ones included),
    found by substring counts: a message with fewer such lines than `limit` costs one
    `count`."""
    lines = data.count(b"\n--")
    if lines <= limit:
        return None
    boundaries = set(_BOUNDARY.findall(data, 0, len(data)))
    if len(boundaries) > _MAX_BOUNDARIES:
        return lines
    found = sum(data.count(b"\n--" + b) for b in boundaries)
    return found if found > limit else None


def parse_headers(raw: RawMessage) -> Message:
    """Headers only (no body decoding), by the stdlib parser."""
    if raw.parsed is not None and isinstance(raw.parsed, Message):
        return raw.parsed
    return _stdlib_parse(header_bytes(raw.raw), headersonly=True)


def header_fields(raw: RawMessage) -> RawHeaders | Message:
    """The header fields for triage: the fast split (`header_block.fast_headers`) when it
    applies, else the stdlib's headers-only parse; the same pairs either way."""
    if raw.parsed is None:
        fast = fast_headers(raw.raw)
        if fast is not None:
            return fast
    return parse_headers(raw)


def parse_full(raw: RawMessage, head: RawHeaders | None = None) -> Message:
    """The whole message, mbox quoting undone. `head`: its header fields already split
    (the triage split, which mbox unquoting never changes: no field line starts `>From `)."""
    if raw.parsed is not None and isinstance(raw.parsed, Message):
        return raw.parsed
    data = unquote_mboxrd(raw.raw) if raw.mbox_quoted else raw.raw
    # the same tree, built without the feedparser when it can be
    quick = quick_parse(data, head)
    return quick if quick is not None else _stdlib_parse(data)


def message_info(raw: RawMessage, msg: HeaderFields, *, hops: bool = False) -> MessageInfo:
    """Header facts of a message: addresses from every sender and recipient field, date, id."""
    notes: list[str] = []
    senders = hdr.addresses(msg, hdr.SENDER_FIELDS, notes)
    recipients = hdr.addresses(msg, hdr.RECIPIENT_FIELDS, notes)
    date = hdr.parse_date(hdr.first_value(msg, "date"), notes)
    for defect in getattr(msg, "defects", ()) or ():
        notes.append(f"defect: {type(defect).__name__}")
    return MessageInfo(
        at=raw.locator,
        source=raw.source,
        sha256=raw.sha256,
        message_id=hdr.message_id(msg),
        date=date,
        subject=hdr.subject(msg),
        senders=senders,
        recipients=recipients,
        container=raw.container,
        notes=tuple(notes),
        hops=hdr.received_hops(msg) if hops else (),
    )


_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


def is_bulk(msg: HeaderFields) -> bool:
    """Newsletters and mailing-list mail: List-Id, List-Unsubscribe or Precedence: bulk/list."""
    if hdr.first_value(msg, "list-id") or hdr.first_value(msg, "list-unsubscribe"):
        return True
    precedence = (hdr.first_value(msg, "precedence") or "").strip().lower()
    return precedence in _BULK_PRECEDENCE


def _child(base: str, i: int) -> str:
    if not base:
        return str(i)
    if base.endswith("/rfc822"):
        return f"{base}/{i}"
    return f"{base}.{i}"


def _mentions(word: str, *values: Sequence[object]) -> bool:
    """Could a parameter named like `word` be in these field values? (A cheap test that
    spares the stdlib's parameter parsing for the many parts without one.)"""
    for field in values:
        for value in field:
            if not isinstance(value, str) or word in value.lower():
                return True
    return False


_Fields = tuple[Sequence[object], Sequence[object]]
"""A part's Content-Type values and Content-Disposition values."""


def _fields(part: Message) -> _Fields:
    """Every Content-Type and Content-Disposition value of a part, read once for the
    helpers below (`get` is the first of `get_all`: the same values)."""
    return part.get_all("content-type", []), part.get_all("content-disposition", [])


def _filename(part: Message, fields: _Fields | None = None) -> str:
    ctypes, disps = fields if fields is not None else _fields(part)
    if not _mentions("name", disps, ctypes):
        return ""  # neither filename= nor name= (nor their RFC 2231 forms)
    try:
        name = part.get_filename() or part.get_param("name")
    except Exception:  # stdlib email.message on broken RFC 2231 parameters
        name = None
    if isinstance(name, tuple):  # RFC 2231 triple
        name = email.utils.collapse_rfc2231_value(name)
    return hdr.decode_words(str(name)).strip() if name else ""


@functools.lru_cache(maxsize=4096)
def _charset_of(content_type: str) -> str | None:
    probe = Message()
    probe["Content-Type"] = content_type
    return probe.get_content_charset()


def _charset(part: Message, ctypes: Sequence[object]) -> str | None:
    """`part.get_content_charset()`, computed once per distinct Content-Type value (a few
    values such as `text/plain; charset=utf-8` make up most of a mailbox). `ctypes`: the
    part's Content-Type values."""
    value = ctypes[0] if ctypes else None
    if value is None:
        return None
    if isinstance(value, str) and len(value) < 256:
        return _charset_of(value)
    return part.get_content_charset()


def _is_attachment(disps: Sequence[object], filename: str) -> bool:
    disp = str(disps[0] if disps else "").split(";", 1)[0].strip().lower()
    return disp == "attachment" or bool(filename)


def _encrypted(ctype: str, data: bytes) -> str | None:
    try:
        from tracecheck.content.encrypted import encrypted_reason
    except ImportError:  # pragma: no cover - module added with the extractors
        return None
    return encrypted_reason(ctype, data)


class _Html:
    """An HTML part's text before its lines are folded (`html.fold_lines`): the walker
    folds it as it hands it out, so an HTML alternative dropped for repeating the plain text
    is never folded (`Walker._alternatives` compares the words, which folding keeps)."""

    __slots__ = ("unit",)

    def __init__(self, unit: TextUnit) -> None:
        self.unit = unit

    def folded(self) -> TextUnit:
        return dataclasses.replace(self.unit, text=fold_lines(self.unit.text))


_Item = TextUnit | Skipped | _Html


def _folded(items: Iterator[_Item]) -> Iterator[TextUnit | Skipped]:
    for item in items:
        yield item.folded() if isinstance(item, _Html) else item


class Walker:
    """Walks one message; collects decode notes as it goes."""

    def __init__(self, limits: ExtractLimits) -> None:
        self.limits = limits
        self.notes: list[tuple[str, str]] = []  # (part, note)

    def units(self, msg: Message, head: RawHeaders | None = None
              ) -> Iterator[TextUnit | Skipped]:
        """Subject first, then every part in document order. `head`: the message's header
        fields as split for triage; the subject is read from them (an indexed look-up)
        when they are the message's own fields, pair for pair."""
        own = head is not None and list(msg.raw_items()) == head.items
        subject = hdr.subject(head if own and head is not None else msg)
        if subject:
            yield TextUnit(part="header", where="subject", text=subject)
        yield from _folded(self._node(msg, "", "body", 0, root=True))

    def attached(self, found: Attached, part: str, where: str, ctx: Context, depth: int, *,
                 mime_depth: int = 0) -> Iterator[TextUnit | Skipped]:
        """A message an extractor found in an attachment (an Outlook .msg), walked as an
        attached message/rfc822 is: part paths under `PART/rfc822`, locators under the
        attachment's `where`; its own attachments share the attachment's budget `ctx`, and
        `depth` is their extraction depth."""
        base = f"{part}/rfc822"
        self.notes.extend((base, note) for note in found.notes)
        for skip in found.skips:
            yield Skipped(locator=Locator(within=where).inside(skip.locator.within), part=base,
                          kind=skip.kind, reason=skip.reason)
        subject = hdr.subject(found.message)
        if subject:
            yield TextUnit(part=f"{base}/header", where=where, text=subject)
        yield from _folded(self._node(found.message, base, where, mime_depth + 1,
                                      budget=(ctx, depth)))

    def _node(
        self, part: Message, base: str, where: str, depth: int, *, root: bool = False,
        budget: tuple[Context, int] | None = None,
    ) -> Iterator[_Item]:
        if depth > MAX_MIME_DEPTH:
            yield Skipped(locator=Locator(within=where), part=base or "1", kind=SkipKind.LIMIT,
                          reason=f"limit: MIME nesting deeper than {MAX_MIME_DEPTH}")
            return
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            yield from self._attached_message(part, base or "1", _filename(part), depth, budget)
            return
        if part.is_multipart():
            if ctype == "multipart/encrypted":
                yield Skipped(locator=Locator(within=where), part=base or "1",
                              kind=SkipKind.ENCRYPTED,
                              reason="encrypted: not scanned (multipart/encrypted)")
                return
            payload = part.get_payload()
            children = payload if isinstance(payload, list) else []
            if ctype == "multipart/alternative":
                yield from self._alternatives(children, base, where, depth, budget)
                return
            for i, child in enumerate(children, 1):
                if isinstance(child, Message):
                    yield from self._node(child, _child(base, i), where, depth + 1,
                                          budget=budget)
            return
        path = base or "1"
        if root and base == "":
            path = "1"
        fields = _fields(part)
        filename = _filename(part, fields)
        try:
            data = part.get_payload(decode=True)
        except Exception:  # stdlib email (compat32) transfer decoding: lenient, but hostile input
            data = None
        if not isinstance(data, bytes):
            raw_payload = part.get_payload()
            data = raw_payload.encode("utf-8", "surrogateescape") if isinstance(
                raw_payload, str) else b""
        for defect in getattr(part, "defects", ()) or ():
            self.notes.append((path, f"defect: {type(defect).__name__}"))
        attachment = _is_attachment(fields[1], filename)
        here = where
        if attachment:
            name = filename or "unnamed"
            here = f"{where}/{name}" if where.startswith("attachment:") else f"attachment:{name}"
        enc = _encrypted(str(fields[0][0]) if fields[0] else ctype, data)
        if enc:
            yield Skipped(locator=Locator(within=here), part=path, kind=SkipKind.ENCRYPTED,
                          reason=enc)
            return
        try:
            charset = _charset(part, fields[0])
        except Exception:  # stdlib email.message failing on a hostile RFC 2231 charset
            charset = None
            self.notes.append((path, "charset parameter unreadable; decoded without it"))
        if not attachment and ctype in ("text/plain", "text/html", "text/enriched", ""):
            notes: list[str] = []
            text = decode_text(data, charset, notes)
            self.notes.extend((path, n) for n in notes)
            if ctype == "text/html":  # folded as it leaves the walker
                yield _Html(TextUnit(part=path, where=here, text=html_text(text),
                                     content_type=ctype))
                return
            yield TextUnit(part=path, where=here, text=text, content_type=ctype)
            return
        if not data:
            return
        notes = []
        ctx, edepth = budget if budget is not None else (None, 0)
        yield from extract_units(data, part=path, where=here, declared_charset=charset,
                                 limits=self.limits, notes=notes, ctx=ctx, depth=edepth,
                                 on_message=functools.partial(self.attached, mime_depth=depth))
        self.notes.extend((path, n) for n in notes)

    def _alternatives(
        self, children: Sequence[object], base: str, where: str, depth: int,
        budget: tuple[Context, int] | None = None,
    ) -> Iterator[_Item]:
        """multipart/alternative: an HTML rendering whose visible text is already in a plain
        alternative adds nothing to scan, so it is not scanned twice (and its hits are not
        counted twice); an HTML part with any text of its own is scanned in full. The texts
        are compared word by word (white space folded), so an HTML part's lines need not
        be folded first."""
        units: list[_Item] = []
        for i, child in enumerate(children, 1):
            if isinstance(child, Message):
                units.extend(self._node(child, _child(base, i), where, depth + 1,
                                        budget=budget))
        plain = [" ".join(u.text.split()) for u in units
                 if isinstance(u, TextUnit) and u.content_type == "text/plain"]
        for u in units:
            html = u.unit if isinstance(u, _Html) else u
            if (isinstance(html, TextUnit) and html.content_type == "text/html" and plain
                    and any(" ".join(html.text.split()) in p for p in plain)):
                self.notes.append((html.part, "html alternative repeats the plain text; "
                                              "scanned once"))
                continue
            yield u

    def _attached_message(
        self, part: Message, path: str, filename: str, depth: int,
        budget: tuple[Context, int] | None = None,
    ) -> Iterator[_Item]:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        here = f"attachment:{filename or 'attached message'}"
        if not isinstance(inner, Message):
            raw = payload if isinstance(payload, str) else ""
            if raw.strip():
                inner = _stdlib_parse(raw)
            else:
                yield Skipped(locator=Locator(within=here), part=path, kind=SkipKind.UNREADABLE,
                              reason="attached message is empty")
                return
        base = f"{path}/rfc822"
        subject = hdr.subject(inner)
        if subject:
            yield TextUnit(part=f"{base}/header", where=here, text=subject)
        yield from self._node(inner, base, here, depth + 1, budget=budget)
