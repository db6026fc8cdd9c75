"""Input discovery and content sniffing: paths → typed input files, or skips.

Owns the walk (recursive, sorted, symlinked folders followed once, loops refused, links that
point outside the folder given listed instead of followed unless asked) and the
type decision for each file found: its first 64 KiB (gunzipped when it is gzip) go to the
sources registry (`tracecheck.sources.registry`, fixed precedence order), never the file name.
A file no source claims is listed as unsupported, with the type libmagic names. Reading is
`registry.read_messages`; opening is `sources.evidence`. Never parses MIME.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from tracecheck.errors import InputError
from tracecheck.model import ExtractLimits, Locator, Note, RawMessage, SkipKind, Skipped
from tracecheck.sniff import sniff
from tracecheck.sources import registry
from tracecheck.sources.base import InputFile, SourceType
from tracecheck.sources.eml import looks_like_eml
from tracecheck.sources.evidence import HashingReader, SalvagingGzip, open_evidence, open_stream

__all__ = [
    "HEAD", "HashingReader", "InputFile", "SalvagingGzip", "SourceType", "discover",
    "looks_like_eml", "open_evidence", "open_stream", "read_messages", "sniff_file", "walk",
]

HEAD = 65536
GZIP_MAGIC = b"\x1f\x8b"


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
    found = registry.detect(head, path, gz=gz)
    if found is not None:
        return InputFile(path=path, kind=found.type, gz=gz, log_format=found.log_format,
                         container=found.container, size=size)
    mime = sniff(head)
    what = f"{mime} inside gzip" if gz else mime
    return Skipped(locator=Locator(path=path), kind=SkipKind.UNSUPPORTED,
                   reason=f"unsupported file type: {what}")


def walk(paths: list[str], *, follow_symlinks: bool = False) -> Iterator[str | Skipped]:
    """Files under each path: folders recursively in sorted order, symlink loops refused.

    A symlink found in a folder that points outside the folder given (after every link is
    resolved) is not followed but listed as `outside-root`, unless `follow_symlinks`: a scan
    of an export must not read whatever a link in it names (`/etc/shadow`). Links that stay
    inside are followed, and a path given itself is always read."""
    for raw in paths:
        if not os.path.lexists(raw):
            raise InputError(f"no such file or folder: {raw}")
        if os.path.isdir(raw):
            top = None if follow_symlinks else os.path.realpath(raw)
            yield from _walk_dir(raw, set(), top)
        elif os.path.isfile(raw):
            yield raw
        else:
            yield Skipped(locator=Locator(path=raw), kind=SkipKind.UNSUPPORTED,
                          reason="not a regular file")


def _inside(path: str, top: str) -> bool:
    """True when `path`, every link resolved, is `top` or lies under it."""
    real = os.path.realpath(path)
    return os.path.commonpath((real, top)) == top


def _walk_dir(root: str, seen: set[tuple[int, int]], top: str | None
              ) -> Iterator[str | Skipped]:
    """`top`: the real path of the folder given, when links must stay inside it."""
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
            if top is not None and entry.is_symlink() and not _inside(path, top):
                yield Skipped(locator=Locator(path=path), kind=SkipKind.OUTSIDE_ROOT,
                              reason="symlink to a place outside the folder scanned: not "
                                     "followed (--follow-symlinks follows it)")
            elif entry.is_dir(follow_symlinks=True):
                yield from _walk_dir(path, seen, top)
            elif entry.is_file(follow_symlinks=True):
                yield path
            elif entry.is_symlink() and not os.path.exists(path):
                yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                              reason="broken symlink")
            else:  # a device, a FIFO, a socket, or a link to one
                yield Skipped(locator=Locator(path=path), kind=SkipKind.UNSUPPORTED,
                              reason="not a regular file")
        except OSError as exc:
            yield Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                          reason=f"unreadable: {exc.strerror}")
    seen.discard(key)


def discover(paths: list[str], *, follow_symlinks: bool = False
             ) -> Iterator[InputFile | Skipped]:
    """Walk and sniff: every file found becomes an InputFile or a Skipped (`walk` says
    which symlinks are followed).

    Raises `MissingDependencyError` first when a package a source needs is not installed."""
    registry.unavailable()
    order = 0
    for item in walk(paths, follow_symlinks=follow_symlinks):
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
    inp: InputFile, stream: BinaryIO, *, hash_messages: bool = True,
    limits: ExtractLimits | None = None,
) -> Iterator[RawMessage | Skipped | Note]:
    """Messages of an input file from its (decompressed) stream, by its type's source (an
    archive within `limits`)."""
    return registry.read_messages(inp, stream, hash_messages=hash_messages, limits=limits)
