"""The ICO report as ONE self-contained HTML file: inline CSS (screen and print), inline SVG
charts, no scripts, no external fonts, images or links to fetch.

Owns the HTML page (a Jinja2 template shipped with the package, autoescaped) and which charts
it shows. Never computes a figure and never embeds anything the report model did not mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from tracecheck.reports.ico import charts
from tracecheck.reports.ico.document import Table
from tracecheck.reports.ico.report import IcoReport, IcoReporter, flagged_table
from tracecheck.reports.safe_text import visible


@dataclass(frozen=True, slots=True)
class Chart:
    """One inline chart."""

    title: str
    svg: str


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tracecheck.reports.ico", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _appendix(report: IcoReport) -> Table:
    return flagged_table(report, fingerprints=False)


def render(report: IcoReport) -> str:
    """The whole report as an HTML document."""
    n = report.numbers
    drawn = (
        ("Flagged messages over time", charts.timeline(n.by_day)),
        (
            "Flagged messages per consumer domain",
            charts.bars(n.consumer_domains, "Flagged messages per consumer domain"),
        ),
        (
            "Flagged messages per sending account",
            charts.bars(n.senders, "Flagged messages per sending account"),
        ),
    )
    chart_list = [Chart(title, svg) for title, svg in drawn if svg]
    template = _environment().get_template("ico.html.j2")
    return template.render(report=report, n=n, charts=chart_list, appendix=_appendix(report))


class IcoHtmlReporter(IcoReporter):
    """`report --format html`."""

    def render(self, report: IcoReport) -> str:
        """The report as text, control characters from the case made visible (tab and
        newline kept: the layout's own)."""
        return visible(render(report), keep="\t\n")
