"""`tracecheck worklist recipients|subjects|senders` (issue 17, step 2): golden files for every
format, the XLSX read back with openpyxl, masking, the audit log of revealed exports, output
that cannot attack a spreadsheet, and agreement with the ICO report's figures."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import case_scenario as sc
import pytest
from typer.testing import CliRunner

from tests.reports.golden import GOLDEN, check_golden
from tracecheck import api
from tracecheck.case import CaseStore
from tracecheck.cli import app
from tracecheck.persons.mentions import Mention
from tracecheck.reports.ico.numbers import compute

LISTS = ("recipients", "subjects", "senders")


@pytest.fixture
def case(tmp_path: Path) -> Path:
    sc.build_case(tmp_path / "case").close()
    return tmp_path / "case"


def _xlsx_as_data(path: Path) -> dict[str, object]:
    from openpyxl import load_workbook

    sheet = load_workbook(path).active
    return {
        "title": sheet.title,
        "freeze_panes": sheet.freeze_panes,
        "auto_filter": sheet.auto_filter.ref,
        "widths": {k: d.width for k, d in sorted(sheet.column_dimensions.items())},
        "bold_header": all(c.font.bold for c in sheet[1]),
        "rows": [[c.value for c in row] for row in sheet.iter_rows()],
    }


@pytest.mark.parametrize("which", LISTS)
def test_each_worklist_matches_its_golden_files(case: Path, tmp_path: Path, which: str) -> None:
    for fmt in ("csv", "json"):
        out = tmp_path / f"{which}.{fmt}"
        api.worklist(case, which, fmt, out)
        check_golden(GOLDEN / "worklist" / f"{which}.{fmt}", out.read_text(encoding="utf-8"))
    out = tmp_path / f"{which}.xlsx"
    api.worklist(case, which, "xlsx", out)
    data = _xlsx_as_data(out)
    check_golden(GOLDEN / "worklist" / f"{which}.xlsx.json",
                 json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert data["freeze_panes"] == "A2" and data["bold_header"]
    rows = data["rows"]
    assert isinstance(rows, list)
    assert data["auto_filter"] == f"A1:{chr(64 + len(rows[0]))}{len(rows)}"


def test_the_same_case_gives_byte_identical_files(case: Path, tmp_path: Path) -> None:
    for fmt in ("json", "csv", "xlsx"):
        api.worklist(case, "subjects", fmt, tmp_path / f"a.{fmt}")
        api.worklist(case, "subjects", fmt, tmp_path / f"b.{fmt}")
        assert (tmp_path / f"a.{fmt}").read_bytes() == (tmp_path / f"b.{fmt}").read_bytes()


def test_masked_unless_revealed_and_every_revealed_export_is_audited(case: Path,
                                                                     tmp_path: Path) -> None:
    api.worklist(case, "subjects", "csv", tmp_path / "masked.csv")
    masked = (tmp_path / "masked.csv").read_text()
    assert sc.NHS1 not in masked and "Ann Example" not in masked and sc.JANE not in masked
    assert "943*******" in masked and "A** E******" in masked
    assert api.audit_log(case) == []
    api.worklist(case, "subjects", "csv", tmp_path / "open.csv", reveal=True, who="dpo")
    api.worklist(case, "recipients", "xlsx", tmp_path / "open.xlsx", reveal=True, who="dpo")
    revealed = (tmp_path / "open.csv").read_text()
    assert sc.NHS1 in revealed and "Ann Example" in revealed and sc.JANE in revealed
    entries = api.audit_log(case)
    assert [(e.who, e.action, e.rows) for e in entries] == [
        ("dpo", "worklist subjects --reveal", 3), ("dpo", "worklist recipients --reveal", 2)]
    assert all(e.at.endswith("Z") and "open." in e.detail for e in entries)


def test_worklists_agree_with_the_ico_report(case: Path) -> None:
    store = CaseStore.open(case, create=False, readonly=True)
    n = compute(store.snapshot(), reveal=True)
    store.close()
    from tracecheck.worklists.rows import Worklist, build

    subjects = build(Worklist.SUBJECTS, n, reveal=False)
    assert len(subjects.rows) == n.data_subjects_estimate
    recipients = build(Worklist.RECIPIENTS, n, reveal=False).records()
    assert len(recipients) == len(n.consumer_addresses)
    assert {r["domain"] for r in recipients} == {d for d, _ in n.consumer_domains}
    senders = build(Worklist.SENDERS, n, reveal=False).records()
    assert [(r["account"], r["messages"]) for r in senders] == list(n.staff_senders)


def test_text_from_the_mail_cannot_attack_the_spreadsheet(tmp_path: Path) -> None:
    store = CaseStore.open(tmp_path / "case")
    run = store.begin_run(sc.MANIFEST)
    hostile = dict(sc.MENTIONS)
    hostile[f"{sc.MBOX}@0"] = (Mention("=HYPERLINK(\"http://x\") \x1b[2J", "1950-02-03", (),
                                       (sc.NHS1,)),)
    store.finish_run(run, sc.scan_result(), sc.end_hashes(), ended=sc.ENDED, mentions=hostile)
    store.close()
    api.worklist(tmp_path / "case", "subjects", "csv", tmp_path / "s.csv", reveal=True, who="x")
    api.worklist(tmp_path / "case", "subjects", "xlsx", tmp_path / "s.xlsx", reveal=True, who="x")
    text = (tmp_path / "s.csv").read_text()
    assert "'=HYPERLINK" in text and "\x1b" not in text and "\\x1b[2J" in text
    from openpyxl import load_workbook

    cells = [c for row in load_workbook(tmp_path / "s.xlsx").active.iter_rows() for c in row]
    hit = next(c for c in cells if "HYPERLINK" in str(c.value))
    assert hit.data_type == "s" and str(hit.value).startswith("'=")


def test_xlsx_needs_a_file_and_a_damaged_case_is_one_line(case: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["worklist", "recipients", "--case", str(case), "-f", "xlsx"])
    assert done.exit_code == 2 and "give --output FILE" in done.output
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "case.sqlite").write_bytes(b"not a database at all" * 100)
    done = runner.invoke(app, ["worklist", "subjects", "--case", str(tmp_path / "bad")])
    assert done.exit_code == 2 and len(done.output.strip().splitlines()) == 1
    done = runner.invoke(app, ["worklist", "senders", "--case", str(case)])
    assert done.exit_code == 0 and done.output.startswith("account,messages,first,last")
