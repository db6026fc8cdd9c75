"""The ICO personal-data-breach report: one model, three formats (Markdown, HTML, JSON).

The formats are `IcoFormat` members registered in `tracecheck.reports.base.REGISTRY`, like the
scan formats; each is a `Reporter[IcoCase]`. `render(snapshot, config, fmt, reveal=False)`
returns one as text. Nothing here reads the case store or writes files; the CLI does that.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from tracecheck.case.snapshot import CaseSnapshot
from tracecheck.reports.base import IcoFormat, reporter_for
from tracecheck.reports.ico.config import IcoConfig, load_config
from tracecheck.reports.ico.report import IcoCase, IcoReport, build


def render(
    snapshot: CaseSnapshot, config: IcoConfig, fmt: IcoFormat | str, *, reveal: bool = False,
    follow_up: bool = False, previous: Mapping[str, object] | None = None,
    previous_at: str | None = None,
) -> str:
    """Build the report for `snapshot` and return it as text in format `fmt` (a follow-up
    compares it with the `previous` report's figures)."""
    out = io.StringIO()
    reporter_for(IcoFormat(fmt)).write(IcoCase(snapshot, config, follow_up, previous,
                                               previous_at), out, reveal=reveal)
    return out.getvalue()


__all__ = ["IcoCase", "IcoConfig", "IcoFormat", "IcoReport", "build", "load_config", "render"]
