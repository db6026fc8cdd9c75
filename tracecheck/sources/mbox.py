"""Streaming mbox splitter: exact bytes, byte offsets, constant memory beyond one message.

Owns the rule for where one message ends and the next begins: a `From ` line that starts the
file or follows a blank line *and* looks like a real separator (a sender token and a date or
time), so that "From time to time" in a body never splits a message (the stdlib `mailbox`
module splits on any `From ` line). The stored bytes are never altered: mboxo/mboxrd `>From `
quoting stays in `RawMessage.raw` (and so in its hash); the content layer undoes it for reading.
`MboxSource` is the mbox entry of the sources registry. Never parses MIME, never loads the
whole file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from tracecheck.deps import Requirement
from tracecheck.model import Locator, Note, RawMessage, SkipKind, Skipped
from tracecheck.sources.base import Detected, InputFile, SourceType

CHUNK = 1 << 20
_FROM_LINE = re.compile(rb"From \S+[ \t]+[^\r\n]*?(?:\d{1,2}:\d{2}|\b\d{4}\b)")
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
MAX_FROM_LINE = 4096


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
    """The line ending of the blank separator line that followed the message, if any."""
    junk: bool = False

    def joined(self) -> bytes:
        """The exact bytes this piece covers in the file."""
        return self.from_line + self.raw + self.trailer


def is_from_line(line: bytes) -> bool:
    """True when `line` (without requiring a line ending) is a plausible mbox separator."""
    return line.startswith(b"From ") and _FROM_LINE.match(line) is not None


def _blank_before(buf: bytes, nl: int) -> bool:
    """True when the line that ends at `buf[nl]` (a newline) is empty."""
    if nl == 0:
        return True
    prev = buf[nl - 1 : nl]
    if prev == b"\n":
        return True
    return prev == b"\r" and (nl == 1 or buf[nl - 2 : nl - 1] == b"\n")


def _split_trailer(chunk: bytes) -> tuple[bytes, bytes]:
    """Take the blank separator line's ending off the end of a message chunk."""
    for tail in (b"\r\n\r\n", b"\n\r\n"):
        if chunk.endswith(tail):
            return chunk[:-2], b"\r\n"
    if chunk.endswith(b"\n\n"):
        return chunk[:-1], b"\n"
    return chunk, b""


class _Window:
    """A growing byte window over a stream; `keep` marks the first byte still needed."""

    def __init__(self, stream: BinaryIO, chunk_size: int) -> None:
        self.stream = stream
        self.chunk_size = chunk_size
        self.buf = b""
        self.base = 0  # stream offset of buf[0]
        self.eof = False

    def refill(self, keep: int) -> int:
        """Drop bytes before `keep`, read one more chunk; return how far indices shifted."""
        shift = 0
        if keep > 0:
            self.buf = self.buf[keep:]
            self.base += keep
            shift = keep
        data = self.stream.read(self.chunk_size)
        if data:
            self.buf += data
        else:
            self.eof = True
        return shift


