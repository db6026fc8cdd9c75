"""Streaming mbox splitter: exact bytes, byte offsets, constant memory beyond one message.

Owns the one rule for where one message ends and the next begins (`is_separator`), used by the
splitter here and by the byte-range cutter (`sources.shards`). A `From ` line is a separator
when it starts the file (after a UTF-8 byte-order mark, if any) or follows an empty line and
looks like a real envelope line (a sender token and a date or time), or, wherever it is, when
the line after it is a header field: Netscape, Thunderbird and Outlook Express write `From - `
with no date, some exporters `From <id>@xxx`, and some write the next separator without an
empty line before it. "From time to time" in a body therefore never splits a message (the
stdlib `mailbox` module splits on any `From ` line).

A file whose first message carries `Content-Length:` is read as mboxcl (Solaris/SysV mailers,
whose bodies keep `From ` lines unquoted): a message ends where its Content-Length says when
that is consistent with the bytes (the file ends there, or a separator starts there, after at
most one line break), and at the next separator when it is not; each fallback is noted. The
stored bytes are never altered: mboxo/mboxrd `>From ` quoting stays in `RawMessage.raw` (and
so in its hash); the content layer undoes it for reading (never for mboxcl, which does not
quote). A message longer than the reader's bound is handed over as its first bytes and a
stream of the rest (`RawMessage.rest`), so not even one message is held whole. `MboxSource` is
the mbox entry of the sources registry. Never parses MIME, never loads the whole file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from tracecheck.deps import Requirement
from tracecheck.header_block import body_start, header_end
from tracecheck.model import Locator, Note, NoteKind, RawMessage, SkipKind, Skipped
from tracecheck.sources.base import Detected, InputFile, SourceType

CHUNK = 1 << 20
BOM = b"\xef\xbb\xbf"
MBOXCL = "mboxcl"
"""`InputFile.container` (and coverage type) of an mbox read by Content-Length."""
_FROM_LINE = re.compile(rb"From \S+[ \t]+[^\r\n]*?(?:\d{1,2}:\d{2}|\b\d{4}\b)")
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d{1,15})[ \t]*\r?$")
MAX_FROM_LINE = 4096
MAX_HEADER = 1 << 20
"""Bytes of a header section searched for Content-Length (an mboxcl file only)."""


@dataclass(frozen=True, slots=True)
class Piece:
    """One slice of an mbox file. Concatenating every piece's bytes gives the file back."""

    offset: int
    """Offset of the first byte of `from_line` (or of `raw` for junk)."""
    from_line: bytes
    """The separator line including its line ending; empty for junk."""
    raw: bytes
    """Message bytes (or junk bytes)."""
    trailer: bytes
    """The line ending of the empty separator line that followed the message, if any."""
    junk: bool = False
    by_length: bool | None = None
    """mboxcl only: True when the message ended where its Content-Length said, False when
    that did not fit the bytes and the next separator ended it; None otherwise."""
    rest: Iterator[bytes] | None = None
    """A message longer than the splitter's bound: its bytes after `raw`, read (and
    forgotten) as they are iterated; the splitter drains what is not taken before it reads
    on. `trailer` is then empty, and `after.trailer` holds it once `rest` is read."""
    after: _Next | None = None

    def joined(self) -> bytes:
        """The exact bytes this piece covers in the file (a streamed piece's: read before the
        splitter reads on, which drains its `rest`)."""
        if self.rest is None or self.after is None:
            return self.from_line + self.raw + self.trailer
        rest = b"".join(self.rest)
        return self.from_line + self.raw + rest + self.after.trailer


def is_from_line(line: bytes) -> bool:
    """True when `line` (without requiring a line ending) is a plausible mbox envelope line:
    `From `, a sender token, and a date or a time."""
    return line.startswith(b"From ") and _FROM_LINE.match(line) is not None


