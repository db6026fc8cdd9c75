"""The sources registry: one entry per `SourceType`, tried in a fixed precedence order.

Owns which detector recognises which type, the order they are asked in, the lookup of the
source that reads a detected file's messages, and the check that every source's packages are
installed. The order is the registry's (insertion) order, and it matters:

1. `pst`, 2. `msg`: binary signatures (`!BDN`; an OLE compound file whose directory holds MSG
   streams) that no text format can start with. Never looked for inside gzip.
3. `tnef`: the TNEF signature (`winmail.dat`), binary too.
4. `zip`: a `PK` local header that libmagic does not call a document (DOCX, ODF, EPUB, JAR
   are zips too, and stay unsupported). Never looked for inside gzip.
5. `tar`: a 512-byte header block whose checksum holds (`.tar`, and `.tar.gz`/`.tgz` inside
   gzip).
6. `mbox`: the first line (after a byte-order mark) is a separator by `mbox.is_separator`: a
   `From ` line with a sender and a date, or any `From ` line followed by a header field
   (`From - `, `From <id>@xxx`). A one-message file that starts with an envelope `From sender`
   line is therefore read as an mbox of one message.
7. `eml`: an RFC 5322 header block. After mbox, so that an envelope line never hides the
   messages after it.
8. `log`: mail-server and audit logs (`tracecheck.logs.sniff_log`). Last, because the log
   sniffer refuses mail itself but a header block can hold text that looks like a log line.

Archive members are sniffed by the same registry (`detect`) and read by the same sources
(`read_messages`, with `InputFile.member` set): `sources.archive`.

A file no detector claims is listed as unsupported by `files.sniff_file`. A type with no
reader is an error (`NoReaderError`), never a silent skip. Never opens files.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import BinaryIO

from tracecheck.deps import Requirement, check
from tracecheck.model import ExtractLimits, Note, RawMessage, Skipped
from tracecheck.sources.archive import TarSource, ZipSource
from tracecheck.sources.base import (
    BoundedSource,
    Detected,
    Detector,
    InputFile,
    NestingSource,
    Source,
    SourceType,
)
from tracecheck.sources.eml import EmlSource
from tracecheck.sources.mbox import MboxSource
from tracecheck.sources.msg import MsgSource
from tracecheck.sources.pst import PstSource
from tracecheck.sources.tnef import TnefSource


class NoReaderError(LookupError):
    """An input type that has no message reader (a bug: such a file never reaches a scan)."""


class LogFiles:
    """Mail-server and audit logs: recognised here, read by `tracecheck.logs` (rotated sets
    together, so that year-less stamps chain), never as messages."""

    type = SourceType.LOG
    gzip = True
    requires: tuple[Requirement, ...] = ()

    def sniff(self, head: bytes, path: str) -> Detected | None:
        from tracecheck.logs.sniff import sniff_log  # the log readers load only when needed

        fmt = sniff_log(head)
        return Detected(SourceType.LOG, log_format=fmt) if fmt else None


REGISTRY: dict[SourceType, Detector] = {
    d.type: d for d in (PstSource(), MsgSource(), TnefSource(), ZipSource(), TarSource(),
                        MboxSource(), EmlSource(), LogFiles())
}
"""Every input type's detector, in precedence order (see the module docstring)."""


def detect(head: bytes, path: str, *, gz: bool = False) -> Detected | None:
    """The first type, in precedence order, whose detector claims `head` (the first 64 KiB,
    decompressed for a gzip file, `gz`), or None."""
    for detector in REGISTRY.values():
        if gz and not detector.gzip:
            continue
        found = detector.sniff(head, path)
        if found is not None:
            return found
    return None


def source_for(kind: SourceType) -> Source:
    """The source that reads files of type `kind` as messages; `NoReaderError` when none."""
    entry = REGISTRY.get(kind)
    if entry is None:
        raise NoReaderError(f"no source is registered for input type {kind!r}")
    if not isinstance(entry, Source):
        raise NoReaderError(f"{kind} files are not read as messages "
                            "(tracecheck.logs reads log files)")
    return entry


def read_messages(inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True,
                  limits: ExtractLimits | None = None) -> Iterator[RawMessage | Skipped | Note]:
    """The messages of one input file, from its (decompressed) stream, by its type's source;
    an archive is read within `limits` (the defaults when None), and a message longer than
    `limits.max_message_bytes` is never held whole (`BoundedSource`; when limits are given)."""
    source = source_for(inp.kind)
    if limits is not None and isinstance(source, NestingSource):
        return source.read_nested(inp, stream, limits, hash_messages=hash_messages)
    if limits is not None and isinstance(source, BoundedSource):
        return source.read_bounded(inp, stream, limits.max_message_bytes,
                                   hash_messages=hash_messages)
    return source.read(inp, stream, hash_messages=hash_messages)


@functools.cache
def unavailable() -> tuple[tuple[SourceType, Requirement], ...]:
    """Types whose optional packages are not installed (`pst` without the extra), after
    raising `MissingDependencyError` for any required package that is missing."""
    out: list[tuple[SourceType, Requirement]] = []
    for kind, detector in REGISTRY.items():
        out.extend((kind, req) for req in check(f"the {kind} source", detector.requires))
    return tuple(out)
