"""An interrupted scan resumes: shards saved before a kill -9 are handed back, the rest are not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from case_scenario import MANIFEST
from hypothesis import given, settings
from hypothesis import strategies as st

from tracecheck.case import CaseStore, codec
from tracecheck.model import (
    Address,
    Finding,
    Hop,
    Locator,
    LogEvent,
    LogRecipient,
    Match,
    MessageInfo,
    MessageRef,
    Note,
    NoteKind,
    Severity,
    ShardResult,
    SkipKind,
    Skipped,
    SourceSummary,
)


def shard(key: str, n: int = 0) -> ShardResult:
    """A shard that uses every nested record type, enum and optional field."""
    at = Locator(key, offset=n)
    loc = str(at)
    return ShardResult(
        key=key,
        source=SourceSummary(key, "mbox", 4096, "cd" * 32, 2, 1),
        found=2,
        scanned=2,
        skipped=(Skipped(Locator(key, offset=900), "truncated message",
                         kind=SkipKind.TRUNCATED),),
        notes=(Note(at, "unknown charset x-foo", part="1", kind=NoteKind.DECODE),),
        messages=(
            MessageInfo(
                at=at, source=key, sha256="ef" * 32, message_id="<a@b.example>",
                date=None, subject="Case notes — ünïcode",
                senders=(Address("agent@org.example", "Agent Ünï", "from"),),
                recipients=(Address("x@gmail.com", "", "to"),
                            Address("y@hotmail.co.uk", "Y", "cc")),
                container="mbox", notes=("bad date",),
                hops=(Hop(by="mx.org.example", from_="client", id="Q1", for_="x@gmail.com",
                          date_utc="2021-03-01T09:00:00Z"),),
            ),
        ),
        matches=((loc, Match("nhs-number", "identifier", Severity.CRITICAL, "1", "body", 5, 17,
                             "9434765919", "943 *** ****", 0.97, False, "uk-health")),),
        refs=(MessageRef(loc, "ef" * 32, "<a@b.example>", None, True, flow="to-consumer",
                         queue_ids=("Q1", "Q2")),),
        sender_domains=(("org.example", 2),),
        log_events=(LogEvent("postfix", "/l", Locator("/l", line=1), None, "a@org.example",
                             (LogRecipient("x@gmail.com", "delivered", "250 ok", "x@y"),),
                             size=None, notes=("n",)),),
        order=(0, n),
    )


def test_shard_codec_round_trips_exactly():
    s = shard("/e/a.mbox", 7)
    back = codec.loads(ShardResult, codec.dumps(s))
    assert back == s
    assert type(back.matches[0][1].severity) is Severity
    assert isinstance(back.messages[0].hops, tuple)


def test_saved_shard_is_reused_only_when_file_and_scan_settings_match(tmp_path):
    store = CaseStore.open(tmp_path / "case")
    run = store.begin_run(MANIFEST)
    store.save_shard(run, shard("/e/a.mbox"), 4096, 111)
    assert store.load_shard("/e/a.mbox", 4096, 111) == shard("/e/a.mbox")
    assert store.load_shard("/e/a.mbox", 4096, 112) is None  # touched
    assert store.load_shard("/e/a.mbox", 4097, 111) is None  # grown
    assert store.load_shard("/e/b.mbox", 4096, 111) is None  # never scanned
    store.begin_run(MANIFEST | {"packs": [{"pack": "uk-health", "version": "1.1.0",
                                           "sha256": "99" * 32, "path": "p"}]})
    assert store.load_shard("/e/a.mbox", 4096, 111) is None  # other rule packs
    store.begin_run(MANIFEST)
    assert store.load_shard("/e/a.mbox", 4096, 111) == shard("/e/a.mbox")
    store.close()


def test_checkpoint_adapter_matches_the_scan_api(tmp_path):
    store = CaseStore.open(tmp_path / "case")
    cp = store.checkpoint(store.begin_run(MANIFEST))
    cp.save_shard(shard("/e/a.mbox"), 10, 20)
    assert cp.load_shard("/e/a.mbox", 10, 20) == shard("/e/a.mbox")
    store.close()


CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_case_resume import shard
    from case_scenario import MANIFEST
    from tracecheck.case import CaseStore
    store = CaseStore.open({case!r})
    run = store.begin_run(MANIFEST)
    store.save_shard(run, shard("/e/a.mbox"), 4096, 1)
    store.save_shard(run, shard("/e/b.mbox"), 4096, 2)
    print("saved", flush=True)
    time.sleep(60)
    """
)


def test_resume_after_kill_9(tmp_path):
    case = str(tmp_path / "case")
    code = CHILD.format(tests=str(Path(__file__).parent), case=case)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env=os.environ | {"PYTHONPATH": str(Path(__file__).parents[2])})
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "saved"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    store = CaseStore.open(case)
    assert [r.status for r in store.runs()] == ["running"]
    run = store.begin_run(MANIFEST)
    assert [r.status for r in store.runs()] == ["interrupted", "running"]
    assert store.load_shard("/e/a.mbox", 4096, 1) == shard("/e/a.mbox")
    assert store.load_shard("/e/b.mbox", 4096, 2) == shard("/e/b.mbox")
    assert store.load_shard("/e/c.mbox", 4096, 3) is None  # not reached before the kill
    store.save_shard(run, shard("/e/c.mbox"), 4096, 3)
    store.close()


@settings(max_examples=60, deadline=None)
@given(st.builds(Finding), st.builds(LogEvent))
def test_any_finding_and_log_event_survive_the_codec(finding, event):
    assert codec.loads(Finding, codec.dumps(finding)) == finding
    assert codec.loads(LogEvent, codec.dumps(event)) == event
