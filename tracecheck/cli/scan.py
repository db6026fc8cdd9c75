"""`tracecheck scan`: flags in, `api.scan` (or `api.scan_into_case`), a report out, an exit
code. Nothing else."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli import options as o
from tracecheck.cli.app import Command, app
from tracecheck.cli.common import (
    Progress,
    fail,
    output_stream,
    report_incomplete,
    report_unreadable,
    use_color,
)
from tracecheck.errors import TracecheckError
from tracecheck.model import Severity


class FailOn(StrEnum):
    """Severity threshold for exit code 1."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    NEVER = "never"


@app.command(cls=Command)
@o.scan_flags
def scan(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Mailbox files/folders and log files.")],
    options: api.ScanOptions,
    fmt: Annotated[api.ReportFormat, typer.Option(
        "--format", "-f", help="Output format.")] = api.ReportFormat.TABLE,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write the report to FILE (mode 0600) instead of stdout.")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Include unmasked matched values (health data!) in the output.")] = False,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Exit 1 when a consumer-flow finding is at or above this severity.")
    ] = FailOn.LOW,
    exit_zero: Annotated[bool, typer.Option(
        "--exit-zero", help="Exit 0 even when findings would fail the run.")] = False,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", metavar="FILE",
        help="Baseline file of accepted findings; only new findings count.")
    ] = None,
    case: Annotated[Path | None, typer.Option(
        "--case", metavar="DIR",
        help="Case folder: store sources, messages, findings and the run manifest "
        "in its SQLite case store (an interrupted scan resumes).")] = None,
) -> None:
    """Scan mailbox exports and mail logs for health data sent to or from consumer domains.

    Exit codes: 0 nothing at or above --fail-on on a consumer flow; 1 findings; 2 usage,
    rule-pack or input error; 3 incomplete (tracecheck failed on part of the input).
    """
    progress = Progress(enabled=sys.stderr.isatty())
    try:
        api.check_paths(paths)
        api.check_output(output)  # a link or a folder is refused before a long scan
        if fmt.binary and (output is None or output == "-") and sys.stdout.isatty():
            raise fail(f"--format {fmt.value} is a binary file: give --output FILE")
        accepted = api.load_baseline(baseline) if baseline is not None else None
        if case is None:
            result = api.scan(paths, options, progress=progress)
        else:
            result = api.scan_into_case(paths, options, case, arguments=sys.argv[1:],
                                        progress=progress)
        if accepted is not None:
            result = api.apply_baseline(result, accepted)
    except TracecheckError as exc:
        progress.close()
        raise fail(str(exc)) from None
    progress.close()
    to_stdout = output is None or output == "-"
    try:
        with output_stream(output) as out:
            api.write_result(result, fmt, out, reveal=reveal,
                             color=to_stdout and use_color(sys.stdout))
    except TracecheckError as exc:  # the output could not be written (a full disk, a link)
        raise fail(str(exc)) from None
    threshold = None if fail_on is FailOn.NEVER else Severity.parse(fail_on.value)
    report_unreadable(result)
    report_incomplete(result)
    raise typer.Exit(api.exit_code(result, threshold, exit_zero=exit_zero))
