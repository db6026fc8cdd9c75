"""Command-line interface: a thin Typer shell over `tracecheck.api`.

Each module registers its commands on the shared `app`; `main()` runs it and turns every
`TracecheckError` (and anything unexpected) into a one-line message and exit code 2, never a
traceback.
"""

from __future__ import annotations

import importlib
import sys

from tracecheck.cli.app import app

_COMMAND_MODULES = ("scan", "rules", "logs", "case", "baseline")

for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"tracecheck.cli.{_name}")
    except ModuleNotFoundError as _exc:  # a command module not present in this build
        if _exc.name != f"tracecheck.cli.{_name}":
            raise


def main() -> None:
    """Console-script entry point."""
    from tracecheck.errors import TracecheckError

    try:
        app(standalone_mode=True)
    except TracecheckError as exc:
        print(f"tracecheck: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("tracecheck: interrupted", file=sys.stderr)
        sys.exit(130)


__all__ = ["app", "main"]
