"""The one Reporter interface, the format enums and the one registry of formats.

Owns `Reporter[S]` (writes one subject to a text stream: a `ScanResult` for `tracecheck scan`,
an `IcoCase` for `tracecheck report`), the `--format` names of both commands (`ReportFormat`,
`IcoFormat`), the presentation options a reporter may take (`RenderOptions`) and `REGISTRY`,
which maps every format to the class that implements it. A test renders every registered
format and checks the output is well-formed for it.

Registration is loud: a format whose module cannot be found fails when it is registered (that
is, when this module is imported), a module that fails to import raises `RegistrationError` the
first time its format is asked for (never a fallback to another format), and an enum member
without a registration fails at import. Modules are imported only when their format is used,
so a scan does not load the ICO report's templates and charts.

Reporters write text and never decide exit codes. Nothing here unmasks data unless `reveal`
is set.
"""

from __future__ import annotations

import enum
import importlib
import importlib.util
import sys
from dataclasses import dataclass, fields
from importlib.machinery import PathFinder
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO, TypeVar, overload, runtime_checkable

if TYPE_CHECKING:
    from tracecheck.model import ScanResult
    from tracecheck.reports.ico.report import IcoCase

SCHEMA_VERSION = 1

S_contra = TypeVar("S_contra", contravariant=True)


class ReportFormat(enum.StrEnum):
    """Output formats of `tracecheck scan` (reporters of a `ScanResult`)."""

    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    SARIF = "sarif"
    JUNIT = "junit"
    PARQUET = "parquet"
    """Binary: written to the byte stream under the text stream (`binary`)."""

    @property
    def binary(self) -> bool:
        """True for a format written as bytes (`out.buffer`), never to a terminal."""
        return self is ReportFormat.PARQUET


class IcoFormat(enum.StrEnum):
    """Output formats of `tracecheck report`, the ICO breach report (reporters of an
    `IcoCase`)."""

    MD = "md"
    HTML = "html"
    JSON = "json"


Format = ReportFormat | IcoFormat
"""A registered format. `ReportFormat.JSON == IcoFormat.JSON` (both are the string "json"),
so the registry keys formats by their enum as well as their value."""


