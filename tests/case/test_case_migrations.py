"""A case written by the first schema opens under the current code with nothing lost."""

from __future__ import annotations

import json
import sqlite3

import pytest
from case_scenario import FINDINGS

from tracecheck.case import CaseStore, CaseStoreError, Decision, codec
from tracecheck.case.schema import CURRENT_VERSION, MIGRATIONS, migrate


def _v1_case(path):
    path.mkdir()
    conn = sqlite3.connect(path / "case.sqlite", isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO runs (tool_version, python, packs, arguments, started, ended, status,"
        " messages_found, messages_scanned, skipped, findings) VALUES"
        " ('0.0.9', 'CPython 3.11.2', '[]', '[\"scan\", \"x.mbox\"]', '2021-03-10T09:00:00Z',"
        " '2021-03-10T09:01:00Z', 'complete', 4, 4, 0, 1)"
    )
    f = FINDINGS[0]
    conn.execute(
        "INSERT INTO findings (fingerprint, message_sha256, locator, rule, category, severity,"
        " sender, flow, date, record, first_run, last_run) VALUES (?,?,?,?,?,?,?,?,?,?,1,1)",
        (f.fingerprint, f.message_sha256, f.locator, f.rule, f.category, int(f.severity),
         f.sender, f.flow.value, f.date, codec.dumps(f)),
    )
    conn.execute(
        "INSERT INTO decisions VALUES (?, 'confirmed', 'seen in v1', 'old-reviewer',"
        " '2021-03-10T10:00:00Z')",
        (f.fingerprint,),
    )
    conn.close()
    return f


def test_migrates_a_v1_case_to_current_keeping_findings_and_decisions(tmp_path):
    f = _v1_case(tmp_path / "case")
    store = CaseStore.open(tmp_path / "case")
    assert store.schema_version == CURRENT_VERSION == MIGRATIONS[-1].version
    assert store.findings() == [f]
    rec = store.decisions()[f.fingerprint]
    assert (rec.decision, rec.who, rec.reason) == (Decision.CONFIRMED, "old-reviewer",
                                                   "seen in v1")
    # the v2 history starts with the decision carried over from v1
    assert [h.reason for h in store.decision_history()] == ["seen in v1"]
    (run,) = store.runs()
    assert run.status == "complete" and run.arguments == ("scan", "x.mbox")
    # v2 tables work on the migrated case
    assert store.load_shard("x.mbox", 1, 1) is None
    snap = store.snapshot()
    assert snap.log_summary is None and snap.flow_counts == {}
    store.close()
    conn = sqlite3.connect(tmp_path / "case" / "case.sqlite")
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    assert versions == [m.version for m in MIGRATIONS]
    assert json.loads(conn.execute("SELECT flow_counts FROM runs").fetchone()[0]) == {}
    conn.close()


def test_reopening_a_current_case_applies_nothing(tmp_path):
    CaseStore.open(tmp_path / "case").close()
    conn = sqlite3.connect(tmp_path / "case" / "case.sqlite", isolation_level=None)
    assert migrate(conn) == CURRENT_VERSION
    assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()


def test_a_case_from_a_newer_tracecheck_is_refused(tmp_path):
    CaseStore.open(tmp_path / "case").close()
    conn = sqlite3.connect(tmp_path / "case" / "case.sqlite", isolation_level=None)
    conn.execute("INSERT INTO schema_version VALUES (99, 'from the future')")
    conn.close()
    with pytest.raises(CaseStoreError, match="schema version 99 is newer"):
        CaseStore.open(tmp_path / "case")


def test_a_case_scanned_before_people_were_linked_says_how_it_counts_them(tmp_path):
    """Schema 4 adds the mentions table; an older case has none, and its report counts people
    the earlier way and says that names were not read (scan again to link them)."""
    from tracecheck.persons.link import NO_NAMES_METHOD
    from tracecheck.reports.ico.numbers import compute

    _v1_case(tmp_path / "case")
    store = CaseStore.open(tmp_path / "case")
    snap = store.snapshot()
    store.close()
    assert snap.mentions == {}
    n = compute(snap)
    assert n.persons_method == NO_NAMES_METHOD
    assert n.data_subjects_estimate == n.distinct_identifiers + n.messages_without_identifier


def test_a_damaged_mentions_record_is_one_line_error(tmp_path):
    from case_scenario import build_case

    build_case(tmp_path / "case").close()
    conn = sqlite3.connect(tmp_path / "case" / "case.sqlite", isolation_level=None)
    conn.execute("UPDATE mentions SET record='{not json'")
    conn.close()
    store = CaseStore.open(tmp_path / "case")
    with pytest.raises(CaseStoreError, match="its mentions cannot be read"):
        store.snapshot()
    store.close()
