"""The case store keeps what a scan found, once, and keeps reviewers' decisions across rescans."""

from __future__ import annotations

import dataclasses
import sqlite3
import stat

import pytest
from case_scenario import (
    A2,
    ENDED,
    FINDINGS,
    FP_M1_NHS,
    FP_M4,
    LOG_SUMMARY,
    MANIFEST,
    MBOX,
    build_case,
    end_hashes,
    scan_result,
)

from tracecheck.case import CaseStore, CaseStoreError, Decision
from tracecheck.case.schema import CURRENT_VERSION


def _unique(findings):
    return {f.fingerprint: f for f in findings}


def test_findings_round_trip_as_finding_objects(tmp_path):
    store = build_case(tmp_path / "case", decide=False)
    back = store.findings()
    expected = _unique(FINDINGS)
    assert {f.fingerprint for f in back} == set(expected)
    for f in back:
        want = expected[f.fingerprint]
        # copies with identical bytes share a fingerprint; the locator is one of the copies
        assert dataclasses.replace(f, at=want.at, source=want.source) == want
    store.close()


def test_case_file_is_private_and_in_wal_mode(tmp_path):
    store = build_case(tmp_path / "case", decide=False)
    mode = stat.S_IMODE((tmp_path / "case" / "case.sqlite").stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE((tmp_path / "case").stat().st_mode) == 0o700
    assert store.schema_version == CURRENT_VERSION
    wal = tmp_path / "case" / "case.sqlite-wal"
    assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
    store.close()
    conn = sqlite3.connect(tmp_path / "case" / "case.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_run_manifest_sources_messages_logs_and_gaps_are_kept(tmp_path):
    store = build_case(tmp_path / "case", decide=False)
    (run,) = store.runs()
    assert run.status == "complete"
    assert run.started == MANIFEST["started"] and run.ended == ENDED
    assert run.python == "CPython 3.11.7" and run.tool_version == "0.1.0"
    assert run.packs[0].sha256 == "ab" * 32
    assert run.arguments == tuple(MANIFEST["arguments"])
    assert (run.messages_scanned, run.skipped) == (10, 3)
    sources = {s.path: s for s in store.sources()}
    assert sources[MBOX].sha256_end == end_hashes()[MBOX]
    assert not any(s.changed for s in sources.values())
    assert len(store.messages()) == 10
    assert len(store.log_events()) == 5
    assert {s.kind for s in store.skipped()} == {"encrypted", "image", "truncated"}
    snap = store.snapshot()
    assert snap.log_summary == LOG_SUMMARY and snap.log_summary.not_in_export == 1
    store.close()


def test_source_changed_during_the_run_is_recorded(tmp_path):
    store = CaseStore.open(tmp_path / "case")
    run = store.begin_run(MANIFEST)
    hashes = end_hashes() | {MBOX: "0" * 64}
    store.finish_run(run, scan_result(), hashes, ended=ENDED)
    assert [s.path for s in store.sources() if s.changed] == [MBOX]
    store.close()


def test_rescanning_never_duplicates(tmp_path):
    store = build_case(tmp_path / "case", decide=False)
    before = (len(store.findings()), len(store.messages()), len(store.log_events()),
              len(store.skipped()), len(store.sources()))
    for _ in range(2):
        run = store.begin_run(MANIFEST)
        store.finish_run(run, scan_result(), end_hashes(), ended=ENDED)
    after = (len(store.findings()), len(store.messages()), len(store.log_events()),
             len(store.skipped()), len(store.sources()))
    assert after == before
    assert [r.status for r in store.runs()] == ["complete"] * 3
    store.close()


def test_a_finding_the_rescan_no_longer_produces_is_dropped_but_its_decision_kept(tmp_path):
    store = build_case(tmp_path / "case")
    kept = tuple(f for f in FINDINGS if f.fingerprint != FP_M4)
    run = store.begin_run(MANIFEST)
    store.finish_run(run, scan_result(findings=kept), end_hashes(), ended=ENDED)
    assert FP_M4 not in {f.fingerprint for f in store.findings()}
    assert store.decisions()[FP_M4].decision is Decision.FALSE_POSITIVE
    store.close()


def test_decisions_survive_rescans_and_keep_who_when_why(tmp_path):
    store = build_case(tmp_path / "case")
    run = store.begin_run(MANIFEST)
    store.finish_run(run, scan_result(), end_hashes(), ended=ENDED)
    store.close()
    store = CaseStore.open(tmp_path / "case")
    rec = store.decisions()[FP_M1_NHS]
    assert (rec.decision, rec.who, rec.at) == (Decision.CONFIRMED, "analyst",
                                               "2021-03-12T11:00:00Z")
    assert rec.reason == "checked against case list"
    store.close()


def test_bulk_decisions_by_rule_and_by_sender(tmp_path):
    store = build_case(tmp_path / "case", decide=False)
    by_rule = store.decide(rule="symptom", decision="needs-review", reason="r", who="a")
    assert len(by_rule) == 1
    by_sender = store.decide(sender=A2.upper(), decision=Decision.CONFIRMED, reason="r", who="a")
    assert len(by_sender) == 5  # M3 (2), its re-export (2) and M4
    both = store.decide(rule="nhs-number", sender=A2, decision="confirmed", reason="r", who="b")
    assert len(both) == 4
    assert len(store.decision_history()) == 10
    store.close()


def test_fingerprint_prefix_and_decision_errors(tmp_path):
    store = build_case(tmp_path / "case", decide=False)
    assert store.decide([FP_M1_NHS[:10]], decision="confirmed", reason="ok", who="a") == [
        FP_M1_NHS
    ]
    with pytest.raises(CaseStoreError, match="too short"):
        store.decide([FP_M1_NHS[:4]], decision="confirmed", reason="ok", who="a")
    with pytest.raises(CaseStoreError, match="no finding with fingerprint"):
        store.decide(["f" * 64], decision="confirmed", reason="ok", who="a")
    with pytest.raises(CaseStoreError, match="needs a reason"):
        store.decide([FP_M1_NHS], decision="confirmed", reason=" ", who="a")
    with pytest.raises(ValueError, match="unknown decision 'maybe'"):
        store.decide([FP_M1_NHS], decision="maybe", reason="x", who="a")
    with pytest.raises(CaseStoreError, match="choose findings"):
        store.decide(decision="confirmed", reason="x", who="a")
    store.close()


def test_open_without_create_and_on_a_foreign_database(tmp_path):
    with pytest.raises(CaseStoreError, match="no case at"):
        CaseStore.open(tmp_path / "nothing", create=False)
    foreign = tmp_path / "other.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(CaseStoreError, match="not a tracecheck case"):
        CaseStore.open(foreign)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "case.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CaseStoreError, match="not a usable case database"):
        CaseStore.open(junk)


def test_a_manifest_without_packs_gets_them_from_the_result(tmp_path):
    store = CaseStore.open(tmp_path / "case")
    run = store.begin_run({"tool_version": "0.1.0", "started": "2021-03-12T10:00:00Z"})
    (pending,) = store.runs()
    assert pending.status == "running" and pending.packs == () and pending.python
    store.finish_run(run, scan_result(), end_hashes(), ended=ENDED)
    (done,) = store.runs()
    assert [p.pack for p in done.packs] == ["uk-health"]
    store.close()


def test_ctrl_c_marks_the_run_interrupted(tmp_path):
    store = CaseStore.open(tmp_path / "case")
    run = store.begin_run(MANIFEST)
    store.mark_interrupted(run)
    (rec,) = store.runs()
    assert rec.status == "interrupted" and rec.ended is not None
    store.close()
