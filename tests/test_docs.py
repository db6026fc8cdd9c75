"""Every command has help and is documented; the README opens with the two commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from tracecheck.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    out: list[tuple[str, ...]] = []

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        commands = getattr(cmd, "commands", None)  # a group (typer vendors its own click)
        if isinstance(commands, dict):
            for name, sub in sorted(commands.items()):
                walk(sub, (*path, name))
        else:
            out.append(path)

    walk(root, ())
    return out


def _docs_text() -> str:
    parts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(parts)


def test_there_are_commands() -> None:
    names = {" ".join(c) for c in _commands()}
    assert {"scan", "report", "review", "logs", "rules list", "baseline create"} <= names


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.split()) > 20


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_command_is_documented(command: tuple[str, ...]) -> None:
    assert f"tracecheck {' '.join(command)}" in _docs_text()


def test_readme_opens_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:400]
    assert "make demo" in head and "make test" in head