def is_separator(line: bytes, next_line: bytes | Callable[[], bytes], *,
                 after_empty: bool) -> bool:
    """The one rule for a message separator: `line` is a `From ` line (not an obsolete-syntax
    `From :` header field) that either follows an empty line (or starts the file) and is a
    plausible envelope line, or is followed by a header field. `next_line` is the whole next
    line (or as much as there is), or a function that reads it: it is needed only when the
    envelope test fails."""
    if not line.startswith(b"From ") or line[4:].lstrip(b" \t").startswith(b":"):
        return False
    if after_empty and _FROM_LINE.match(line) is not None:
        return True
    following = next_line() if callable(next_line) else next_line
    return _HEADER_LINE.match(following) is not None


def empty_line_before(data: bytes, p: int, start: int = 0) -> bool:
    """True when `p` (the start of a line in `data`) is the start of the stream (`start`), or
    the line before it is empty (`\\n` or `\\r\\n` alone)."""
    if p <= start:
        return True
    j = p - 1  # the line break that ends the previous line
    if j == start:
        return True
    prev = data[j - 1 : j]
    if prev == b"\n":
        return True
    if prev != b"\r":
        return False
    return j - 1 == start or data[j - 2 : j - 1] == b"\n"


def _split_trailer(chunk: bytes) -> tuple[bytes, bytes]:
    """Take the empty separator line's ending off the end of a message chunk."""
    for tail in (b"\r\n\r\n", b"\n\r\n"):
        if chunk.endswith(tail):
            return chunk[:-2], b"\r\n"
    if chunk.endswith(b"\n\n"):
        return chunk[:-1], b"\n"
    return chunk, b""


class Window:
    """A byte stream seen through a window, addressed by absolute offsets; bytes before the
    window's start are dropped once no longer needed."""

    def __init__(self, stream: BinaryIO, chunk_size: int) -> None:
        self.stream = stream
        self.chunk_size = chunk_size
        self.buf = b""
        self.base = 0
        self.keep = 0
        self.eof = False
        self.line = (-1, -1)
        """(start, end) of the last whole line measured."""

    @property
    def end(self) -> int:
        """Absolute offset just past the bytes read so far."""
        return self.base + len(self.buf)

    def more(self) -> bool:
        """Read one more chunk (first forgetting what `drop` released); False at the end."""
        if self.eof:
            return False
        data = self.stream.read(self.chunk_size)
        if not data:
            self.eof = True
            return False
        if self.keep > self.base:
            self.buf = self.buf[self.keep - self.base:] + data
            self.base = self.keep
        else:
            self.buf += data
        return True

    def ensure(self, upto: int) -> None:
        """Read until `upto` bytes are available or the stream ends."""
        while self.end < upto and self.more():
            pass

    def drop(self, keep: int) -> None:
        """Release the bytes before absolute offset `keep` (forgotten at the next read, so
        that many small messages do not each copy the window)."""
        self.keep = max(self.keep, keep)

    def __getitem__(self, sl: slice) -> bytes:
        return self.buf[sl.start - self.base : sl.stop - self.base]

    def line_end(self, p: int, limit: int | None = None) -> int:
        """Offset just past the line that starts at `p` (after its `\\n`), reading as
        needed: the end of the stream for a last line without one, and at most `p + limit`
        when a limit is given (a look at the next line needs only its start)."""
        if limit is None and self.line[0] == p:
            return self.line[1]  # the separator test has just measured this line
        end = self._line_end(p, limit)
        if limit is None:
            self.line = (p, end)
        return end

    def _line_end(self, p: int, limit: int | None) -> int:
        while True:
            stop = len(self.buf) if limit is None else p + limit - self.base
            nl = self.buf.find(b"\n", p - self.base, stop)
            if nl >= 0:
                return self.base + nl + 1
            if limit is not None and self.end >= p + limit:
                return p + limit
            if not self.more():
                return self.end

    def find(self, sub: bytes, p: int, stop: int | None = None) -> int:
        """Absolute offset of `sub` at or after `p`, reading as needed; -1 at the end, or
        once the bytes read reach `stop` without it (then `eof` is still False)."""
        search = p
        while True:
            i = self.buf.find(sub, search - self.base)
            if i >= 0:
                return self.base + i
            search = max(self.end - len(sub) + 1, p)
            if stop is not None and self.end >= stop:
                return -1
            if not self.more():
                return -1


