"""Third-party packages an extension point needs: declared, checked without importing them.

Owns the `Requirement` record that extractors (`tracecheck.content.extract`) and sources
(`tracecheck.sources.registry`) declare, the presence check (`importlib.util.find_spec`, so
nothing heavy is imported at start-up), and the error that names a missing package. A
required package that is missing is an error (`MissingDependencyError`, exit 2), never a
silent "not extracted"; an optional one (an extra, such as `pst`) is reported as unavailable.
Never installs anything and never imports the packages it checks.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass

from tracecheck.errors import TracecheckError


class MissingDependencyError(TracecheckError):
    """A package tracecheck needs is not installed (the install is broken)."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """A Python package an extractor or source imports."""

    module: str
    """The import name (`pypdf`, `odf`, `pypff`)."""
    package: str
    """The distribution name to install (`pypdf`, `odfpy`, `libpff-python`)."""
    optional: bool = False
    """True for a package of an extra: without it that one type is unavailable, and says so."""
    extra: str = ""
    """The extra that installs it (`pst`), for the message."""

    def present(self) -> bool:
        """True when the module can be imported (checked without importing it)."""
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):  # a parent package missing, or a broken spec
            return False

    def install_hint(self) -> str:
        """The pip command that installs it."""
        if self.extra:
            return f"pip install 'tracecheck[{self.extra}]'"
        return f"pip install '{self.package}'"


def check(user: str, requires: Iterable[Requirement]) -> list[Requirement]:
    """The optional requirements of `user` that are missing; raises on a required one.

    `user` names what needs them in the message (`the docx extractor`, `the pst source`).
    """
    unavailable: list[Requirement] = []
    for req in requires:
        if req.present():
            continue
        if not req.optional:
            raise MissingDependencyError(
                f"{user} needs the Python package '{req.package}', which is not installed "
                f"(the installation is incomplete: {req.install_hint()})")
        unavailable.append(req)
    return unavailable
