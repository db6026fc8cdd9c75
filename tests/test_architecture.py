"""The structure docs/architecture.md describes, checked on the source.

- `cli/` imports only the front door (`api`), `errors` and `model` (and the package's
  version): it maps flags to options and results to exit codes, nothing else.
- (No two top-level parts of the package import each other: tests/test_layers.py.)
- In the engine (api, scanner, parallel, rules, case, reports) no handler catches every
  exception unless it re-raises: broad handlers belong around third-party calls (in content
  and sources, each naming its library) and at the one isolation boundary (`isolation.py`).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "tracecheck"


def _imports(path: Path) -> set[str]:
    """Every tracecheck module a file imports (absolute imports, at any depth)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "tracecheck":
                out.update(f"tracecheck.{a.name}" for a in node.names)
            elif node.module.startswith("tracecheck."):
                out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("tracecheck"))
    return out


def test_the_cli_imports_only_the_api_errors_and_model() -> None:
    allowed = {"tracecheck.api", "tracecheck.errors", "tracecheck.model",
               "tracecheck.__version__"}
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        wrong = {m for m in _imports(path) if m not in allowed and
                 not m.startswith("tracecheck.cli")}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


ENGINE = ("api.py", "scanner.py", "parallel", "rules", "case", "reports", "merge.py",
          "findings.py", "quotes.py", "triage.py")


def _broad_handlers_that_swallow(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ExceptHandler):
            continue
        names = node.type
        broad = names is None or (isinstance(names, ast.Name)
                                  and names.id in ("Exception", "BaseException"))
        if broad and not any(isinstance(n, ast.Raise) and n.exc is None
                             for n in ast.walk(ast.Module(body=node.body, type_ignores=[]))):
            lines.append(node.lineno)
    return lines


def test_the_engine_catches_everything_only_to_re_raise() -> None:
    for name in ENGINE:
        target = PACKAGE / name
        files = [target] if target.is_file() else sorted(target.rglob("*.py"))
        for path in files:
            assert not _broad_handlers_that_swallow(path), (
                f"{path.relative_to(ROOT)}:{_broad_handlers_that_swallow(path)}")


def test_tests_reach_the_shared_corpora_only_through_the_conftest_helper() -> None:
    """On a new user's machine ../shared is absent: every test that needs it must go through
    `tests.conftest.shared` (or `corpus`), which skips, never fails."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.parent.name == "tests" and path.name in ("conftest.py", "test_architecture.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if '"shared"' in text or "'shared'" in text or "/ \"..\"" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
