"""`tracecheck logs`: mail-server log events and summaries as tables for pandas users."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli.app import app
from tracecheck.cli.common import fail, output_stream
from tracecheck.errors import TracecheckError
from tracecheck.logs.tables import LogTableFormat as LogFormat
from tracecheck.logs.tables import LogView as View


@app.command()
def logs(
    paths: Annotated[list[str], typer.Argument(help="Log files or folders (rotated .gz too).")],
    view: Annotated[View, typer.Option("--view", help="The table to print.")] = View.EVENTS,
    fmt: Annotated[LogFormat, typer.Option("--format", "-f", help="Output format.")
                   ] = LogFormat.CSV,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to FILE (mode 0600) instead of stdout.")] = None,
    consumer_domain: Annotated[list[str] | None, typer.Option(
        "--consumer-domain", help="Extra consumer mailbox domain (repeatable).")] = None,
    log_year: Annotated[int | None, typer.Option(
        "--log-year", help="Year for year-less syslog time stamps.")] = None,
    log_tz: Annotated[str, typer.Option(
        "--log-tz", help="Time zone of local-time log stamps.")] = "Europe/London",
) -> None:
    """Print log events (one row per recipient) or summaries per sender, domain, day or month.

    Subjects are masked. Malformed lines are counted on stderr, never fatal.
    """
    from tracecheck.domains import ConsumerDomains
    from tracecheck.logs.tables import write_view

    try:
        api.check_paths(paths)
        events, skips = api.read_log_events(
            paths, api.ScanOptions(log_year=log_year, log_tz=log_tz))
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    consumer = ConsumerDomains.load_default(tuple(consumer_domain or ()))
    with output_stream(output) as out:
        write_view(events, view, fmt, out, consumer.is_consumer)
    if skips:
        kinds: dict[str, int] = {}
        for s in skips:
            kinds[s.kind] = kinds.get(s.kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        print(f"tracecheck: {len(events)} events; skipped: {summary}", file=sys.stderr)
