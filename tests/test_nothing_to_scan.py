"""Nothing to scan is an error, never "no findings" (issue 14, item 6): an empty folder, a
folder with no mail or log file, inputs that are all unreadable, and a scan that read nothing
give exit 2 and one line naming the problem; files that could not be read are named on the
terminal whatever the output format."""

from __future__ import annotations

import gzip
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import eml
from tracecheck.cli import app


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["scan", *args, "--workers", "1"])
    return res.exit_code, res.output


def test_an_empty_folder(tmp_path: Path) -> None:
    code, out = run(str(tmp_path), "--format", "json")
    assert code == 2
    assert out.strip() == (f"tracecheck: error: nothing to scan: {tmp_path} holds no mailbox, "
                           "message or log file it can read")


def test_a_folder_with_no_mail_or_log_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("minutes of the meeting\n", encoding="utf-8")
    code, out = run(str(tmp_path), "--fail-on", "never")  # never cannot turn it into 0
    assert code == 2
    assert out.count("\n") == 1
    assert "nothing to scan" in out and "1 unsupported" in out and "notes.txt" in out


def test_inputs_that_are_all_unreadable(tmp_path: Path) -> None:
    (tmp_path / "gone.eml").symlink_to(tmp_path / "missing.eml")  # unreadable, even for root
    code, out = run(str(tmp_path))
    assert code == 2 and "nothing to scan" in out and "1 unreadable" in out
    assert "gone.eml: broken symlink" in out


def test_a_mailbox_that_holds_nothing_readable(tmp_path: Path) -> None:
    whole = gzip.compress(b"From a@b Mon Jan 11 09:30:00 2021\n" + eml())
    (tmp_path / "box.mbox.gz").write_bytes(whole[:40])  # truncated inside the first message
    code, out = run(str(tmp_path))
    assert code == 2 and "nothing to scan" in out and "truncated gzip" in out


def test_a_mailbox_whose_messages_are_all_junk(tmp_path: Path) -> None:
    (tmp_path / "box.mbox").write_bytes(b"From a@b Mon Jan 11 09:30:00 2021\nno headers here\n")
    code, out = run(str(tmp_path), "--fail-on", "never")
    assert code == 2 and "held nothing that could be read" in out and "1 junk" in out


def test_unreadable_files_are_named_on_the_terminal_beside_a_report(tmp_path: Path) -> None:
    (tmp_path / "good.eml").write_bytes(eml())
    whole = gzip.compress(b"From a@b Mon Jan 11 09:30:00 2021\n" + eml() * 50)
    (tmp_path / "bad.mbox.gz").write_bytes(whole[: len(whole) // 2])
    code, out = run(str(tmp_path), "--format", "json", "--output", str(tmp_path / "r.json"))
    assert code == 0  # the good message was read (it carries no health data)
    assert f"tracecheck: truncated: {tmp_path / 'bad.mbox.gz'}" in out
