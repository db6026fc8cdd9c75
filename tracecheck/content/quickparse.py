"""Building the stdlib compat32 message tree of a well-formed message without the feedparser.

Owns one function, `quick_parse(data) -> Message | None`. For an ordinary message (headers
that are all `name: value` fields or folds, every multipart with a boundary, a first
boundary and a closing one, no bare CR) it returns exactly the `email.message.Message` tree
that `BytesParser(policy=compat32).parsebytes(data)` returns — the same header pairs,
payload strings, preambles, epilogues and nesting, with no defects — at a fraction of the
cost: the feedparser reads every line of every part through a generator stack, while this
finds header lines and boundary lines with `str.find`.

Anything the feedparser would treat specially returns None, and the caller uses the stdlib:
a defect of any kind (missing header/body separator, continuation first line, misplaced
`From ` line, header without a name, multipart without a boundary or without its first or
closing boundary line, a multipart with a non-7bit transfer encoding), a bare CR (a line
break to the feedparser), message/delivery-status, multipart/digest (whose parts default to
message/rfc822), and two boundary lines in a row. Tests hold the two trees equal on the
samples, the real corpora and generated MIME.

Rules reproduced (Lib/email/feedparser.py): a part ends at the first line that is any
boundary line of its multipart; the line break before a boundary line belongs to the
boundary (stripped from the last-created message's payload, or from a nested multipart's
epilogue, which becomes None when empty); a preamble loses its last line break; an epilogue
is everything after the closing line; message/* bodies are parsed as messages.
"""

from __future__ import annotations

import re
from email.message import Message

from tracecheck.header_block import RawHeaders, body_start, header_end, split_fields

_MAX_DEPTH = 60


class _Unusual(Exception):
    """The feedparser would do something this module does not reproduce."""


def quick_parse(data: bytes, head: RawHeaders | None = None) -> Message | None:
    """The compat32 tree of `data`, or None when the stdlib parser must be used. `head`
    saves splitting the top-level header section again."""
    text = data.decode("ascii", "surrogateescape")
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    try:
        msg, _ = _message(text, 0, len(text), 0, head)
    except (_Unusual, RecursionError):
        return None
    return msg


def _headers(text: str, start: int, end: int) -> tuple[list[tuple[str, str]], int]:
    """(name, value) pairs of the header lines from `start`, and where the body starts
    (after the blank line; a part may also end before any blank line)."""
    if start < end and text[start] in "\r\n":  # no fields: the blank line comes first
        return [], text.find("\n", start, end) + 1 or end
    blank = header_end(text, start, end)
    if blank < 0:  # fields up to the end of the part
        block, body = text[start:end], end
        if block and not block.endswith("\n"):
            block += "\n"  # the last line at the very end of the message
    else:
        block, body = text[start:blank + 1], body_start(text, blank)
    items = split_fields(block)
    if items is None:
        raise _Unusual("not a header field")
    return items, body


def _boundary_lines(text: str, boundary: str, start: int, end: int
                    ) -> list[tuple[int, int, bool, bool]]:
    """(start, end, closing, has line break) of every boundary line in text[start:end]: a
    line that is `--boundary`, then `--` for the closing one, then spaces or tabs (the
    feedparser's `boundaryre`; str.find rather than a regex compiled per boundary)."""
    sep = "--" + boundary
    found: list[tuple[int, int, bool, bool]] = []
    pos = start
    while (i := text.find(sep, pos, end)) >= 0:
        pos = i + 1
        if i > start and text[i - 1] != "\n":
            continue
        j = i + len(sep)
        closing = text.startswith("--", j, end)
        k = j + 2 if closing else j
        while k < end and text[k] in " \t":
            k += 1
        if k == end:
            found.append((i, k, closing, False))
        elif text[k] == "\n":
            found.append((i, k + 1, closing, True))
        elif text.startswith("\r\n", k, end):
            found.append((i, k + 2, closing, True))
    return found


def _message(text: str, start: int, end: int, depth: int, head: RawHeaders | None = None
             ) -> tuple[Message, Message]:
    """The message in text[start:end] and the last message created while building it (the
    one whose trailing line break a following boundary takes)."""
    if depth > _MAX_DEPTH:
        raise _Unusual("deep")
    msg = Message()
    items, body = (list(head.items), head.body_start) if head else _headers(text, start, end)
    msg._headers = items  # type: ignore[attr-defined]  # what set_raw() appends to
    ctype = msg.get_content_type()
    main = ctype.partition("/")[0]
    if main == "message":
        if ctype == "message/delivery-status":
            raise _Unusual("delivery-status")
        inner, last = _message(text, body, end, depth + 1)
        msg._payload = [inner]  # type: ignore[attr-defined]
        return msg, last
    if main != "multipart":
        msg._payload = text[body:end]  # type: ignore[attr-defined]
        return msg, msg
    boundary = _boundary(msg)
    if boundary is None or ctype == "multipart/digest":
        raise _Unusual("multipart without boundary, or digest")
    if str(msg.get("content-transfer-encoding", "8bit")).lower() not in (
            "7bit", "8bit", "binary"):
        raise _Unusual("multipart with a transfer encoding")
    lines = _boundary_lines(text, boundary, body, end)
    if not lines or lines[0][2]:
        raise _Unusual("no first boundary")
    if lines[0][0] > body:
        msg.preamble = _strip_eol(text[body:lines[0][0]])
    children: list[Message] = []
    for here, following in zip(lines, lines[1:], strict=False):
        if here[2]:  # the closing line: the rest is epilogue
            break
        if following[0] == here[1] or not here[3]:
            raise _Unusual("boundary lines in a row, or a boundary at the end")
        child, last = _message(text, here[1], following[0], depth + 1)
        if last.get_content_maintype() == "multipart":
            if last.epilogue == "":
                last.epilogue = None
            elif last.epilogue is not None:
                last.epilogue = _strip_eol(last.epilogue)
        elif isinstance(last._payload, str):  # type: ignore[attr-defined]
            last._payload = _strip_eol(last._payload)  # type: ignore[attr-defined]
        children.append(child)
        if following[2]:
            msg._payload = children  # type: ignore[attr-defined]
            msg.epilogue = text[following[1]:end]
            return msg, msg
    raise _Unusual("no closing boundary")


_BCHARS = r"[A-Za-z0-9'()+_,./:=?-]+"
_PLAIN_BOUNDARY = re.compile(
    rf'[ \t\r\n]*multipart/[A-Za-z0-9.+-]+[ \t\r\n]*;[ \t\r\n]*boundary='
    rf'(?:"({_BCHARS})"|({_BCHARS}))[ \t\r\n]*', re.IGNORECASE)
"""A Content-Type with one parameter, a boundary of plain characters (quoted or not)."""


def _boundary(msg: Message) -> str | None:
    """`msg.get_boundary()`: read directly from a plain Content-Type (the stdlib's parameter
    parsing, RFC 2231 decoding and double unquoting give the same string there: tested)."""
    value = msg.get("content-type")
    if isinstance(value, str):
        plain = _PLAIN_BOUNDARY.fullmatch(value)
        if plain is not None:
            return plain[1] or plain[2]
    try:
        return msg.get_boundary()
    except Exception as exc:  # stdlib email.message failing on hostile RFC 2231 parameters
        raise _Unusual("unreadable boundary parameter") from exc


def _strip_eol(value: str) -> str:
    if value.endswith("\r\n"):
        return value[:-2]
    if value.endswith("\n"):
        return value[:-1]
    return value
