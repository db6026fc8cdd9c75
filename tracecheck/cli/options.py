"""The flags of every command that scans (`scan`, `baseline create|update`), written once.

`@scan_flags` gives a command all of them and hands it one `api.ScanOptions` built by
`api.scan_options` (which also reads the config file), so a baseline sees exactly what `scan`
will see, limits and regex timeout included. `logs` reuses the few it takes.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from tracecheck import api
from tracecheck.cli.common import fail
from tracecheck.errors import TracecheckError

Rules = Annotated[list[Path] | None, typer.Option(
    "--rules", "-r", metavar="PACK",
    help="Rule pack YAML (repeatable); default: the shipped packs. A pack "
    "with `extends: default` adds to the shipped packs.")]
OrgDomain = Annotated[list[str] | None, typer.Option(
    "--org-domain", metavar="DOMAIN",
    help="An organisation domain (repeatable); default: inferred.")]
Config = Annotated[Path | None, typer.Option(
    "--config", metavar="FILE", help="Organisation config (default: ./tracecheck.toml, else the "
    "tool.tracecheck table of ./pyproject.toml).")]
MinConfidence = Annotated[float | None, typer.Option(
    "--min-confidence", min=0.0, max=1.0, metavar="0..1",
    help="Report matches at or above this confidence (default: the packs' threshold).")]
ConsumerDomain = Annotated[list[str] | None, typer.Option(
    "--consumer-domain", metavar="DOMAIN", help="Extra consumer mailbox domain (repeatable).")]
Disable = Annotated[list[str] | None, typer.Option(
    "--disable", metavar="DETECTOR", help="Detector id to switch off (repeatable).")]
AllMessages = Annotated[bool, typer.Option(
    "--all-messages", help="Scan the content of every message, not only messages with a "
    "consumer address (auditors looking for health data anywhere).")]
Workers = Annotated[int | None, typer.Option(
    "--workers", "-j", min=1, metavar="N", help="Worker processes (default: all cores).")]
Dask = Annotated[str | None, typer.Option(
    "--dask", metavar="ADDRESS",
    help="Run shards on a Dask cluster: a scheduler address, or `local` for a "
    "LocalCluster on this machine.")]
MaxDepth = Annotated[int | None, typer.Option(
    "--max-depth", min=1, metavar="N", help="Nesting depth limit for archives in attachments.")]
MaxMembers = Annotated[int | None, typer.Option(
    "--max-members", min=1, metavar="N", help="Archive members opened per attachment.")]
MaxExpandedMb = Annotated[int | None, typer.Option(
    "--max-expanded-mb", min=1, metavar="MB", help="Expanded megabytes allowed per attachment.")]
MaxRatio = Annotated[float | None, typer.Option(
    "--max-ratio", min=1.0, metavar="RATIO",
    help="Largest compression ratio accepted (zip bombs).")]
MaxMessageMb = Annotated[int | None, typer.Option(
    "--max-message-mb", min=1, metavar="MB",
    help="Messages larger than this are scanned as raw text "
    "instead of being MIME-parsed (memory bound); listed in coverage.")]
RegexTimeout = Annotated[float, typer.Option(
    "--regex-timeout", min=0.01, metavar="SECONDS",
    help="Seconds a detector may spend on one text part.")]
FollowSymlinks = Annotated[bool, typer.Option(
    "--follow-symlinks",
    help="Follow symlinks that point outside the folders given (default: list them as "
    "outside-root and do not read them).")]
LogYear = Annotated[int | None, typer.Option(
    "--log-year", metavar="YEAR", help="Year for year-less syslog time stamps.")]
LogTz = Annotated[str, typer.Option("--log-tz", metavar="ZONE",
help="Time zone of local-time log stamps.")]

CustodianFromOpt = Annotated[api.CustodianFrom | None, typer.Option(
    "--custodian-from",
    help="Whose mailbox each message came from: path (a folder named as the mailbox, or the "
    "config's scan.custodian_pattern), header (Delivered-To) or none. Default: path.")]

REGEX_TIMEOUT = 5.0
LOG_TZ = "Europe/London"

FLAGS: tuple[tuple[str, object, object], ...] = (
    ("rules", Rules, None),
    ("org_domain", OrgDomain, None),
    ("config", Config, None),
    ("min_confidence", MinConfidence, None),
    ("consumer_domain", ConsumerDomain, None),
    ("disable", Disable, None),
    ("all_messages", AllMessages, False),
    ("workers", Workers, None),
    ("dask", Dask, None),
    ("max_depth", MaxDepth, None),
    ("max_members", MaxMembers, None),
    ("max_expanded_mb", MaxExpandedMb, None),
    ("max_ratio", MaxRatio, None),
    ("max_message_mb", MaxMessageMb, None),
    ("follow_symlinks", FollowSymlinks, False),
    ("regex_timeout", RegexTimeout, REGEX_TIMEOUT),
    ("log_year", LogYear, None),
    ("log_tz", LogTz, LOG_TZ),
    ("custodian_from", CustodianFromOpt, None),
)
"""(parameter name, annotated type, default) of every scan flag."""

F = TypeVar("F", bound=Callable[..., Any])


def scan_flags(command: F) -> F:
    """Give a command every scan flag: its signature gains them (Typer reads it), and the
    command receives them as one `options: api.ScanOptions` argument built by
    `api.scan_options` (config file included). An error in the flags or the config file is
    one line and exit 2."""
    own = inspect.signature(command, eval_str=True)
    params = [p for p in own.parameters.values() if p.name != "options"]
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                 annotation=annotation) for name, annotation, default in FLAGS]

    @functools.wraps(command)
    def with_options(**kwargs: Any) -> Any:
        flags = {name: kwargs.pop(name) for name, _, _ in FLAGS}
        try:
            options = api.scan_options(
                flags["config"], rules=[str(r) for r in flags["rules"] or ()],
                org_domains=flags["org_domain"] or (),
                consumer_domains=flags["consumer_domain"] or (),
                disable=flags["disable"] or (), min_confidence=flags["min_confidence"],
                all_messages=flags["all_messages"], regex_timeout=flags["regex_timeout"],
                max_depth=flags["max_depth"], max_members=flags["max_members"],
                max_expanded_mb=flags["max_expanded_mb"], max_ratio=flags["max_ratio"],
                max_message_mb=flags["max_message_mb"], log_year=flags["log_year"],
                log_tz=flags["log_tz"], follow_symlinks=flags["follow_symlinks"],
                workers=flags["workers"], dask=flags["dask"],
                custodian_from=flags["custodian_from"])
        except TracecheckError as exc:
            raise fail(str(exc)) from None
        return command(options=options, **kwargs)

    with_options.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
    with_options.__annotations__ = {p.name: p.annotation for p in params}
    return cast(F, with_options)
