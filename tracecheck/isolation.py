"""The boundary between one unit of work and the run: tracecheck's own failures stay loud.

Owns what happens when tracecheck itself fails while scanning one message or one file. Input
problems never reach here: every third-party parser or extractor call is wrapped where it is
made, and bad input becomes a `Skipped` of its own kind there. What does reach here is a bug in
tracecheck. It becomes a coverage entry of kind `internal-error`, never an input kind. The
run goes on with the next message, every report marks it incomplete, and the CLI prints the
entry on stderr and exits 3. In strict mode (`TRACECHECK_STRICT=1`, which the test suite sets)
the failure propagates instead.

This is the only broad exception handler in tracecheck that is not around a third-party call.
It never puts the exception's message in the entry: a message can quote the text being
scanned, so only the exception type and the place in tracecheck's code are kept.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tracecheck.errors import TracecheckError
from tracecheck.model import Locator, SkipKind, Skipped

T = TypeVar("T")

STRICT_ENV = "TRACECHECK_STRICT"
"""Set to 1 to make an internal error propagate instead of being recorded."""

_PACKAGE = Path(__file__).resolve().parent


def strict() -> bool:
    """True when internal errors must propagate (tests, debugging)."""
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def where_raised(exc: BaseException) -> str:
    """`tracecheck/module.py:LINE` of the innermost tracecheck frame the exception passed
    through (or of the innermost frame when none is tracecheck's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        path = Path(frame.filename)
        if path.is_relative_to(_PACKAGE):
            return f"tracecheck/{path.relative_to(_PACKAGE).as_posix()}:{frame.lineno}"
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


def internal_error(locator: Locator, exc: BaseException) -> Skipped:
    """The coverage entry for a failure of tracecheck itself at `locator`."""
    return Skipped(
        locator=locator, kind=SkipKind.INTERNAL_ERROR,
        reason=f"internal error in tracecheck ({type(exc).__name__} at {where_raised(exc)}): "
               "not scanned; this is a bug in tracecheck, not a problem with the input")


def isolated(work: Callable[[], T], locator: Locator) -> T | Skipped:
    """`work()`, or the `internal-error` entry for `locator` when tracecheck fails inside it
    (strict mode: the exception propagates)."""
    try:
        return work()
    except TracecheckError:
        raise  # something the user must fix (a broken install, a bad option): stop the run
    except Exception as exc:  # a bug in tracecheck: input problems were listed where they arose
        if strict():
            raise
        return internal_error(locator, exc)
