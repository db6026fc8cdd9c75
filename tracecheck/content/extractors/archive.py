"""ZIP and tar archives: hand every member back to the dispatcher, within the limits.

Owns member enumeration, the zip-bomb and budget checks made on declared sizes *before* any
member is expanded (reads are bounded by the declared size as well), encrypted-member
detection, and the hand-over of zips that are really Office/OpenDocument files. Never guesses
what a member holds (the dispatcher sniffs it) and never writes members to disk.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Iterator

from tracecheck.content.extract import (
    Context,
    Extracted,
    Member,
    Unreadable,
    library,
    register,
)
from tracecheck.content.extractors._budget import admit, read_bounded
from tracecheck.deps import Requirement
from tracecheck.limits import further_members
from tracecheck.model import Locator, SkipKind, Skipped

ZIP_MIMES = frozenset({
    "application/zip", "application/x-zip-compressed", "application/x-zip",
    "application/java-archive", "application/epub+zip",
})
TAR_MIMES = frozenset({"application/x-tar", "application/x-gtar", "application/x-ustar"})


def _office_delegate(names: set[str]) -> str | None:
    """Name of the document extractor for a zip that is really an Office/ODF file."""
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    if "mimetype" in names and "content.xml" in names:
        return "odf"
    return None


class ZipExtractor:
    """ZIP members as `Member("zip:path", bytes)`."""

    name = "zip"
    requires: tuple[Requirement, ...] = ()

    def accepts(self, mime: str, head: bytes) -> bool:
        # libmagic names some valid zips (an OOXML file whose first entry is not the one it
        # expects) application/octet-stream; the local-header signature settles it.
        return mime in ZIP_MIMES or (mime == "application/octet-stream"
                                     and head.startswith((b"PK\x03\x04", b"PK\x05\x06")))

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            yield Skipped(locator=Locator(), kind=SkipKind.UNREADABLE,
                          reason="zip: not a readable archive")
            return
        except Exception as exc:  # zipfile: anything else it raises on a hostile directory
            raise Unreadable(exc) from exc
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            delegate = _office_delegate({i.filename for i in infos})
            if delegate is not None:
                yield from _delegate(delegate, data, ctx)
                return
            for pos, info in enumerate(infos):
                loc = f"zip:{info.filename}"
                if info.flag_bits & 0x1:
                    yield Skipped(locator=Locator(within=loc), kind=SkipKind.ENCRYPTED,
                                  reason="encrypted: not scanned (password-protected zip member)")
                    continue
                refused = admit(ctx, loc, info.file_size, info.compress_size, "zip")
                if refused is not None:
                    yield refused
                    if refused.reason.startswith("limit: more than"):
                        yield from _rest_not_opened("zip", len(infos) - pos - 1, ctx)
                        return
                    continue
                try:
                    with zf.open(info) as fh:
                        body = read_bounded(fh, info.file_size)
                except NotImplementedError:
                    yield Skipped(locator=Locator(within=loc), kind=SkipKind.UNSUPPORTED,
                                  reason=f"zip: compression method {info.compress_type} "
                                         "not supported")
                    continue
                except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                    yield Skipped(locator=Locator(within=loc), kind=SkipKind.UNREADABLE,
                                  reason=f"zip: member unreadable ({type(exc).__name__})")
                    continue
                except Exception as exc:  # zipfile/zlib: anything else on a hostile member
                    raise Unreadable(exc) from exc
                if body is None:  # pragma: no cover - zipfile stops at the declared size
                    yield Skipped(locator=Locator(within=loc), kind=SkipKind.LIMIT,
                                  reason="limit: member larger than its declared size")
                    continue
                yield Member(loc, body)


def _rest_not_opened(label: str, rest: int, ctx: Context) -> Iterator[Skipped]:
    """One skip counting the members after the first refused one (not one skip each: a
    hostile archive can hold millions)."""
    if rest > 0:
        yield Skipped(locator=Locator(within=f"{label}:"), kind=SkipKind.LIMIT,
                      reason=further_members(rest, ctx.limits))


def _delegate(kind: str, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
    # Imported here: the document modules import this one's helpers indirectly.
    if kind == "docx":
        from tracecheck.content.extractors.word import DocxExtractor

        yield from DocxExtractor().extract(data, ctx)
    elif kind == "xlsx":
        from tracecheck.content.extractors.sheet import XlsxExtractor

        yield from XlsxExtractor().extract(data, ctx)
    else:
        from tracecheck.content.extractors.opendoc import OdfExtractor

        yield from OdfExtractor().extract(data, ctx)


class TarExtractor:
    """Tar members (regular files) as `Member("tar:path", bytes)`; links and devices hold no
    data and are not listed."""

    name = "tar"
    requires: tuple[Requirement, ...] = ()

    def accepts(self, mime: str, head: bytes) -> bool:
        return mime in TAR_MIMES

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        try:
            tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
        except (tarfile.TarError, OSError, EOFError):
            yield Skipped(locator=Locator(), kind=SkipKind.UNREADABLE,
                          reason="tar: not a readable archive")
            return
        except Exception as exc:  # tarfile: anything else it raises on a hostile header
            raise Unreadable(exc) from exc
        with tf:
            try:
                infos = [m for m in tf.getmembers() if m.isfile()]
            except (tarfile.TarError, OSError, EOFError):
                yield Skipped(locator=Locator(), kind=SkipKind.TRUNCATED,
                              reason="tar: archive truncated")
                return
            except Exception as exc:  # tarfile: anything else on hostile member headers
                raise Unreadable(exc) from exc
            for pos, info in enumerate(infos):
                loc = f"tar:{info.name}"
                refused = admit(ctx, loc, info.size, None, "tar")
                if refused is not None:
                    yield refused
                    if refused.reason.startswith("limit: more than"):
                        yield from _rest_not_opened("tar", len(infos) - pos - 1, ctx)
                        return
                    continue
                with library("tarfile"):
                    fh = tf.extractfile(info)
                    body = None if fh is None else read_bounded(fh, info.size)
                if fh is None:  # pragma: no cover - isfile() members always have data
                    continue
                if body is None or len(body) < info.size:
                    yield Skipped(locator=Locator(within=loc), kind=SkipKind.TRUNCATED,
                                  reason="tar: member truncated")
                    continue
                yield Member(loc, body)


register(ZipExtractor())
register(TarExtractor())
