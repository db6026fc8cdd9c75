"""`tracecheck rules list|validate|test`: inspect and check rule packs (via `api.rule_packs`
and `api.rule_pack_examples`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli.app import Command, app
from tracecheck.cli.common import echo, fail
from tracecheck.errors import RulePackError

rules_app = typer.Typer(help="List, validate and test rule packs.", no_args_is_help=True,
                        rich_markup_mode=None)
app.add_typer(rules_app, name="rules")


@rules_app.command("list", cls=Command)
def list_rules(
    packs: Annotated[list[Path] | None, typer.Argument(
        metavar="PACK", help="Packs to list (default: the shipped packs).")] = None,
) -> None:
    """List detectors: id, category, severity, pack and description."""
    try:
        loaded = api.rule_packs(packs or ())
    except RulePackError as exc:
        raise fail(str(exc)) from None
    for pack in loaded:
        echo(f"{pack.id} {pack.version}  ({pack.path})")
        for det in pack.detectors:
            echo(f"  {det.id:<22} {det.category:<14} {det.severity.label:<8} "
                       f"{' '.join(det.description.split())[:70]}")


@rules_app.command("validate", cls=Command)
def validate(
    packs: Annotated[list[Path], typer.Argument(
        metavar="PACK", help="Pack files to validate.")],
) -> None:
    """Check packs load: schema, patterns, validators and examples. Errors name file:line."""
    bad = 0
    for path in packs:
        try:
            (pack,) = api.rule_packs([path])
        except RulePackError as exc:
            echo(f"tracecheck: error: {exc}", err=True)
            bad += 1
            continue
        echo(f"{path}: ok ({len(pack.detectors)} detectors)")
    if bad:
        raise typer.Exit(2)


@rules_app.command("test", cls=Command)
def test(
    packs: Annotated[list[Path], typer.Argument(
        metavar="PACK", help="Pack files whose examples to run.")],
) -> None:
    """Run every detector's match / no-match examples and report each result."""
    failed = 0
    for path in packs:
        try:
            outcomes = api.rule_pack_examples(path)
        except RulePackError as exc:
            raise fail(str(exc)) from None
        for ex in outcomes:
            failed += 0 if ex.passed else 1
            # Pack examples are authored test strings, not evidence: safe to print.
            shown = ex.example if len(ex.example) <= 70 else ex.example[:69] + "…"
            echo(f"{'PASS' if ex.passed else 'FAIL'}  {ex.detector:<22} {ex.kind:<8} "
                       f"{shown}")
    echo(f"{'all examples pass' if not failed else f'{failed} examples fail'}")
    if failed:
        raise typer.Exit(1)
