"""The one Reporter interface and registry: every registered format renders well-formed output,
every `--format` name has a reporter, and a registration that cannot work fails loudly."""

from __future__ import annotations

import csv
import enum
import io
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.reports.golden import GOLDEN, golden_result, render_scan
from tracecheck.reports.base import (
    REGISTRY,
    IcoFormat,
    RegistrationError,
    Registry,
    RenderOptions,
    Reporter,
    ReportFormat,
    reporter_for,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "case"))
from case_scenario import build_case  # noqa: E402

from tracecheck.reports.ico import IcoCase, load_config  # noqa: E402

ICO_TITLE = "Personal data breach report (draft for the ICO)"


@pytest.fixture(scope="module")
def ico_case(tmp_path_factory: pytest.TempPathFactory) -> IcoCase:
    store = build_case(tmp_path_factory.mktemp("registry") / "case")
    snapshot = store.snapshot()
    store.close()
    return IcoCase(snapshot, load_config(GOLDEN / "ico" / "tracecheck.toml"))


def _table(text: str) -> None:
    lines = text.splitlines()
    header = lines[0].split("\t")  # the custodian column where findings were attributed
    assert header in (["flow", "severity", "rule", "date", "sender", "consumer", "where",
                       "evidence"],
                      ["flow", "severity", "rule", "date", "sender", "consumer", "where",
                       "custodian", "evidence"])
    rows = lines[1:lines.index("")]
    assert rows and all(len(r.split("\t")) == len(header) for r in rows)
    assert lines[lines.index("") + 1].startswith("Scanned ")


def _json(text: str) -> None:
    doc = json.loads(text)
    assert doc["schema_version"] == 1 and doc["findings"]


def _jsonl(text: str) -> None:
    records = [json.loads(line) for line in text.splitlines()]
    assert records and all("fingerprint" in r for r in records)


def _csv(text: str) -> None:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "message_id" and len(rows) > 1
    assert all(len(r) == len(rows[0]) for r in rows)


def _sarif(text: str) -> None:
    doc = json.loads(text)
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]
    # validated against the SARIF schema in test_sarif.py and test_incomplete.py


def _junit(text: str) -> None:
    suite = ET.fromstring(text)
    assert suite.tag == "testsuite" and suite.findall("testcase")


class _Titles(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.titles: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] in ("title", "h1"):
            self.titles.append(data.strip())


def _html(text: str) -> None:
    assert text.lstrip().lower().startswith("<!doctype html>")
    parser = _Titles()
    parser.feed(text)
    parser.close()
    assert any(t.startswith(ICO_TITLE) for t in parser.titles)
    assert text.rstrip().endswith("</html>")


def _markdown(text: str) -> None:
    lines = text.splitlines()
    assert lines[0] == f"# {ICO_TITLE}"
    assert sum(1 for line in lines if line.startswith("## ")) >= 10


def _parquet(text: str) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(text.encode("latin-1")))  # render_scan's byte text
    assert table.num_rows and table.schema.metadata[b"tracecheck.schema_version"] == b"1"
    assert table.column_names[0] == "message_id"


def _ico_json(text: str) -> None:
    doc = json.loads(text)
    assert doc["summary"]["messages_flagged"] > 0


CHECKS: dict[tuple[type[enum.Enum], str], Callable[[str], None]] = {
    (ReportFormat, "table"): _table,
    (ReportFormat, "json"): _json,
    (ReportFormat, "jsonl"): _jsonl,
    (ReportFormat, "csv"): _csv,
    (ReportFormat, "sarif"): _sarif,
    (ReportFormat, "junit"): _junit,
    (ReportFormat, "parquet"): _parquet,
    (IcoFormat, "md"): _markdown,
    (IcoFormat, "html"): _html,
    (IcoFormat, "json"): _ico_json,
}
"""How to tell each format's output is well-formed; a registered format missing here fails."""


