"""The sources extension point: the input types, the input file record, and the interfaces a
source implements.

Owns `SourceType` (every kind of input file tracecheck recognises), `InputFile` (one file and
its detected type), `Detected` (what a sniffer found) and the protocols: a `Detector`
recognises its type from a file's first bytes; a `Source` is a detector that also reads the
file's messages; a `BoundedSource` reads a message longer than a bound without holding it
whole; a `NestingSource` reads the files held in its file (archives) within limits.
The registry that puts them in order is `tracecheck.sources.registry`. Never opens a file
and never parses anything.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from tracecheck.deps import Requirement
from tracecheck.model import ExtractLimits, Note, RawMessage, Skipped


class SourceType(enum.StrEnum):
    """The kinds of input file tracecheck recognises (`InputFile.kind`)."""

    MBOX = "mbox"
    EML = "eml"
    """One RFC 5322 message per file (Maildir messages included)."""
    MSG = "msg"
    """An Outlook item (OLE compound file)."""
    PST = "pst"
    """An Outlook PST/OST store."""
    TNEF = "tnef"
    """A standalone TNEF file (`winmail.dat`): one Outlook message in Transport Neutral
    Encapsulation Format."""
    ZIP = "zip"
    """A zip archive (an eDiscovery export): every member read by its own type's source."""
    TAR = "tar"
    """A tar archive, gzipped or not (`.tar`, `.tar.gz`, `.tgz`): as zip."""
    LOG = "log"
    """A mail-server or audit log (read by `tracecheck.logs`, not as messages)."""


@dataclass(frozen=True, slots=True)
class Detected:
    """What a detector recognised in a file's first bytes."""

    type: SourceType
    log_format: str = ""
    """For logs: the format name `tracecheck.logs` reads it with."""
    container: str = ""
    """For eml files: `maildir` when the file sits in a Maildir's cur/new/tmp."""


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read, with its detected type."""

    path: str
    kind: SourceType
    """The detected type; a name that is not a `SourceType` is refused on construction."""
    gz: bool = False
    log_format: str = ""
    container: str = ""
    """For eml files: `maildir` when the file sits in a Maildir's cur/new/tmp."""
    size: int = 0
    order: int = 0
    member: str = ""
    """Set when this is a member of an archive (`sources.archive`): its escaped name there,
    `path` being the archive's. Its bytes are then only in the `stream` a source is given
    (seekable for the types that need random access); a source never opens `path` for it."""

    def __post_init__(self) -> None:
        # An unknown type is an error here, where it is made, not a silent skip later.
        object.__setattr__(self, "kind", SourceType(self.kind))


class Detector(Protocol):
    """Recognises one input type from the first bytes of a file."""

    type: SourceType
    gzip: bool
    """True when the type is also recognised (and read) inside a gzip file."""
    requires: tuple[Requirement, ...]
    """Packages it needs to read its type (optional ones make only this type unavailable)."""

    def sniff(self, head: bytes, path: str) -> Detected | None:
        """What the file is, from its first 64 KiB (decompressed for gzip), or None.

        `path` only places the file (a Maildir folder; empty for a member of an archive);
        the type comes from the bytes."""
        ...


@runtime_checkable
class Source(Detector, Protocol):
    """A detector for a mail container that also reads the messages in it."""

    def read(self, inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
             ) -> Iterator[RawMessage | Skipped | Note]:
        """Every message of the file (or a `Skipped` saying why one is not there), and notes.

        `stream` is the file's (decompressed) content; a source that needs random access
        (MSG, PST) opens `inp.path` read-only itself. `hash_messages=False` lets a source
        whose hashing is costly (mbox) leave `RawMessage.sha256` empty for the caller."""
        ...


@runtime_checkable
class BoundedSource(Source, Protocol):
    """A source whose messages may be larger than memory should hold (mbox, eml)."""

    def read_bounded(self, inp: InputFile, stream: BinaryIO, max_message_bytes: int, *,
                     hash_messages: bool = True) -> Iterator[RawMessage | Skipped | Note]:
        """As `read`, but a message longer than `max_message_bytes` comes as its first bytes
        and a stream of the rest (`RawMessage.rest`), never read whole."""
        ...


@runtime_checkable
class NestingSource(Source, Protocol):
    """A source whose file holds other files (an archive), read within `ExtractLimits`."""

    def read_nested(self, inp: InputFile, stream: BinaryIO, limits: ExtractLimits, *,
                    hash_messages: bool = True) -> Iterator[RawMessage | Skipped | Note]:
        """As `read`, applying `limits` (depth, members, expanded size, ratio) to everything
        in the file; `read` applies the default limits."""
        ...
