"""One-message files (`.eml`, Maildir messages) as a source.

Owns the recognition of a file that starts with an RFC 5322 header block holding mail header
fields (an exporter's leading `From sender` envelope line allowed; a byte-order mark or blank
lines before the block too), the `maildir` label for a file that sits in a Maildir's
cur/new/tmp, and the reading of the file as one `RawMessage`: the bytes from the header block
on, unaltered and hashed (a note says when a byte-order mark or blank lines came first); a file
longer than the reader's bound comes as its first bytes and a stream of the rest. Never parses
MIME.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tracecheck.deps import Requirement
from tracecheck.model import Locator, Note, NoteKind, RawMessage, Skipped
from tracecheck.sources.base import Detected, InputFile, SourceType

_MAIL_HEADERS = frozenset(
    b"from to cc subject date message-id received return-path mime-version delivered-to "
    b"x-original-to sender reply-to content-type x-gm-thrid".split()
)


BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 20


def lead_length(data: bytes) -> int:
    """How many bytes before the first line that holds something: a UTF-8 byte-order mark
    and lines that are empty or only spaces and tabs (exporters and hand-saved files put
    them there; a parser takes an empty first line for the end of the headers)."""
    pos = len(BOM) if data.startswith(BOM) else 0
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0 or data[pos:nl].strip(b" \t\r"):
            return pos
        pos = nl + 1


def _header_names(head: bytes) -> list[bytes] | None:
    """Header field names at the start of `head`, or None if it is not a header block.
    Every line of the block within `head` counts (a block of hundreds of Received, ARC or
    X- fields can come before the first field that says it is mail)."""
    names: list[bytes] = []
    for line in head.splitlines():
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            if not names:
                return None
            continue
        name, colon, _ = line.partition(b":")
        name = name.rstrip(b" \t")  # obsolete syntax allows "From  :"
        if not colon or not name or any(c <= 32 or c > 126 for c in name):
            return None if len(names) < 2 else names
        names.append(name.lower())
    return names


def looks_like_eml(head: bytes) -> bool:
    """True when `head` starts with an RFC 5322 header block holding mail header fields.

    A byte-order mark and blank lines may come first (`lead_length`). A leading envelope
    line (`From sender` without a date, as some exporters write) is allowed at the very
    start; the stdlib parser keeps it as the unix-from line. After a byte-order mark or blank
    lines a `From ` line is left to the mbox detector.
    """
    lead = lead_length(head)
    if head.startswith(b"From ") and b":" not in head[: head.find(b"\n")]:
        head = head[head.find(b"\n") + 1 :]
    elif lead:
        head = head[lead:]
        if head.startswith(b"From "):
            return False
    names = _header_names(head)
    return bool(names) and any(n in _MAIL_HEADERS for n in names or ())


def maildir_of(path: str) -> str:
    """`maildir` when `path` sits in the cur/new/tmp folder of a Maildir, else ``."""
    parent = Path(path).parent
    if parent.name in ("cur", "new", "tmp") and (parent.parent / "cur").is_dir() and (
        parent.parent / "new"
    ).is_dir():
        return "maildir"
    return ""


def _read_up_to(stream: BinaryIO, n: int) -> bytes:
    """`n` bytes, or all there are (a raw stream may give fewer a read)."""
    chunks: list[bytes] = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class EmlSource:
    """A file holding one message."""

    type = SourceType.EML
    gzip = True
    requires: tuple[Requirement, ...] = ()

    def sniff(self, head: bytes, path: str) -> Detected | None:
        if not looks_like_eml(head):
            return None
        return Detected(SourceType.EML, container=maildir_of(path))

    def read(self, inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
             ) -> Iterator[RawMessage | Skipped | Note]:
        return self._read(inp, stream, None)

    def read_bounded(self, inp: InputFile, stream: BinaryIO, max_message_bytes: int, *,
                     hash_messages: bool = True) -> Iterator[RawMessage | Skipped | Note]:
        return self._read(inp, stream, max_message_bytes)

    def _read(self, inp: InputFile, stream: BinaryIO, max_bytes: int | None
              ) -> Iterator[RawMessage | Skipped | Note]:
        data = stream.read() if max_bytes is None else _read_up_to(stream, max_bytes + 1)
        lead = lead_length(data)
        raw = data[lead:]
        rest = None
        if max_bytes is not None and len(data) > max_bytes:  # the rest is read as scanned
            rest = iter(lambda: stream.read(CHUNK), b"")
        yield RawMessage(
            source=inp.path,
            locator=Locator(path=inp.path),
            raw=raw,
            sha256="" if rest is not None else hashlib.sha256(raw).hexdigest(),
            container=inp.container or "eml",
            rest=rest,
        )
        if lead:
            yield Note(locator=Locator(path=inp.path), kind=NoteKind.SOURCE,
                       reason=f"eml: the {lead} byte(s) before the header block (a byte-order "
                              "mark, blank lines) are not part of the message or its hash")