def separator_line(w: Window, p: int, start: int) -> bool:
    """Is the line that starts at absolute offset `p` of `w` a separator (`is_separator`)?
    `start` is where the stream's content starts (after a byte-order mark)."""
    line_end = w.line_end(p)
    return is_separator(w[p:line_end], lambda: w[line_end:w.line_end(line_end, MAX_FROM_LINE)],
                        after_empty=empty_line_before(w.buf, p - w.base, start - w.base))


def next_separator_line(w: Window, p: int, start: int, *, forget: bool = False,
                        stop: int | None = None) -> int:
    """Absolute offset of the first separator line that starts after the line break at or
    after `p - 1`; -1 at the end of the stream, or once the bytes read reach `stop` without
    one (`Window.find`). `forget`: drop what is behind the search as it goes (a caller that
    keeps none of the bytes: the byte-range cutter)."""
    search = max(p - 1, start)
    while True:
        if forget:
            w.drop(search - 3)
        j = w.find(b"\nFrom ", search, stop)
        if j < 0:
            return -1
        if separator_line(w, j + 1, start):
            return j + 1
        search = j + 1


def split_pieces(stream: BinaryIO, chunk_size: int = CHUNK, *, content_length: bool = False,
                 max_bytes: int | None = None) -> Iterator[Piece]:
    """Yield the pieces of an mbox stream in order; their bytes concatenate to the input.
    `content_length`: read as mboxcl (see the module docstring). `max_bytes`: a message
    longer than this is yielded as its first `max_bytes` bytes and the rest as a stream
    (`Piece.rest`), so no message is ever held whole beyond it (an mboxcl message whose
    Content-Length says more is split at separators)."""
    w = Window(stream, chunk_size)
    w.ensure(len(BOM))
    start = len(BOM) if w.buf.startswith(BOM) else 0
    if start:
        yield Piece(offset=0, from_line=b"", raw=BOM, trailer=b"", junk=True)

    def separator_at(p: int) -> bool:
        return separator_line(w, p, start)

    def next_separator(p: int) -> int:
        return next_separator_line(w, p, start)

    first = start if separator_at(start) else next_separator(start + 1)
    if first != start:
        end = w.end if first < 0 else first
        if first < 0:
            while w.more():
                pass
            end = w.end
        if end > start:
            yield Piece(offset=start, from_line=b"", raw=w[start:end], trailer=b"",
                        junk=True)
        if first < 0:
            return
    cur = first
    while True:
        from_end = w.line_end(cur)
        by_length: bool | None = None
        nxt = -1
        raw = trailer = b""
        rest: Iterator[bytes] | None = None
        if content_length:
            fit = _length_end(w, from_end, max_bytes)
            by_length = False
            if fit is not None:
                end, nxt = fit
                if nxt < 0 or separator_at(nxt):
                    by_length = True
                    raw, trailer = w[from_end:end], w[end:w.end if nxt < 0 else nxt]
        streamed = _Next()
        if not by_length:
            # no separator before `stop`: the message is longer than `max_bytes`
            stop = None if max_bytes is None else from_end + max_bytes + len(b"\nFrom ")
            nxt = next_separator_line(w, from_end, start, stop=stop)
            if nxt < 0 and max_bytes is not None and not w.eof:
                cut = from_end + max_bytes
                raw, trailer = w[from_end:cut], b""
                rest = _rest(w, cut, start, streamed)
            else:
                if nxt < 0:
                    while w.more():
                        pass
                raw, trailer = _split_trailer(w[from_end:w.end if nxt < 0 else nxt])
        yield Piece(cur, w[cur:from_end], raw, trailer, by_length=by_length, rest=rest,
                    after=streamed if rest is not None else None)
        if rest is not None:
            for _ in rest:  # what the reader did not take
                pass
            nxt = streamed.offset
        if nxt < 0:
            return
        w.drop(nxt)
        cur = nxt


