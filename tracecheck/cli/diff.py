"""`tracecheck diff OLD NEW`: two findings files compared by fingerprint (flags in,
`api.diff_findings`, `api.write_diff`). Exit codes: 0 no new finding, 1 new findings,
2 a file that is not a findings file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli.app import Command, app
from tracecheck.cli.common import fail, output_stream
from tracecheck.errors import TracecheckError


@app.command(cls=Command)
def diff(
    old: Annotated[Path, typer.Argument(
        metavar="OLD", help="The earlier findings: `scan --format parquet` or `--format json`.")],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The later findings, likewise.")],
    fmt: Annotated[api.DiffFormat, typer.Option("--format", "-f", help="Output format.")
                   ] = api.DiffFormat.TEXT,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write to FILE (mode 0600) instead of stdout.")] = None,
) -> None:
    """List the findings that are new, gone or unchanged between two scans (by fingerprint),
    with counts per custodian and per consumer domain.

    Exit codes: 0 no new finding; 1 new findings; 2 a file that is not a findings file.
    """
    try:
        api.check_paths([str(old), str(new)])
        api.check_output(output)
        result = api.diff_findings(old, new)
        with output_stream(output) as out:
            api.write_diff(result, fmt, out)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(1 if result.count(api.Change.NEW) else 0)
