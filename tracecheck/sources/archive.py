"""Archives as sources: a zip (an eDiscovery export) or a tar, gzipped or not (an IT hand-off).

Owns the recognition of zip and tar files by content (never by name: a zip is a `PK` local
header that neither libmagic nor its first entries call a document; a tar is a header block
whose checksum holds),
the walk over their members, streamed and never written to disk (a zip through its central
directory, a tar front to back, a gzipped member expanded in memory within the limits), the
member locator (`export.zip:Export/0001.eml`, `export.zip:inner.tar:a.eml`,
`export.zip:inbox.mbox@120`, `export.zip:box.pst:/Inbox/#3`; member names escaped so that no
two members render alike), the `ExtractLimits` of one archive (`tracecheck.limits`: one budget
for everything in it, nested archives included) and the listing of every member that is not
read, with its reason. Each member is sniffed by the sources registry and read by the source
of its type, so its messages keep their own hashes; the archive's own hash is taken by the
caller over the file, as for every input. Log files inside an archive are listed, not read
(the log readers read files on disk, in rotated sets). Never parses MIME.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, BinaryIO, cast

from tracecheck.deps import Requirement
from tracecheck.limits import (
    Budget,
    expansion_cap,
    further_members,
    gzip_declared_refusal,
    members_exhausted,
    ratio_cap,
    read_bounded,
    refusal,
)
from tracecheck.model import ExtractLimits, Locator, Note, RawMessage, SkipKind, Skipped
from tracecheck.sniff import sniff
from tracecheck.sources.base import Detected, InputFile, SourceType
from tracecheck.sources.evidence import SalvagingGzip, open_evidence

Item = RawMessage | Skipped | Note

HEAD = 65536
"""Bytes of a member its type is sniffed from (as for a file: `sources.files.HEAD`)."""
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
ZIP_MIMES = frozenset({"application/zip", "application/x-zip-compressed", "application/x-zip",
                       "application/octet-stream"})
"""What libmagic calls a plain zip (octet-stream when it cannot tell); documents in zip form
(DOCX, XLSX, ODF, EPUB, JAR) have types of their own and are not archives here."""
_DAMAGE = (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, zlib.error)
"""What reading a member's bytes raises on a damaged or truncated archive (zipfile's CRC and
header checks, tarfile, the gzip layer)."""


def member_name(name: str) -> str:
    """A member's name as written in a locator: `%`, `:`, `#`, `;`, control characters, an
    `@` before a digit and undecodable bytes become `%XX` (their UTF-8 or original bytes), so
    that a name never reads as a nesting (`:`), an offset (`@N`), a place in a message
    (`#`) or a repeat (`;N`)."""
    out: list[str] = []
    for i, ch in enumerate(name):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte the archive's name encoding could not decode
            out.append(f"%{code - 0xDC00:02X}")
        elif (ch in "%:#;" or code < 0x20 or 0x7F <= code <= 0x9F
              or (ch == "@" and name[i + 1:i + 2] in tuple("0123456789"))):
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
        else:
            out.append(ch)
    return "".join(out)


def _document_kind(names: set[str]) -> str | None:
    """What a zip is when it is a document in zip form rather than an archive of files."""
    if "[Content_Types].xml" in names or "_rels/.rels" in names:
        return "an Office Open XML document"
    if "mimetype" in names:
        return "an OpenDocument or EPUB file"
    if "META-INF/MANIFEST.MF" in names:
        return "a Java archive"
    return None


def _local_names(head: bytes) -> set[str]:
    """Names of the zip entries whose local headers lie in `head`, in order, up to the first
    entry whose size is only given after its data."""
    names: set[str] = set()
    pos = 0
    while head[pos:pos + 4] == b"PK\x03\x04" and pos + 30 <= len(head):
        flags = struct.unpack_from("<H", head, pos + 6)[0]
        packed = struct.unpack_from("<I", head, pos + 18)[0]
        name_len, extra_len = struct.unpack_from("<HH", head, pos + 26)
        names.add(head[pos + 30:pos + 30 + name_len].decode("utf-8", "replace"))
        if flags & 0x08 and not packed:
            break
        pos += 30 + name_len + extra_len + packed
    return names


def _tar_checksum_holds(block: bytes) -> bool:
    """True when a 512-byte block is a tar header: its stored checksum (octal) matches the
    sum of its bytes with the checksum field read as spaces (unsigned or, as some old tars
    wrote it, signed)."""
    field = block[148:156].replace(b"\x00", b" ").strip()
    if not field or any(c not in b"01234567" for c in field):
        return False
    stored = int(field, 8)
    rest = block[:148] + b" " * 8 + block[156:512]
    unsigned = sum(rest)
    signed = sum(b - 256 if b > 127 else b for b in rest)
    return stored in (unsigned, signed)


class _Capped(io.RawIOBase):
    """A decompressed stream that refuses to give more than `cap` bytes (a gzip bomb in the
    shape of a `.tar.gz` given as input): past it, reading raises `_CapReached`."""

    def __init__(self, inner: BinaryIO, cap: int) -> None:
        self.inner = inner
        self.left = cap

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(b))
        if len(data) > self.left:
            raise _CapReached
        self.left -= len(data)
        b[:len(data)] = data
        return len(data)


class _CapReached(Exception):
    """A `_Capped` stream reached its cap."""


class _Rejoined(io.RawIOBase):
    """The bytes already read to sniff a member, then the rest of its stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.head:
            n = min(len(b), len(self.head))
            b[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(b))
        b[:len(data)] = data
        return len(data)