class _Next:
    """Where the next message starts, once a streamed message's `rest` has been read, and
    the empty separator line left out of the message."""

    offset = -1
    trailer = b""


_TAIL = 8
"""Bytes a streamed message keeps back from each chunk it hands over: enough for `\nFrom `
across two reads, and for the empty line before a separator (left out of the message)."""


def _rest(w: Window, pos: int, start: int, found: _Next) -> Iterator[bytes]:
    """The bytes of a message from `pos` up to the next separator (the empty separator line
    before it left out, as `_split_trailer` does), a chunk at a time, each forgotten once
    handed over; `found.offset` is then the separator's offset (-1 at the end)."""
    while True:
        nxt = next_separator_line(w, pos, start, stop=pos + w.chunk_size + _TAIL)
        if nxt >= 0 or w.eof:
            end = nxt if nxt >= 0 else w.end
            last, found.trailer = _split_trailer(w[pos:end])
            if last:
                yield last
            found.offset = nxt
            return
        safe = w.end - _TAIL
        if safe > pos:
            yield w[pos:safe]
            pos = safe
            w.drop(pos - 3)  # kept: the bytes that say whether a line before is empty


def _length_end(w: Window, p: int, max_bytes: int | None = None
                ) -> tuple[int, int] | None:
    """mboxcl: where the message whose header section starts at `p` ends by its
    Content-Length, and where the next message starts (-1: the stream ends there), when the
    header section states one and the bytes fit it (the stream ends, or a `From ` line starts
    at most one line break later); else None. None too when it says more than `max_bytes`
    (such a message is not read whole to see whether it fits)."""
    limit = p + MAX_HEADER
    w.ensure(p + 1)
    end_of_headers = header_end(w.buf, p - w.base, min(limit, w.end) - w.base)
    while end_of_headers < 0 and w.end < limit and w.more():
        end_of_headers = header_end(w.buf, p - w.base, min(limit, w.end) - w.base)
    if end_of_headers < 0:
        return None
    m = _CONTENT_LENGTH.search(w.buf, p - w.base, end_of_headers + 1)
    if m is None:
        return None
    end = w.base + body_start(w.buf, end_of_headers) + int(m.group(1))
    if max_bytes is not None and end - p > max_bytes:
        return None
    w.ensure(end + 2 + len(b"From "))
    if end > w.end:
        return None
    if end == w.end and w.eof:
        return end, -1
    for gap in (b"", b"\n", b"\r\n"):
        if w[end:end + len(gap) + 5] == gap + b"From ":
            return end, end + len(gap)
    if w.eof and w[end:w.end] in (b"\n", b"\r\n"):
        return end, -1
    return None


def looks_like_message(raw: bytes) -> bool:
    """True when `raw` starts with an RFC 5322 header field (after optional blank lines)."""
    head = raw.lstrip(b"\r\n")[:1024]
    return _HEADER_LINE.match(head) is not None


def headers_terminated(raw: bytes) -> bool:
    """True when the header section ends with a blank line (or the message has a body)."""
    return b"\n\n" in raw or b"\n\r\n" in raw


