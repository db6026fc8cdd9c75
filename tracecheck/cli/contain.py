"""`tracecheck contain mark|history`: the dated record of asking each consumer mailbox to
delete the data, and of its answers. Flags in, `api.contain_*`, one line out; errors become
one line and exit code 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli.app import Command, app
from tracecheck.cli.common import echo, fail
from tracecheck.errors import TracecheckError

contain = typer.Typer(help="Track containment: requests to consumer mailboxes to delete the "
                      "data, and their answers.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(contain, name="contain")

Case = Annotated[Path, typer.Option("--case", metavar="DIR", help="Case directory.")]


@contain.command(cls=Command)
def mark(
    address: Annotated[str, typer.Argument(metavar="ADDRESS",
                                           help="A consumer mailbox of the case.")],
    case: Case,
    status: Annotated[str, typer.Option(
        "--status", metavar="<requested|deleted|refused|no-response>",
        help="requested: asked to delete; deleted: the owner confirmed it; refused; "
        "no-response.")],
    note: Annotated[str, typer.Option("--note", metavar="TEXT",
                                      help="What was asked or answered, and how.")] = "",
    who: Annotated[str | None, typer.Option(
        "--who", metavar="NAME",
        help="Who records it (default: $TRACECHECK_USER or the login name).")] = None,
) -> None:
    """Record a dated request to, or answer from, one consumer mailbox (kept with its
    history)."""
    try:
        record = api.contain_mark(case, address, status, note=note, who=who)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    echo(f"{record.at}  {record.status.value}  recorded by {record.who}")


@contain.command(cls=Command)
def history(
    case: Case,
    address: Annotated[str | None, typer.Option(
        "--address", metavar="ADDRESS", help="Only this mailbox.")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Show addresses and notes unmasked.")] = False,
) -> None:
    """Every containment record of the case, oldest first (addresses and notes masked unless
    --reveal)."""
    try:
        records = api.contain_history(case, address, reveal=reveal)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    for r in records:
        echo(f"{r.at}  {r.status.value:<11}  {r.address}  {r.who}: {r.note}")
    if not records:
        echo("no containment records")
