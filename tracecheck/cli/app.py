"""The shared Typer application object; command modules register on it."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="tracecheck",
    help="Find UK health data sent to or from consumer email domains in mailbox exports and "
    "mail-server logs; draft the ICO breach report.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from tracecheck import __version__

        typer.echo(f"tracecheck {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Show the version and exit.", callback=_version, is_eager=True
    ),
) -> None:
    """Find UK health data sent to or from consumer email domains in mailbox exports and
    mail-server logs; draft the ICO breach report."""