def read_mbox(
    stream: BinaryIO, source: str, *, hash_messages: bool = True, content_length: bool = False,
    max_bytes: int | None = None,
) -> Iterator[RawMessage | Skipped | Note]:
    """Split an mbox stream into messages; junk and truncated pieces become `Skipped`.

    `hash_messages=False` leaves `RawMessage.sha256` empty for the caller to fill when it
    needs it (the scanner hashes only the messages it keeps a record of). `content_length`:
    an mboxcl file (messages end where their Content-Length says, when the bytes fit it);
    a note at the end says how many did not fit and were split at separators instead.
    `max_bytes`: a longer message comes as its first `max_bytes` bytes and a stream of the
    rest (`RawMessage.rest`, `split_pieces`), never held whole.
    """
    prev: Piece | None = None
    fallbacks = 0
    for piece in split_pieces(stream, content_length=content_length, max_bytes=max_bytes):
        fallbacks += piece.by_length is False
        if prev is not None:
            yield from _emit(prev, source, last=False, hash_messages=hash_messages,
                             quoted=not content_length)
            prev = None
        if piece.rest is not None:  # read before the splitter reads on: handed over now
            yield from _emit(piece, source, last=False, hash_messages=hash_messages,
                             quoted=not content_length)
            continue
        prev = piece
    if prev is not None:
        yield from _emit(prev, source, last=True, hash_messages=hash_messages,
                         quoted=not content_length)
    if fallbacks:
        yield Note(locator=Locator(path=source), kind=NoteKind.SOURCE,
                   reason=f"mboxcl: {fallbacks} message(s) whose Content-Length did not fit "
                          "the bytes were split at From lines instead")


def _emit(
    piece: Piece, source: str, *, last: bool, hash_messages: bool = True, quoted: bool = True
) -> Iterator[RawMessage | Skipped]:
    locator = Locator(path=source, offset=piece.offset)
    if piece.junk:
        if piece.raw.strip() and piece.raw != BOM:  # a byte-order mark is not content
            yield Skipped(
                locator=locator,
                reason=f"junk: {len(piece.raw)} bytes that are not an mbox message",
                kind=SkipKind.JUNK,
            )
        return
    if not looks_like_message(piece.raw):
        yield Skipped(
            locator=locator,
            reason="junk: text after a From line has no header fields",
            kind=SkipKind.JUNK,
        )
        return
    if last and not headers_terminated(piece.raw) and not piece.raw.endswith(b"\n"):
        yield Skipped(
            locator=locator,
            reason="truncated message: file ends inside the header section",
            kind=SkipKind.TRUNCATED,
        )
        return
    yield RawMessage(
        source=source,
        locator=locator,
        raw=piece.raw,
        sha256=hashlib.sha256(piece.raw).hexdigest() if hash_messages and piece.rest is None
        else "",
        offset=piece.offset,
        container="mbox",
        mbox_quoted=quoted,
        rest=piece.rest,
    )


_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


def unquote_mboxrd(raw: bytes) -> bytes:
    """Undo `>From ` quoting (mboxrd rule, which also covers mboxo's `>From `)."""
    if b">From " not in raw:
        return raw
    return _QUOTED_FROM.sub(rb"\1", raw)


class MboxSource:
    """An mbox file (mboxo, mboxrd, mboxcl), recognised by content: its first line (after a
    byte-order mark, if any) is a separator by `is_separator`. A Content-Length field in the
    first message's header section makes it mboxcl (`container`)."""

    type = SourceType.MBOX
    gzip = True
    requires: tuple[Requirement, ...] = ()

    def sniff(self, head: bytes, path: str) -> Detected | None:
        if head.startswith(BOM):
            head = head[len(BOM):]
        if not head.startswith(b"From "):
            return None
        first_end = head.find(b"\n") + 1 or len(head)
        second_end = head.find(b"\n", first_end) + 1 or len(head)
        if not is_separator(head[:first_end], head[first_end:second_end], after_empty=True):
            return None
        end_of_headers = header_end(head, first_end)
        block = head[first_end:end_of_headers + 1] if end_of_headers >= 0 else b""
        return Detected(SourceType.MBOX,
                        container=MBOXCL if _CONTENT_LENGTH.search(block) else "")

    def read(self, inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
             ) -> Iterator[RawMessage | Skipped | Note]:
        return read_mbox(stream, inp.path, hash_messages=hash_messages,
                         content_length=inp.container == MBOXCL)

    def read_bounded(self, inp: InputFile, stream: BinaryIO, max_message_bytes: int, *,
                     hash_messages: bool = True) -> Iterator[RawMessage | Skipped | Note]:
        return read_mbox(stream, inp.path, hash_messages=hash_messages,
                         content_length=inp.container == MBOXCL, max_bytes=max_message_bytes)
