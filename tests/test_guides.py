"""The guides' examples are real (issue 14, item 12): every fingerprint quoted in the docs is
one a scan of samples/ gives, and the incident responder's guide, run command by command on
samples/, prints what it quotes."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, SAMPLES
from tracecheck import api
from tracecheck.cli import app

DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
SAMPLE_DIRS = ("mbox", "eml", "maildir", "archive", "logs")
# Where the docs quote a fingerprint (or a prefix of one): a flag, a JSON key, a library call,
# or the first column of `review list` / `baseline audit` output.
QUOTED = (
    re.compile(r"--fingerprint[ =]([0-9a-f]{8,64})\b"),
    re.compile(r"\"fingerprint\": \"([0-9a-f]{8,64})\""),
    re.compile(r"decide\(\[\"([0-9a-f]{8,64})\""),
    re.compile(r"^([0-9a-f]{12})  ", re.MULTILINE),
)


@pytest.fixture(scope="module")
def sample_fingerprints() -> set[str]:
    result = api.scan([str(SAMPLES / d) for d in SAMPLE_DIRS])
    return {f.fingerprint for f in result.findings}


def quoted_fingerprints() -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        out += [(doc.name, m.group(1)) for pattern in QUOTED for m in pattern.finditer(text)]
    return out


def test_every_fingerprint_quoted_in_the_docs_is_real(sample_fingerprints: set[str]) -> None:
    quoted = quoted_fingerprints()
    assert len({fp for _, fp in quoted}) >= 4  # the guides, ci.md and case-store.md quote some
    missing = [(doc, fp) for doc, fp in quoted
               if not any(real.startswith(fp) for real in sample_fingerprints)]
    assert not missing, f"fingerprints quoted in the docs that samples/ does not give: {missing}"


# --- the incident responder's guide, run as written -------------------------------------------


def _blocks(text: str) -> list[list[str]]:
    return [block.splitlines() for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S)]


def _norm(line: str) -> str:
    return " ".join(line.split())


def _shown(expected: str, output: list[str]) -> bool:
    """True when an output line holds the quoted line; `…` in the quote stands for text left
    out (the pieces around it must appear in order)."""
    pieces = [p for p in (_norm(x) for x in expected.split("…")) if p]
    for line in output:
        at = 0
        for piece in pieces:
            at = line.find(piece, at)
            if at < 0:
                break
            at += len(piece)
        else:
            return True
    return False


def _steps(guide: Path) -> list[tuple[list[str], list[str]]]:
    """(commands, quoted output lines) of each code block that runs tracecheck; a block with
    no command quotes the files the block before it wrote."""
    steps: list[tuple[list[str], list[str]]] = []
    for lines in _blocks(guide.read_text(encoding="utf-8")):
        commands = [ln[2:] for ln in lines if ln.startswith("$ tracecheck ")]
        quoted = [ln for ln in lines if not ln.startswith("$ ") and ln.strip() not in ("", "…")
                  and not ln.lstrip().startswith("#")]
        if not commands and not quoted:
            continue
        steps.append((commands, quoted))
    return steps


def test_the_incident_responder_guide_prints_what_it_quotes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("samples", "docs"):
        os.symlink(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    steps = _steps(ROOT / "docs" / "guide-incident-responder.md")
    assert sum(len(c) for c, _ in steps) >= 8
    written: list[str] = []
    missing: list[str] = []
    for commands, quoted in steps:
        output: list[str] = []
        if commands:
            written = []
            for command in commands:
                args = shlex.split(command)[1:]
                result = runner.invoke(app, args)
                assert result.exit_code in (0, 1), (command, result.output)
                output += [_norm(x) for x in result.output.splitlines()]
                if "--output" in args:
                    written.append(args[args.index("--output") + 1])
        else:
            for path in written:
                output += [_norm(x) for x in Path(path).read_text(encoding="utf-8").splitlines()]
        missing += [f"{commands or written}: {q}" for q in quoted if not _shown(q, output)]
    assert not missing, "\n".join(missing)
