"""Shared plumbing for the log readers: opening evidence files, text decoding, times, statuses.

Owns how a log file is opened (read-only, gzip detected by magic bytes, BOM and UTF-16
detection), what damage to a file becomes (`DAMAGE`: a truncated or corrupt stream ends the
file's lines cleanly and is recorded as one `Skipped` naming the file, never raised), the
`LogSource` handed to every reader, the `LogReader` interface, UTC time conversion and the
normalised recipient status vocabulary. Never decides which format a file is (see `sniff`)
and never joins lines into messages (`message` and each format module do that).
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracecheck.errors import UsageError
from tracecheck.model import Locator, LogEvent, SkipKind, Skipped

GZIP_MAGIC = b"\x1f\x8b"
MALFORMED = SkipKind.MALFORMED_LOG_LINE

STATUSES = (
    "delivered",
    "deferred",
    "bounced",
    "failed",
    "pending",
    "expanded",
    "quarantined",
    "filtered",
    "received",
    "unknown",
)
"""The normalised recipient statuses (`LogRecipient.status`)."""

_RANK = {
    "unknown": 0,
    "received": 1,
    "pending": 2,
    "expanded": 3,
    "deferred": 4,
    "filtered": 5,
    "quarantined": 6,
    "failed": 7,
    "bounced": 7,
    "delivered": 8,
}

_ADDR = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def status_rank(status: str) -> int:
    """How final a status is; a later line only replaces a status of lower or equal rank."""
    return _RANK.get(status, 0)


def merge_status(old: str, new: str) -> str:
    """The status to keep when a recipient is seen again (retries end deferred → delivered)."""
    if old == "deferred" or status_rank(new) >= status_rank(old):
        return new
    return old


def clean_addr(text: str) -> str:
    """An address as logged, without angle brackets, quotes or an `smtp:` prefix."""
    addr = text.strip().strip('"').strip()
    if addr.lower().startswith("smtp:"):
        addr = addr[5:]
    if addr.startswith("<") and addr.endswith(">"):
        addr = addr[1:-1]
    return addr.strip()


def find_addrs(text: str) -> list[str]:
    """Every address-shaped token in free text, in order, without duplicates."""
    seen: dict[str, None] = {}
    for m in _ADDR.finditer(text):
        seen.setdefault(m.group(0).strip("."), None)
    return list(seen)


def norm_message_id(text: str) -> str:
    """Message-ID for joining: no whitespace, no angle brackets, domain part lower-cased."""
    mid = "".join(text.split()).strip("<>")
    local, at, domain = mid.rpartition("@")
    return f"{local}@{domain.lower()}" if at else mid


# --- time -----------------------------------------------------------------------------------


def zone(tz: str) -> ZoneInfo | timezone:
    """The zone named `tz` (IANA name, or UTC)."""
    if tz.upper() in ("UTC", "Z", "GMT0"):
        return UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {tz!r} (an IANA name, e.g. Europe/London)") from None


def iso_utc(dt: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` for an aware datetime."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_to_utc(naive: datetime, tz: ZoneInfo | timezone) -> str:
    """A wall-clock time in `tz` as UTC ISO (an ambiguous hour at a DST change takes fold 0)."""
    return iso_utc(naive.replace(tzinfo=tz))


_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?\s*"
    r"(Z|UTC|GMT|[+-]\d\d:?\d\d)?\s*$",
    re.IGNORECASE,
)
_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")
# Locale dates: with AM/PM they are US (month first); with a 24-hour clock they are read day
# first (UK), unless that is impossible.
_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%b %d, %Y, %I:%M:%S %p",
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y, %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%a %b %d %H:%M:%S %Y",
)


def parse_time(text: str, default_tz: ZoneInfo | timezone = UTC) -> str | None:
    """Parse the timestamps found in CSV/JSON exports into UTC ISO; None when unparseable.

    A stamp without a zone is read in `default_tz` (UTC for Microsoft exports, which document
    UTC; the user's zone for others).
    """
    s = text.strip().strip('"').strip()
    if not s:
        return None
    m = _MS_DATE.fullmatch(s)
    if m:
        return iso_utc(datetime.fromtimestamp(int(m.group(1)) / 1000, UTC))
    m = _ISO.match(s)
    if m:
        y, mo, d, h, mi = (int(m.group(i)) for i in range(1, 6))
        sec = int(m.group(6) or 0)
        try:
            dt = datetime(y, mo, d, h, mi, sec)
        except ValueError:
            return None
        zone_txt = (m.group(8) or "").upper()
        if zone_txt in ("Z", "UTC", "GMT"):
            return iso_utc(dt.replace(tzinfo=UTC))
        if zone_txt:
            sign = 1 if zone_txt[0] == "+" else -1
            digits = zone_txt[1:].replace(":", "")
            off = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return iso_utc(dt.replace(tzinfo=timezone(sign * off)))
        return local_to_utc(dt, default_tz)
    tz: ZoneInfo | timezone = default_tz
    for suffix in (" UTC", " GMT", " Z"):
        if s.upper().endswith(suffix):
            s = s[: -len(suffix)].strip()
            tz = UTC
    for fmt in _FORMATS:
        try:
            return local_to_utc(datetime.strptime(s, fmt), tz)
        except ValueError:
            continue
    if s.isdigit() and len(s) >= 13:
        # Unix microseconds (Gmail) or milliseconds.
        div = 1_000_000 if len(s) >= 16 else 1000
        return iso_utc(datetime.fromtimestamp(int(s) / div, UTC))
    return None


# --- files ----------------------------------------------------------------------------------

DAMAGE = (OSError, EOFError, zlib.error, UnicodeError)
"""What reading a damaged evidence file raises: `EOFError` (a gzip stream cut short),
`zlib.error` and `gzip.BadGzipFile` (an `OSError`: corrupt compressed data), other I/O errors,
and undecodable text. Caught where a file's bytes are read, never further out."""


def damage_skip(path: str, exc: BaseException, lines_read: int) -> Skipped:
    """The one `Skipped` for a file whose reading stopped at damage after `lines_read` lines:
    `truncated` for a compressed stream that ends early, else `unreadable`."""
    where = f"after line {lines_read}" if lines_read else "before its first line"
    if isinstance(exc, EOFError):
        return Skipped(locator=Locator(path=path), kind=SkipKind.TRUNCATED,
                       reason=f"gzip stream ends early {where} (EOFError); "
                              "the rest of the file is not read")
    return Skipped(locator=Locator(path=path), kind=SkipKind.UNREADABLE,
                   reason=f"unreadable {where} ({type(exc).__name__}: {exc}); "
                          "the rest of the file is not read")


def open_binary(path: str) -> gzip.GzipFile | io.BufferedReader:
    """Open an evidence file read-only; a gzip stream (by magic bytes, not name) is unpacked."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rb")
    return open(path, "rb")


def read_head(path: str, size: int) -> bytes:
    """Up to `size` bytes of a file's (gunzipped) content: all that a damaged gzip holds before
    the damage (`read(n)` would drop the bytes of a call that meets it; `read1` keeps them).
    An `OSError` opening the file is raised."""
    chunks: list[bytes] = []
    got = 0
    with open_binary(path) as fh:
        while got < size:
            try:
                data = fh.read1(size - got)
            except DAMAGE:
                break
            if not data:
                break
            chunks.append(data)
            got += len(data)
    return b"".join(chunks)


def detect_encoding(head: bytes) -> str:
    """utf-16 (with or without BOM), utf-8-sig, or utf-8."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    sample = head[:200]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and sample[0] != 0:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and sample[1] != 0:
        return "utf-16-be"
    return "utf-8"


ENCODING_BYTES = 256
"""How much of a file `detect_encoding` is given."""


def decode_head(head: bytes) -> str:
    """Text of the first bytes of a log, for sniffing (gzip unpacked when possible)."""
    if head.startswith(GZIP_MAGIC):
        try:
            head = gzip.GzipFile(fileobj=io.BytesIO(head)).read1(1 << 16)
        except DAMAGE:
            return ""
    enc = detect_encoding(head)
    if enc.startswith("utf-16") and len(head) % 2:
        head = head[:-1]
    return head.decode(enc, errors="replace")


def open_text(path: str) -> io.TextIOWrapper:
    """Open an evidence log as text, read-only (gzip, BOM, UTF-16; bad bytes become U+FFFD)."""
    enc = detect_encoding(read_head(path, ENCODING_BYTES))
    return io.TextIOWrapper(open_binary(path), encoding=enc, errors="replace", newline=None)


MALFORMED_EXAMPLES = 100
"""Malformed lines of one file listed one by one; the rest are counted (`LogSource.bad`)."""


@dataclass(slots=True)
class BadLines:
    """The malformed lines of one file (`LogSource.bad`): every one counted, and the lines
    of those past the first `MALFORMED_EXAMPLES`, which are not listed one by one."""

    count: int = 0
    unlisted: int = 0
    first: int = 0
    last: int = 0


UNLISTED = Skipped(locator=Locator(path=""), kind=MALFORMED,
                   reason="a malformed line past the first few of its file")
"""What `LogSource.bad` gives for a malformed line it only counts (one object for all): the
reading path drops it and lists the count (`BadLines`) in one entry."""


@dataclass(frozen=True, slots=True)
class LogSource:
    """One log file as a reader sees it."""

    path: str
    tz: ZoneInfo | timezone
    """Zone of wall-clock stamps that carry no zone."""
    year: int | None = None
    """Year of the first year-less stamp (None: infer from the file's mtime)."""
    damage: list[Skipped] = field(default_factory=list, compare=False, repr=False)
    """Where reading stopped at damage (`damage_skip`), filled by `lines` and `head`; the
    reading path lists these after the reader's own output."""
    malformed: BadLines = field(default_factory=BadLines, compare=False, repr=False)
    """The file's malformed lines (`bad`): every one a reader reported."""

    def loc(self, lineno: int) -> Locator:
        """The locator of line `lineno` of this file (`path:line`)."""
        return Locator(path=self.path, line=lineno)

    def bad(self, lineno: int, reason: str) -> Skipped:
        """A malformed-line skip for `lineno`: for the first `MALFORMED_EXAMPLES` of the
        file; past them the line is counted in `malformed` and `UNLISTED` comes back (a
        garbage file of millions of lines builds no entry per line)."""
        seen = self.malformed
        seen.count += 1
        if seen.count <= MALFORMED_EXAMPLES:
            return Skipped(locator=self.loc(lineno), reason=reason, kind=MALFORMED)
        if not seen.unlisted:
            seen.first = seen.last = lineno
        seen.first = min(seen.first, lineno)
        seen.last = max(seen.last, lineno)
        seen.unlisted += 1
        return UNLISTED

    def lines(self) -> Iterator[tuple[int, str]]:
        """(line number, line without its ending), counting from 1. Damage ends the lines
        (a line it cuts is not given) and is recorded in `damage`."""
        lineno = 0
        try:
            with open_text(self.path) as fh:
                for lineno, line in enumerate(fh, 1):  # noqa: B007 - lineno read on damage
                    yield lineno, line.rstrip("\r\n")
        except DAMAGE as exc:
            self._damaged(exc, lineno)

    def head(self, chars: int = 4096) -> str:
        """The first `chars` characters of the text (for telling JSON from CSV)."""
        try:
            raw = read_head(self.path, chars * 4)
        except DAMAGE as exc:
            self._damaged(exc, 0)
            return ""
        enc = detect_encoding(raw[:ENCODING_BYTES])
        return raw.decode(enc, errors="replace")[:chars]

    def _damaged(self, exc: BaseException, lines_read: int) -> None:
        if not self.damage:  # the first damage met stops the file; later reads meet it again
            self.damage.append(damage_skip(self.path, exc, lines_read))


class LogReader(Protocol):
    """One log format: turns a file into message events (and skips for lines it cannot read)."""

    name: str
    """Format name as returned by `sniff_log` and stored in `LogEvent.log_format`."""

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield message/forwarding events and malformed-line skips (order is deterministic)."""
        ...
