"""Cases that hold no result, and cases on a full, read-only or damaged disk (issue 15, items
3, 4 and 16): one line and exit 2, never "0 messages, nothing to report", never a traceback,
and nothing written into a case that is only read. A case opened to be written is private."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import eml, run_cli_with_file_limit
from tracecheck import api
from tracecheck.case import CaseStore

cli = pytest.importorskip("tracecheck.cli")
runner = CliRunner()

LEAK = eml(to="Sam <sam.j@gmail.com>", subject="Case 12",
           body="Hi Sam, NHS number 943 476 5919 - PCR came back positive today.")
READERS = (["report"], ["report", "--format", "html"], ["review"], ["review", "history"],
           ["review", "mark", "confirmed", "--rule", "nhs-number", "--reason", "checked"])


def run(*args: str):
    return runner.invoke(cli.app, list(args))


def _export(tmp_path: Path) -> Path:
    export = tmp_path / "export"
    export.mkdir(exist_ok=True)
    (export / "leak.eml").write_bytes(LEAK)
    return export


def _one_line_error(res, *words: str) -> None:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tracecheck: error: "), res.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert res.stdout == ""


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_an_empty_case_file_is_an_error_and_stays_empty(tmp_path: Path,
                                                        command: list[str]) -> None:
    case = tmp_path / "case"
    case.mkdir(mode=0o700)
    (case / "case.sqlite").write_bytes(b"")
    res = run(*command, "--case", str(case))
    _one_line_error(res, "empty", "0 bytes")
    assert (case / "case.sqlite").stat().st_size == 0  # no fresh schema written into it
    assert sorted(p.name for p in case.iterdir()) == ["case.sqlite"]


def test_scan_starts_a_case_in_an_empty_file(tmp_path: Path) -> None:
    # a scan killed between creating the file and its first write leaves one
    case = tmp_path / "case"
    case.mkdir(mode=0o700)
    (case / "case.sqlite").write_bytes(b"")
    res = run("scan", str(_export(tmp_path)), "--case", str(case), "--format", "json",
              "--output", os.devnull, "--fail-on", "never")
    assert res.exit_code == 0, res.output
    assert run("report", "--case", str(case)).exit_code == 0


def _interrupted_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A case whose only run stopped on a full disk."""
    case = tmp_path / "case"

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(api, "scan", full)
        with pytest.raises(OSError):
            api.scan_into_case([str(_export(tmp_path))], api.ScanOptions(), case)
    return case


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_case_whose_only_run_was_interrupted_has_no_verdict(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    case = _interrupted_case(tmp_path, monkeypatch)
    before = (case / "case.sqlite").read_bytes()
    res = run(*command, "--case", str(case))
    _one_line_error(res, "no complete scan", "1 interrupted")
    assert (case / "case.sqlite").read_bytes() == before


def test_a_case_left_running_by_a_killed_scan_has_no_verdict(tmp_path: Path) -> None:
    store = CaseStore.open(tmp_path / "case")
    store.begin_run({"tool_version": "x", "python": "3", "packs": [], "arguments": [],
                     "started": "2026-01-01T00:00:00Z", "options": {}})
    store.close()
    _one_line_error(run("report", "--case", str(tmp_path / "case")), "no complete scan",
                    "still running or killed")


def test_a_finished_rerun_gives_the_report_back(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    case = _interrupted_case(tmp_path, monkeypatch)
    api.scan_into_case([str(_export(tmp_path))], api.ScanOptions(), case)
    res = run("report", "--case", str(case))
    assert res.exit_code == 0 and "Report to the ICO | yes" in res.stdout, res.output


# --- a full disk ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [4096, 40_000, 120_000])
def test_a_full_disk_under_the_case_is_one_line(tmp_path: Path, limit: int) -> None:
    case = tmp_path / "case"
    res = run_cli_with_file_limit(["scan", str(_export(tmp_path)), "--case", str(case),
                                   "--format", "json", "--output", os.devnull,
                                   "--fail-on", "never"], limit)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tracecheck: error: "), res.stderr
    assert "case" in lines[0]
    if (case / "case.sqlite").exists():  # what was saved is a case with no finished scan
        reread = run("report", "--case", str(case))
        assert reread.exit_code == 2, reread.output


def test_a_new_case_on_a_read_only_file_system_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_mkdir = os.mkdir

    def read_only(path: object, *args: object, **kwargs: object) -> None:
        if str(path).startswith(str(tmp_path / "ro")):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "mkdir", read_only)
    res = run("scan", str(_export(tmp_path)), "--case", str(tmp_path / "ro" / "case"),
              "--format", "json", "--output", os.devnull)
    _one_line_error(res, "cannot create the case", "Read-only file system")


# --- a damaged database -----------------------------------------------------------------------


@pytest.fixture
def scanned(tmp_path: Path) -> Path:
    case = tmp_path / "case"
    api.scan_into_case([str(_export(tmp_path))], api.ScanOptions(), case)
    return case


def _flip(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", READERS[:3], ids=" ".join)
def test_a_bit_flipped_record_is_one_line(scanned: Path, command: list[str]) -> None:
    db = scanned / "case.sqlite"
    data = db.read_bytes()
    at = data.index(b'"evidence":"')  # inside a stored Finding's JSON
    _flip(db, at + 11, 0x40)  # the opening quote of the value: the JSON no longer parses
    res = run(*command, "--case", str(scanned))
    _one_line_error(res, "damaged")
    assert "943" not in res.stderr  # an error never quotes the stored values


@pytest.mark.parametrize("command", READERS[:4], ids=" ".join)
def test_a_bit_flipped_page_is_one_line(scanned: Path, command: list[str]) -> None:
    db = scanned / "case.sqlite"
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='findings'").fetchone()[0]
    conn.close()
    # the page type byte of the findings table's root page (13: a leaf table page)
    _flip(db, (root - 1) * page_size, 0x20)
    res = run(*command, "--case", str(scanned))
    _one_line_error(res, "damaged")


# --- modes ------------------------------------------------------------------------------------


def test_scan_tightens_a_case_folder_and_file_others_can_read(scanned: Path,
                                                              tmp_path: Path) -> None:
    db = scanned / "case.sqlite"
    scanned.chmod(0o755)
    db.chmod(0o644)
    res = run("report", "--no-keep", "--case", str(scanned))  # reading changes nothing
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(scanned.stat().st_mode) == 0o755
    res = run("scan", str(tmp_path / "export"), "--case", str(scanned), "--format", "json",
              "--output", os.devnull, "--fail-on", "never")
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(scanned.stat().st_mode) == 0o700
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_the_folder_around_a_case_file_named_directly_is_left_alone(tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    team.chmod(0o755)
    res = run("scan", str(_export(tmp_path)), "--case", str(team / "inquiry.sqlite"),
              "--format", "json", "--output", os.devnull, "--fail-on", "never")
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(team.stat().st_mode) == 0o755
    assert stat.S_IMODE((team / "inquiry.sqlite").stat().st_mode) == 0o600
