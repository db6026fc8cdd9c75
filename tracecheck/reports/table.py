"""`--format table`: a rich table on a terminal, one plain line per finding when piped.

Shows consumer-flow findings first, then a coverage and flow summary. Colour only on a TTY
and never when NO_COLOR is set (the CLI decides `color`). Evidence is passed to rich as
plain Text, never as markup, so `[...]` in evidence or hostile subjects is shown as written,
and every cell and summary line has its control characters made visible
(`reports.safe_text.visible`), so nothing in the input reaches the terminal as a control.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from tracecheck.findings import Tallies
from tracecheck.model import Finding, ScanResult
from tracecheck.reports.base import Reporter
from tracecheck.reports.safe_text import visible
from tracecheck.rules.mask import mask_address


def _sort_key(f: Finding) -> tuple[int, int]:
    return (0 if f.flow.is_consumer else 1, -int(f.severity))


_COLUMNS = ("flow", "severity", "rule", "date", "sender", "consumer", "where", "evidence")


def _columns(custodians: bool) -> tuple[str, ...]:
    """The columns; `custodian` after `where` when any finding was attributed to one
    (`--custodian-from`), so a run without custodians looks as it always has."""
    return (*_COLUMNS[:7], "custodian", _COLUMNS[7]) if custodians else _COLUMNS


def _row(f: Finding, reveal: bool, custodians: bool = False) -> list[str]:
    return [
        f.flow.value,
        f.severity.label + (" (test data)" if f.test_data else ""),
        f.rule,
        (f.date or "")[:10],
        f.sender,
        ", ".join(f.consumer_addresses),
        f.where,
        *([f.custodian or "(not attributed)"] if custodians else []),
        f.evidence + (f"  value={f.value}" if reveal else ""),
    ]


class TableReporter(Reporter[ScanResult]):
    """Human-readable summary."""

    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        self.color = color
        self.width = width

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write the findings and the summary."""
        findings = sorted(result.findings, key=_sort_key)
        tally = Tallies(findings)  # the summary's counts, without decoding the findings again
        custodians = any(tally.total.keys() - {""})
        if self.color:
            # rich only for a terminal: piped output (most runs) does not load it
            from rich.console import Console
            from rich.table import Table
            from rich.text import Text

            console = Console(file=out, force_terminal=True, width=self.width, highlight=False)
            if findings:
                table = Table(title="Findings", pad_edge=False)
                for col in _columns(custodians):
                    table.add_column(col, overflow="fold")
                for f in findings:
                    table.add_row(*(Text(visible(c, keep="\t\n"))
                                    for c in _row(f, reveal, custodians)))
                console.print(table)
            else:
                console.print("No findings.")
            for line in summary_lines(result, tally, reveal):
                console.print(Text(visible(line), style="bold red"
                                   if line.startswith("INCOMPLETE") else ""))
            return
        if findings:
            out.write("\t".join(_columns(custodians)) + "\n")
            for f in findings:
                out.write("\t".join(visible(" ".join(c.split()))
                                    for c in _row(f, reveal, custodians)) + "\n")
        else:
            out.write("No findings.\n")
        out.write("\n")
        for line in summary_lines(result, tally, reveal):
            out.write(visible(line) + "\n")


def summary_lines(result: ScanResult, tally: Tallies, reveal: bool = False) -> list[str]:
    """The closing summary: coverage, org domains, consumer exposure (flagged messages as
    `findings.counts` defines them), logs. `tally`: the `Tallies` of the result's findings."""
    flagged = tally.consumer_flagged
    test_data = tally.test_data
    addrs = sorted(tally.addresses)
    shown = list(dict.fromkeys(mask_address(a, reveal=reveal) for a in addrs))
    org = ", ".join(result.org.domains) or "(none)"
    how = "inferred from senders" if result.org.inferred else "given"
    lines = [
        f"Scanned {result.messages_scanned} of {result.messages_found} messages in "
        f"{len(result.sources)} sources; {len(result.skipped)} coverage entries "
        f"(files, messages or parts not scanned; see --format json).",
        f"Organisation domains ({how}): {org}",
        f"{len(result.findings)} findings; {len(flagged)} messages carried health data "
        f"to or from {len(addrs)} consumer addresses"
        + (f": {', '.join(shown[:8])}{', …' if len(shown) > 8 else ''}" if shown else "")
        + "."
        + (f" {test_data} findings are reserved test data (info), not counted."
           if test_data else ""),
    ]
    custodians = [c for c in tally.by_custodian() if c.messages_flagged]
    if custodians:
        named = sorted(custodians, key=lambda c: (-c.messages_flagged, c.custodian))
        lines.append("Custodians with flagged messages: " + ", ".join(
            f"{c.custodian or '(not attributed)'} ({c.messages_flagged})" for c in named[:8])
            + (", …" if len(named) > 8 else "") + ".")
    base = result.options.baseline
    if base is not None:
        lines.append(f"Baseline {base.file}: {base.suppressed} accepted findings "
                     f"not shown; {base.not_found} accepted entries no longer found.")
    if result.log_summary is not None:
        ls = result.log_summary
        lines.append(
            f"Logs: {ls.events} events, {ls.consumer_bound_messages} "
            f"consumer-bound, {ls.not_in_export} not in the export, "
            f"{ls.forwarding_rules} forwarding rules."
        )
        guessed = [y for y in ls.years if y.basis.inferred]
        if guessed:
            lines.append(
                f"Logs: the year of {len(guessed)} log file{'s' if len(guessed) != 1 else ''} "
                "is INFERRED from the file's modification time alone; pass --log-year if "
                "it is known (see coverage.notes).")
    if result.incomplete:
        lines.append(incomplete_line(result))
    return lines


def incomplete_line(result: ScanResult) -> str:
    """The closing line of an incomplete run (tracecheck failed on part of the input, or a
    limit cut short a message on a consumer flow)."""
    kinds = Counter(s.kind.value for s in result.incomplete)
    n = len(result.incomplete)
    what = ("tracecheck failed on" if all(s.kind.incomplete for s in result.incomplete)
            else "not scanned in full:")  # a limit on a consumer-flow message
    return (f"INCOMPLETE: {what} {n} item{'s' if n != 1 else ''} "
            f"({', '.join(f'{c} {k}' for k, c in sorted(kinds.items()))}); their content was "
            f"not scanned, so findings may be missing (see coverage.skipped in --format json). "
            f"Exit code 3.")
