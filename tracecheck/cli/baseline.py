"""`tracecheck baseline create|update|audit`: accept known findings so CI fails only on new ones.

Flags in (the same scan flags as `tracecheck scan`: `cli.options.scan_flags`), `api.baseline_*`,
a one-line summary on stdout. Exit codes: 0 done, 2 usage/input error, 3 the scan behind the
baseline was incomplete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli import options as o
from tracecheck.cli.app import Command, app
from tracecheck.cli.common import echo, fail, report_incomplete
from tracecheck.errors import TracecheckError

DEFAULT_BASELINE = Path(api.DEFAULT_BASELINE)

baseline_app = typer.Typer(
    rich_markup_mode=None,
    help="Create, update and audit a baseline of accepted findings (fingerprints only, never "
    "values), so `tracecheck scan --baseline FILE` fails only on new findings.",
    no_args_is_help=True,
)
app.add_typer(baseline_app, name="baseline")

ReasonOpt = Annotated[str, typer.Option(
    "--reason", metavar="TEXT",
    help="Why these findings are accepted (stored with each new entry).")]
WhoOpt = Annotated[str | None, typer.Option(
    "--who", metavar="NAME",
    help="Who accepts them (default: $TRACECHECK_USER or the login name).")]


def _done(run: api.BaselineRun, summary: str) -> None:
    n = len(run.result.skipped)
    gaps = f" ({n} coverage entries not scanned; see `tracecheck scan --format json`)" if n else ""
    echo(f"baseline: {summary}{gaps} -> {run.path}")
    report_incomplete(run.result)
    if run.result.incomplete:
        raise typer.Exit(api.EXIT_INCOMPLETE)


@baseline_app.command("create", cls=Command)
@o.scan_flags
def create(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Mailbox files/folders to scan.")],
    options: api.ScanOptions,
    output: Annotated[Path, typer.Option(
        "--output", "-o", metavar="FILE", help="Baseline file to write.")] = DEFAULT_BASELINE,
    reason: ReasonOpt = "",
    who: WhoOpt = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite an existing baseline (its reasons are lost).")] = False,
) -> None:
    """Scan PATHS and accept every finding (every flow) into a new baseline file."""
    try:
        run = api.baseline_create(paths, options, output, reason=reason, who=who, force=force)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    _done(run, f"{run.added} findings accepted from {run.result.messages_scanned} messages")


@baseline_app.command("update", cls=Command)
@o.scan_flags
def update(
    options: api.ScanOptions,
    paths: Annotated[list[str] | None, typer.Argument(
        metavar="PATH",
        help="Mailbox files/folders to scan (default: the baseline's generated_from).")] = None,
    baseline_file: Annotated[Path, typer.Option(
        "--baseline", "--output", "-o", "-b", metavar="FILE",
        help="Baseline file to update.")] = DEFAULT_BASELINE,
    reason: ReasonOpt = "",
    who: WhoOpt = None,
) -> None:
    """Rescan: accept new findings, drop entries no longer found, keep earlier reasons."""
    try:
        run = api.baseline_update(paths or [], options, baseline_file, reason=reason, who=who)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    _done(run, f"{run.added} added, {run.removed} removed, {run.kept} kept")


@baseline_app.command("audit", cls=Command)
def audit(
    baseline_file: Annotated[Path, typer.Argument(
        metavar="FILE", help="Baseline file to list.")] = DEFAULT_BASELINE,
) -> None:
    """List what a baseline accepts, who accepted it, when and why."""
    try:
        b = api.load_baseline(baseline_file)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    packs = ", ".join(f"{r.pack} {r.version}" for r in b.rules) or "unknown"
    echo(f"{baseline_file}: {len(b.accepted)} accepted findings "
               f"(tracecheck {b.tool_version or 'unknown'}, rules {packs})")
    echo(f"generated from: {', '.join(b.generated_from) or 'unknown'}")
    by_reason: dict[str, int] = {}
    for a in b.accepted:
        by_reason[a.reason] = by_reason.get(a.reason, 0) + 1
    for why, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
        echo(f"  {n:>5}  {why or '(no reason given)'}")
    for a in b.accepted:
        echo(f"{a.fingerprint[:12]}  {a.rule:<18} {a.flow:<20} {a.locator}#{a.part}")
        echo(f"{'':12}  accepted {a.accepted_at or '?'} by {a.accepted_by or '?'}: "
                   f"{a.reason or '(no reason given)'}")
