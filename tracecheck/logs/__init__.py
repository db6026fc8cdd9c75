"""Mail-server and audit logs → `LogEvent` records: the package's front door and reader registry.

Owns the registry that maps a format name (as `sniff_log` returns it and as stored in
`LogEvent.log_format`) to its reader, and `read_log`, which opens a file read-only (gzip by
magic bytes), resolves the time zone and year, and turns any failure to read into a `Skipped`
value. One module per format does the parsing; `analysis` turns events into findings, the
correlation with a mailbox export and pandas tables. Never prints, never writes files.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterable, Iterator

from tracecheck.logs.audit import GmailAuditReader, O365AuditReader
from tracecheck.logs.base import MALFORMED, STATUSES, LogReader, LogSource, open_binary, zone
from tracecheck.logs.exchange import ExchangeReader
from tracecheck.logs.exim import EximReader
from tracecheck.logs.google import GoogleReader
from tracecheck.logs.m365 import M365Reader
from tracecheck.logs.postfix import PostfixReader
from tracecheck.logs.rotation import plan_years, rotation_order, rotation_sets
from tracecheck.logs.sendmail import SendmailReader
from tracecheck.logs.sniff import sniff_log
from tracecheck.model import Locator, LogEvent, SkipKind, Skipped

READERS: dict[str, LogReader] = {
    r.name: r
    for r in (
        PostfixReader(),
        EximReader(),
        SendmailReader(),
        ExchangeReader(),
        M365Reader(),
        GoogleReader(),
        O365AuditReader(),
        GmailAuditReader(),
    )
}
"""Format name → reader. Every name `sniff_log` can return is a key."""

FORMATS = tuple(READERS)

SNIFF_BYTES = 16 * 1024
"""How much of a file `sniff_log` should be given."""


def read_log(
    path: str, fmt: str, *, year: int | None = None, tz: str = "Europe/London"
) -> Iterator[LogEvent | Skipped]:
    """Read one log file as message events (and skips for what could not be read).

    `fmt` is a name from `FORMATS` (usually from `sniff_log`). `year` is the year of the
    file's first year-less syslog stamp (default: inferred from the file's mtime; for rotated
    sets use `plan_years`). `tz` is the zone of stamps written without one (syslog, Exim,
    Google exports). Times come out as UTC `YYYY-MM-DDTHH:MM:SSZ`. Malformed lines become
    `Skipped(kind=SkipKind.MALFORMED_LOG_LINE)`; an unreadable file becomes one `Skipped` for
    the path.
    """
    reader = READERS.get(fmt)
    if reader is None:
        yield Skipped(locator=Locator(path=path), reason=f"unknown log format {fmt!r}",
                      kind=SkipKind.UNSUPPORTED)
        return
    src = LogSource(path=path, tz=zone(tz), year=year)
    try:
        yield from reader.read(src)
    except (OSError, EOFError, UnicodeError, zlib.error, csv.Error) as exc:
        yield Skipped(locator=Locator(path=path), reason=f"cannot read {fmt} log: {exc}",
                      kind=SkipKind.UNREADABLE)


SYSLOG_FORMATS = frozenset({"postfix", "sendmail", "exim"})
"""Formats whose stamps may lack a year (BSD syslog)."""


def sniff_path(path: str) -> str | None:
    """`sniff_log` over the first `SNIFF_BYTES` of a file (gunzipped when it is gzip)."""
    try:
        with open_binary(path) as fh:
            head = fh.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error):
        return None
    return sniff_log(head)


def read_logs(
    paths: Iterable[str], *, year: int | None = None, tz: str = "Europe/London"
) -> Iterator[LogEvent | Skipped]:
    """Read many log files: each sniffed, rotated sets oldest first with their years chained.

    A path that is not a log this package reads gives one `Skipped(kind=SkipKind.UNSUPPORTED)`.
    `year` is the first year of the oldest file of each rotated set (see `plan_years`).
    """
    formats: dict[str, str] = {}
    for p in paths:
        fmt = sniff_path(p)
        if fmt is None:
            yield Skipped(locator=Locator(path=p), reason="not a mail-server or audit log",
                          kind=SkipKind.UNSUPPORTED)
        else:
            formats[p] = fmt
    ordered = rotation_order(list(formats))
    syslog = [p for p in ordered if formats[p] in SYSLOG_FORMATS]
    try:
        years = plan_years(syslog, year=year, tz=tz)
    except (OSError, EOFError, UnicodeError, zlib.error):
        years = {}
    for p in ordered:
        yield from read_log(p, formats[p], year=years.get(p, year), tz=tz)


__all__ = [
    "FORMATS",
    "MALFORMED",
    "READERS",
    "SNIFF_BYTES",
    "SYSLOG_FORMATS",
    "STATUSES",
    "plan_years",
    "read_log",
    "read_logs",
    "sniff_path",
    "rotation_order",
    "rotation_sets",
    "sniff_log",
]
