"""Command-line interface: a thin Typer shell over `tracecheck.api`.

Each module registers its commands on the shared `app`; `main()` runs it and turns every
`TracecheckError` into a one-line message and exit code 2 (anything unexpected into one line
and exit code 3), never a traceback. Error lines have their control characters made visible
(`api.visible`), whatever file name or value they quote.
"""

from __future__ import annotations

import importlib
import sys

from tracecheck.cli.app import app

_COMMAND_MODULES = ("scan", "rules", "logs", "case", "baseline", "worklist", "contain",
                    "diff")

for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"tracecheck.cli.{_name}")
    except ModuleNotFoundError as _exc:  # a command module not present in this build
        if _exc.name != f"tracecheck.cli.{_name}":
            raise


def _click_exceptions() -> object:
    """The click exception module Typer uses (it vendors click in recent versions)."""
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("click exceptions not found")  # pragma: no cover


def main() -> None:
    """Console-script entry point: every error is one line on stderr, never a traceback."""
    import typer

    from tracecheck import api
    from tracecheck.errors import ReaderGone, TracecheckError

    exit_cls = typer.Exit
    abort_cls = typer.Abort
    click_error = _click_exceptions().ClickException
    try:
        rv = app(standalone_mode=False)
    except exit_cls as e:
        sys.exit(e.exit_code)
    except abort_cls as e:
        if isinstance(e.__cause__, EOFError):  # click turns an escaping EOFError into Abort
            _internal_error(e.__cause__)
        print("tracecheck: interrupted", file=sys.stderr)
        sys.exit(130)
    except click_error as e:
        ctx = getattr(e, "ctx", None)
        hint = f" (try '{ctx.command_path} --help')" if ctx is not None else ""
        print(api.visible(f"tracecheck: error: {e.format_message()}{hint}"), file=sys.stderr)
        sys.exit(e.exit_code)
    except ReaderGone:  # `| head` closed the pipe: say nothing, as SIGPIPE would
        sys.exit(141)
    except TracecheckError as e:
        print(api.visible(f"tracecheck: error: {e}"), file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("tracecheck: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as e:  # a bug in tracecheck: one line and exit 3, never "no findings"
        _internal_error(e)
    sys.exit(rv if isinstance(rv, int) else 0)


def _internal_error(exc: BaseException) -> None:
    """A failure of tracecheck itself that stopped the command: its type and where it was
    raised (never its message, which may quote evidence), exit 3. In strict mode
    (TRACECHECK_STRICT=1) the traceback is shown instead."""
    from tracecheck import api

    if api.strict_mode():
        raise exc
    print(f"tracecheck: internal error: {type(exc).__name__} at {api.where_raised(exc)}; the "
          "command did not finish (this is a bug in tracecheck; rerun with "
          "TRACECHECK_STRICT=1 to see the traceback)", file=sys.stderr)
    sys.exit(api.EXIT_INCOMPLETE)


__all__ = ["app", "main"]