@runtime_checkable
class Reporter(Protocol[S_contra]):
    """Writes one subject in one format. Implementations subclass `Reporter[ScanResult]` or
    `Reporter[IcoCase]`, so the type checker holds them to this signature."""

    def write(self, subject: S_contra, out: TextIO, /, *, reveal: bool = False) -> None:
        """Write `subject` to `out`; include unmasked values only when `reveal`."""
        ...


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Presentation settings; each format takes the ones its registration names."""

    color: bool = False
    """Colour and terminal layout (table)."""
    width: int | None = None
    """Terminal width (table)."""
    root: str | Path | None = None
    """The folder source paths are made relative to (SARIF; default: the current folder)."""


_OPTION_NAMES = frozenset(f.name for f in fields(RenderOptions))


class RegistrationError(RuntimeError):
    """A format registered wrongly, or whose module cannot be imported (a bug or a broken
    installation, never bad input)."""


@dataclass(frozen=True, slots=True)
class Registration:
    """One format and the class that writes it (`module:Class`, imported when first used)."""

    fmt: Format
    target: str
    options: tuple[str, ...] = ()
    """The `RenderOptions` fields its constructor takes, as keyword arguments."""

    def load(self) -> type[Any]:
        """The reporter class; `RegistrationError` when its module does not import."""
        module_name, _, attr = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise RegistrationError(
                f"--format {self.fmt} ({type(self.fmt).__name__}): {module_name} cannot be "
                f"imported: {exc}") from exc
        cls = vars(module).get(attr)
        if not (isinstance(cls, type) and issubclass(cls, Reporter)):
            raise RegistrationError(f"--format {self.fmt}: {self.target} is not a Reporter")
        return cls

    def create(self, options: RenderOptions) -> Reporter[Any]:
        """A reporter for this format, given the options it takes."""
        reporter: Reporter[Any] = self.load()(
            **{name: getattr(options, name) for name in self.options})
        return reporter


class Registry:
    """Formats → registrations; one entry per enum member."""

    def __init__(self) -> None:
        self._entries: dict[tuple[type[enum.Enum], str], Registration] = {}

    def register(self, fmt: Format, target: str, *, options: tuple[str, ...] = ()) -> None:
        """Add `fmt`, written by the class `target` (`module:Class`). Fails when the module
        cannot be found, the format is already registered or an option is unknown."""
        module_name, colon, attr = target.partition(":")
        if not colon or not attr:
            raise RegistrationError(f"--format {fmt}: target {target!r} is not 'module:Class'")
        if not _findable(module_name):
            raise RegistrationError(f"--format {fmt}: no module named {module_name!r}")
        unknown = sorted(set(options) - _OPTION_NAMES)
        if unknown:
            raise RegistrationError(f"--format {fmt}: unknown render options {unknown}")
        key = (type(fmt), fmt.value)
        if key in self._entries:
            raise RegistrationError(f"--format {fmt} ({type(fmt).__name__}) registered twice")
        self._entries[key] = Registration(fmt, target, options)

    def require(self, *enums: type[enum.Enum]) -> None:
        """Fail unless every member of `enums` is registered."""
        missing = [f"{e.__name__}.{m.name}" for e in enums for m in e
                   if (e, m.value) not in self._entries]
        if missing:
            raise RegistrationError(f"formats without a reporter: {', '.join(missing)}")

    def registration(self, fmt: Format) -> Registration:
        """The registration of `fmt`."""
        try:
            return self._entries[(type(fmt), fmt.value)]
        except KeyError:
            raise RegistrationError(f"--format {fmt} is not registered") from None

    def formats(self) -> tuple[Format, ...]:
        """Every registered format, in registration order."""
        return tuple(r.fmt for r in self._entries.values())


def _findable(module: str) -> bool:
    """True when `module` can be found, without importing it or its parent packages (the
    ICO package imports its templates and charts)."""
    parts = module.split(".")
    for i in range(len(parts) - 1, 0, -1):
        parent = sys.modules.get(".".join(parts[:i]))
        if parent is not None:
            break
    else:
        return importlib.util.find_spec(module) is not None
    paths: list[str] | None = list(getattr(parent, "__path__", []))
    for part in parts[i:]:
        spec = PathFinder.find_spec(part, paths) if paths else None
        if spec is None:
            return False
        paths = list(spec.submodule_search_locations or [])
    return True


REGISTRY = Registry()
REGISTRY.register(ReportFormat.TABLE, "tracecheck.reports.table:TableReporter",
                  options=("color", "width"))
REGISTRY.register(ReportFormat.JSON, "tracecheck.reports.json_report:JsonReporter")
REGISTRY.register(ReportFormat.JSONL, "tracecheck.reports.json_report:JsonlReporter")
REGISTRY.register(ReportFormat.CSV, "tracecheck.reports.csv_report:CsvReporter")
REGISTRY.register(ReportFormat.SARIF, "tracecheck.reports.sarif:SarifReporter",
                  options=("root",))
REGISTRY.register(ReportFormat.JUNIT, "tracecheck.reports.junit:JunitReporter")
REGISTRY.register(ReportFormat.PARQUET, "tracecheck.reports.parquet:ParquetReporter")
REGISTRY.register(IcoFormat.MD, "tracecheck.reports.ico.markdown:IcoMarkdownReporter")
REGISTRY.register(IcoFormat.HTML, "tracecheck.reports.ico.html:IcoHtmlReporter")
REGISTRY.register(IcoFormat.JSON, "tracecheck.reports.ico.jsonout:IcoJsonReporter")
REGISTRY.require(ReportFormat, IcoFormat)


@overload
def reporter_for(fmt: ReportFormat, *, color: bool = False, width: int | None = None,
                 root: str | Path | None = None) -> Reporter[ScanResult]: ...
@overload
def reporter_for(fmt: IcoFormat, *, color: bool = False, width: int | None = None,
                 root: str | Path | None = None) -> Reporter[IcoCase]: ...
def reporter_for(fmt: Format, *, color: bool = False, width: int | None = None,
                 root: str | Path | None = None) -> Reporter[Any]:
    """The reporter implementing `fmt`, with the presentation options it takes."""
    return REGISTRY.registration(fmt).create(RenderOptions(color=color, width=width, root=root))
