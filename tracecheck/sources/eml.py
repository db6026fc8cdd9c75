"""One-message files (`.eml`, Maildir messages) as a source.

Owns the recognition of a file that starts with an RFC 5322 header block holding mail header
fields (an exporter's leading `From sender` envelope line allowed), the `maildir` label for a
file that sits in a Maildir's cur/new/tmp, and the reading of the file as one `RawMessage`
with its bytes unaltered and hashed. Never parses MIME.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tracecheck.deps import Requirement
from tracecheck.model import Locator, Note, RawMessage, Skipped
from tracecheck.sources.base import Detected, InputFile, SourceType

_MAIL_HEADERS = frozenset(
    b"from to cc subject date message-id received return-path mime-version delivered-to "
    b"x-original-to sender reply-to content-type x-gm-thrid".split()
)


def _header_names(head: bytes) -> list[bytes] | None:
    """Header field names at the start of `head`, or None if it is not a header block."""
    names: list[bytes] = []
    for line in head.lstrip(b"\r\n").splitlines()[:200]:
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

    A leading envelope line (`From sender` without a date, as some exporters write) is
    allowed; the stdlib parser keeps it as the unix-from line.
    """
    if head.startswith(b"From ") and b":" not in head[: head.find(b"\n")]:
        head = head[head.find(b"\n") + 1 :]
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
        raw = stream.read()
        yield RawMessage(
            source=inp.path,
            locator=Locator(path=inp.path),
            raw=raw,
            sha256=hashlib.sha256(raw).hexdigest(),
            container=inp.container or "eml",
        )
