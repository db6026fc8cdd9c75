"""`tracecheck scan`: options in, `api.scan`, a reporter out, an exit code."""

from __future__ import annotations

import dataclasses
import gc
import platform
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracecheck import __version__, api
from tracecheck.cli.app import app
from tracecheck.cli.common import Progress, fail, output_stream, report_incomplete, use_color
from tracecheck.config import load_scan_settings
from tracecheck.content.extract import ExtractLimits
from tracecheck.errors import TracecheckError
from tracecheck.model import ScanResult, Severity
from tracecheck.reports.base import ReportFormat, reporter_for


class FailOn(StrEnum):
    """Severity threshold for exit code 1."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    NEVER = "never"


@app.command()
def scan(
    paths: Annotated[list[str], typer.Argument(help="Mailbox files/folders and log files.")],
    rules: Annotated[list[Path] | None, typer.Option(
        "--rules", "-r", help="Rule pack YAML (repeatable); default: the shipped packs. A pack "
        "with `extends: default` adds to the shipped packs.")] = None,
    org_domain: Annotated[list[str] | None, typer.Option(
        "--org-domain", help="An organisation domain (repeatable); default: inferred.")] = None,
    fmt: Annotated[ReportFormat, typer.Option(
        "--format", "-f", help="Output format.")] = ReportFormat.TABLE,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write the report to FILE (mode 0600) instead of stdout.")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Include unmasked matched values (health data!) in the output.")] = False,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Exit 1 when a consumer-flow finding is at or above this severity.")
    ] = FailOn.LOW,
    exit_zero: Annotated[bool, typer.Option(
        "--exit-zero", help="Exit 0 even when findings would fail the run.")] = False,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", help="Baseline file of accepted findings; only new findings count.")
    ] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Organisation config (default: ./tracecheck.toml, else the "
        "tool.tracecheck table of ./pyproject.toml).")] = None,
    min_confidence: Annotated[float | None, typer.Option(
        "--min-confidence", min=0.0, max=1.0,
        help="Report matches at or above this confidence (default: the packs' threshold).")
    ] = None,
    consumer_domain: Annotated[list[str] | None, typer.Option(
        "--consumer-domain", help="Extra consumer mailbox domain (repeatable).")] = None,
    disable: Annotated[list[str] | None, typer.Option(
        "--disable", help="Detector id to switch off (repeatable).")] = None,
    all_messages: Annotated[bool, typer.Option(
        "--all-messages", help="Scan the content of every message, not only messages with a "
        "consumer address (auditors looking for health data anywhere).")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-j", min=1, help="Worker processes (default: all cores).")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", help="Run shards on a Dask cluster: a scheduler address, or `local` for a "
        "LocalCluster on this machine.")] = None,
    case: Annotated[Path | None, typer.Option(
        "--case", help="Case folder: store sources, messages, findings and the run manifest "
        "in its SQLite case store (an interrupted scan resumes).")] = None,
    max_depth: Annotated[int | None, typer.Option(
        "--max-depth", min=1, help="Nesting depth limit for archives in attachments.")] = None,
    max_members: Annotated[int | None, typer.Option(
        "--max-members", min=1, help="Archive members opened per attachment.")] = None,
    max_expanded_mb: Annotated[int | None, typer.Option(
        "--max-expanded-mb", min=1, help="Expanded megabytes allowed per attachment.")] = None,
    max_ratio: Annotated[float | None, typer.Option(
        "--max-ratio", min=1.0, help="Largest compression ratio accepted (zip bombs).")] = None,
    max_message_mb: Annotated[int | None, typer.Option(
        "--max-message-mb", min=1, help="Messages larger than this are scanned as raw text "
        "instead of being MIME-parsed (memory bound); listed in coverage.")] = None,
    regex_timeout: Annotated[float, typer.Option(
        "--regex-timeout", min=0.01, help="Seconds a detector may spend on one text part.")
    ] = 5.0,
    log_year: Annotated[int | None, typer.Option(
        "--log-year", help="Year for year-less syslog time stamps.")] = None,
    log_tz: Annotated[str, typer.Option(
        "--log-tz", help="Time zone of local-time log stamps.")] = "Europe/London",
) -> None:
    """Scan mailbox exports and mail logs for health data sent to or from consumer domains.

    Exit codes: 0 nothing at or above --fail-on on a consumer flow; 1 findings; 2 usage,
    rule-pack or input error; 3 incomplete (tracecheck failed on part of the input).
    """
    try:
        settings = load_scan_settings(config)
        defaults = ExtractLimits()
        limits = ExtractLimits(
            max_depth=max_depth or defaults.max_depth,
            max_members=max_members or defaults.max_members,
            max_total_bytes=(max_expanded_mb * 1024 * 1024 if max_expanded_mb
                             else defaults.max_total_bytes),
            max_ratio=max_ratio or defaults.max_ratio,
            max_message_bytes=(max_message_mb * 1024 * 1024 if max_message_mb
                               else defaults.max_message_bytes),
        )
        options = api.ScanOptions.from_settings(
            settings,
            rules=tuple(str(r) for r in rules or ()),
            org_domains=tuple(org_domain or ()),
            extra_consumer=tuple(consumer_domain or ()),
            disabled=tuple(disable or ()),
            min_confidence=min_confidence,
            all_messages=all_messages or None,
            regex_timeout=regex_timeout,
            limits=limits,
            log_year=log_year,
            log_tz=log_tz,
        )
        accepted = None
        if baseline is not None:
            from tracecheck.baseline import load_baseline

            accepted = load_baseline(baseline)
        api.check_paths(paths)
    except TracecheckError as exc:
        raise fail(str(exc)) from None
    options = dataclasses.replace(options, workers=workers, dask=dask)
    progress = Progress(enabled=sys.stderr.isatty())
    try:
        result = _run(paths, options, progress, case)
    except TracecheckError as exc:
        progress.close()
        raise fail(str(exc)) from None
    progress.close()
    if accepted is not None:
        from tracecheck.baseline import apply_baseline

        result = apply_baseline(result, accepted)
    to_stdout = output is None or output == "-"
    color = to_stdout and use_color(sys.stdout)
    with output_stream(output) as out:
        reporter_for(fmt, color=color).write(result, out, reveal=reveal)
    threshold = None if fail_on is FailOn.NEVER else Severity.parse(fail_on.value)
    report_incomplete(result)
    raise typer.Exit(api.exit_code(result, threshold, exit_zero=exit_zero))


def _tune_gc() -> None:
    """A scan allocates millions of short-lived objects (message trees, text units) and
    keeps few: collect the young generation less often, and leave what is loaded by now
    (modules, rule packs) out of full collections. About 5% of the CPU of a content scan;
    worker processes forked later inherit both settings."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _run(paths: list[str], options: api.ScanOptions, progress: Progress,
         case: Path | None) -> ScanResult:
    _tune_gc()
    if case is None:
        return api.scan(paths, options, progress=progress)
    from tracecheck.case import CaseStore

    store = CaseStore.open(case)
    try:
        run_id = store.begin_run({
            "tool_version": __version__,
            "python": platform.python_version(),
            "packs": [{"pack": p.id, "version": p.version, "sha256": p.sha256, "path": p.path}
                      for p in api.resolve_packs(options.rules)],
            "arguments": sys.argv[1:],
            "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "options": api.options_manifest(options),
        })
        try:
            result = api.scan(paths, options, progress=progress,
                              checkpoint=store.checkpoint(run_id))
        except BaseException:
            store.mark_interrupted(run_id)
            raise
        store.finish_run(run_id, result, api.source_hashes(result))
    finally:
        store.close()
    return result
