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
