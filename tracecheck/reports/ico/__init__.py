"""The ICO personal-data-breach report: one model, three formats (Markdown, HTML, JSON).

The formats are `IcoFormat` members registered in `tracecheck.reports.base.REGISTRY`, like the
scan formats; each is a `Reporter[IcoCase]`. `render(snapshot, config, fmt, reveal=False)`
returns one as text. Nothing here reads the case store or writes files; the CLI does that.
"""

from __future__ import annotations

import io

from tracecheck.case.snapshot import CaseSnapshot
from tracecheck.reports.base import IcoFormat, reporter_for
from tracecheck.reports.ico.config import IcoConfig, load_config
from tracecheck.reports.ico.report import IcoCase, IcoReport, build


def render(
    snapshot: CaseSnapshot, config: IcoConfig, fmt: IcoFormat | str, *, reveal: bool = False
) -> str:
    """Build the report for `snapshot` and return it as text in format `fmt`."""
    out = io.StringIO()
    reporter_for(IcoFormat(fmt)).write(IcoCase(snapshot, config), out, reveal=reveal)
    return out.getvalue()


__all__ = ["IcoCase", "IcoConfig", "IcoFormat", "IcoReport", "build", "load_config", "render"]
