"""The shared Typer application object and command class; command modules register on it.

Help is plain text (no rich panels) and names what each value is in words: options by their
metavar (`--org-domain DOMAIN`), flags by nothing, arguments by their metavar (`PATH...`) rather
than the Python types Typer would print (`<list[str]>`, `<bool>`). Every command is made with
`cls=Command`.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperCommand


def _shown(param: Any) -> str:
    """An argument as the help writes it: `PATH...`, `[PACK]...` when optional."""
    name = str(param.metavar or param.name.upper())
    name = name if param.required else f"[{name}]"
    return f"{name}..." if param.nargs != 1 else name


class Command(TyperCommand):
    """A command whose help shows arguments by name, never by Python type."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """`[OPTIONS] PATH...`."""
        pieces = [self.options_metavar] if self.options_metavar else []
        return pieces + [_shown(p) for p in self.get_params(ctx)
                         if p.param_type_name == "argument"]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The Arguments and Options sections."""
        args, opts = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                args.append((_shown(param), record[1]))
            else:
                opts.append(record)
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


app = typer.Typer(
    name="tracecheck",
    help="Find UK health data sent to or from consumer email domains in mailbox exports and "
    "mail-server logs; draft the ICO breach report.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
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
