"""The ICO personal-data-breach report: one model, three formats (Markdown, HTML, JSON).

`render(snapshot, config, fmt, reveal=False)` is the front door; `IcoFormat` names the formats
and `RENDERERS` maps each one to its module's `render`. Nothing here reads the case store or
writes files; the CLI does that.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from tracecheck.case.snapshot import CaseSnapshot
from tracecheck.reports.ico import html, jsonout, markdown
from tracecheck.reports.ico.config import IcoConfig, load_config
from tracecheck.reports.ico.report import IcoReport, build


class IcoFormat(enum.StrEnum):
    """Output formats of the ICO report."""

    MD = "md"
    HTML = "html"
    JSON = "json"


RENDERERS: dict[IcoFormat, Callable[[IcoReport], str]] = {
    IcoFormat.MD: markdown.render,
    IcoFormat.HTML: html.render,
    IcoFormat.JSON: jsonout.render,
}


def render(
    snapshot: CaseSnapshot, config: IcoConfig, fmt: IcoFormat | str, *, reveal: bool = False
) -> str:
    """Build the report for `snapshot` and return it as text in format `fmt`."""
    return RENDERERS[IcoFormat(fmt)](build(snapshot, config, reveal=reveal))


__all__ = ["RENDERERS", "IcoConfig", "IcoFormat", "IcoReport", "build", "load_config", "render"]