@pytest.mark.parametrize("fmt", REGISTRY.formats(), ids=lambda f: f"{type(f).__name__}.{f.name}")
def test_every_registered_format_renders_well_formed_output(fmt: ReportFormat | IcoFormat,
                                                            ico_case: IcoCase) -> None:
    check = CHECKS[(type(fmt), fmt.value)]
    if isinstance(fmt, ReportFormat):
        text = render_scan(golden_result(), fmt)
    else:
        out = io.StringIO()
        reporter_for(fmt).write(ico_case, out)
        text = out.getvalue()
    assert text.strip()
    check(text)


def test_every_format_name_is_registered_once() -> None:
    keys = [(type(f), f.value) for f in REGISTRY.formats()]
    assert sorted(keys, key=str) == sorted(
        [(ReportFormat, f.value) for f in ReportFormat]
        + [(IcoFormat, f.value) for f in IcoFormat], key=str)
    assert len(set(keys)) == len(keys)


def test_the_two_json_formats_are_different_reporters() -> None:
    """`ReportFormat.JSON == IcoFormat.JSON` as strings; the registry keeps them apart."""
    assert ReportFormat.JSON == IcoFormat.JSON
    assert type(reporter_for(ReportFormat.JSON)) is not type(reporter_for(IcoFormat.JSON))


def test_every_reporter_implements_the_interface() -> None:
    for fmt in REGISTRY.formats():
        assert isinstance(REGISTRY.registration(fmt).create(RenderOptions()), Reporter)


def test_render_options_reach_the_formats_that_take_them() -> None:
    sarif = reporter_for(ReportFormat.SARIF, root="/elsewhere")
    assert sarif.root == "/elsewhere"
    table = reporter_for(ReportFormat.TABLE, color=True, width=77)
    assert (table.color, table.width) == (True, 77)


class Extra(enum.StrEnum):
    """Formats a plug-in might add."""

    BROKEN = "broken"
    MISSING = "missing"


def test_registering_a_module_that_does_not_exist_fails_at_once() -> None:
    registry = Registry()
    with pytest.raises(RegistrationError, match="no module named 'tracecheck.reports.nope'"):
        registry.register(Extra.MISSING, "tracecheck.reports.nope:NopeReporter")
    with pytest.raises(RegistrationError, match="not 'module:Class'"):
        registry.register(Extra.MISSING, "tracecheck.reports.json_report")
    with pytest.raises(RegistrationError, match="unknown render options"):
        registry.register(Extra.MISSING, "tracecheck.reports.json_report:JsonReporter",
                          options=("colour",))


def test_a_module_whose_import_fails_fails_loudly_when_its_format_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tc_broken_reporter.py").write_text(
        "import tc_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    registry.register(Extra.BROKEN, "tc_broken_reporter:BrokenReporter")
    registration = registry.registration(Extra.BROKEN)
    with pytest.raises(RegistrationError, match="tc_dependency_that_is_not_installed") as info:
        registration.load()
    assert isinstance(info.value.__cause__, ImportError)


def test_a_target_that_is_not_a_reporter_is_refused() -> None:
    registry = Registry()
    registry.register(Extra.BROKEN, "tracecheck.reports.base:RenderOptions")
    with pytest.raises(RegistrationError, match="is not a Reporter"):
        registry.registration(Extra.BROKEN).load()


def test_a_format_registered_twice_or_not_at_all_fails() -> None:
    registry = Registry()
    registry.register(ReportFormat.JSON, "tracecheck.reports.json_report:JsonReporter")
    with pytest.raises(RegistrationError, match="registered twice"):
        registry.register(ReportFormat.JSON, "tracecheck.reports.json_report:JsonlReporter")
    with pytest.raises(RegistrationError, match="ReportFormat.TABLE"):
        registry.require(ReportFormat)
    with pytest.raises(RegistrationError, match="not registered"):
        registry.registration(ReportFormat.CSV)


def test_a_scan_loads_no_ico_module() -> None:
    """Formats are imported when used: asking for a scan format leaves the ICO report's
    templates and charts unloaded (start-up time counts for every scan)."""
    import subprocess

    code = ("import sys; from tracecheck.reports.base import ReportFormat, reporter_for; "
            "reporter_for(ReportFormat.JSON); "
            "print(sorted(m for m in sys.modules if m.startswith('tracecheck.reports')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "tracecheck.reports.ico" not in out and "tracecheck.reports.json_report" in out
