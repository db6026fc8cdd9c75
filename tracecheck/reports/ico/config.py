"""The organisation's report settings: the report-side tables of the config file.

Owns the TOML tables the ICO report reads (organisation, reporter, dpo, incident, measures,
notifications), their defaults, and the checks that turn a typo or a bad date into a
`ConfigError` naming the key. Unknown top-level tables are left alone (other commands may read
them). Never opens the file itself (`tracecheck.config` finds and reads it), never computes
report numbers and never writes files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

from tracecheck.config import load_config_file
from tracecheck.errors import ConfigError

DEFAULT_TZ_NAME = "Europe/London"
"""Time zone assumed for a `discovered_at` written without an offset (UK organisations)."""

ICO_SUBJECT_CATEGORIES = (
    "Employees",
    "Users",
    "Subscribers",
    "Students",
    "Customers or prospective customers",
    "Patients",
    "Children",
    "Vulnerable adults",
    "Not yet known",
    "Other",
)
"""The data-subject tick list on the ICO form (field 13)."""

LIKELIHOODS = ("very likely", "likely", "neutral", "unlikely", "very unlikely")
SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True, slots=True)
class Contact:
    """A person the ICO can contact."""

    name: str = ""
    role: str = ""
    email: str = ""
    phone: str = ""

    @property
    def empty(self) -> bool:
        """True when no detail is given."""
        return not (self.name or self.email or self.phone)


@dataclass(frozen=True)
class IcoConfig:
    """Everything the report takes from the organisation rather than from the evidence."""

    organisation: str = ""
    ico_registration: str = ""
    sector: str = ""
    address: str = ""
    reporter: Contact = field(default_factory=Contact)
    dpo: Contact = field(default_factory=Contact)
    report_type: str = ""
    """`initial` or `follow-up`; empty when not given (the report prompts for it)."""
    ico_case_ref: str = ""
    spoken_to_ico: str = ""
    discovered_at: datetime | None = None
    """Aware datetime when the organisation became aware (starts the 72-hour clock)."""
    discovery_method: str = ""
    description: str = ""
    cyber_incident: str = ""
    delay_reason: str = ""
    reported_at: datetime | None = None
    """When the report is (to be) submitted; the deadline check is made as of this time, or
    else as of the end of the case's last run."""
    data_subject_categories: tuple[str, ...] = ()
    staff_trained: str = ""
    staff_guidance: str = ""
    consequences: str = ""
    likelihood: str = ""
    severity: str = ""
    measures_before: tuple[str, ...] = ()
    containment: tuple[str, ...] = ()
    mitigation: tuple[str, ...] = ()
    preventive: tuple[str, ...] = ()
    data_subjects_told: str = ""
    other_organisations: tuple[str, ...] = ()
    source: str = ""
    """Where the settings were read from (empty when none were found)."""


_TABLES: dict[str, dict[str, str]] = {
    "organisation": {
        "name": "organisation",
        "ico_registration": "ico_registration",
        "sector": "sector",
        "address": "address",
    },
    "incident": {
        "report_type": "report_type",
        "ico_case_ref": "ico_case_ref",
        "spoken_to_ico": "spoken_to_ico",
        "discovered_at": "discovered_at",
        "discovery_method": "discovery_method",
        "description": "description",
        "cyber_incident": "cyber_incident",
        "delay_reason": "delay_reason",
        "reported_at": "reported_at",
        "data_subject_categories": "data_subject_categories",
        "staff_trained": "staff_trained",
        "staff_guidance": "staff_guidance",
        "consequences": "consequences",
        "likelihood": "likelihood",
        "severity": "severity",
    },
    "measures": {
        "before": "measures_before",
        "containment": "containment",
        "mitigation": "mitigation",
        "preventive": "preventive",
    },
    "notifications": {
        "data_subjects": "data_subjects_told",
        "other_organisations": "other_organisations",
    },
}
_CONTACT_TABLES = ("reporter", "dpo")
_LIST_FIELDS = {
    "data_subject_categories",
    "measures_before",
    "containment",
    "mitigation",
    "preventive",
    "other_organisations",
}
_TIME_FIELDS = {"discovered_at", "reported_at"}
_IGNORED_TOP = {"organisation"}  # keys other commands may add there (e.g. domains)


def _london() -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(DEFAULT_TZ_NAME)
    except ZoneInfoNotFoundError:  # no tz database: UTC is the honest fallback
        return UTC


def parse_time(value: object, where: str) -> datetime:
    """An ISO 8601 string or TOML datetime as an aware datetime (Europe/London if naive)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(
                f"{where}: {value!r} is not an ISO 8601 time (e.g. 2021-05-10T09:30:00+01:00)"
            ) from None
    else:
        raise ConfigError(f"{where}: expected an ISO 8601 time, got {type(value).__name__}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_london())
    return dt


def _text(value: object, where: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value).strip()
    raise ConfigError(f"{where}: expected text, got {type(value).__name__}")


def _texts(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list):
        return tuple(_text(v, where) for v in value if _text(v, where))
    raise ConfigError(f"{where}: expected a list of text")


def from_mapping(data: Mapping[str, Any], source: str = "") -> IcoConfig:
    """Build the config from the parsed TOML table (the file, or `[tool.tracecheck]`)."""
    values: dict[str, Any] = {"source": source}
    for table, keys in _TABLES.items():
        section = data.get(table, {})
        if not isinstance(section, Mapping):
            raise ConfigError(f"{source}: [{table}] must be a table")
        for key, value in section.items():
            where = f"{source}: {table}.{key}"
            attr = keys.get(key)
            if attr is None:
                if table in _IGNORED_TOP:
                    continue
                known = ", ".join(sorted(keys))
                raise ConfigError(f"{where}: unknown key (known: {known})")
            if attr in _LIST_FIELDS:
                values[attr] = _texts(value, where)
            elif attr in _TIME_FIELDS:
                if value != "":  # an empty string leaves the time unset
                    values[attr] = parse_time(value, where)
            else:
                values[attr] = _text(value, where)
    for table in _CONTACT_TABLES:
        section = data.get(table, {})
        if not isinstance(section, Mapping):
            raise ConfigError(f"{source}: [{table}] must be a table")
        fields = {}
        for key, value in section.items():
            if key not in ("name", "role", "email", "phone"):
                raise ConfigError(
                    f"{source}: {table}.{key}: unknown key (name, role, email, phone)"
                )
            fields[key] = _text(value, f"{source}: {table}.{key}")
        values[table] = Contact(**fields)
    report_type = str(values.get("report_type", "")).lower()
    if report_type not in ("", "initial", "follow-up"):
        raise ConfigError(f"{source}: incident.report_type must be 'initial' or 'follow-up'")
    values["report_type"] = report_type
    for key, allowed in (("likelihood", LIKELIHOODS), ("severity", SEVERITIES)):
        given = str(values.get(key, "")).lower()
        if given and given not in allowed:
            raise ConfigError(f"{source}: incident.{key} must be one of: {', '.join(allowed)}")
        values[key] = given
    return IcoConfig(**values)


def load_config(path: str | Path | None = None, cwd: str | Path = ".") -> IcoConfig:
    """The report settings from the config file `tracecheck.config` finds and reads (`path`,
    else `./tracecheck.toml`, else `[tool.tracecheck]` in `./pyproject.toml`); empty settings
    when there is none (the report then prompts for every missing answer)."""
    found = load_config_file(path, cwd)
    if found is None:
        return IcoConfig()
    return from_mapping(found.table, source=found.path.name)
