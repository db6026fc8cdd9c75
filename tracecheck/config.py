"""Organisation settings for scanning: the `[scan]` table of tracecheck.toml (or of
`[tool.tracecheck]` in pyproject.toml).

Owns the scan-side keys: org domains, extra consumer domains, a case-reference pattern that
becomes a health-context signal, allowlisted addresses, disabled detectors, a confidence
threshold and extra rule packs. The report-side tables (organisation, incident, measures, …)
belong to `reports.ico.config`; both read the same file. Never scans anything.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from tracecheck.errors import ConfigError

_KEYS = {
    "org_domains", "consumer_domains", "case_reference", "allow_addresses", "disable",
    "min_confidence", "rules",
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


def find_config(cwd: str | Path = ".") -> Path | None:
    """`./tracecheck.toml`, else `./pyproject.toml` when it has `[tool.tracecheck]`."""
    base = Path(cwd)
    if (base / "tracecheck.toml").is_file():
        return base / "tracecheck.toml"
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            return None
        if "tracecheck" in data.get("tool", {}):
            return pyproject
    return None


def read_table(path: Path) -> dict[str, Any]:
    """The tracecheck table of a config file (the whole file, or `[tool.tracecheck]`)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("tracecheck")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: no [tool.tracecheck] table")
        return table
    return data


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def load_scan_settings(path: str | Path | None = None, cwd: str | Path = ".") -> ScanSettings:
    """Read `[scan]` from `path`, or from the config found in `cwd`; empty when none."""
    p = Path(path) if path is not None else find_config(cwd)
    if p is None:
        return ScanSettings()
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    table = read_table(p).get("scan", {})
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
    )
