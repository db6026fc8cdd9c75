"""`tracecheck logs`: mail-server log events and summaries as tables for pandas users (flags
in, `api.write_log_table`, a count of what was skipped on stderr)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli import options as o
from tracecheck.cli.app import Command, app
from tracecheck.cli.common import echo, fail, output_stream
from tracecheck.errors import TracecheckError


@app.command(cls=Command)
def logs(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Log files or folders (rotated .gz too).")],
    view: Annotated[api.LogView, typer.Option("--view", help="The table to print.")
                    ] = api.LogView.EVENTS,
    fmt: Annotated[api.LogTableFormat, typer.Option("--format", "-f", help="Output format.")
                   ] = api.LogTableFormat.CSV,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write to FILE (mode 0600) instead of stdout.")] = None,
    consumer_domain: o.ConsumerDomain = None,
    log_year: o.LogYear = None,
    log_tz: o.LogTz = o.LOG_TZ,
    workers: o.Workers = None,
    dask: o.Dask = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Show subjects and the servers' replies unmasked (health data!).")
    ] = False,
) -> None:
    """Print log events (one row per recipient) or summaries per sender, domain, day or month.

    Subjects and the servers' replies are masked unless --reveal. Malformed lines are counted
    on stderr, never fatal.
    """
    try:
        api.check_paths(paths)
        api.check_output(output)
        if fmt.binary and (output is None or output == "-") and sys.stdout.isatty():
            raise fail(f"--format {fmt.value} is a binary file: give --output FILE")
        options = api.ScanOptions(extra_consumer=tuple(consumer_domain or ()),
                                  log_year=log_year, log_tz=log_tz, workers=workers, dask=dask)
        found = api.find_log_files(paths, options)
        with output_stream(output) as out:  # read as written: events never all held
            table = api.write_log_table(found, options, view, fmt, out, reveal=reveal)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    if table.skipped:
        summary = ", ".join(f"{n} {k}" for k, n in table.skipped.items())
        echo(f"tracecheck: {table.events_read} events; skipped: {summary}", err=True)
