"""Helpers shared by the log tests (made importable by this folder's conftest)."""

from __future__ import annotations

from pathlib import Path

from tracecheck.logs import read_log, sniff_log
from tracecheck.model import LogEvent, Skipped

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "logs"


def sniff_path(path: Path | str) -> str | None:
    """sniff_log over the first 16 KB of a file."""
    with open(path, "rb") as fh:
        return sniff_log(fh.read(16384))


def read_all(path: Path | str, fmt: str | None = None, *, year: int | None = None,
             tz: str = "Europe/London") -> tuple[list[LogEvent], list[Skipped]]:
    """Sniff (unless `fmt` is given) and read a log; events and skips apart."""
    fmt = fmt or sniff_path(path)
    assert fmt is not None, f"{path} not sniffed as a log"
    events: list[LogEvent] = []
    skips: list[Skipped] = []
    for item in read_log(str(path), fmt, year=year, tz=tz):
        (skips if isinstance(item, Skipped) else events).append(item)
    return events, skips


def by_qid(events: list[LogEvent]) -> dict[str, LogEvent]:
    """Events keyed by queue id (the last one wins)."""
    return {e.queue_id: e for e in events}

