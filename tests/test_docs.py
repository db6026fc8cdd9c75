"""Every command has help and is documented; the README opens with the two commands."""

from __future__ import annotations

import re
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


@pytest.mark.parametrize("command", [(), *_commands()], ids=lambda c: " ".join(c) or "root")
def test_help_names_values_in_words(command: tuple[str, ...]) -> None:
    """Options that take a value show what to give (`DOMAIN`, `FILE`, a list of choices);
    flags show nothing: never a Python type such as `<list[str]>` or `<bool>`."""
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    shown = re.findall(r"<[^<>\n]*>", result.output)
    assert all("|" in s for s in shown), shown  # only choices, `<a|b|c>`
    assert "{" not in result.output.splitlines()[0], result.output.splitlines()[0]
    for line in result.output.splitlines():
        flag = re.match(r"\s+(?:-\w, )?(--(?:reveal|exit-zero|all-messages|force|help|version))"
                        r"\b(.*)", line)
        if flag:
            assert not flag.group(2).strip().startswith(("<", "[", "BOOL")), line


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_command_is_documented(command: tuple[str, ...]) -> None:
    assert f"tracecheck {' '.join(command)}" in _docs_text()


def test_readme_opens_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:400]
    assert "make demo" in head and "make test" in head


def _default(value: float) -> str:
    """How docs/limits.md writes a default: `100`, `10,000`, `32 Mi` (of bytes or characters)."""
    if isinstance(value, float):
        return f"{value:g}"
    if value >= 1 << 20 and value % (1 << 20) == 0:
        return f"{value >> 20} Mi"
    return f"{value:,}"


def test_the_limits_table_lists_every_limit_with_its_default() -> None:
    from tracecheck.model import ExtractLimits

    rows = {}
    for line in (ROOT / "docs" / "limits.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 2 and cells[0].startswith("`max_") or cells[0] == "`ratio_floor_bytes`":
            rows[cells[0].strip("`")] = cells[1]
    limits = ExtractLimits().as_dict()
    assert set(rows) == set(limits)
    for name, value in limits.items():
        assert rows[name].startswith(_default(value)), (name, rows[name])
