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


def test_the_same_case_gives_byte_identical_files(case: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    real = time.time
    for fmt in ("json", "csv", "xlsx"):
        monkeypatch.setattr(time, "time", real)
        api.worklist(case, "subjects", fmt, tmp_path / f"a.{fmt}")
        # a day later (zip entries keep times to 2 seconds: a quick second write would match)
        monkeypatch.setattr(time, "time", lambda: real() + 86_400)
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


def test_worklists_agree_with_the_ico_report(case: Path, tmp_path: Path) -> None:
    """The files a DPO works from say what the filed report says (compared as written: the
    report's JSON against each worklist's JSON), on the scenario's known answers."""
    report = json.loads(api.report(case, fmt=api.IcoFormat.JSON))
    ico = report["ico"]

    def listed(which: str) -> list[dict[str, object]]:
        return _records(case, tmp_path, f"{which}.json", which=which)

    subjects = listed("subjects")
    assert len(subjects) == ico["data_subjects"]["estimate"] == 3
    identified = {i for r in subjects for i in r["identifiers"]}  # type: ignore[attr-defined]
    assert len(identified) == ico["data_subjects"]["distinct_identifiers"] == 2
    recipients = [r for r in listed("recipients") if r["messages"]]
    assert sorted((r["address"], r["messages"]) for r in recipients) == sorted(
        (a["address"], a["messages"]) for a in ico["recipients"]["addresses"])
    senders = [r for r in listed("senders") if r["sent"]]
    assert sorted((r["account"], r["sent"]) for r in senders) == sorted(
        (s["sender"], s["messages"]) for s in ico["staff"]["senders"])


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
    assert done.exit_code == 0 and done.output.startswith(
        "account,direction,messages,sent,received")


# --- subjects and forwarding (issue 17: what the recipients list was missing) -----------------


def _recipient_rows(case: Path, tmp_path: Path, fmt: str, *, reveal: bool = False
                    ) -> list[list[object]]:
    """The recipients list written in `fmt`, read back as rows of cells (header first)."""
    out = tmp_path / f"recipients-{reveal}.{fmt}"
    api.worklist(case, "recipients", fmt, out, reveal=reveal, who="dpo")
    if fmt == "xlsx":
        rows = _xlsx_as_data(out)["rows"]
        assert isinstance(rows, list)
        return rows
    if fmt == "json":
        doc = json.loads(out.read_text(encoding="utf-8"))
        return [doc["columns"]] + [list(r.values()) for r in doc["rows"]]
    import csv

    return list(csv.reader(out.read_text(encoding="utf-8").splitlines()))


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_a_subject_with_health_data_is_masked_unless_revealed_and_revealing_it_is_audited(
        case: Path, tmp_path: Path, fmt: str) -> None:
    masked = json.dumps(_recipient_rows(case, tmp_path, fmt), ensure_ascii=False)
    # a name, a date of birth and two NHS numbers in subjects: none of them leaves unmasked
    for secret in ("Ann Example", "1950", sc.NHS1, sc.NHS2, "PCR result"):
        assert secret not in masked
    assert "2021-03-01 P** r***** f** A** E****** D** **/**/****" in masked
    assert "2021-03-05 C**** ********** a** **********" in masked
    assert api.audit_log(case) == []
    revealed = json.dumps(_recipient_rows(case, tmp_path, fmt, reveal=True), ensure_ascii=False)
    assert f"2021-03-01 {sc.SUBJECT_M1}" in revealed
    assert f"Cases {sc.NHS1} and {sc.NHS2}" in revealed
    (entry,) = api.audit_log(case)
    assert (entry.who, entry.action, entry.rows) == ("dpo", "worklist recipients --reveal", 2)
    assert f"format {fmt}" in entry.detail


def test_a_subject_that_could_not_be_read_again_says_so(case: Path, tmp_path: Path) -> None:
    rows = {r["address"]: r for r in _records(case, tmp_path)}
    jane = rows["j***@gmail.com"]
    assert jane["subjects"][1] == "2021-03-02 (subject unknown)"
    assert jane["notes"] == ["subject unknown for 1 message(s): the message could not be read "
                             "again after the scan (moved, changed or unreadable)"]


def _records(case: Path, tmp_path: Path, name: str = "r.json",
             which: str = "recipients") -> list[dict[str, object]]:
    api.worklist(case, which, "json", tmp_path / name)
    rows = json.loads((tmp_path / name).read_text(encoding="utf-8"))["rows"]
    assert isinstance(rows, list)
    return rows


def test_a_forwarding_rule_in_the_scenario_shows_on_its_targets_row(case: Path,
                                                                    tmp_path: Path) -> None:
    rows = {r["address"]: r for r in _records(case, tmp_path)}
    bob = rows["b***@hotmail.co.uk"]
    assert (bob["forwarding_rules"], bob["forwarded_by"], bob["forwarding_first"]) == (
        1, [sc.A2], "2021-02-26T08:00:00Z")
    assert rows["j***@gmail.com"]["forwarding_rules"] == 0


@pytest.fixture(scope="module")
def sample_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import SAMPLES

    case = tmp_path_factory.mktemp("samples") / "case"
    api.scan_into_case([str(SAMPLES / "mbox"), str(SAMPLES / "logs")], api.ScanOptions(), case)
    return case


def test_forwarding_rules_read_from_an_audit_log_list_their_targets_to_contain(
        sample_case: Path, tmp_path: Path) -> None:
    """samples/logs/purview-audit.csv sets up an inbox rule forwarding to
    tt.manager.home@gmail.com and a mailbox forward to shift.lead.home@hotmail.co.uk; neither
    received a flagged message, so each is a row of its own, and can be marked contained."""
    listed = _records(sample_case, tmp_path)
    rows = {r["address"]: r for r in listed if not r["messages"]}
    target = rows["t***@gmail.com"]
    assert (target["messages"], target["forwarding_rules"], target["forwarded_by"],
            target["forwarding_first"]) == (0, 1, ["aaron.quayle@tracecall.co.uk"],
                                            "2021-01-04T08:12:00Z")
    assert target["notes"][0].startswith("no flagged message to or from this mailbox")
    assert rows["s***@hotmail.co.uk"]["forwarded_by"] == ["zoe.muller@tracecall.co.uk"]
    # the rows with messages are still exactly the report's consumer mailboxes
    store = CaseStore.open(sample_case, create=False, readonly=True)
    n = compute(store.snapshot(), reveal=True)
    store.close()
    assert len([r for r in listed if r["messages"]]) == len(n.consumer_addresses)
    assert len(listed) == len(n.consumer_addresses) + 2
    api.contain_mark(sample_case, "tt.manager.home@gmail.com", "requested", note="asked",
                     who="dpo")
    rows = {r["address"]: r for r in _records(sample_case, tmp_path, "again.json")
            if not r["messages"]}
    assert rows["t***@gmail.com"]["containment_status"] == "requested"


def test_subjects_are_read_again_from_the_evidence_as_the_scan_read_them(
        sample_case: Path) -> None:
    """The re-read pass decodes each flagged message's Subject with the scan's own header
    reader: the same text as the scan's `MessageInfo` for every flagged message."""
    from tests.conftest import SAMPLES
    from tracecheck.content.mime import header_fields, message_info
    from tracecheck.model import RawMessage
    from tracecheck.reread import _messages

    store = CaseStore.open(sample_case, create=False, readonly=True)
    kept = store.subjects()
    store.close()
    assert kept and all(s is not None for s in kept.values())
    scanned: dict[str, str] = {}
    for path in sorted((SAMPLES / "mbox").iterdir()):
        for raw in _messages(str(path), api.ScanOptions().limits):
            assert isinstance(raw, RawMessage)
            scanned[str(raw.locator)] = message_info(raw, header_fields(raw)).subject
    assert {k: scanned[k] for k in kept} == kept


def test_a_case_from_schema_7_migrates_and_says_subjects_and_forwarding_are_unknown(
        tmp_path: Path) -> None:
    """A case written before schema 8 kept no subjects and no log forwarding: opened by this
    tracecheck it is migrated (reading it migrates a copy in memory, writing it the file), and
    the recipients list says what it does not know, and why, instead of leaving it blank."""
    import sqlite3

    from tracecheck.case.schema import CURRENT_VERSION

    sc.build_case(tmp_path / "case").close()
    # the same case as schema 7 wrote it: no subjects table, no runs.log_forwarding
    conn = sqlite3.connect(tmp_path / "case" / "case.sqlite", isolation_level=None)
    conn.execute("DROP TABLE subjects")
    conn.execute("ALTER TABLE runs DROP COLUMN log_forwarding")
    conn.execute("DELETE FROM schema_version WHERE version = 8")
    conn.close()
    rows = {r["address"]: r for r in _records(tmp_path / "case", tmp_path)}
    jane, bob = rows["j***@gmail.com"], rows["b***@hotmail.co.uk"]
    assert jane["subjects"] == ["2021-03-01 (subject unknown)", "2021-03-02 (subject unknown)"]
    assert jane["notes"] == [
        "subject unknown for 2 message(s): the case was scanned before tracecheck kept "
        "subjects (scan the evidence again with --case to fill them)",
        "forwarding rules unknown: the case's logs were scanned before tracecheck kept them "
        "(scan the logs again with --case)"]
    assert (bob["forwarding_rules"], bob["forwarded_by"]) == ("unknown", [])
    # writing to it (a containment record) migrates the file itself
    api.contain_mark(tmp_path / "case", sc.BOB, "deleted", note="confirmed", who="dpo")
    store = CaseStore.open(tmp_path / "case", create=False, readonly=True)
    assert store.schema_version == CURRENT_VERSION == 8
    assert store.subjects() == {} and store.log_forwarding() is None
    store.close()


def test_a_case_without_logs_lists_no_forwarding_and_no_note_about_it(tmp_path: Path) -> None:
    sc.build_case(tmp_path / "case", with_logs=False).close()
    rows = _records(tmp_path / "case", tmp_path)
    assert [r["forwarding_rules"] for r in rows] == [0, 0]
    assert not any("forwarding" in note for r in rows for note in r["notes"])


def test_a_forwarding_time_whose_year_was_inferred_says_so(case: Path) -> None:
    from tracecheck.worklists.rows import FORWARDING_YEAR, CaseFacts, Worklist, build

    store = CaseStore.open(case, create=False, readonly=True)
    snapshot = store.snapshot()
    store.close()
    n = compute(snapshot, reveal=True)
    facts = CaseFacts.of(snapshot)
    plain = build(Worklist.RECIPIENTS, n, reveal=False, facts=facts).records()
    guessed = build(Worklist.RECIPIENTS, n, reveal=False, facts=CaseFacts(
        facts.subjects, facts.forwarding, frozenset({"/evidence/logs/audit.csv"}))).records()
    assert FORWARDING_YEAR not in plain[1]["notes"]  # type: ignore[operator]
    assert guessed[1]["notes"] == [FORWARDING_YEAR]
    assert guessed[0]["notes"] == plain[0]["notes"]  # Jane: no forwarding, no such note


def test_a_file_name_that_is_not_utf8_keeps_its_subject_and_the_names_in_it(
        tmp_path: Path) -> None:
    import os

    evidence = tmp_path / "mail"
    evidence.mkdir()
    name = os.fsdecode(b"caf\xff.eml")
    (evidence / name).write_text(
        "Date: Mon, 1 Mar 2021 10:00:00 +0000\nFrom: Wes Gorton <wes.gorton@tracecall.co.uk>\n"
        "To: wes.home@gmail.com\nSubject: Daily list\nMessage-ID: <c6@x>\n\n"
        "Hi\n\nJohn Smith DOB 01/02/1960 tested positive for COVID.\n\nWes\n", encoding="utf-8")
    options = api.ScanOptions(org_domains=("tracecall.co.uk",))
    api.scan_into_case([str(evidence)], options, tmp_path / "case")
    out = tmp_path / "recipients.json"
    api.worklist(tmp_path / "case", "recipients", "json", out, reveal=True, who="test")
    (row,) = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert row["subjects"] == ["2021-03-01 Daily list"]
    store = CaseStore.open(tmp_path / "case", create=False, readonly=True)
    try:
        (person,) = compute(store.snapshot()).persons
    finally:
        store.close()
    assert (person.name, person.dob) == ("John Smith", "1960-02-01")


def test_the_report_counts_the_containment_of_a_mailbox_that_was_only_forwarded_to(
        sample_case: Path, tmp_path: Path) -> None:
    """Every mailbox the recipients worklist lists to contain is in the report's containment
    section, a forwarding target that received no flagged message too."""
    import shutil

    def statuses(case: Path) -> dict[str, int]:
        store = CaseStore.open(case, create=False, readonly=True)
        try:
            return dict(compute(store.snapshot()).containment)
        finally:
            store.close()

    case = tmp_path / "case"
    shutil.copytree(sample_case, case)  # another test marks a mailbox of the shared case
    before = statuses(case)
    api.contain_mark(case, "shift.lead.home@hotmail.co.uk", "requested", note="asked",
                     who="dpo")
    after = statuses(case)
    assert sum(after.values()) == len(_records(case, tmp_path))
    assert after["requested"] == before["requested"] + 1
    assert "No containment request is recorded" not in api.report(case)


def test_staff_who_received_health_data_from_a_personal_mailbox_are_listed(
        tmp_path: Path) -> None:
    """A staff account that only received flagged mail from a consumer mailbox is in the
    senders (staff accounts) worklist, with its direction, and on that mailbox's row."""
    evidence = tmp_path / "mail"
    evidence.mkdir()
    (evidence / "m1.eml").write_text(
        "Date: Mon, 1 Mar 2021 10:00:00 +0000\nFrom: Jo Home <jo.home@gmail.com>\n"
        "To: Amy Lomax <amy.lomax@tracecall.co.uk>\nSubject: update\nMessage-ID: <m1@x>\n\n"
        "Hi\n\nMary Jones NHS 401 023 2137 tested positive for COVID.\n\nJo\n",
        encoding="utf-8")
    api.scan_into_case([str(evidence)], api.ScanOptions(org_domains=("tracecall.co.uk",)),
                       tmp_path / "case")
    senders = _records(tmp_path / "case", tmp_path, "senders.json", which="senders")
    (amy,) = [r for r in senders if r["account"] == "amy.lomax@tracecall.co.uk"]
    assert (amy["direction"], amy["received"], amy["sent"]) == ("received", 1, 0)
    (row,) = _records(tmp_path / "case", tmp_path)
    assert row["staff_accounts"] == ["amy.lomax@tracecall.co.uk"]


def test_a_forwarding_mailbox_at_a_consumer_domain_is_masked_even_if_no_mail_went_there(
        case: Path) -> None:
    """Whether a forwarding mailbox is someone's personal address is the one consumer-domain
    rule's answer, not whether the case happened to see that domain elsewhere."""
    from tracecheck.model import Locator, LogForwarding
    from tracecheck.worklists.rows import CaseFacts, Worklist, build

    store = CaseStore.open(case, create=False, readonly=True)
    n = compute(store.snapshot(), reveal=True)
    store.close()
    rule = LogForwarding("message", "2021-03-01T10:00:00Z", "pat.home@yahoo.co.uk", "",
                         "pat.elsewhere@gmail.com", "", "postfix", "mail.log",
                         Locator("mail.log", line=3))
    rows = build(Worklist.RECIPIENTS, n, reveal=False, facts=CaseFacts(forwarding=(rule,)))
    (row,) = [r for r in rows.records() if r["forwarding_rules"]]
    assert row["forwarded_by"] == ["p***@yahoo.co.uk"]


def test_an_xlsx_cell_longer_than_excel_holds_is_cut_and_says_so(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from tracecheck.worklists.formats import xlsx_bytes
    from tracecheck.worklists.rows import Table, Worklist

    subjects = [f"2021-03-{i % 28 + 1:02d} S******* {i}" for i in range(3000)]  # ~70k chars
    table = Table(Worklist.RECIPIENTS, ("address", "subjects"),
                  (("j***@gmail.com", subjects),), False)
    (tmp_path / "w.xlsx").write_bytes(xlsx_bytes(table))
    cell = load_workbook(tmp_path / "w.xlsx").active["B2"].value
    assert len(cell) <= 32_767
    assert cell.startswith(subjects[0]) and "the CSV and JSON worklists hold the full text" in cell
