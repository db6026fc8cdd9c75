"""The case store behind a real scan of samples/: a scan interrupted part-way resumes from the
shards it saved and ends with exactly the findings of an uninterrupted scan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from case_scenario import MANIFEST

from tracecheck import api, scanner
from tracecheck.case import CaseStore
from tracecheck.errors import RulePackError
from tracecheck.sources.shards import whole

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


class Counting:
    """Wraps a run checkpoint and counts the shards it hands back."""

    def __init__(self, inner):
        self.inner = inner
        self.reused = 0

    def load_shard(self, key, size, mtime_ns):
        shard = self.inner.load_shard(key, size, mtime_ns)
        self.reused += shard is not None
        return shard

    def save_shard(self, shard, size, mtime_ns):
        self.inner.save_shard(shard, size, mtime_ns)


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param(("maildir", "mbox", "archive"), id="mbox-maildir-gz"),
        # Purview exports keep one folder per mailbox: paths with '@' in them
        pytest.param(("eml",), id="purview-folders-with-at-sign"),
    ],
)
def test_interrupted_scan_resumes_from_saved_shards(tmp_path, parts):
    if not (SAMPLES / "mbox").is_dir():
        pytest.skip("samples/ not generated")
    evidence = tmp_path / "evidence"
    for part in parts:
        shutil.copytree(SAMPLES / part, evidence / part)
    paths = [str(evidence)]
    try:
        clean = api.scan(paths)
    except RulePackError as exc:  # the rules' own tests report this; here it only blocks
        pytest.skip(f"shipped rule pack does not load: {exc}")

    class DiesAfterTwo:
        def plan(self, inputs):  # type: ignore[no-untyped-def]
            return [whole(i) for i in inputs]

        def run(self, plan, cfg, progress=None):  # type: ignore[no-untyped-def]
            for i, shard in enumerate(plan):
                if i == 2:
                    raise KeyboardInterrupt  # what Ctrl-C or a kill leaves behind
                yield scanner.scan_shard(shard, cfg, progress)

    store = CaseStore.open(tmp_path / "case")
    run = store.begin_run(MANIFEST)
    with pytest.raises(KeyboardInterrupt):
        api.scan(paths, executor=DiesAfterTwo(), checkpoint=store.checkpoint(run))
    store.close()

    store = CaseStore.open(tmp_path / "case")
    run = store.begin_run(MANIFEST)
    counting = Counting(store.checkpoint(run))
    resumed = api.scan(paths, checkpoint=counting)
    assert counting.reused == 2
    assert [r.status for r in store.runs()] == ["interrupted", "running"]
    store.finish_run(run, resumed, {s.path: s.sha256 for s in resumed.sources})
    assert sorted(f.fingerprint for f in resumed.findings) == sorted(
        f.fingerprint for f in clean.findings)
    assert {f.fingerprint for f in store.findings()} == {f.fingerprint for f in clean.findings}
    # every message is kept when a case store is filled (plain scans keep consumer ones only)
    assert len(store.messages()) == len({r.locator for r in resumed.refs})
    assert resumed.messages_scanned == clean.messages_scanned
    store.close()


def test_a_scan_into_a_case_keeps_who_each_flagged_message_is_about(tmp_path):
    """The samples' people (issue 17): the case keeps the mentions of every flagged message,
    and the report links them (132 people; the labels say 136: the 4 unnamed relatives of
    `condition-statements` are not counted apart)."""
    from tests.conftest import SAMPLES
    from tracecheck import api
    from tracecheck.case import CaseStore
    from tracecheck.persons.link import METHOD
    from tracecheck.reports.ico.numbers import compute

    paths = [str(SAMPLES / d) for d in ("mbox", "eml", "maildir", "archive")]
    api.scan_into_case(paths, api.ScanOptions(org_domains=("tracecall.co.uk",)), tmp_path / "c")
    store = CaseStore.open(tmp_path / "c", create=False, readonly=True)
    snap = store.snapshot()
    store.close()
    flagged = {f.locator for f in snap.findings if f.flow.is_consumer}
    assert set(snap.mentions) == flagged
    n = compute(snap)
    assert n.persons_method == METHOD
    assert n.data_subjects_estimate == 132
    assert {p.linked_by for p in n.persons} == {"identifier", "name and date of birth",
                                                "message"}


def test_a_scan_interrupted_while_reading_flagged_messages_again_is_marked_interrupted(
        tmp_path, monkeypatch):
    """Ctrl-C during the second read of the flagged messages (names and subjects) leaves the
    run marked interrupted, not running."""
    evidence = tmp_path / "mail"
    evidence.mkdir()
    (evidence / "m1.eml").write_text(
        "Date: Mon, 1 Mar 2021 10:00:00 +0000\nFrom: a.b@tracecall.co.uk\n"
        "To: c.d@gmail.com\nSubject: x\nMessage-ID: <m1@x>\n\n"
        "NHS 401 023 2137 tested positive for COVID.\n", encoding="utf-8")

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "flagged_reread", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.scan_into_case([str(evidence)], api.ScanOptions(), tmp_path / "case")
    store = CaseStore.open(tmp_path / "case", create=False, readonly=True)
    try:
        assert [r.status for r in store.runs()] == ["interrupted"]
    finally:
        store.close()
