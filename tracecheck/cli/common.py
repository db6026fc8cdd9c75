"""Helpers shared by command modules: output files, colour, errors, progress.

Every line a command writes to the terminal goes through `echo` (or `fail`), which makes
control characters from the input visible (`api.visible`): an error naming a file, a review
listing or a baseline audit never carries a terminal escape.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import TextIO

import typer

from tracecheck import api
from tracecheck.model import ScanResult, SkipKind


def echo(line: str = "", *, err: bool = False) -> None:
    """One line to stdout (or stderr), control characters made visible."""
    typer.echo(api.visible(line), err=err)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    echo(f"tracecheck: error: {message}", err=True)
    return typer.Exit(code)


def report_unreadable(result: ScanResult, limit: int = 20) -> None:
    """On stderr: every file that could not be read, or only in part, so that a terminal user
    sees them whatever the output format (the report lists them too)."""
    files = [s for s in result.skipped
             if s.kind in (SkipKind.UNREADABLE, SkipKind.TRUNCATED) and not s.locator.within
             and s.locator.offset is None and not s.locator.item and s.locator.line is None]
    for s in files[:limit]:
        echo(f"tracecheck: {s.kind.value}: {s.locator}: {s.reason}", err=True)
    if len(files) > limit:
        echo(f"tracecheck: ... and {len(files) - limit} more files not read", err=True)


def report_incomplete(result: ScanResult, limit: int = 20) -> None:
    """On stderr: every part of the input tracecheck failed on (internal errors, lost
    workers) or a limit cut short on a consumer flow, with its locator, so an incomplete run
    is never mistaken for a clean one."""
    gaps = result.incomplete
    for s in gaps[:limit]:
        echo(f"tracecheck: {s.kind.value}: {s.locator}: {s.reason}", err=True)
    if len(gaps) > limit:
        echo(f"tracecheck: ... and {len(gaps) - limit} more (see the report's coverage)",
             err=True)
    if gaps:
        why = ("because tracecheck failed" if all(s.kind.incomplete for s in gaps)
               else "in full (tracecheck failed, or a limit cut short a message on a consumer "
                    "flow)")
        echo(f"tracecheck: INCOMPLETE: {len(gaps)} item(s) not scanned {why} "
             "(exit code 3)", err=True)


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal and never with NO_COLOR set."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def output_stream(path: str | None) -> contextlib.AbstractContextManager[TextIO]:
    """stdout, or a file written atomically with mode 0600, never through a symbolic link
    (reports may hold personal data): `api.open_output`."""
    return api.open_output(path)


class Progress:
    """A rich progress bar on stderr that appears only after a scan has run a few seconds."""

    def __init__(self, enabled: bool, delay: float = 2.0) -> None:
        self.enabled = enabled
        self.delay = delay
        self.start = time.monotonic()
        self.total = 0
        self.done = 0
        self._bar: object | None = None
        self._task: object | None = None

    def set_total(self, total: int) -> None:
        """Bytes to process."""
        self.total = total

    def advance(self, n: int) -> None:
        """`n` more bytes processed."""
        self.done += n
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self.start < self.delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            bar = Progress("[progress.description]{task.description}", BarColumn(),
                           DownloadColumn(), TimeRemainingColumn(),
                           console=Console(file=sys.stderr), transient=True)
            bar.start()
            self._task = bar.add_task("scanning", total=self.total or None)
            self._bar = bar
        self._bar.update(self._task, completed=self.done)  # type: ignore[attr-defined]

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.stop()  # type: ignore[attr-defined]
