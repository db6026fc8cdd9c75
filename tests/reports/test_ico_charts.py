"""The HTML report's charts draw every label as plain text (issue 15, item 2): a legal
address with `$` in it made matplotlib parse mathtext and fail, deep `${{...}}$` nesting made
it recurse, and no HTML was written."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from tests.conftest import eml
from tracecheck import api
from tracecheck.reports.ico import charts

MATH = "x$^$y@org.example"
DEEP = "$" + "{" * 400 + "x" + "}" * 400 + "$@org.example"


@pytest.mark.parametrize("label", [MATH, DEEP, r"$\frac{1}{2}$", "$$", r"a\$b"])
def test_a_bar_label_is_drawn_as_written(label: str) -> None:
    svg = charts.bars([(label, 3), ("plain@org.example", 1)], "Flagged messages per account")
    assert svg is not None
    assert html.escape(label, quote=False) in svg or label in svg


def test_the_html_report_is_written_for_a_sender_with_dollar_signs(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    for i, sender in enumerate((MATH, DEEP)):
        (export / f"m{i}.eml").write_bytes(eml(
            sender=f"<{sender}>", to="jo@gmail.com", msgid=f"<m{i}@org.example>",
            body="NHS number 943 476 5919, PCR came back positive"))
    case = tmp_path / "case"
    api.scan_into_case([str(export)], api.ScanOptions(org_domains=("org.example",)), case)
    page = api.report(case, fmt=api.IcoFormat.HTML)
    assert page.rstrip().endswith("</html>")
    assert html.escape(MATH, quote=False) in page
