"""A damaged log is a listed skip, never the end of the run: truncated and corrupt gzip files
in a rotated set, through the CLI and through every reader family."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from logkit import FIXTURES

from tracecheck.logs import FORMATS, read_log, read_log_files, sniff_path
from tracecheck.model import LogEvent, SkipKind, Skipped

ROTATED = FIXTURES / "rotated"
N_MESSAGES = 300


def _day_one_log() -> bytes:
    """`mail.log.1` of the set: N_MESSAGES postfix messages on 1 January, one a minute."""
    lines = []
    for i in range(N_MESSAGES):
        qid = f"{i:05d}ABCDE"
        stamp = f"Jan  1 {i // 60:02d}:{i % 60:02d}:00 mx3"
        lines += [
            f"{stamp} postfix/pickup[10]: {qid}: uid=0 from=<root@example.org>",
            f"{stamp} postfix/qmgr[11]: {qid}: from=<root@example.org>, size=10, nrcpt=1 "
            "(queue active)",
            f"{stamp} postfix/smtp[12]: {qid}: to=<p{i}@gmail.com>, relay=mx.example.net"
            "[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 OK)",
            f"{stamp} postfix/qmgr[11]: {qid}: removed",
        ]
    return ("\n".join(lines) + "\n").encode()


def truncated_gzip(data: bytes, keep: float = 0.6) -> bytes:
    """`data` gzipped, then cut: the stream ends before its end-of-stream marker."""
    packed = gzip.compress(data, mtime=0)
    return packed[: int(len(packed) * keep)]


def cut_gzip(data: bytes, cut: int) -> bytes:
    """A gzip stream that decompresses to exactly `data[:cut]`, then ends without its
    end-of-stream marker (flushed at the cut, as a writer killed mid-file leaves it)."""
    packer = zlib.compressobj(wbits=31)
    return packer.compress(data[:cut]) + packer.flush(zlib.Z_SYNC_FLUSH)


def corrupt_gzip(data: bytes) -> bytes:
    """`data` gzipped with bytes in the middle of the deflate stream overwritten."""
    packed = bytearray(gzip.compress(data, mtime=0))
    mid = len(packed) // 2
    packed[mid : mid + 16] = b"\xff" * 16
    return bytes(packed)


def damaged_set(folder: Path) -> Path:
    """mail.log, a truncated mail.log.1.gz and mail.log.2.gz; the newest dated 2 Jan 2021."""
    folder.mkdir(exist_ok=True)
    (folder / "mail.log").write_bytes((ROTATED / "mail.log").read_bytes())
    (folder / "mail.log.1.gz").write_bytes(truncated_gzip(_day_one_log()))
    (folder / "mail.log.2.gz").write_bytes((ROTATED / "mail.log.2.gz").read_bytes())
    stamp = datetime(2021, 1, 2, 9, 0, tzinfo=UTC).timestamp()
    os.utime(folder / "mail.log", (stamp, stamp))
    return folder


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracecheck", *args], capture_output=True,
                          text=True, timeout=120)


def test_scan_of_a_rotated_set_with_a_truncated_gzip_reports_it(tmp_path: Path) -> None:
    logs = damaged_set(tmp_path / "logs")
    out = tmp_path / "report.json"
    run = _cli("scan", str(logs), "--format", "json", "--output", str(out))
    assert run.returncode in (0, 1), run.stderr
    assert "interrupted" not in run.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    damaged = str(logs / "mail.log.1.gz")
    listed = [s for s in doc["coverage"]["skipped"] if s["locator"] == damaged]
    assert [s["kind"] for s in listed] == ["truncated"]
    assert "ends early" in listed[0]["reason"]
    sources = {s["path"]: s for s in doc["coverage"]["sources"]}
    # The other files of the set are read whole, and so is what the damaged one still holds.
    assert sources[str(logs / "mail.log.2.gz")]["messages"] == 2
    assert sources[str(logs / "mail.log")]["messages"] == 1
    assert 0 < sources[damaged]["messages"] < N_MESSAGES
    times = sorted(e["time"] for e in doc["logs"]["event_list"])
    # Years still chained from the newest file's mtime: Dec 2020, then Jan 2021.
    assert times[0] == "2020-12-30T10:00:00Z" and times[-1] == "2021-01-02T08:00:00Z"
    assert all(t.startswith("2021-01-01") for t in times[2:-1])


def test_logs_command_over_the_same_set_lists_the_damage(tmp_path: Path) -> None:
    logs = damaged_set(tmp_path / "logs")
    run = _cli("logs", str(logs), "--format", "json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    sources = {r["source"] for r in doc["rows"]}
    assert sources == {str(logs / n) for n in ("mail.log", "mail.log.1.gz", "mail.log.2.gz")}
    assert "1 truncated" in run.stderr
    assert [s["kind"] for s in doc["skipped"]].count("truncated") == 1


def test_one_reading_path_counts_per_file_and_says_the_years_were_inferred(
        tmp_path: Path) -> None:
    logs = damaged_set(tmp_path / "logs")
    paths = sorted(str(p) for p in logs.iterdir())
    read = read_log_files(paths)
    counts = {c.path: (c.events, c.skips) for c in read.files}
    damaged = str(logs / "mail.log.1.gz")
    assert counts[str(logs / "mail.log.2.gz")] == (2, 0)
    assert counts[str(logs / "mail.log")] == (1, 0)
    assert counts[damaged][1] == 1
    [skip] = read.skipped
    assert skip.locator.path == damaged and skip.kind is SkipKind.TRUNCATED
    assert "inferred" in skip.reason
    gap_notes = [n for n in read.notes if "chained across" in n.reason]
    assert {n.locator.path for n in gap_notes} == {str(logs / "mail.log"),
                                                  str(logs / "mail.log.2.gz")}
    assert all("inferred" in n.reason for n in gap_notes)
    # Besides, every file of the set says what its year rests on: here, the mtime alone.
    assert {n.locator.path: n.reason.split(",")[1] for n in read.notes
            if "chained across" not in n.reason} == dict.fromkeys(
        paths, " INFERRED from the file's modification time (no mailbox export to match it "
               "against); pass --log-year if the year is known")
    salvaged = [e for e in read.events if e.source == damaged]
    assert N_MESSAGES // 3 < len(salvaged) < N_MESSAGES


def test_a_line_cut_by_the_damage_is_not_read(tmp_path: Path) -> None:
    data = _day_one_log()
    cut = data.index(b"status=sent", data.index(b"to=<p100@gmail.com>")) + len(b"status=se")
    path = tmp_path / "mail.log.1.gz"
    path.write_bytes(cut_gzip(data, cut))
    items = list(read_log(str(path), "postfix", year=2021))
    events = [i for i in items if isinstance(i, LogEvent)]
    # Read, the cut line would say `status=se`: a recipient whose status is unknown.
    assert [e.queue_id for e in events][-1] == "00100ABCDE"
    assert events[-1].recipients == ()
    assert {r.status for e in events for r in e.recipients} == {"delivered"}
    [damage] = [i for i in items if isinstance(i, Skipped)]
    assert damage.kind is SkipKind.TRUNCATED and "after line 402" in damage.reason


def test_a_corrupt_gzip_in_the_set_is_unreadable_not_fatal(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "mail.log").write_bytes((ROTATED / "mail.log").read_bytes())
    (logs / "mail.log.1.gz").write_bytes(corrupt_gzip(_day_one_log()))
    read = read_log_files([str(p) for p in logs.iterdir()], year=2021)
    kinds = {(s.locator.path, s.kind) for s in read.skipped}
    assert (str(logs / "mail.log.1.gz"), SkipKind.UNREADABLE) in kinds
    assert [e.queue_id for e in read.events if e.source == str(logs / "mail.log")] == [
        "44444DDDDD"]


# One truncated gzip per reader family: syslog lines, CSV exports, JSON exports.
FAMILIES = {
    "postfix": "postfix_dec_jan.log",
    "exim": "exim_mainlog",
    "sendmail": "sendmail_maillog",
    "exchange": "MSGTRK20210201-1.LOG",
    "m365": "m365_enhanced.csv",
    "m365-json": "m365_trace.json",
    "google": "google_email_log_search.csv",
    "google-json": "gmail_bigquery.json",
    "o365-audit": "purview_audit.csv",
    "o365-audit-json": "o365_management_api.json",
    "gmail-audit": "google_login_audit.json",
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
@pytest.mark.parametrize("keep", [0.02, 0.5, 0.9])
def test_every_reader_turns_a_truncated_gzip_into_a_skip(tmp_path: Path, name: str,
                                                         keep: float) -> None:
    fmt = name.removesuffix("-json")
    source = (FIXTURES / FAMILIES[name]).read_bytes()
    whole = tmp_path / "whole.gz"
    whole.write_bytes(gzip.compress(source, mtime=0))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(truncated_gzip(source, keep))
    assert fmt in FORMATS
    items = list(read_log(str(cut), fmt, year=2021))
    assert all(isinstance(i, (LogEvent, Skipped)) for i in items)
    damage = [i for i in items if isinstance(i, Skipped) and i.locator.line is None]
    assert [(d.locator.path, d.kind) for d in damage] == [(str(cut), SkipKind.TRUNCATED)]
    intact = [i for i in read_log(str(whole), fmt, year=2021) if isinstance(i, LogEvent)]
    assert len([i for i in items if isinstance(i, LogEvent)]) <= len(intact)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_reader_turns_a_corrupt_gzip_into_a_skip(tmp_path: Path, name: str) -> None:
    fmt = name.removesuffix("-json")
    bad = tmp_path / "bad.gz"
    bad.write_bytes(corrupt_gzip((FIXTURES / FAMILIES[name]).read_bytes() * 20))
    items = list(read_log(str(bad), fmt, year=2021))
    damage = [i for i in items if isinstance(i, Skipped) and i.locator.line is None]
    assert [(d.locator.path, d.kind) for d in damage] == [(str(bad), SkipKind.UNREADABLE)]


def test_sniffing_reads_what_a_truncated_gzip_still_holds(tmp_path: Path) -> None:
    cut = tmp_path / "mail.log.1.gz"
    cut.write_bytes(truncated_gzip(_day_one_log(), 0.3))
    assert sniff_path(str(cut)) == "postfix"
