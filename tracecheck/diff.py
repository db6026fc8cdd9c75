"""Repeated audits: two findings files compared by fingerprint (`tracecheck diff OLD NEW`).

Owns reading a findings file as written by `tracecheck scan` (`--format parquet`, or the
`--format json` document), the comparison (a finding is `new`, `gone` or `unchanged` by its
fingerprint, which does not change between runs over the same message), the counts per
custodian and per consumer domain, and how a comparison is written (`DiffFormat`: text or
JSON, deterministic; text with control characters made visible). Never scans, never
unmasks: it reads only what the files hold (masked unless written with `--reveal`) and
never writes `value`.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tracecheck.errors import InputError
from tracecheck.reports.base import SCHEMA_VERSION
from tracecheck.reports.safe_text import visible

PARQUET_MAGIC = b"PAR1"
NO_CUSTODIAN = ""
"""The custodian of a finding from a file without custodians (or an unattributed one)."""
NO_DOMAIN = ""
"""The consumer domain of a finding without a consumer address (`--all-messages` flows)."""


class Change(enum.StrEnum):
    """What happened to a finding between the two files."""

    NEW = "new"
    GONE = "gone"
    UNCHANGED = "unchanged"


class DiffFormat(enum.StrEnum):
    """How a comparison is written."""

    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One finding of either file, as much of it as a comparison shows (nothing unmasked)."""

    change: Change
    fingerprint: str
    rule: str
    severity: str
    flow: str
    custodian: str
    consumer_domains: tuple[str, ...]
    locator: str
    date: str | None

    def as_dict(self) -> dict[str, Any]:
        """The row in the JSON output's key order."""
        return {"change": self.change.value, "fingerprint": self.fingerprint,
                "rule": self.rule, "severity": self.severity, "flow": self.flow,
                "custodian": self.custodian, "consumer_domains": list(self.consumer_domains),
                "locator": self.locator, "date": self.date}


@dataclass(frozen=True)
class FindingsDiff:
    """Two findings files compared: every finding of either, new and unchanged ones in the
    new file's order, then the gone ones in the old file's order."""

    old: str
    new: str
    rows: tuple[DiffRow, ...]

    def count(self, change: Change) -> int:
        """How many findings changed so."""
        return sum(1 for r in self.rows if r.change is change)

    def by_custodian(self) -> dict[str, dict[str, int]]:
        """Custodian → {new, gone, unchanged}, custodians sorted."""
        return _grouped(self.rows, lambda r: (r.custodian,))

    def by_consumer_domain(self) -> dict[str, dict[str, int]]:
        """Consumer domain → {new, gone, unchanged}; a finding counts once for each of its
        consumer domains (and under "" when it has none)."""
        return _grouped(self.rows, lambda r: r.consumer_domains or (NO_DOMAIN,))

    def as_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "schema_version": SCHEMA_VERSION,
            "old": self.old,
            "new": self.new,
            "summary": {c.value: self.count(c) for c in Change},
            "by_custodian": self.by_custodian(),
            "by_consumer_domain": self.by_consumer_domain(),
            "findings": [r.as_dict() for r in self.rows if r.change is not Change.UNCHANGED],
        }


def _grouped(rows: Sequence[DiffRow], keys: Callable[[DiffRow], Iterable[str]]
             ) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {}
    for r in rows:
        for key in keys(r):
            counts.setdefault(key, Counter())[r.change.value] += 1
    return {k: {c.value: counts[k][c.value] for c in Change} for k in sorted(counts)}


def compare(old: str | Path, new: str | Path) -> FindingsDiff:
    """Compare the findings files at `old` and `new` (each Parquet or a scan's JSON)."""
    before = read_findings(old)
    after = read_findings(new)
    rows = [_row(Change.UNCHANGED if fp in before else Change.NEW, rec)
            for fp, rec in after.items()]
    rows += [_row(Change.GONE, rec) for fp, rec in before.items() if fp not in after]
    return FindingsDiff(str(old), str(new), tuple(rows))


