"""`tracecheck worklist`: the case as the lists a responder works through (consumer mailboxes
to contain, people to tell, staff accounts for HR). Flags in, `api.worklist`, a count on
stderr; errors become one line and exit code 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli.app import Command, app
from tracecheck.cli.common import echo, fail
from tracecheck.errors import TracecheckError


@app.command(cls=Command)
def worklist(
    which: Annotated[api.Worklist, typer.Argument(
        metavar="LIST", help="recipients (consumer mailboxes), subjects (people) or senders "
        "(staff accounts).")],
    case: Annotated[Path, typer.Option("--case", metavar="DIR", help="Case directory.")],
    fmt: Annotated[api.WorklistFormat, typer.Option("--format", "-f", help="Output format.")
                   ] = api.WorklistFormat.CSV,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write to FILE (mode 0600) instead of stdout (required for xlsx).")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Unmasked identifiers, names and addresses (health data!); "
        "recorded in the case's audit log.")] = False,
    who: Annotated[str | None, typer.Option(
        "--who", metavar="NAME",
        help="Who exports (default: $TRACECHECK_USER or the login name).")] = None,
) -> None:
    """Write a worklist of the case as CSV, JSON or XLSX, from the same figures as the ICO
    report. Masked unless --reveal; every revealed export is recorded in the case."""
    try:
        run = api.worklist(case, which, fmt, output, reveal=reveal, who=who)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    note = " (revealed; recorded in the case's audit log)" if run.revealed else ""
    echo(f"tracecheck: {run.rows} row(s) in the {run.worklist.value} worklist{note}", err=True)
