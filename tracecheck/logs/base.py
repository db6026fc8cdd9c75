"""Shared plumbing for the log readers: opening evidence files, text decoding, times, statuses.

Owns how a log file is opened (read-only, gzip detected by magic bytes, BOM and UTF-16
detection), the `LogSource` handed to every reader, the `LogReader` interface, UTC time
conversion and the normalised recipient status vocabulary. Never decides which format a file
is (see `sniff`) and never joins lines into messages (each format module does that).
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import BinaryIO, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracecheck.errors import UsageError
from tracecheck.model import Locator, LogEvent, LogRecipient, SkipKind, Skipped

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


@dataclass
class PendingMessage:
    """One message being assembled from the rows of a tabular log (Exchange tracking, M365
    trace, Google Email Log Search): rows add recipients, `pending_events` turns the lot into
    `LogEvent`s in the order of each message's first row."""

    lineno: int
    time: str | None
    sender: str = ""
    message_id: str = ""
    queue_id: str = ""
    size: int | None = None
    subject: str = ""
    direction: str = ""
    forwarding: str = ""
    rcpts: dict[str, LogRecipient] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, addr: str, status: str, detail: str, orig: str = "") -> None:
        """Record a recipient; a recipient seen again keeps its most final status."""
        key = addr.lower()
        old = self.rcpts.get(key)
        if old is None:
            self.rcpts[key] = LogRecipient(addr, status, detail, orig)
            return
        keep = merge_status(old.status, status)
        self.rcpts[key] = LogRecipient(old.addr, keep, detail if keep == status else old.detail,
                                       old.orig_to or orig)


def pending_events(src: LogSource, msgs: Iterable[PendingMessage], fmt: str) -> list[LogEvent]:
    """The assembled messages as events, in order of their first row."""
    return [
        LogEvent(
            log_format=fmt,
            source=src.path,
            locator=src.loc(m.lineno),
            time=m.time,
            sender=m.sender,
            recipients=tuple(m.rcpts.values()),
            message_id=m.message_id,
            queue_id=m.queue_id,
            size=m.size,
            subject=m.subject,
            direction=m.direction,
            forwarding=m.forwarding,
            notes=tuple(m.notes),
        )
        for m in sorted(msgs, key=lambda m: m.lineno)
    ]


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


def open_binary(path: str) -> BinaryIO:
    """Open an evidence file read-only; a gzip stream (by magic bytes, not name) is unpacked."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


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


def decode_head(head: bytes) -> str:
    """Text of the first bytes of a log, for sniffing (gzip unpacked when possible)."""
    if head.startswith(GZIP_MAGIC):
        try:
            head = gzip.GzipFile(fileobj=io.BytesIO(head)).read1(1 << 16)
        except (OSError, EOFError):
            return ""
    enc = detect_encoding(head)
    if enc.startswith("utf-16") and len(head) % 2:
        head = head[:-1]
    return head.decode(enc, errors="replace")


def open_text(path: str) -> io.TextIOWrapper:
    """Open an evidence log as text, read-only (gzip, BOM, UTF-16; bad bytes become U+FFFD)."""
    with open(path, "rb") as fh:
        head = fh.read(2)
        if head == GZIP_MAGIC:
            fh.seek(0)
            with gzip.open(fh, "rb") as gz:
                start = gz.read(256)
        else:
            start = head + fh.read(254)
    enc = detect_encoding(start)
    return io.TextIOWrapper(open_binary(path), encoding=enc, errors="replace", newline=None)


@dataclass(frozen=True, slots=True)
class LogSource:
    """One log file as a reader sees it."""

    path: str
    tz: ZoneInfo | timezone
    """Zone of wall-clock stamps that carry no zone."""
    year: int | None = None
    """Year of the first year-less stamp (None: infer from the file's mtime)."""

    def loc(self, lineno: int) -> Locator:
        """The locator of line `lineno` of this file (`path:line`)."""
        return Locator(path=self.path, line=lineno)

    def bad(self, lineno: int, reason: str) -> Skipped:
        """A malformed-line skip for `lineno`."""
        return Skipped(locator=self.loc(lineno), reason=reason, kind=MALFORMED)

    def lines(self) -> Iterator[tuple[int, str]]:
        """(line number, line without its ending), counting from 1."""
        with open_text(self.path) as fh:
            for lineno, line in enumerate(fh, 1):
                yield lineno, line.rstrip("\r\n")


class LogReader(Protocol):
    """One log format: turns a file into message events (and skips for lines it cannot read)."""

    name: str
    """Format name as returned by `sniff_log` and stored in `LogEvent.log_format`."""

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield message/forwarding events and malformed-line skips (order is deterministic)."""
        ...
