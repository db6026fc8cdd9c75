"""Follow-up reports (Art. 33(4)): what a report states, kept as figures, and what changed
since the last report filed before it.

Owns which figures a report's snapshot keeps (`figures`), which kept snapshot a report is
compared with (`previous_report`) and the "What changed since the last report" section built
from two sets of them. Never reads or writes the case (the api keeps and hands back
snapshots) and never formats output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from tracecheck.case.manifest import ReportSnapshot
from tracecheck.reports.ico.document import Field, Section, Table
from tracecheck.reports.ico.numbers import Numbers

COMPARED = (
    ("messages_scanned", "Messages scanned"),
    ("messages_flagged", "Messages flagged (health data, consumer mailbox)"),
    ("findings_confirmed", "Findings confirmed by review"),
    ("findings_false_positive", "Findings set aside as false positives"),
    ("findings_unreviewed", "Findings not yet reviewed"),
    ("data_subjects_estimate", "Approximate number of data subjects"),
    ("records", "Records"),
)
"""(key, label) of the figures a follow-up compares, in the order it lists them."""


def figures(n: Numbers) -> dict[str, object]:
    """The figures a report's snapshot keeps (plain JSON values, keys sorted when stored)."""
    out: dict[str, object] = {key: getattr(n, key) for key, _ in COMPARED}
    out["containment"] = dict(n.containment)
    return out


def _same(a: Mapping[str, object], b: Mapping[str, object]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def previous_report(kept: Sequence[ReportSnapshot], current: Mapping[str, object],
                    report_type: str) -> ReportSnapshot | None:
    """The report this one is compared with: the last one kept before this drafting. The
    renderings of one drafting (the same report in md then html, or drafted again with
    nothing new) are one report: the kept snapshots at the end with this report's type and
    these very figures are this drafting, not the one before it, and are passed over. None
    when no other report is kept."""
    i = len(kept)
    while i and kept[i - 1].report_type == report_type and _same(kept[i - 1].figures, current):
        i -= 1
    return kept[i - 1] if i else None


def _int(value: object) -> int | None:
    """A kept figure; None when it is missing or not a count (a damaged or older snapshot):
    shown as unknown, never as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


UNKNOWN = "unknown"


def _row(label: str, key: str, before: int | None, now: int | None
         ) -> tuple[tuple[str, str, str, str], dict[str, object]]:
    change = now - before if before is not None and now is not None else None
    shown = [UNKNOWN if v is None else str(v) for v in (before, now)]
    return ((label, shown[0], shown[1], UNKNOWN if change is None else f"{change:+d}"),
            {"figure": key, "previous": before, "now": now, "change": change})


def changes(current: Mapping[str, object], previous: Mapping[str, object] | None,
            previous_at: str | None) -> Section:
    """What changed since the last report kept in the case (new messages, reviewed findings,
    people, containment progress)."""
    if previous is None:
        return Section(
            "changes", "What changed since the last report", "Art. 33(4) · ICO form Q1",
            paragraphs=("No earlier report is kept in this case: every figure in this report "
                        "is new to the ICO.",),
            data={"previous_report": None, "figures": []})
    rows = []
    data = []
    for key, label in COMPARED:
        row, item = _row(label, key, _int(previous.get(key)), _int(current.get(key)))
        rows.append(row)
        data.append(item)
    old_c = previous.get("containment")
    new_c = current.get("containment")
    old_map = old_c if isinstance(old_c, Mapping) else {}
    new_map = new_c if isinstance(new_c, Mapping) else {}
    for status in new_map:
        row, item = _row(f"Consumer mailboxes {status}", f"containment:{status}",
                         _int(old_map.get(status)), _int(new_map.get(status)))
        rows.append(row)
        data.append(item)
    return Section(
        "changes", "What changed since the last report", "Art. 33(4) · ICO form Q1",
        paragraphs=(f"Compared with the last report kept in this case ({previous_at}).",),
        fields=(Field("Last report", previous_at or "unknown"),),
        tables=(Table(("Figure", "Last report", "Now", "Change"), tuple(rows)),),
        data={"previous_report": previous_at, "figures": data})
