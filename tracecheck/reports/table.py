"""`--format table`: a rich table on a terminal, plain aligned text when piped.

Shows consumer-flow findings first, then a coverage and flow summary. Colour only on a TTY
and never when NO_COLOR is set (the CLI decides `color`).
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.table import Table

from tracecheck.model import ScanResult
from tracecheck.rules.mask import mask_email


def _sort_key(f: object) -> tuple[int, int]:
    from tracecheck.model import Finding

    assert isinstance(f, Finding)
    return (0 if f.flow.is_consumer else 1, -int(f.severity))


class TableReporter:
    """Human-readable summary."""

    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        self.color = color
        self.width = width

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write the findings table and the summary."""
        console = Console(file=out, force_terminal=self.color, no_color=not self.color,
                          width=self.width or (None if self.color else 160),
                          highlight=False, soft_wrap=not self.color)
        findings = sorted(result.findings, key=_sort_key)
        if findings:
            table = Table(title="Findings", show_lines=False, box=None if not self.color else
                          None, pad_edge=False)
            for col in ("flow", "severity", "rule", "date", "sender", "consumer", "where",
                        "evidence"):
                table.add_column(col, overflow="fold")
            for f in findings:
                consumer = ", ".join(f.consumer_addresses)
                table.add_row(
                    f.flow.value,
                    f.severity.label + (" (test data)" if f.test_data else ""),
                    f.rule,
                    (f.date or "")[:10],
                    f.sender,
                    consumer,
                    f.where,
                    (f.value if reveal else f.evidence),
                )
            console.print(table)
        else:
            console.print("No findings.")
        consumer_msgs = {f.locator for f in result.findings if f.flow.is_consumer}
        consumer_addrs = sorted({a for f in result.findings if f.flow.is_consumer
                                 for a in f.consumer_addresses})
        org = ", ".join(result.org.domains) or "(none)"
        how = "inferred from senders" if result.org.inferred else "given"
        skipped_msgs = sum(1 for s in result.skipped if s.part is None and "#" not in s.locator)
        console.print()
        console.print(
            f"Scanned {result.messages_scanned} of {result.messages_found} messages in "
            f"{len(result.sources)} sources; {skipped_msgs} skipped, "
            f"{len(result.skipped)} coverage entries."
        )
        console.print(f"Organisation domains ({how}): {org}")
        console.print(
            f"{len(result.findings)} findings; {len(consumer_msgs)} messages sent health data "
            f"to or from {len(consumer_addrs)} consumer addresses"
            + (f" ({', '.join(mask_email(a) if not reveal else a for a in consumer_addrs[:8])}"
               f"{', …' if len(consumer_addrs) > 8 else ''})" if consumer_addrs else "")
            + "."
        )
        if result.log_summary is not None:
            ls = result.log_summary
            console.print(
                f"Logs: {ls.get('events', 0)} events, {ls.get('consumer_bound_messages', 0)} "
                f"consumer-bound, {ls.get('not_in_export', 0)} not in the export, "
                f"{ls.get('forwarding_rules', 0)} forwarding rules."
            )
