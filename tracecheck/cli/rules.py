"""`tracecheck rules list|validate|test`: inspect and check rule packs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracecheck.cli.app import app
from tracecheck.cli.common import fail
from tracecheck.errors import RulePackError
from tracecheck.rules.pack import example_failures, load_pack
from tracecheck.shipped_rules import default_pack_paths

rules_app = typer.Typer(help="List, validate and test rule packs.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def list_rules(
    packs: Annotated[list[Path] | None, typer.Argument(
        help="Packs to list (default: the shipped packs).")] = None,
) -> None:
    """List detectors: id, category, severity, pack and description."""
    paths = packs or default_pack_paths()
    for path in paths:
        try:
            pack = load_pack(path)
        except RulePackError as exc:
            raise fail(str(exc)) from None
        typer.echo(f"{pack.id} {pack.version}  ({path})")
        for det in pack.detectors:
            typer.echo(f"  {det.id:<22} {det.category:<14} {det.severity.label:<8} "
                       f"{' '.join(det.description.split())[:70]}")


@rules_app.command("validate")
def validate(
    packs: Annotated[list[Path], typer.Argument(help="Pack files to validate.")],
) -> None:
    """Check packs load: schema, patterns, validators and examples. Errors name file:line."""
    bad = 0
    for path in packs:
        try:
            pack = load_pack(path)
        except RulePackError as exc:
            typer.echo(f"tracecheck: error: {exc}", err=True)
            bad += 1
            continue
        typer.echo(f"{path}: ok ({len(pack.detectors)} detectors)")
    if bad:
        raise typer.Exit(2)


@rules_app.command("test")
def test(
    packs: Annotated[list[Path], typer.Argument(help="Pack files whose examples to run.")],
) -> None:
    """Run every detector's match / no-match examples and report each result."""
    failed = 0
    for path in packs:
        try:
            pack = load_pack(path, check_examples=False)
        except RulePackError as exc:
            raise fail(str(exc)) from None
        bad = {(d.id, kind, ex) for d, kind, ex in example_failures(pack)}
        for det in pack.detectors:
            for kind, examples in (("match", det.examples_match),
                                   ("no_match", det.examples_no_match)):
                for ex in examples:
                    ok = (det.id, kind, ex) not in bad
                    failed += 0 if ok else 1
                    # Pack examples are authored test strings, not evidence: safe to print.
                    shown = ex if len(ex) <= 70 else ex[:69] + "…"
                    typer.echo(f"{'PASS' if ok else 'FAIL'}  {det.id:<22} {kind:<8} {shown}")
    typer.echo(f"{'all examples pass' if not failed else f'{failed} examples fail'}")
    if failed:
        raise typer.Exit(1)