class _UpToDamage(io.RawIOBase):
    """What a gzip stream held before it was cut short or damaged, then its end."""

    def __init__(self, inner: SalvagingGzip) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        return 0 if self.inner.error is not None else self.inner.readinto(b)


@dataclasses.dataclass
class _Walk:
    """One archive given as input: its path, its budget, and how its members are read."""

    path: str
    budget: Budget
    hash_messages: bool

    @property
    def limits(self) -> ExtractLimits:
        return self.budget.limits

    def skip(self, item: str, kind: SkipKind, reason: str) -> Skipped:
        return Skipped(locator=Locator(path=self.path, item=item), kind=kind, reason=reason)

    # --- containers ----------------------------------------------------------------------

    def zip(self, zf: zipfile.ZipFile, outer: str, depth: int) -> Iterator[Item]:
        """The members of an open zip; `outer` is its own item (`` for the input file)."""
        infos = [i for i in zf.infolist() if not i.is_dir()]
        document = _document_kind({i.filename for i in infos})
        if document is not None:
            yield self.skip(outer, SkipKind.UNSUPPORTED,
                            f"unsupported file type: {document} (a zip, not an archive of files)")
            return
        names = _Names(outer)
        for pos, info in enumerate(infos):
            item = names.item(info.filename)
            if info.flag_bits & 0x1:
                yield self.skip(item, SkipKind.ENCRYPTED,
                                "encrypted: not scanned (password-protected zip member)")
                continue
            refused = self.admit(item, info.file_size, info.compress_size, "zip", depth)
            if refused is not None:
                yield refused
                if members_exhausted(self.budget):
                    yield from self.rest(outer, len(infos) - pos - 1)
                    return
                continue
            try:
                fh = zf.open(info)
            except NotImplementedError:  # Deflate64, say: what it holds is unknown
                yield self.skip(item, SkipKind.UNREADABLE,
                                f"zip: compression method {info.compress_type} not supported")
                continue
            except Exception as exc:  # zipfile: a damaged or hostile local header
                yield self.skip(item, SkipKind.UNREADABLE,
                                f"zip: member unreadable ({type(exc).__name__})")
                continue
            with fh:
                yield from self.guarded(item, self.member(item, fh, depth + 1,
                                                          info.compress_size))

    def tar(self, stream: IO[bytes], outer: str, depth: int) -> Iterator[Item]:
        """The members of a tar stream, front to back (it is never seeked)."""
        try:
            tf = tarfile.open(fileobj=stream, mode="r|")
        except _CapReached:
            yield self.bomb(outer)
            return
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            yield self.skip(outer, SkipKind.UNREADABLE,
                            f"tar: not a readable archive ({type(exc).__name__})")
            return
        names = _Names(outer)
        with tf:
            while True:
                try:
                    info = tf.next()
                except _CapReached:
                    yield self.bomb(outer)
                    return
                except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                    yield self.skip(outer, SkipKind.TRUNCATED,
                                    f"tar: archive truncated or damaged ({type(exc).__name__}); "
                                    "members after this point not read")
                    return
                if info is None:
                    return
                if info.isdir():
                    continue
                item = names.item(info.name)
                if not info.isfile():
                    what = "a link" if info.issym() or info.islnk() else "a device or pipe"
                    yield self.skip(item, SkipKind.UNSUPPORTED,
                                    f"not a regular file ({what} in the tar)")
                    continue
                refused = self.admit(item, info.size, None, "tar", depth)
                if refused is not None:
                    yield refused
                    if members_exhausted(self.budget):
                        # a stream is not read on to count what is left
                        yield self.skip(outer, SkipKind.LIMIT, "limit: further members not "
                                        f"opened (max_members {self.limits.max_members})")
                        return
                    continue
                try:
                    fh = tf.extractfile(info)
                except tarfile.TarError as exc:  # a member stream mode cannot give
                    yield self.skip(item, SkipKind.UNREADABLE,
                                    f"tar: member unreadable ({type(exc).__name__})")
                    continue
                if fh is None:  # pragma: no cover - isfile() members always have data
                    continue
                outcome: list[BaseException] = []
                yield from self.guarded(item, self.member(item, fh, depth + 1, None), outcome)
                if outcome:  # the tar stream itself is damaged: nothing after it can be read
                    if isinstance(outcome[0], _CapReached):
                        yield self.bomb(outer)
                    else:
                        yield self.skip(outer, SkipKind.TRUNCATED,
                                        "tar: archive truncated or damaged; members after "
                                        "this point not read")
                    return

    # --- one member ----------------------------------------------------------------------

    def admit(self, item: str, size: int, packed: int | None, label: str, depth: int
              ) -> Skipped | None:
        """The member's refusal by the limits (nothing charged then), or None."""
        if depth + 1 > self.limits.max_depth:
            return self.skip(item, SkipKind.LIMIT,
                             f"limit: nesting deeper than {self.limits.max_depth}")
        reason = refusal(self.budget, size, packed, label)
        return None if reason is None else self.skip(item, SkipKind.LIMIT, reason)

    def rest(self, outer: str, count: int) -> Iterator[Skipped]:
        if count > 0:
            yield self.skip(outer, SkipKind.LIMIT, further_members(count, self.limits))

    def bomb(self, outer: str) -> Skipped:
        return self.skip(outer, SkipKind.LIMIT,
                         f"limit: gz bomb refused (ratio over {int(self.limits.max_ratio)}); "
                         "members after this point not read")

    def guarded(self, item: str, items: Iterator[Item],
                outcome: list[BaseException] | None = None) -> Iterator[Item]:
        """A member's items; the archive failing under it (a bad CRC, a truncated stream)
        ends the member with a skip. `outcome` receives the error for the caller."""
        try:
            yield from items
        except (_CapReached, *_DAMAGE) as exc:
            if outcome is not None:
                outcome.append(exc)
                if isinstance(exc, _CapReached):
                    return
            yield self.skip(item, SkipKind.UNREADABLE,
                            f"archive member damaged ({type(exc).__name__}); what came before "
                            "the damage was read")

    def member(self, item: str, stream: IO[bytes], depth: int, packed: int | None,
               *, gz: bool = False) -> Iterator[Item]:
        """One admitted member: sniffed from its first bytes, then read by its type."""
        head = stream.read(HEAD)
        if not head:
            yield self.skip(item, SkipKind.UNSUPPORTED,
                            "empty gzip file" if gz else "empty file")
            return
        if head.startswith(GZIP_MAGIC) and not gz:
            yield from self.gunzipped(item, head + stream.read(), depth)
            return
        from tracecheck.sources import registry  # the registry imports this module

        found = registry.detect(head, "", gz=gz)
        rest = cast(IO[bytes], _Rejoined(head, stream))
        if found is None:
            mime = sniff(head)
            yield self.skip(item, SkipKind.UNSUPPORTED, "unsupported file type: "
                            + (f"{mime} inside gzip" if gz else mime))
        elif found.type is SourceType.LOG:
            yield self.skip(item, SkipKind.UNSUPPORTED,
                            f"log file ({found.log_format}) inside an archive: not read "
                            "(logs are read from files; extract the archive to scan them)")
        elif found.type is SourceType.ZIP:
            yield from self.nested_zip(item, rest, depth)
        elif found.type is SourceType.TAR:
            yield from self.tar(rest, item, depth)
        else:
            if found.type is SourceType.PST:  # libpff needs random access
                rest = io.BytesIO(rest.read())
            inner = InputFile(path=self.path, kind=found.type, gz=gz,
                              container=found.container, member=item)
            for got in registry.read_messages(inner, cast(BinaryIO, rest),
                                              hash_messages=self.hash_messages,
                                              limits=self.limits):
                yield placed(got, item)

    def nested_zip(self, item: str, stream: IO[bytes], depth: int) -> Iterator[Item]:
        data = stream.read()  # within the budget: the member was admitted at its size
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except Exception as exc:  # zipfile: anything it raises on a hostile central directory
            yield self.skip(item, SkipKind.UNREADABLE,
                            f"zip: not a readable archive ({type(exc).__name__})")
            return
        with zf:
            yield from self.zip(zf, item, depth)

    def gunzipped(self, item: str, data: bytes, depth: int) -> Iterator[Item]:
        """A gzipped member (`inbox.mbox.gz`, `logs.tar.gz` in a zip), expanded in memory
        within the ratio and the budget, then read as its content is."""
        bomb = gzip_declared_refusal(self.limits, data)
        if bomb is not None:
            yield self.skip(item, SkipKind.LIMIT, bomb)
            return
        cap, over = expansion_cap(self.budget, len(data), "gz")
        salvage = SalvagingGzip(gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb"))
        try:
            body = read_bounded(cast(IO[bytes], _UpToDamage(salvage)), cap)
        except (OSError, EOFError, zlib.error) as exc:  # nothing could be expanded
            yield self.skip(item, SkipKind.UNREADABLE,
                            f"corrupt or truncated gzip ({type(exc).__name__})")
            return
        if body is None:
            yield self.skip(item, SkipKind.LIMIT, over)
            return
        reason = refusal(self.budget, len(body), len(data), "gz")
        if reason is not None:
            yield self.skip(item, SkipKind.LIMIT, reason)
            return
        yield from self.member(item, io.BytesIO(body), depth, len(data), gz=True)
        if salvage.error is not None:
            yield self.skip(item, SkipKind.TRUNCATED,
                            "truncated or corrupt gzip; messages after this point not read")


class _Names:
    """Member items of one archive: escaped names under the archive's own item, a repeated
    name numbered (`a.eml;2`), so that every member has an item of its own."""

    def __init__(self, outer: str) -> None:
        self.prefix = f"{outer}:" if outer else ""
        self.seen: dict[str, int] = {}

    def item(self, name: str) -> str:
        text = member_name(name)
        count = self.seen.get(text, 0) + 1
        self.seen[text] = count
        return f"{self.prefix}{text}" if count == 1 else f"{self.prefix}{text};{count}"


def placed(got: Item, item: str) -> Item:
    """An item a member's source gave, its locator placed at the member: the member in
    `item` (before the source's own item, a PST folder), the offset kept (in the member)."""
    loc = got.locator
    where = Locator(path=loc.path, offset=loc.offset,
                    item=f"{item}:{loc.item}" if loc.item else item,
                    line=loc.line, within=loc.within)
    return dataclasses.replace(got, locator=where)


class ZipSource:
    """A zip archive: every member sniffed and read by its own type's source."""

    type = SourceType.ZIP
    gzip = False
    requires: tuple[Requirement, ...] = ()

    def sniff(self, head: bytes, path: str) -> Detected | None:
        if not head.startswith(ZIP_MAGIC) or sniff(head) not in ZIP_MIMES:
            return None
        # libmagic does not name every document: the first entries do (a DOCX or XLSX made
        # by another program is application/zip to it)
        return None if _document_kind(_local_names(head)) else Detected(SourceType.ZIP)

    def read(self, inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
             ) -> Iterator[Item]:
        return self.read_nested(inp, stream, ExtractLimits(), hash_messages=hash_messages)

    def read_nested(self, inp: InputFile, stream: BinaryIO, limits: ExtractLimits, *,
                    hash_messages: bool = True) -> Iterator[Item]:
        walk = _Walk(inp.path, Budget(limits), hash_messages)
        # zipfile needs random access: the file is opened again, read-only (the caller
        # hashes it through `stream`).
        with open_evidence(inp.path) as f:
            try:
                zf = zipfile.ZipFile(f)
            except Exception as exc:  # zipfile: anything it raises on a hostile directory
                yield walk.skip("", SkipKind.UNREADABLE,
                                f"zip: not a readable archive ({type(exc).__name__})")
                return
            with zf:
                yield from walk.zip(zf, "", 0)


class TarSource:
    """A tar archive, plain or gzipped: every member sniffed and read by its own type's
    source, the stream read once front to back."""

    type = SourceType.TAR
    gzip = True
    requires: tuple[Requirement, ...] = ()

    def sniff(self, head: bytes, path: str) -> Detected | None:
        if len(head) >= 512 and _tar_checksum_holds(head[:512]):
            return Detected(SourceType.TAR)
        return None

    def read(self, inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
             ) -> Iterator[Item]:
        return self.read_nested(inp, stream, ExtractLimits(), hash_messages=hash_messages)

    def read_nested(self, inp: InputFile, stream: BinaryIO, limits: ExtractLimits, *,
                    hash_messages: bool = True) -> Iterator[Item]:
        walk = _Walk(inp.path, Budget(limits), hash_messages)
        source: IO[bytes] = stream
        if inp.gz:  # a .tar.gz: its expansion is held to the ratio limit
            source = cast(IO[bytes], _Capped(stream, ratio_cap(limits, max(inp.size, 1))))
        yield from walk.tar(source, "", 0)
