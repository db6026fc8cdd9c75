"""Exception hierarchy: one base per layer. The CLI maps every one of them to exit code 2.

Bad *input data* (a broken message, an unreadable part) is never an exception here; it becomes
a `model.Skipped` value. These exceptions are for things the user must fix: a missing path,
a broken rule pack, an impossible option.
"""

from __future__ import annotations


class TracecheckError(Exception):
    """Base of every error tracecheck raises on purpose."""


class UsageError(TracecheckError):
    """A command-line or configuration mistake."""


class InputError(TracecheckError):
    """An input path that cannot be used at all (missing, not readable)."""


class OutputError(TracecheckError):
    """An output that cannot be written: a full disk, a folder that cannot be written, an
    output path that is a symbolic link (`tracecheck.output_file`)."""


class ReaderGone(Exception):
    """Standard output was closed by its reader (`tracecheck scan ... | head`): nothing more
    can reach it. Not a `TracecheckError` (no command turns it into an error line): the CLI
    exits quietly with 141, as a process ended by SIGPIPE does."""


class RulePackError(TracecheckError):
    """A rule pack that does not load: bad YAML, bad schema, failing examples."""

    def __init__(self, message: str, path: str = "", line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = path
        if path and line is not None:
            where = f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(UsageError):
    """An organisation config file (tracecheck.toml) that cannot be used."""
