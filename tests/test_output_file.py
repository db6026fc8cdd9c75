"""Outputs are written whole or not at all, mode 0600, never through a symbolic link
(issue 15, items 4 and 16): a full disk is one line and exit 2, and leaves the old file (or
none), never a partial or empty one."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import eml, run_cli_with_file_limit
from tracecheck.cli import app
from tracecheck.errors import OutputError
from tracecheck.output_file import open_output

runner = CliRunner()
LEAK = eml(to="sam.j@gmail.com", body="NHS number 943 476 5919, PCR came back positive")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    for i in range(30):  # a report of some size
        (folder / f"m{i}.eml").write_bytes(LEAK.replace(b"<m1@", f"<m{i}@".encode()))
    return folder


def _one_line(stderr: str, *words: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tracecheck: error: "), stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("fmt", ["json", "csv", "table", "sarif"])
def test_a_full_disk_leaves_the_old_file_and_no_partial_one(tmp_path: Path, export: Path,
                                                            fmt: str) -> None:
    out = tmp_path / "out" / "report.txt"
    out.parent.mkdir()
    out.write_text("the previous report\n", encoding="utf-8")
    res = run_cli_with_file_limit(["scan", str(export), "--format", fmt, "--output", str(out),
                                   "--fail-on", "never"], 4096)
    assert res.returncode == 2, res.stderr
    _one_line(res.stderr, "cannot write", str(out), "File too large")
    assert out.read_text(encoding="utf-8") == "the previous report\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.txt"]  # no temp file


def test_a_full_disk_on_a_new_file_leaves_nothing(tmp_path: Path, export: Path) -> None:
    out = tmp_path / "new.json"
    res = run_cli_with_file_limit(["scan", str(export), "--format", "json", "--output",
                                   str(out), "--fail-on", "never"], 4096)
    assert res.returncode == 2, res.stderr
    _one_line(res.stderr, "cannot write")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_output_to_a_full_device_and_stdout_on_a_full_disk_are_one_line(export: Path) -> None:
    import subprocess
    import sys

    args = [sys.executable, "-m", "tracecheck", "scan", str(export), "--format", "json",
            "--fail-on", "never"]
    res = subprocess.run([*args, "--output", "/dev/full"], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 2, res.stderr
    _one_line(res.stderr, "cannot write /dev/full", "No space left on device")
    with open("/dev/full", "w") as full:
        res = subprocess.run(args, stdout=full, stderr=subprocess.PIPE, text=True, check=False)
    assert res.returncode == 2, res.stderr
    _one_line(res.stderr, "cannot write stdout", "No space left on device")


def test_report_and_logs_outputs_are_atomic_too(tmp_path: Path, export: Path) -> None:
    case = tmp_path / "case"
    assert runner.invoke(app, ["scan", str(export), "--case", str(case), "--format", "json",
                               "--output", os.devnull, "--fail-on", "never"]).exit_code == 0
    out = tmp_path / "ico.md"
    out.write_text("old\n", encoding="utf-8")
    res = run_cli_with_file_limit(["report", "--case", str(case), "--output", str(out)], 2048)
    assert res.returncode == 2, res.stderr
    _one_line(res.stderr, "cannot write")
    assert out.read_text(encoding="utf-8") == "old\n"
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "mail.log").write_text("".join(
        f"Jan 11 09:30:02 mx1 postfix/smtp[212]: 4F2A{i:02X}: to=<sam.j@gmail.com>, "
        "relay=gmail, delay=1, dsn=2.0.0, status=sent (250 2.0.0 OK)\n" for i in range(200)),
        encoding="utf-8")
    res = run_cli_with_file_limit(["logs", str(logs), "--log-year", "2021", "--output",
                                   str(out)], 2048)
    assert res.returncode == 2, res.stderr
    assert out.read_text(encoding="utf-8") == "old\n"


def test_an_error_in_a_reporter_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), open_output(out) as f:
        f.write("half a report")
        raise RuntimeError("a bug in a reporter")
    assert out.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_outputs_are_created_0600_and_replace_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o644)
    with open_output(out) as f:
        f.write("new\n")
    assert out.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_an_output_path_that_is_a_symlink_is_refused(tmp_path: Path, export: Path) -> None:
    target = tmp_path / "someone-elses.txt"
    target.write_text("keep me\n", encoding="utf-8")
    target.chmod(0o644)
    link = tmp_path / "report.json"
    link.symlink_to(target)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "mail.log").write_text(
        "Jan 11 09:30:02 mx1 postfix/smtp[212]: 4F2A1B: to=<sam.j@gmail.com>, relay=gmail, "
        "delay=1, dsn=2.0.0, status=sent (250 2.0.0 OK)\n", encoding="utf-8")
    for args in (["scan", str(export), "--format", "json", "--fail-on", "never"],
                 ["logs", str(logs), "--log-year", "2021"],
                 ["baseline", "create", str(export), "--force"]):
        res = runner.invoke(app, [*args, "--output", str(link)])
        assert res.exit_code == 2, res.output
        _one_line(res.stderr, "symbolic link")
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # never chmodded through the link
    assert link.is_symlink()
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere" / "x")
    with pytest.raises(OutputError, match="symbolic link"), open_output(dangling):
        pass


def test_a_device_is_written_in_place_and_keeps_its_mode(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o640)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with open_output(fifo) as f:
            f.write("through the pipe\n")
        assert os.read(reader, 100) == b"through the pipe\n"
    finally:
        os.close(reader)
    assert stat.S_IMODE(fifo.stat().st_mode) == 0o640
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def denied(*args: object, **kwargs: object) -> object:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(OutputError, match="cannot write .*: Permission denied"), \
            open_output(tmp_path / "x.json"):
        pass


def test_the_baseline_file_is_created_0600(tmp_path: Path, export: Path) -> None:
    base = tmp_path / "baseline.json"
    res = runner.invoke(app, ["baseline", "create", str(export), "--output", str(base),
                              "--reason", "synthetic"])
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(base.stat().st_mode) == 0o600
    res = runner.invoke(app, ["baseline", "update", str(export), "--baseline", str(base)])
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(base.stat().st_mode) == 0o600


def test_a_reader_that_closes_the_pipe_ends_the_run_quietly(tmp_path: Path) -> None:
    """`tracecheck scan ... | head`: no error line, the exit status SIGPIPE would give."""
    import subprocess
    import sys

    export = tmp_path / "big"
    export.mkdir()
    for i in range(400):  # more output than a pipe holds
        (export / f"m{i}.eml").write_bytes(LEAK.replace(b"<m1@", f"<m{i}@".encode()))

    proc = subprocess.Popen(
        [sys.executable, "-m", "tracecheck", "scan", str(export), "--format", "jsonl",
         "--fail-on", "never"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()  # the reader goes away after one byte
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "error" not in err and "Traceback" not in err
