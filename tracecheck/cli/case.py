"""`tracecheck review` and `tracecheck report`: reviewer decisions and the ICO breach report,
both over a case directory (`--case DIR`). A thin shell over `tracecheck.case` and
`tracecheck.reports.ico`; errors become one line and exit code 2.
"""

from __future__ import annotations

import getpass
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracecheck.case import CaseStore, Decision
from tracecheck.case.review import Status, status_of
from tracecheck.cli.app import app
from tracecheck.cli.common import fail, output_stream
from tracecheck.errors import TracecheckError
from tracecheck.reports.ico import IcoFormat, load_config, render
from tracecheck.rules.mask import mask_address


class ReviewAction(StrEnum):
    """What `tracecheck review` does."""

    LIST = "list"
    MARK = "mark"
    HISTORY = "history"


class ListFormat(StrEnum):
    """Output of `review list`."""

    TABLE = "table"
    JSON = "json"


def _who(given: str | None) -> str:
    if given:
        return given
    return os.environ.get("USER") or os.environ.get("USERNAME") or getpass.getuser()


def _open(case: Path) -> CaseStore:
    try:
        return CaseStore.open(case, create=False)
    except TracecheckError as exc:
        raise fail(str(exc)) from None


@app.command()
def review(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    action: Annotated[ReviewAction, typer.Argument(
        help="list findings, mark them, or show the decision history.")] = ReviewAction.LIST,
    decision: Annotated[str | None, typer.Argument(
        help="With mark: confirmed, false-positive or needs-review.")] = None,
    fingerprint: Annotated[list[str] | None, typer.Option(
        "--fingerprint", help="A finding's fingerprint or a unique prefix (repeatable).")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Every finding of this rule.")] = None,
    sender: Annotated[str | None, typer.Option(
        "--sender", help="Every finding sent by this address.")] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why (required with mark).")] = None,
    who: Annotated[str | None, typer.Option("--who", help="Reviewer (default: $USER).")] = None,
    status: Annotated[Status | None, typer.Option(
        "--status", help="With list: only findings with this review status.")] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="List format.")] = (
        ListFormat.TABLE
    ),
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Show unmasked values and addresses (health data!).")] = False,
) -> None:
    """Review findings in a case: list them (masked), or mark them confirmed, false-positive or
    needs-review with a reason, by fingerprint or in bulk by rule or sender. Decisions keep
    who and when, and survive rescans."""
    store = _open(case)
    try:
        if action is ReviewAction.MARK:
            if decision is None:
                raise fail("mark needs a decision: confirmed, false-positive or needs-review")
            if not reason:
                raise fail("mark needs --reason")
            if not fingerprint and rule is None and sender is None:
                raise fail("choose findings with --fingerprint, --rule or --sender")
            try:
                chosen = store.decide(
                    fingerprint or None, rule=rule, sender=sender, decision=decision,
                    reason=reason, who=_who(who),
                )
            except (TracecheckError, ValueError) as exc:
                raise fail(str(exc)) from None
            if not chosen:
                raise fail("no finding matches the selection")
            typer.echo(f"marked {len(chosen)} finding(s) {Decision.parse(decision).value}")
            return
        if decision is not None:
            raise fail(f"unexpected argument {decision!r} for {action.value}")
        if action is ReviewAction.HISTORY:
            fp = fingerprint[0] if fingerprint else None
            for rec in store.decision_history(fp):
                typer.echo(f"{rec.at}  {rec.fingerprint[:12]}  {rec.decision.value:<14} "
                           f"{rec.who}: {rec.reason}")
            return
        _list(store, rule, sender, status, fmt, reveal)
    finally:
        store.close()


def _list(store: CaseStore, rule: str | None, sender: str | None, status: Status | None,
          fmt: ListFormat, reveal: bool) -> None:
    decisions = store.decisions()
    rows = []
    for f in store.findings():
        if rule is not None and f.rule != rule:
            continue
        if sender is not None and f.sender.lower() != sender.strip().lower():
            continue
        st = status_of(f, decisions)
        if status is not None and st is not status:
            continue
        rec = decisions.get(f.fingerprint)
        consumer = {a.lower() for a in f.consumer_addresses}
        rows.append({
            "fingerprint": f.fingerprint,
            "date": f.date,
            "flow": f.flow.value,
            "rule": f.rule,
            "category": f.category,
            "severity": f.severity.label,
            "sender": mask_address(f.sender, reveal) if f.sender.lower() in consumer
            else f.sender,
            "consumer_addresses": [mask_address(a, reveal) for a in f.consumer_addresses],
            "locator": f.locator,
            "where": f.where,
            "evidence": f.evidence,
            "status": st.value,
            "decision": rec.decision.value if rec else None,
            "reason": rec.reason if rec else None,
            "who": rec.who if rec else None,
            **({"value": f.value} if reveal else {}),
        })
    if fmt is ListFormat.JSON:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no findings")
        return
    for r in rows:
        typer.echo(
            f"{r['fingerprint'][:12]}  {r['decision'] or 'unreviewed':<14} {r['date'] or '-':<20} "
            f"{r['rule']:<18} {r['flow']:<20} {r['sender']} -> "
            f"{', '.join(r['consumer_addresses']) or '-'}"
        )
        typer.echo(f"    {r['where']}: {r['evidence']}"
                   + (f"  [value {r['value']}]" if reveal else ""))
    typer.echo(f"{len(rows)} finding(s)")


@app.command()
def report(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    fmt: Annotated[IcoFormat, typer.Option("--format", "-f", help="Report format.")] = (
        IcoFormat.MD
    ),
    config: Annotated[Path | None, typer.Option(
        "--config", help="Report settings TOML (default: ./tracecheck.toml, else the "
        "tool.tracecheck table of ./pyproject.toml).")] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to FILE (mode 0600) instead of stdout.")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Include unmasked identifiers, addresses and evidence (never file "
        "this copy with the ICO).")] = False,
) -> None:
    """Draft the ICO personal data breach report for a case (Markdown, HTML or JSON)."""
    try:
        cfg = load_config(config)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    store = _open(case)
    try:
        text = render(store.snapshot(), cfg, fmt, reveal=reveal)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    try:
        with output_stream(output) as out:
            out.write(text)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
