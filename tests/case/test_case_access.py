"""Cases that cannot be written, paths that are not cases, file names that are not UTF-8:
one line and exit 2, or the command simply works; never a traceback (issue 14, item 7).
Reading a case (`report`, `review list`, `review history`) never writes to it."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from case_scenario import build_case
from typer.testing import CliRunner

from tests.conftest import ROOT, eml
from tracecheck.case import CaseStore
from tracecheck.case.schema import MIGRATIONS

cli = pytest.importorskip("tracecheck.cli")
runner = CliRunner()

LEAK = eml(to="Sam <sam.j@gmail.com>", subject="Case 12",
           body="Hi Sam, NHS number 943 476 5919 - PCR came back positive today.")


def run(*args: str):
    return runner.invoke(cli.app, list(args))


DROP = "-dac_override,-dac_read_search"


def as_reader(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI run by someone whom file permissions bind: this user, or, when the tests run as
    root, root without the capabilities that let it ignore them (`setpriv`)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:  # pragma: no cover - util-linux is part of the dev setup
            pytest.skip("root without setpriv: file permissions cannot be tested")
        prefix = [setpriv, f"--bounding-set={DROP}", f"--inh-caps={DROP}"]
    return subprocess.run([*prefix, sys.executable, "-m", "tracecheck", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)


@pytest.fixture
def open_tmp(tmp_path: Path) -> Iterator[Path]:
    """tmp_path, made writable again afterwards so that it can be removed."""
    yield tmp_path
    for p in (tmp_path, *tmp_path.rglob("*")):
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)


def read_only(case: Path) -> dict[str, str]:
    """Make the case folder and its files read-only; return each file's SHA-256."""
    sums = {}
    for f in sorted(case.iterdir()):
        f.chmod(0o444)
        sums[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
    case.chmod(0o555)
    return sums


def files_of(case: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(case.iterdir())}


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tracecheck: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_a_file_name_that_is_not_utf8_is_scanned_into_a_case(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    name = os.fsdecode(b"LFD r\xe9sultat.eml")  # Latin-1 bytes: not UTF-8
    (folder / name).write_bytes(LEAK)
    res = run("scan", str(folder), "--case", str(tmp_path / "case"), "--format", "json",
              "--output", str(tmp_path / "out.json"))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code == 1, res.output  # a finding: the scan finished
    with CaseStore.open(tmp_path / "case", readonly=True) as store:
        (source,) = store.sources()
        (finding,) = [f for f in store.findings() if f.rule == "nhs-number"]
    assert finding.source == str(folder / name)  # the record keeps the exact name
    assert source.path.endswith("LFD r\\xe9sultat.eml")  # the column: a readable escape
    # a rescan finds the saved file again: nothing is scanned or counted twice
    again = run("scan", str(folder), "--case", str(tmp_path / "case"), "--format", "json",
                "--output", str(tmp_path / "out2.json"))
    assert again.exit_code == 1, again.output
    with CaseStore.open(tmp_path / "case", readonly=True) as store:
        assert len(store.sources()) == 1 and len(store.messages()) == 1
    report = run("report", "--case", str(tmp_path / "case"), "--format", "json")
    assert report.exit_code == 0, report.output


def test_case_pointing_at_an_existing_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "export.eml").write_bytes(LEAK)
    target = tmp_path / "notes.txt"
    target.write_text("not a case\n")
    res = run("scan", str(tmp_path / "export.eml"), "--case", str(target))
    assert res.exit_code == 2, res.output
    assert "is a file, not a case folder" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert target.read_text() == "not a case\n"


def test_scan_into_a_read_only_case_folder_is_one_line(open_tmp: Path) -> None:
    (open_tmp / "export.eml").write_bytes(LEAK)
    (open_tmp / "export.eml").chmod(0o644)
    (open_tmp / "empty").mkdir(mode=0o555)
    proc = as_reader("scan", str(open_tmp / "export.eml"), "--case", str(open_tmp / "empty"))
    one_line_error(proc, "cannot create the case")
    (open_tmp / "sub").mkdir(mode=0o555)
    proc = as_reader("scan", str(open_tmp / "export.eml"), "--case",
                     str(open_tmp / "sub" / "case"))
    one_line_error(proc, "cannot create the case")


def test_scan_into_an_existing_read_only_case_is_one_line(open_tmp: Path) -> None:
    (open_tmp / "export.eml").write_bytes(LEAK)
    (open_tmp / "export.eml").chmod(0o644)
    build_case(open_tmp / "case").close()
    before = read_only(open_tmp / "case")
    proc = as_reader("scan", str(open_tmp / "export.eml"), "--case", str(open_tmp / "case"))
    one_line_error(proc, "read-only")
    assert files_of(open_tmp / "case") == before


def test_report_and_review_work_on_a_read_only_case(open_tmp: Path) -> None:
    build_case(open_tmp / "case").close()
    before = read_only(open_tmp / "case")
    for args in (("report", "--format", "md"), ("report", "--format", "json"),
                 ("review", "list"), ("review", "history")):
        proc = as_reader(args[0], "--case", str(open_tmp / "case"), *args[1:])
        assert proc.returncode == 0, (args, proc.stderr)
        assert proc.stdout.strip(), args
        assert "Traceback" not in proc.stderr
    assert "finding(s)" in as_reader("review", "--case", str(open_tmp / "case")).stdout
    assert files_of(open_tmp / "case") == before
    proc = as_reader("review", "--case", str(open_tmp / "case"), "mark", "confirmed",
                     "--rule", "symptom", "--reason", "checked")
    one_line_error(proc, "read-only")


def test_reading_a_case_never_writes_it(tmp_path: Path) -> None:
    build_case(tmp_path / "case").close()
    before = files_of(tmp_path / "case")
    mtime = (tmp_path / "case" / "case.sqlite").stat().st_mtime_ns
    # `report --no-keep` only reads (by default a report is kept in the case: issue 17)
    for args in (("report", "--no-keep"), ("review", "list"), ("review", "history")):
        assert run(args[0], "--case", str(tmp_path / "case"), *args[1:]).exit_code == 0
    assert files_of(tmp_path / "case") == before
    assert (tmp_path / "case" / "case.sqlite").stat().st_mtime_ns == mtime


def test_an_older_case_is_read_without_being_migrated(tmp_path: Path) -> None:
    db = tmp_path / "case" / "case.sqlite"
    db.parent.mkdir()
    conn = sqlite3.connect(db, isolation_level=None)
    from tracecheck.case.schema import migrate

    migrate(conn, target=MIGRATIONS[-2].version)  # the layout of the previous release
    conn.close()
    before = files_of(db.parent)
    with CaseStore.open(db.parent, readonly=True) as store:
        assert store.findings() == [] and store.skipped() == []
        assert store.schema_version == MIGRATIONS[-1].version  # read through a migrated copy
    assert files_of(db.parent) == before
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == (
        MIGRATIONS[-2].version)
    conn.close()
    assert stat.S_IMODE(db.stat().st_mode)  # still there, untouched


def test_a_revealed_worklist_of_a_read_only_case_says_the_audit_log_needs_writing(
        open_tmp: Path) -> None:
    build_case(open_tmp / "case").close()
    before = read_only(open_tmp / "case")
    proc = as_reader("worklist", "subjects", "--case", str(open_tmp / "case"), "--reveal")
    one_line_error(proc, "audit log")
    assert proc.stdout == ""
    assert files_of(open_tmp / "case") == before
    masked = as_reader("worklist", "subjects", "--case", str(open_tmp / "case"))
    assert masked.returncode == 0, masked.stderr
