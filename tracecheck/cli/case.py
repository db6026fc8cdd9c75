"""`tracecheck review` and `tracecheck report`: reviewer decisions and the ICO breach report,
both over a case directory (`--case DIR`). Flags in, `api.review_*` / `api.report`, text out;
errors become one line and exit code 2.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api
from tracecheck.cli.app import Command, app
from tracecheck.cli.common import echo, fail, output_stream
from tracecheck.errors import TracecheckError


class ReviewAction(StrEnum):
    """What `tracecheck review` does."""

    LIST = "list"
    MARK = "mark"
    HISTORY = "history"


class ReportType(StrEnum):
    """`report --type`."""

    INITIAL = "initial"
    FOLLOW_UP = "follow-up"


class ListFormat(StrEnum):
    """Output of `review list`."""

    TABLE = "table"
    JSON = "json"


@app.command(cls=Command)
def review(
    case: Annotated[Path, typer.Option("--case", metavar="DIR", help="Case directory.")],
    action: Annotated[ReviewAction, typer.Argument(
        metavar="ACTION",
        help="list, mark or history: list findings, mark them, or show the decision "
        "history.")] = ReviewAction.LIST,
    decision: Annotated[str | None, typer.Argument(
        metavar="DECISION", help="With mark: confirmed, false-positive or needs-review.")] = None,
    fingerprint: Annotated[list[str] | None, typer.Option(
        "--fingerprint", metavar="FINGERPRINT",
        help="A finding's fingerprint or a unique prefix (repeatable).")] = None,
    rule: Annotated[str | None, typer.Option(
        "--rule", metavar="RULE", help="Every finding of this rule.")] = None,
    sender: Annotated[str | None, typer.Option(
        "--sender", metavar="ADDRESS", help="Every finding sent by this address.")] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", metavar="TEXT", help="Why (required with mark).")] = None,
    who: Annotated[str | None, typer.Option(
        "--who", metavar="NAME",
        help="Reviewer (default: $TRACECHECK_USER or the login name).")] = None,
    status: Annotated[api.ReviewFilter | None, typer.Option(
        "--status", help="With list: only findings with this review status (unreviewed: no "
        "decision or needs-review, as reports count them; needs-review: marked so).")] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="List format.")] = (
        ListFormat.TABLE
    ),
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Show unmasked values and addresses (health data!).")] = False,
) -> None:
    """Review findings in a case: list them (masked), or mark them confirmed, false-positive or
    needs-review with a reason, by fingerprint or in bulk by rule or sender. Decisions keep
    who and when, and survive rescans."""
    try:
        if action is ReviewAction.MARK:
            if decision is None:
                raise fail("mark needs a decision: confirmed, false-positive or needs-review")
            chosen_decision, chosen = api.review_mark(
                case, decision, fingerprints=fingerprint or (), rule=rule, sender=sender,
                reason=reason or "", who=who)
            echo(f"marked {len(chosen)} finding(s) {chosen_decision.value}")
            return
        if decision is not None:
            raise fail(f"unexpected argument {decision!r} for {action.value}")
        if action is ReviewAction.HISTORY:
            for rec in api.review_history(case, fingerprint[0] if fingerprint else None):
                echo(f"{rec.at}  {rec.fingerprint[:12]}  {rec.decision.value:<14} "
                           f"{rec.who}: {rec.reason}")
            return
        rows = api.review_list(case, rule=rule, sender=sender, status=status, reveal=reveal)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    if fmt is ListFormat.JSON:
        typer.echo(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        echo("no findings")
        return
    for r in rows:
        echo(
            f"{r.fingerprint[:12]}  {r.decision.value if r.decision else 'unreviewed':<14} "
            f"{r.date or '-':<20} {r.rule:<18} {r.flow:<20} {r.sender} -> "
            f"{', '.join(r.consumer_addresses) or '-'}"
        )
        echo(f"    {r.where}: {r.evidence}"
                   + (f"  [value {r.value}]" if r.value is not None else ""))
    echo(f"{len(rows)} finding(s)")


@app.command(cls=Command)
def report(
    case: Annotated[Path, typer.Option("--case", metavar="DIR", help="Case directory.")],
    fmt: Annotated[api.IcoFormat, typer.Option("--format", "-f", help="Report format.")] = (
        api.IcoFormat.MD
    ),
    config: Annotated[Path | None, typer.Option(
        "--config", metavar="FILE",
        help="Report settings TOML (default: ./tracecheck.toml, else the "
        "tool.tracecheck table of ./pyproject.toml).")] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write to FILE (mode 0600) instead of stdout.")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Include unmasked identifiers, addresses and evidence (never file "
        "this copy with the ICO).")] = False,
    report_type: Annotated[ReportType, typer.Option(
        "--type", help="initial, or follow-up: states the ICO case reference and what "
        "changed since the last report kept in the case.")] = None,  # type: ignore[assignment]
    keep: Annotated[bool, typer.Option(
        "--keep/--no-keep", help="Keep this report's figures and text hash in the case "
        "(default; a read-only case is only read).")] = True,
) -> None:
    """Draft the ICO personal data breach report for a case (Markdown, HTML or JSON). Each
    report is kept in the case (its figures and a hash of its text), so that a follow-up
    report can say what changed."""
    writable = api.case_writable(case)
    try:
        api.check_output(output)
        follow_up = report_type is ReportType.FOLLOW_UP
        text = api.report(case, config=config, fmt=fmt, reveal=reveal, follow_up=follow_up)
        with output_stream(output) as out:
            out.write(text)
        if keep and writable:  # once written: a report that was not written is not kept
            api.keep_report(case, text, config=config, fmt=fmt, follow_up=follow_up)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    if keep and not writable:
        echo("tracecheck: the case is read-only: this report was not kept in it", err=True)
