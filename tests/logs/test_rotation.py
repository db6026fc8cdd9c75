"""Rotated sets: oldest first, .gz read by magic bytes, years chained across files."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from logkit import FIXTURES, read_all

from tracecheck.logs import plan_years, rotation_order, rotation_sets

ROTATED = FIXTURES / "rotated"


def test_logrotate_numbering_oldest_first() -> None:
    names = ["/v/mail.log", "/v/mail.log.1", "/v/mail.log.10.gz", "/v/mail.log.2.gz"]
    assert rotation_order(names) == [
        "/v/mail.log.10.gz", "/v/mail.log.2.gz", "/v/mail.log.1", "/v/mail.log"]


def test_dated_names_and_exchange_sequences() -> None:
    assert rotation_order(["/v/maillog", "/v/maillog-20240114.gz", "/v/maillog-20240107"]) == [
        "/v/maillog-20240107", "/v/maillog-20240114.gz", "/v/maillog"]
    assert rotation_order(["/x/MSGTRK20240126-1.LOG", "/x/MSGTRK20240125-2.LOG",
                           "/x/MSGTRK20240125-1.LOG"]) == [
        "/x/MSGTRK20240125-1.LOG", "/x/MSGTRK20240125-2.LOG", "/x/MSGTRK20240126-1.LOG"]


def test_sets_are_kept_apart() -> None:
    sets = rotation_sets(["/v/mail.log.1", "/v/mail.err", "/v/mail.log", "/v/mail.err.1"])
    assert sets == [["/v/mail.err.1", "/v/mail.err"], ["/v/mail.log.1", "/v/mail.log"]]


def _copy_set(tmp_path: Path, newest_mtime: datetime) -> list[str]:
    out = []
    for name in ("mail.log", "mail.log.1", "mail.log.2.gz"):
        shutil.copy(ROTATED / name, tmp_path / name)
        out.append(str(tmp_path / name))
    stamp = newest_mtime.timestamp()
    os.utime(tmp_path / "mail.log", (stamp, stamp))
    return out


def test_years_chain_across_the_set_from_the_newest_mtime(tmp_path: Path) -> None:
    paths = _copy_set(tmp_path, datetime(2021, 1, 2, 9, 0, tzinfo=UTC))
    plan = plan_years(paths)
    assert plan.damaged == () and plan.inferred == {}
    years = plan.years
    assert years == {
        str(tmp_path / "mail.log.2.gz"): 2020,
        str(tmp_path / "mail.log.1"): 2021,
        str(tmp_path / "mail.log"): 2021,
    }
    times = []
    for p in rotation_order(paths):
        events, skips = read_all(p, year=years[p])
        assert skips == []
        times.extend(e.time for e in events)
    assert times == ["2020-12-30T10:00:00Z", "2020-12-31T23:59:00Z", "2021-01-01T00:01:00Z",
                     "2021-01-02T08:00:00Z"]


def test_given_year_is_the_oldest_files_first_year(tmp_path: Path) -> None:
    paths = _copy_set(tmp_path, datetime(2030, 6, 1, tzinfo=UTC))  # mtime ignored
    years = plan_years(paths, year=2019).years
    assert [years[p] for p in rotation_order(paths)] == [2019, 2020, 2020]


def test_gzip_detected_by_magic_not_name(tmp_path: Path) -> None:
    disguised = tmp_path / "mail.log"
    disguised.write_bytes((ROTATED / "mail.log.2.gz").read_bytes())
    events, _ = read_all(disguised, year=2020)
    assert [e.queue_id for e in events] == ["11111AAAAA", "22222BBBBB"]


def test_read_log_files_over_a_folder(tmp_path: Path) -> None:
    from tracecheck.logs import read_log_files, sniff_path

    _copy_set(tmp_path, datetime(2021, 1, 2, 9, 0, tzinfo=UTC))
    shutil.copy(FIXTURES / "MSGTRK20210201-1.LOG", tmp_path / "MSGTRK20210201-1.LOG")
    (tmp_path / "notes.txt").write_text("From: a@example.org\nSubject: hi\n\nbody\n")
    all_paths = sorted(str(p) for p in tmp_path.iterdir())
    assert sniff_path(str(tmp_path / "mail.log.2.gz")) == "postfix"
    read = read_log_files(all_paths)
    assert [(str(s.locator), s.kind) for s in read.skipped] == [
        (str(tmp_path / "notes.txt"), "unsupported"),
        (str(tmp_path / "MSGTRK20210201-1.LOG") + ":10", "malformed-log-line"),
        (str(tmp_path / "MSGTRK20210201-1.LOG") + ":16", "malformed-log-line"),
    ]
    postfix = [e.time for e in read.events if e.log_format == "postfix"]
    assert postfix == ["2020-12-30T10:00:00Z", "2020-12-31T23:59:00Z",
                       "2021-01-01T00:01:00Z", "2021-01-02T08:00:00Z"]
    # Per file, in reading order (Exchange by name, then the rotated set oldest first).
    assert [(Path(c.path).name, c.log_format, c.events, c.skips) for c in read.files] == [
        ("MSGTRK20210201-1.LOG", "exchange", 4, 2),
        ("mail.log.2.gz", "postfix", 2, 0),
        ("mail.log.1", "postfix", 1, 0),
        ("mail.log", "postfix", 1, 0),
    ]
    # No export to match: the set's years rest on the newest file's mtime, and each says so.
    assert [(Path(n.locator.path).name, n.reason.split(",")[0]) for n in read.notes] == [
        ("mail.log.2.gz", "year of year-less stamps: 2020"),
        ("mail.log.1", "year of year-less stamps: 2021"),
        ("mail.log", "year of year-less stamps: 2021"),
    ]
    assert all("INFERRED from the file's modification time" in n.reason for n in read.notes)
    assert [(Path(y.path).name, y.basis.value) for y in read.years] == [
        ("MSGTRK20210201-1.LOG", "stamped"), ("mail.log.2.gz", "mtime"),
        ("mail.log.1", "mtime"), ("mail.log", "mtime")]
