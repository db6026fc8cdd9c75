"""`tracecheck baseline create|update|audit`: accept known findings so CI fails only on new ones.

A thin shell over `tracecheck.baseline` and `tracecheck.api.scan`: options in, a baseline file
out, a one-line summary on stdout. Exit codes: 0 done, 2 usage/input error.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.baseline import (
    DEFAULT_BASELINE,
    load_baseline,
    new_baseline,
    update_baseline,
    write_baseline,
)
from tracecheck.cli.app import app
from tracecheck.cli.common import fail
from tracecheck.config import load_scan_settings
from tracecheck.errors import TracecheckError
from tracecheck.model import ScanResult

baseline_app = typer.Typer(
    help="Create, update and audit a baseline of accepted findings (fingerprints only, never "
    "values), so `tracecheck scan --baseline FILE` fails only on new findings.",
    no_args_is_help=True,
)
app.add_typer(baseline_app, name="baseline")

RulesOpt = Annotated[list[Path] | None, typer.Option(
    "--rules", "-r", help="Rule pack YAML (repeatable); default: the shipped packs.")]
OrgOpt = Annotated[list[str] | None, typer.Option(
    "--org-domain", help="An organisation domain (repeatable); default: inferred.")]
ConsumerOpt = Annotated[list[str] | None, typer.Option(
    "--consumer-domain", help="Extra consumer mailbox domain (repeatable).")]
ConfidenceOpt = Annotated[float | None, typer.Option(
    "--min-confidence", min=0.0, max=1.0,
    help="Accept matches at or above this confidence (default: the packs' threshold).")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="Organisation config (default: ./tracecheck.toml, or the tool.tracecheck "
    "table of ./pyproject.toml), as for `tracecheck scan`.")]
DisableOpt = Annotated[list[str] | None, typer.Option(
    "--disable", help="Detector id to switch off (repeatable).")]
AllOpt = Annotated[bool, typer.Option(
    "--all-messages", help="Scan every message, not only messages with a consumer address "
    "(use it here if `tracecheck scan` runs with it).")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", "-j", min=1, help="Worker processes (default: all cores).")]
ReasonOpt = Annotated[str, typer.Option(
    "--reason", help="Why these findings are accepted (stored with each new entry).")]
WhoOpt = Annotated[str | None, typer.Option(
    "--who", help="Who accepts them (default: $TRACECHECK_USER or the login name).")]


@dataclass(frozen=True)
class _ScanFlags:
    """The detection options `scan` takes, so a baseline sees what `scan` will see."""

    rules: list[Path] | None
    org_domain: list[str] | None
    consumer_domain: list[str] | None
    min_confidence: float | None
    config: Path | None
    disable: list[str] | None
    all_messages: bool
    workers: int | None


def _scan(paths: list[str], flags: _ScanFlags) -> ScanResult:
    settings = load_scan_settings(flags.config)
    options = api.ScanOptions.from_settings(
        settings,
        rules=tuple(str(r) for r in flags.rules or ()),
        org_domains=tuple(flags.org_domain or ()),
        extra_consumer=tuple(flags.consumer_domain or ()),
        disabled=tuple(flags.disable or ()),
        min_confidence=flags.min_confidence,
        all_messages=flags.all_messages or None,
    )
    api.check_paths(paths)
    return api.scan(paths, dataclasses.replace(options, workers=flags.workers))


def _gaps(result: ScanResult) -> str:
    """Coverage gaps, so a baseline never looks complete when something was not scanned."""
    n = len(result.skipped)
    return f" ({n} coverage entries not scanned; see `tracecheck scan --format json`)" if n else ""


@baseline_app.command("create")
def create(
    paths: Annotated[list[str], typer.Argument(help="Mailbox files/folders to scan.")],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Baseline file to write.")] = Path(DEFAULT_BASELINE),
    rules: RulesOpt = None,
    org_domain: OrgOpt = None,
    consumer_domain: ConsumerOpt = None,
    min_confidence: ConfidenceOpt = None,
    config: ConfigOpt = None,
    disable: DisableOpt = None,
    all_messages: AllOpt = False,
    workers: WorkersOpt = None,
    reason: ReasonOpt = "",
    who: WhoOpt = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite an existing baseline (its reasons are lost).")] = False,
) -> None:
    """Scan PATHS and accept every finding (every flow) into a new baseline file."""
    if output.exists() and not force:
        raise fail(f"{output} already exists; use `tracecheck baseline update` to keep its "
                   "reasons, or --force to replace it")
    try:
        flags = _ScanFlags(rules, org_domain, consumer_domain, min_confidence, config, disable,
                           all_messages, workers)
        result = _scan(paths, flags)
        baseline = new_baseline(result, paths, reason=reason, who=who)
        write_baseline(baseline, output)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"baseline: {len(baseline.accepted)} findings accepted from "
               f"{result.messages_scanned} messages{_gaps(result)} -> {output}")


@baseline_app.command("update")
def update(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Mailbox files/folders to scan (default: the baseline's generated_from).")] = None,
    baseline_file: Annotated[Path, typer.Option(
        "--baseline", "--output", "-o", "-b",
        help="Baseline file to update.")] = Path(DEFAULT_BASELINE),
    rules: RulesOpt = None,
    org_domain: OrgOpt = None,
    consumer_domain: ConsumerOpt = None,
    min_confidence: ConfidenceOpt = None,
    config: ConfigOpt = None,
    disable: DisableOpt = None,
    all_messages: AllOpt = False,
    workers: WorkersOpt = None,
    reason: ReasonOpt = "",
    who: WhoOpt = None,
) -> None:
    """Rescan: accept new findings, drop entries no longer found, keep earlier reasons."""
    if not baseline_file.exists():
        raise fail(f"{baseline_file} does not exist; make one with "
                   "`tracecheck baseline create PATH... --output FILE`")
    try:
        old = load_baseline(baseline_file)
        targets = list(paths or old.generated_from)
        if not targets:
            raise fail(f"{baseline_file} names no paths; give the paths to scan")
        flags = _ScanFlags(rules, org_domain, consumer_domain, min_confidence, config, disable,
                           all_messages, workers)
        result = _scan(targets, flags)
        change = update_baseline(old, result, targets, reason=reason, who=who)
        write_baseline(change.baseline, baseline_file)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"baseline: {len(change.added)} added, {len(change.removed)} removed, "
               f"{len(change.kept)} kept{_gaps(result)} -> {baseline_file}")


@baseline_app.command("audit")
def audit(
    baseline_file: Annotated[Path, typer.Argument(
        help="Baseline file to list.")] = Path(DEFAULT_BASELINE),
) -> None:
    """List what a baseline accepts, who accepted it, when and why."""
    try:
        b = load_baseline(baseline_file)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    packs = ", ".join(f"{r.pack} {r.version}" for r in b.rules) or "unknown"
    typer.echo(f"{baseline_file}: {len(b.accepted)} accepted findings "
               f"(tracecheck {b.tool_version or 'unknown'}, rules {packs})")
    typer.echo(f"generated from: {', '.join(b.generated_from) or 'unknown'}")
    by_reason: dict[str, int] = {}
    for a in b.accepted:
        by_reason[a.reason] = by_reason.get(a.reason, 0) + 1
    for why, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
        typer.echo(f"  {n:>5}  {why or '(no reason given)'}")
    for a in b.accepted:
        typer.echo(f"{a.fingerprint[:12]}  {a.rule:<18} {a.flow:<20} {a.locator}#{a.part}")
        typer.echo(f"{'':12}  accepted {a.accepted_at or '?'} by {a.accepted_by or '?'}: "
                   f"{a.reason or '(no reason given)'}")