def _row(change: Change, rec: Mapping[str, Any]) -> DiffRow:
    domains = tuple(sorted({a.rpartition("@")[2].lower()
                            for a in rec.get("consumer_addresses") or () if "@" in a}))
    date = rec.get("date")
    if date is not None and not isinstance(date, str):  # a Parquet timestamp
        date = date.strftime("%Y-%m-%dT%H:%M:%SZ")
    return DiffRow(change=change, fingerprint=str(rec["fingerprint"]),
                   rule=str(rec.get("rule") or ""), severity=str(rec.get("severity") or ""),
                   flow=str(rec.get("flow") or ""),
                   custodian=str(rec.get("custodian") or NO_CUSTODIAN),
                   consumer_domains=domains, locator=str(rec.get("locator") or ""), date=date)


def read_findings(path: str | Path) -> dict[str, dict[str, Any]]:
    """Fingerprint → finding record of a findings file, in file order. A file that is not a
    findings file `tracecheck scan` wrote (Parquet or JSON) is an `InputError`."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from None
    records = _parquet(p) if head == PARQUET_MAGIC else _json(p)
    out: dict[str, dict[str, Any]] = {}
    for rec in records:
        fp = rec.get("fingerprint")
        if not isinstance(fp, str) or not fp:
            raise InputError(f"{p}: a finding without a fingerprint: not a tracecheck "
                             "findings file")
        out.setdefault(fp, rec)
    return out


def _parquet(path: Path) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        meta = pf.schema_arrow.metadata or {}
        table = meta.get(b"tracecheck.table")
        version = meta.get(b"tracecheck.schema_version")
        if table != b"findings":
            raise InputError(f"{path}: not a findings file of `tracecheck scan --format "
                             f"parquet` (table {table.decode() if table else 'unknown'})")
        _check_version(path, version.decode() if version else None)
        wanted = [c for c in ("fingerprint", "rule", "severity", "flow", "custodian",
                              "consumer_addresses", "locator", "date")
                  if c in pf.schema_arrow.names]
        rows: list[dict[str, Any]] = []
        for batch in pf.iter_batches(columns=wanted):
            rows.extend(batch.to_pylist())
        return rows
    except (pa.ArrowException, OSError) as exc:  # pyarrow: a damaged or truncated file
        raise InputError(f"{path}: cannot read it as Parquet: {exc}") from None


def _json(path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a scan's JSON or Parquet findings file ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise InputError(f"{path}: not the JSON document of `tracecheck scan --format json` "
                         "(no findings list)")
    _check_version(path, str(doc.get("schema_version")))
    return [r for r in doc["findings"] if isinstance(r, dict)]


def _check_version(path: Path, version: str | None) -> None:
    if version != str(SCHEMA_VERSION):
        raise InputError(f"{path}: schema version {version} (this tracecheck reads "
                         f"{SCHEMA_VERSION})")


def write_diff(diff: FindingsDiff, fmt: DiffFormat, out: TextIO) -> None:
    """Write `diff`: JSON (the document, the unchanged findings counted, not listed), or text:
    one line per new or gone finding, then the counts per custodian and consumer domain."""
    if fmt is DiffFormat.JSON:
        json.dump(diff.as_dict(), out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    out.write(f"{visible(diff.old)} -> {visible(diff.new)}: {diff.count(Change.NEW)} new, "
              f"{diff.count(Change.GONE)} gone, {diff.count(Change.UNCHANGED)} unchanged "
              "(by fingerprint)\n")
    for r in diff.rows:
        if r.change is not Change.UNCHANGED:
            cells = (r.change.value, r.fingerprint[:12], r.rule, r.severity, r.flow,
                     r.custodian or "-", ",".join(r.consumer_domains) or "-", r.date or "-",
                     r.locator)
            out.write("\t".join(visible(x) for x in cells) + "\n")
    for title, counts in (("custodian", diff.by_custodian()),
                          ("consumer domain", diff.by_consumer_domain())):
        out.write(f"\nby {title}\tnew\tgone\tunchanged\n")
        for key, n in counts.items():
            out.write(f"{visible(key) or '-'}\t{n['new']}\t{n['gone']}\t{n['unchanged']}\n")
