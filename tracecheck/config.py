"""The organisation's config file (tracecheck.toml, or `[tool.tracecheck]` in pyproject.toml)
and its `[scan]` table.

Owns finding and reading that file: `load_config_file` is the only code that opens it, and it
turns every read, decode and TOML error into a `ConfigError` (exit code 2). Owns the scan-side
keys too: org domains, extra consumer domains, a case-reference pattern that becomes a
health-context signal, allowlisted addresses, disabled detectors, a confidence threshold and
extra rule packs. The report-side tables (organisation, incident, measures, …) are checked by
`reports.ico.config`, from the table read here. Never scans anything.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from tracecheck.custodians import compile_pattern
from tracecheck.errors import ConfigError, UsageError

_KEYS = {
    "org_domains", "consumer_domains", "case_reference", "allow_addresses", "disable",
    "min_confidence", "rules", "custodian_from", "custodian_pattern",
}


@dataclass(frozen=True)
class ScanSettings:
    """The `[scan]` table, validated."""

    org_domains: tuple[str, ...] = ()
    consumer_domains: tuple[str, ...] = ()
    case_reference: str | None = None
    allow_addresses: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    min_confidence: float | None = None
    rules: tuple[str, ...] = ()
    source: str = ""
    custodian_from: str | None = None
    """`path`, `header` or `none` (`--custodian-from` wins)."""
    custodian_pattern: str | None = None
    """The regex `path` attribution reads the custodian with (its `custodian` group)."""


@dataclass(frozen=True)
class ConfigFile:
    """A config file as read: where it is and its tracecheck table."""

    path: Path
    table: Mapping[str, Any]
    """The whole file, or the `[tool.tracecheck]` table of a pyproject.toml."""


def load_config_file(path: str | Path | None = None, cwd: str | Path = ".") -> ConfigFile | None:
    """The config file named by `path`, or else the one found in `cwd`: `tracecheck.toml`,
    else `pyproject.toml` when it has a `[tool.tracecheck]` table. None when no path is given
    and none is found.

    A pyproject.toml that cannot be read is an error, not "no config": it may hold the
    organisation's settings, and scanning without them would give other flows."""
    if path is None:
        return _discover(Path(cwd))
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    return ConfigFile(p, _read_table(p))


def _discover(base: Path) -> ConfigFile | None:
    if (base / "tracecheck.toml").is_file():
        return ConfigFile(base / "tracecheck.toml", _read_table(base / "tracecheck.toml"))
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        table = _tool_table(_parse(pyproject))
        if table is not None:
            return ConfigFile(pyproject, table)
    return None


def _read_table(path: Path) -> dict[str, Any]:
    """The tracecheck table of a config file (the whole file, or `[tool.tracecheck]`)."""
    data = _parse(path)
    if path.name == "pyproject.toml":
        table = _tool_table(data)
        if table is None:
            raise ConfigError(f"{path}: no [tool.tracecheck] table")
        return table
    return data


def _tool_table(pyproject: dict[str, Any]) -> dict[str, Any] | None:
    tool = pyproject.get("tool")
    table = tool.get("tracecheck") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _parse(path: Path) -> dict[str, Any]:
    """The file as TOML; every way it can fail is a ConfigError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "TOML files must be saved as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def load_scan_settings(path: str | Path | None = None, cwd: str | Path = ".") -> ScanSettings:
    """Read `[scan]` from `path`, or from the config found in `cwd`; empty when none."""
    found = load_config_file(path, cwd)
    if found is None:
        return ScanSettings()
    p = found.path
    table = found.table.get("scan", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{p}: [scan] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        known = ", ".join(sorted(_KEYS))
        raise ConfigError(f"{p}: scan.{unknown[0]}: unknown key (known: {known})")
    case_ref = table.get("case_reference")
    if case_ref is not None:
        if not isinstance(case_ref, str) or not case_ref:
            raise ConfigError(f"{p}: scan.case_reference: expected a pattern")
        try:
            regex.compile(case_ref)
        except regex.error as exc:
            raise ConfigError(f"{p}: scan.case_reference does not compile: {exc}") from None
    custodian_from = table.get("custodian_from")
    if custodian_from is not None and custodian_from not in ("path", "header", "none"):
        raise ConfigError(f"{p}: scan.custodian_from: expected path, header or none")
    custodian_pattern = table.get("custodian_pattern")
    if custodian_pattern is not None:
        if not isinstance(custodian_pattern, str) or not custodian_pattern:
            raise ConfigError(f"{p}: scan.custodian_pattern: expected a pattern")
        try:
            compile_pattern(custodian_pattern, f"{p}: scan.custodian_pattern")
        except UsageError as exc:
            raise ConfigError(str(exc)) from None
    min_conf = table.get("min_confidence")
    if min_conf is not None and (
        isinstance(min_conf, bool) or not isinstance(min_conf, int | float)
        or not 0 <= min_conf <= 1
    ):
        raise ConfigError(f"{p}: scan.min_confidence: expected a number from 0 to 1")
    base = p.parent
    return ScanSettings(
        org_domains=_strings(table.get("org_domains", []), f"{p}: scan.org_domains"),
        consumer_domains=_strings(table.get("consumer_domains", []),
                                  f"{p}: scan.consumer_domains"),
        case_reference=case_ref,
        allow_addresses=tuple(a.lower() for a in _strings(table.get("allow_addresses", []),
                                                          f"{p}: scan.allow_addresses")),
        disable=_strings(table.get("disable", []), f"{p}: scan.disable"),
        min_confidence=float(min_conf) if min_conf is not None else None,
        rules=tuple(str(base / r) for r in _strings(table.get("rules", []), f"{p}: scan.rules")),
        source=str(p),
        custodian_from=custodian_from,
        custodian_pattern=custodian_pattern,
    )
