"""The ICO report as Markdown: one document, sections in ICO-form order, tables as pipes.

Owns Markdown layout and escaping only; every fact comes from `report.IcoReport`. Never reads
the case and never adds a value the report model did not put there.
"""

from __future__ import annotations

from tracecheck.reports.ico.document import Field, Section, Table
from tracecheck.reports.ico.report import IcoReport, IcoReporter, flagged_table
from tracecheck.reports.safe_text import visible


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip() or " "


def _table(t: Table) -> list[str]:
    if not t.rows:
        return ["_None._", ""]
    lines = [
        "| " + " | ".join(_cell(h) for h in t.headers) + " |",
        "|" + "|".join("---" for _ in t.headers) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows]
    if t.more:
        lines.append("")
        lines.append(f"_…and {t.more} more (all rows are in the JSON report)._")
    lines.append("")
    return lines


def _field(f: Field) -> str:
    return f"- **{f.label}:** {f.value}"


def _section(number: str, s: Section) -> list[str]:
    lines = [f"## {number}{s.title}", "", f"_{s.refs}_", ""]
    for p in s.paragraphs:
        lines += [p, ""]
    if s.fields:
        lines += [_field(f) for f in s.fields]
        lines.append("")
    for t in s.tables:
        lines += _table(t)
    return lines


def render(report: IcoReport) -> str:
    """The whole report as Markdown text (ends with one newline)."""
    n = report.numbers
    lines = [f"# {report.title}", ""]
    who = report.organisation or "[TO COMPLETE: organisation name]"
    lines += [f"**Organisation:** {who}  ", f"**Drafted with:** tracecheck {report.tool_version}"]
    if report.deadline.as_of is not None:
        lines[-1] += "  "
        lines.append(f"**As of:** {report.deadline.as_of.isoformat()}")
    lines.append("")
    if report.reveal:
        lines += [
            "> **REVEALED:** this copy contains unmasked addresses, identifiers and evidence. "
            "Do not send it to the ICO; keep it with the case evidence.",
            "",
        ]
    else:
        lines += [
            "> Data-minimised draft: counts and masked addresses only. The ICO form asks "
            "that the breached personal data itself is not included.",
            "",
        ]
    lines += ["## Summary", ""]
    lines += _table(
        Table(
            ("Figure", "Value"),
            (
                ("Messages scanned", str(n.messages_scanned)),
                (
                    "Messages flagged (health data, consumer mailbox)",
                    f"{n.messages_flagged} ({n.messages_confirmed} confirmed, "
                    f"{n.messages_unreviewed} unreviewed)",
                ),
                ("Approximate number of data subjects", str(n.data_subjects_estimate)),
                ("Distinct identifiers", str(n.distinct_identifiers)),
                ("Records", str(n.records)),
                ("First flagged message", n.first_seen or "none"),
                ("Last flagged message", n.last_seen or "none"),
                ("Consumer domains", str(len(n.consumer_domains))),
                ("Staff accounts involved", str(len(n.staff_senders))),
                ("Flagged messages sent from consumer mailboxes", str(n.consumer_sent)),
                ("Report to the ICO", "yes" if report.risk.notify_ico else "no"),
                ("Tell data subjects (Art. 34)", "yes" if report.risk.tell_data_subjects else "no"),
            ),
        )
    )
    for i, section in enumerate(report.sections, start=1):
        lines += _section(f"{i}. ", section)
    lines += _section("", report.coverage)
    lines += ["## Appendix: flagged messages", ""]
    lines += _table(flagged_table(report, fingerprints=True))
    return "\n".join(lines).rstrip("\n") + "\n"


class IcoMarkdownReporter(IcoReporter):
    """`report --format md`."""

    def render(self, report: IcoReport) -> str:
        """The report as text, control characters from the case made visible (tab and
        newline kept: the layout's own)."""
        return visible(render(report), keep="\t\n")
