"""The flags of every command that scans (`scan`, `baseline create|update`), written once.

Each flag is an annotated type used in each command's signature, and `scan_options` maps
them onto `api.ScanOptions` through `api.scan_options` (which also reads the config file), so
a baseline sees exactly what `scan` will see, limits and regex timeout included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracecheck import api

Rules = Annotated[list[Path] | None, typer.Option(
    "--rules", "-r", help="Rule pack YAML (repeatable); default: the shipped packs. A pack "
    "with `extends: default` adds to the shipped packs.")]
OrgDomain = Annotated[list[str] | None, typer.Option(
    "--org-domain", help="An organisation domain (repeatable); default: inferred.")]
Config = Annotated[Path | None, typer.Option(
    "--config", help="Organisation config (default: ./tracecheck.toml, else the "
    "tool.tracecheck table of ./pyproject.toml).")]
MinConfidence = Annotated[float | None, typer.Option(
    "--min-confidence", min=0.0, max=1.0,
    help="Report matches at or above this confidence (default: the packs' threshold).")]
ConsumerDomain = Annotated[list[str] | None, typer.Option(
    "--consumer-domain", help="Extra consumer mailbox domain (repeatable).")]
Disable = Annotated[list[str] | None, typer.Option(
    "--disable", help="Detector id to switch off (repeatable).")]
AllMessages = Annotated[bool, typer.Option(
    "--all-messages", help="Scan the content of every message, not only messages with a "
    "consumer address (auditors looking for health data anywhere).")]
Workers = Annotated[int | None, typer.Option(
    "--workers", "-j", min=1, help="Worker processes (default: all cores).")]
Dask = Annotated[str | None, typer.Option(
    "--dask", help="Run shards on a Dask cluster: a scheduler address, or `local` for a "
    "LocalCluster on this machine.")]
MaxDepth = Annotated[int | None, typer.Option(
    "--max-depth", min=1, help="Nesting depth limit for archives in attachments.")]
MaxMembers = Annotated[int | None, typer.Option(
    "--max-members", min=1, help="Archive members opened per attachment.")]
MaxExpandedMb = Annotated[int | None, typer.Option(
    "--max-expanded-mb", min=1, help="Expanded megabytes allowed per attachment.")]
MaxRatio = Annotated[float | None, typer.Option(
    "--max-ratio", min=1.0, help="Largest compression ratio accepted (zip bombs).")]
MaxMessageMb = Annotated[int | None, typer.Option(
    "--max-message-mb", min=1, help="Messages larger than this are scanned as raw text "
    "instead of being MIME-parsed (memory bound); listed in coverage.")]
RegexTimeout = Annotated[float, typer.Option(
    "--regex-timeout", min=0.01, help="Seconds a detector may spend on one text part.")]
LogYear = Annotated[int | None, typer.Option(
    "--log-year", help="Year for year-less syslog time stamps.")]
LogTz = Annotated[str, typer.Option("--log-tz", help="Time zone of local-time log stamps.")]

REGEX_TIMEOUT = 5.0
LOG_TZ = "Europe/London"


def scan_options(
    *, config: Path | None, rules: list[Path] | None, org_domain: list[str] | None,
    consumer_domain: list[str] | None, disable: list[str] | None,
    min_confidence: float | None, all_messages: bool, workers: int | None, dask: str | None,
    max_depth: int | None, max_members: int | None, max_expanded_mb: int | None,
    max_ratio: float | None, max_message_mb: int | None, regex_timeout: float,
    log_year: int | None, log_tz: str,
) -> api.ScanOptions:
    """The scan options the flags (and the config file) ask for."""
    return api.scan_options(
        config, rules=[str(r) for r in rules or ()], org_domains=org_domain or (),
        consumer_domains=consumer_domain or (), disable=disable or (),
        min_confidence=min_confidence, all_messages=all_messages,
        regex_timeout=regex_timeout, max_depth=max_depth, max_members=max_members,
        max_expanded_mb=max_expanded_mb, max_ratio=max_ratio, max_message_mb=max_message_mb,
        log_year=log_year, log_tz=log_tz, workers=workers, dask=dask)
