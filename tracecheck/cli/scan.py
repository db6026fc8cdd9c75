"""`tracecheck scan`: options in, `api.scan`, a reporter out, an exit code."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli.app import app
from tracecheck.cli.common import Progress, fail, output_stream, use_color
from tracecheck.errors import TracecheckError
from tracecheck.model import Severity
from tracecheck.reports.base import ReportFormat, reporter_for


class FailOn(StrEnum):
    """Severity threshold for exit code 1."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    NEVER = "never"


@app.command()
def scan(
    paths: Annotated[list[str], typer.Argument(help="Mailbox files/folders and log files.")],
    rules: Annotated[list[Path] | None, typer.Option(
        "--rules", "-r", help="Rule pack YAML (repeatable); default: the shipped packs.")] = None,
    org_domain: Annotated[list[str] | None, typer.Option(
        "--org-domain", help="An organisation domain (repeatable); default: inferred.")] = None,
    fmt: Annotated[ReportFormat, typer.Option(
        "--format", "-f", help="Output format.")] = ReportFormat.TABLE,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write the report to FILE (mode 0600) instead of stdout.")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Include unmasked matched values (health data!) in the output.")] = False,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Exit 1 when a consumer-flow finding is at or above this severity.")
    ] = FailOn.LOW,
    min_confidence: Annotated[float | None, typer.Option(
        "--min-confidence", min=0.0, max=1.0,
        help="Report matches at or above this confidence (default: the packs' threshold).")
    ] = None,
    consumer_domain: Annotated[list[str] | None, typer.Option(
        "--consumer-domain", help="Extra consumer mailbox domain (repeatable).")] = None,
    log_year: Annotated[int | None, typer.Option(
        "--log-year", help="Year for year-less syslog time stamps.")] = None,
    log_tz: Annotated[str, typer.Option(
        "--log-tz", help="Time zone of local-time log stamps.")] = "Europe/London",
) -> None:
    """Scan mailbox exports and mail logs for health data sent to or from consumer domains.

    Exit codes: 0 nothing at or above --fail-on on a consumer flow; 1 findings; 2 usage,
    rule-pack or input error.
    """
    options = api.ScanOptions(
        rules=tuple(str(r) for r in rules or ()),
        org_domains=tuple(org_domain or ()),
        extra_consumer=tuple(consumer_domain or ()),
        min_confidence=min_confidence,
        log_year=log_year,
        log_tz=log_tz,
    )
    progress = Progress(enabled=sys.stderr.isatty())
    try:
        api.check_paths(paths)
        result = api.scan(paths, options, progress=progress.advance, total=progress.set_total)
    except TracecheckError as exc:
        progress.close()
        raise fail(str(exc)) from None
    progress.close()
    to_stdout = output is None or output == "-"
    color = to_stdout and use_color(sys.stdout)
    with output_stream(output) as out:
        reporter_for(fmt, color=color).write(result, out, reveal=reveal)
    threshold = None if fail_on is FailOn.NEVER else Severity.parse(fail_on.value)
    raise typer.Exit(1 if api.failing(result, threshold) else 0)