def split_pieces(stream: BinaryIO, chunk_size: int = CHUNK) -> Iterator[Piece]:
    """Yield the pieces of an mbox stream in order; their bytes concatenate to the input."""
    w = _Window(stream, chunk_size)
    w.refill(0)
    cur = 0  # index in w.buf where the current piece starts

    def next_separator(pos: int) -> int:
        """Index of the next separator line at or after `pos` (may refill; shifts `cur`)."""
        nonlocal cur
        if pos == 0 and w.base == 0:
            while not w.eof and b"\n" not in w.buf and len(w.buf) < MAX_FROM_LINE:
                w.refill(0)
            nl = w.buf.find(b"\n")
            if is_from_line(w.buf if nl < 0 else w.buf[: nl + 1]):
                return 0
        search = max(pos - 1, 0)
        while True:
            j = w.buf.find(b"\nFrom ", search)
            if j >= 0:
                nl = w.buf.find(b"\n", j + 1)
                if nl >= 0 or w.eof:
                    line = w.buf[j + 1 :] if nl < 0 else w.buf[j + 1 : nl + 1]
                    if _blank_before(w.buf, j) and is_from_line(line):
                        return j + 1
                    search = j + 1
                    continue
            elif w.eof:
                return -1
            else:
                search = max(len(w.buf) - 6, search)
            shift = w.refill(cur)
            cur -= shift
            search -= shift

    first = next_separator(0)
    if first != 0:
        while first < 0 and not w.eof:
            w.refill(0)
        end = len(w.buf) if first < 0 else first
        if end:
            yield Piece(offset=0, from_line=b"", raw=w.buf[:end], trailer=b"", junk=True)
        if first < 0:
            return
        cur = first
    while True:
        nl = w.buf.find(b"\n", cur)
        from_end = len(w.buf) if nl < 0 else nl + 1
        rel_from = from_end - cur
        nxt = next_separator(from_end)
        from_end = cur + rel_from
        offset = w.base + cur
        if nxt < 0:
            raw, trailer = _split_trailer(w.buf[from_end:])
            yield Piece(offset, w.buf[cur:from_end], raw, trailer)
            return
        raw, trailer = _split_trailer(w.buf[from_end:nxt])
        yield Piece(offset, w.buf[cur:from_end], raw, trailer)
        cur = nxt


def looks_like_message(raw: bytes) -> bool:
    """True when `raw` starts with an RFC 5322 header field (after optional blank lines)."""
    head = raw.lstrip(b"\r\n")[:1024]
    return _HEADER_LINE.match(head) is not None


def headers_terminated(raw: bytes) -> bool:
    """True when the header section ends with a blank line (or the message has a body)."""
    return b"\n\n" in raw or b"\n\r\n" in raw


def read_mbox(
    stream: BinaryIO, source: str, *, hash_messages: bool = True
) -> Iterator[RawMessage | Skipped]:
    """Split an mbox stream into messages; junk and truncated pieces become `Skipped`.

    `hash_messages=False` leaves `RawMessage.sha256` empty for the caller to fill when it
    needs it (the scanner hashes only the messages it keeps a record of).
    """
    pieces = split_pieces(stream)
    prev: Piece | None = None
    for piece in pieces:
        if prev is not None:
            yield from _emit(prev, source, last=False, hash_messages=hash_messages)
        prev = piece
    if prev is not None:
        yield from _emit(prev, source, last=True, hash_messages=hash_messages)


def _emit(
    piece: Piece, source: str, *, last: bool, hash_messages: bool = True
) -> Iterator[RawMessage | Skipped]:
    locator = Locator(path=source, offset=piece.offset)
    if piece.junk:
        if piece.raw.strip():
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
        sha256=hashlib.sha256(piece.raw).hexdigest() if hash_messages else "",
        offset=piece.offset,
        container="mbox",
        mbox_quoted=True,
    )


_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


def unquote_mboxrd(raw: bytes) -> bytes:
    """Undo `>From ` quoting (mboxrd rule, which also covers mboxo's `>From `)."""
    if b">From " not in raw:
        return raw
    return _QUOTED_FROM.sub(rb"\1", raw)


class MboxSource:
    """An mbox file (mboxo, mboxrd, mboxcl): a `From ` separator line starts the file."""

    type = SourceType.MBOX
    gzip = True
    requires: tuple[Requirement, ...] = ()

    def sniff(self, head: bytes, path: str) -> Detected | None:
        first_line = head[: head.find(b"\n") + 1] or head
        if head.startswith(b"From ") and is_from_line(first_line):
            return Detected(SourceType.MBOX)
        return None

    def read(self, inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
             ) -> Iterator[RawMessage | Skipped | Note]:
        return read_mbox(stream, inp.path, hash_messages=hash_messages)
