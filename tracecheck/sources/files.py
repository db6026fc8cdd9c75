"""Input discovery and content sniffing: paths → typed input files, or skips.

Owns the walk (recursive, sorted, symlinked folders followed once, loops refused), read-only
opening (O_NOATIME where allowed, so reading evidence does not even touch access times),
gzip transparency, and type detection from content — python-magic plus structure checks —
never from the file name. Containers are a registry (`CONTAINERS`) of sniff/read pairs;
log formats are sniffed by `tracecheck.logs`. Never parses MIME.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tracecheck.errors import InputError
from tracecheck.model import Locator, RawMessage, SkipKind, Skipped
from tracecheck.sources.mbox import is_from_line, read_mbox

HEAD = 65536
GZIP_MAGIC = b"\x1f\x8b"
_MAIL_HEADERS = frozenset(
    b"from to cc subject date message-id received return-path mime-version delivered-to "
    b"x-original-to sender reply-to content-type x-gm-thrid".split()
)


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read, with its detected type."""

    path: str
    kind: str
    """mbox, eml, msg, pst, log."""
    gz: bool = False
    log_format: str = ""
    container: str = ""
    """For eml files: `maildir` when the file sits in a Maildir's cur/new/tmp."""
    size: int = 0
    order: int = 0


def open_evidence(path: str) -> BinaryIO:
    """Open a file read-only without updating its access time where the OS allows."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    try:
        fd = os.open(path, flags | noatime)
    except PermissionError:
        if not noatime:
            raise
        fd = os.open(path, flags)
    return os.fdopen(fd, "rb", buffering=1 << 20)


class HashingReader(io.RawIOBase):
    """Passes reads through and hashes every byte read from the underlying file."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.hasher = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(b))
        n = len(data)
        b[:n] = data
        self.hasher.update(data)
        self.count += n
        return n

    def finish(self) -> tuple[int, str]:
        """Read to the end (so the hash covers the whole file); return (bytes, sha256)."""
        while True:
            data = self.inner.read(1 << 20)
            if not data:
                break
            self.hasher.update(data)
            self.count += len(data)
        return self.count, self.hasher.hexdigest()


class SalvagingGzip(io.RawIOBase):
    """A gzip stream that hands over everything it could decompress before a truncation.

    `GzipFile.read(n)` discards the bytes it decompressed in a call that hits the end of a
    truncated file; reading through `read1` keeps them, and the error comes on the next read.
    """

    def __init__(self, inner: gzip.GzipFile) -> None:
        self.inner = inner
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.error is not None:
            raise self.error
        got = 0
        view = memoryview(b)
        while got < len(view):
            try:
                data = self.inner.read1(len(view) - got)
            except (EOFError, OSError, zlib.error) as exc:
                self.error = exc
                break
            if not data:
                break
            view[got : got + len(data)] = data
            got += len(data)
        if got == 0 and self.error is not None:
            raise self.error
        return got


@contextlib.contextmanager
def open_stream(inp: InputFile) -> Iterator[tuple[BinaryIO, HashingReader]]:
    """A binary stream of the (decompressed) content, and the hasher over the stored bytes."""
    with open_evidence(inp.path) as f:
        hasher = HashingReader(f)
        buffered = io.BufferedReader(hasher, buffer_size=1 << 20)
        if inp.gz:
            with gzip.GzipFile(fileobj=buffered, mode="rb") as gz:
                yield SalvagingGzip(gz), hasher  # type: ignore[misc]
        else:
            yield buffered, hasher


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


def _magic_mime(head: bytes) -> str:
    from tracecheck.content.extract import sniff

    return sniff(head)


Sniffer = Callable[[bytes], str | None]


def _outlook_sniffer() -> Sniffer | None:
    try:
        from tracecheck.sources.outlook import sniff_container
    except ImportError:
        return None
    return sniff_container


def _log_sniffer() -> Sniffer | None:
    try:
        from tracecheck.logs import sniff_log
    except ImportError:
        return None
    return sniff_log


