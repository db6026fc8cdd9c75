"""docs/output.md is the output contract: every coverage kind the code can write is listed
there, once, in the list it belongs to, with a description (and nothing else is)."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from tracecheck.model import NoteKind, SkipKind

DOC = ROOT / "docs" / "output.md"


def _kind_rows() -> list[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Coverage kinds", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z-]+)` \| `(skipped|notes)` \| (.+?) \|$", section, re.M)


def test_every_skip_and_note_kind_is_documented_once_with_a_description() -> None:
    rows = _kind_rows()
    documented = [(kind, where) for kind, where, _ in rows]
    expected = [(k.value, "skipped") for k in SkipKind] + [(k.value, "notes") for k in NoteKind]
    assert sorted(documented) == sorted(expected)
    assert len(set(documented)) == len(documented)
    for kind, _, meaning in rows:
        assert len(meaning.split()) >= 4, f"{kind}: no real description"


def test_the_kinds_that_make_a_run_incomplete_say_exit_3() -> None:
    for kind, _, meaning in _kind_rows():
        incomplete = kind in SkipKind._value2member_map_ and SkipKind(kind).incomplete
        assert ("exits 3" in meaning) == incomplete, kind


def test_exit_code_3_is_in_the_exit_code_table() -> None:
    text = DOC.read_text(encoding="utf-8").split("## Exit codes", 1)[1]
    row = next(line for line in text.splitlines() if line.startswith("| 3 |"))
    assert "internal-error" in row and "worker-lost" in row
    assert "never hide exit code 3" in text


def test_messages_skipped_counts_messages_only(tmp_path) -> None:
    """`coverage.messages_skipped` is messages found but not scanned (docs/output.md): never a
    file that is not mail, nor a log line (issue 14, item 12)."""
    import json

    from typer.testing import CliRunner

    from tests.conftest import eml, mbox_of
    from tracecheck.cli import app

    good = eml(to="sam.j@gmail.com", body="Hello")
    # the second message's headers run into the end of the file: a truncated message
    (tmp_path / "box.mbox").write_bytes(mbox_of(good) + b"From x@y Mon Jan 11 09:30:00 2021\n"
                                        b"From: a@b.example\nSubject: cut")
    (tmp_path / "notes.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "mail.log").write_text(
        "Jan 11 09:30:01 mx1 postfix/qmgr[211]: 4F2A1B: from=<a@tracecall.co.uk>, size=9, "
        "nrcpt=1 (queue active)\nnot a log line at all\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["scan", str(tmp_path), "--format", "json", "--fail-on",
                                   "never", "--log-year", "2021"])
    assert res.exit_code == 0, res.output
    cov = json.loads(res.stdout)["coverage"]
    kinds = sorted(s["kind"] for s in cov["skipped"])
    assert "unsupported" in kinds and "malformed-log-line" in kinds
    assert cov["messages_skipped"] == cov["messages"] - cov["messages_scanned"]
    message_gaps = [s for s in cov["skipped"] if s["kind"] in ("truncated", "unreadable", "junk")
                    and s["part"] is None]
    assert cov["messages_skipped"] == len(message_gaps)