def sniff_file(path: str) -> InputFile | Skipped:
    """Detect a file's type from its content."""
    try:
        size = os.stat(path).st_size
        with open_evidence(path) as f:
            head = f.read(HEAD)
    except OSError as exc:
        return Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                       reason=f"unreadable: {exc.strerror}")
    if not head:
        return Skipped(locator=Locator(path=path), kind=SkipKind.UNSUPPORTED, reason="empty file")
    gz = head.startswith(GZIP_MAGIC)
    if gz:
        try:
            with open_evidence(path) as f, gzip.GzipFile(fileobj=f) as g:
                head = SalvagingGzip(g).read(HEAD) or b""
        except (OSError, EOFError, zlib.error) as exc:
            if not head:
                return Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                               reason="corrupt gzip")
            return Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                           reason=f"corrupt or truncated gzip ({type(exc).__name__})")
        if not head:
            return Skipped(locator=Locator(path=path), kind=SkipKind.UNSUPPORTED,
                           reason="empty gzip file")
    outlook = _outlook_sniffer()
    if outlook is not None and not gz:
        kind = outlook(head)
        if kind:
            return InputFile(path=path, kind=kind, size=size)
    first_line = head[: head.find(b"\n") + 1] or head
    if head.startswith(b"From ") and is_from_line(first_line):
        return InputFile(path=path, kind="mbox", gz=gz, size=size)
    if looks_like_eml(head):
        return InputFile(path=path, kind="eml", gz=gz, container=_maildir_of(path), size=size)
    logs = _log_sniffer()
    if logs is not None:
        fmt = logs(head)
        if fmt:
            return InputFile(path=path, kind="log", gz=gz, log_format=fmt, size=size)
    mime = _magic_mime(head)
    what = f"{mime} inside gzip" if gz else mime
    return Skipped(locator=Locator(path=path), kind=SkipKind.UNSUPPORTED,
                   reason=f"unsupported file type: {what}")


def _maildir_of(path: str) -> str:
    parent = Path(path).parent
    if parent.name in ("cur", "new", "tmp") and (parent.parent / "cur").is_dir() and (
        parent.parent / "new"
    ).is_dir():
        return "maildir"
    return ""


def walk(paths: list[str]) -> Iterator[str | Skipped]:
    """Files under each path: folders recursively in sorted order, symlink loops refused."""
    for raw in paths:
        if not os.path.lexists(raw):
            raise InputError(f"no such file or folder: {raw}")
        if os.path.isdir(raw):
            yield from _walk_dir(raw, set())
        elif os.path.isfile(raw):
            yield raw
        else:
            yield Skipped(locator=Locator(path=raw), kind=SkipKind.UNSUPPORTED,
                          reason="not a regular file")


def _walk_dir(root: str, seen: set[tuple[int, int]]) -> Iterator[str | Skipped]:
    try:
        st = os.stat(root)
    except OSError as exc:
        yield Skipped(locator=Locator(path=root), kind=SkipKind.UNREADABLE,
                      reason=f"unreadable: {exc.strerror}")
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        yield Skipped(locator=Locator(path=root), kind=SkipKind.SYMLINK_LOOP,
                      reason="symlink loop: folder already visited")
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        yield Skipped(locator=Locator(path=root), kind=SkipKind.UNREADABLE,
                      reason=f"unreadable: {exc.strerror}")
        return
    for entry in entries:
        path = os.path.join(root, entry.name)
        try:
            if entry.is_dir(follow_symlinks=True):
                yield from _walk_dir(path, seen)
            elif entry.is_file(follow_symlinks=True):
                yield path
            elif entry.is_symlink():
                yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                              reason="broken symlink")
            else:
                yield Skipped(locator=Locator(path=path), kind=SkipKind.UNSUPPORTED,
                              reason="not a regular file")
        except OSError as exc:
            yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                          reason=f"unreadable: {exc.strerror}")
    seen.discard(key)


def discover(paths: list[str]) -> Iterator[InputFile | Skipped]:
    """Walk and sniff: every file found becomes an InputFile or a Skipped."""
    order = 0
    for item in walk(paths):
        if isinstance(item, Skipped):
            yield item
            continue
        found = sniff_file(item)
        if isinstance(found, InputFile):
            yield InputFile(path=found.path, kind=found.kind, gz=found.gz,
                            log_format=found.log_format, container=found.container,
                            size=found.size, order=order)
            order += 1
        else:
            yield found


def read_messages(
    inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True
) -> Iterator[RawMessage | Skipped]:
    """Messages of an mbox or single-message file from its (decompressed) stream."""
    if inp.kind == "mbox":
        yield from read_mbox(stream, inp.path, hash_messages=hash_messages)
        return
    if inp.kind == "eml":
        raw = stream.read()
        yield RawMessage(
            source=inp.path,
            locator=Locator(path=inp.path),
            raw=raw,
            sha256=hashlib.sha256(raw).hexdigest(),
            container=inp.container or "eml",
        )
        return
    raise InputError(f"{inp.path}: cannot read {inp.kind} as messages")  # pragma: no cover
