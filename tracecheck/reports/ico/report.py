"""The ICO breach report as a format-neutral document: sections mapped to the ICO form and to
UK GDPR Art. 33(3), built from a case snapshot and the organisation's settings.

Owns the report record and the order of its parts, what a report is written from (`IcoCase`)
and the base of the three ICO reporters (`IcoReporter`). Every renderer (Markdown, HTML, JSON)
reads this one document, so the formats cannot disagree. Never writes files and never includes
an unmasked identifier, address or evidence snippet unless built with reveal.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from tracecheck.case.snapshot import CaseSnapshot
from tracecheck.reports.base import Reporter
from tracecheck.reports.ico import deadline, followup
from tracecheck.reports.ico import sections as part
from tracecheck.reports.ico.config import IcoConfig
from tracecheck.reports.ico.deadline import Deadline
from tracecheck.reports.ico.document import Section, Table
from tracecheck.reports.ico.numbers import Numbers, compute
from tracecheck.reports.ico.risk import Risk, assess

REPORT_SCHEMA_VERSION = 2
"""Bumped when a key of the JSON report changes meaning or goes away (additions keep it).
2: files are named by id and masked name (`coverage.sources[].path` only with reveal) and
locators carry the id in place of the path (`tracecheck.reports.ico.names`)."""


@dataclass(frozen=True)
class IcoReport:
    """The whole report."""

    title: str
    organisation: str
    tool_version: str
    reveal: bool
    numbers: Numbers
    risk: Risk
    deadline: Deadline
    summary: dict[str, object]
    sections: tuple[Section, ...]
    coverage: Section
    logs: dict[str, object] | None


@dataclass(frozen=True)
class IcoCase:
    """What an ICO report is written from: a case and the organisation's settings; for a
    follow-up report, the figures of the last report kept in the case (None: none kept)."""

    snapshot: CaseSnapshot
    config: IcoConfig
    follow_up: bool = False
    previous: Mapping[str, object] | None = None
    previous_at: str | None = None


class IcoReporter(Reporter["IcoCase"]):
    """The ICO formats' base: builds the one report document, then renders it as text."""

    def write(self, subject: IcoCase, out: TextIO, /, *, reveal: bool = False) -> None:
        """Write the report for `subject`; unmasked values only with `reveal`."""
        out.write(self.render(build(subject.snapshot, subject.config, reveal=reveal,
                                    follow_up=subject.follow_up, previous=subject.previous,
                                    previous_at=subject.previous_at)))

    @abc.abstractmethod
    def render(self, report: IcoReport) -> str:
        """The report as text in this format."""


def build(snapshot: CaseSnapshot, config: IcoConfig, *, reveal: bool = False,
          follow_up: bool = False, previous: Mapping[str, object] | None = None,
          previous_at: str | None = None) -> IcoReport:
    """Build the report for a case snapshot and the organisation's settings; a follow-up
    (Art. 33(4)) also says what changed since the `previous` report's figures."""
    if follow_up:
        config = dataclasses.replace(config, report_type="follow-up")
    n = compute(snapshot, reveal=reveal)
    risk = assess(n, config)
    dl = deadline.compute(snapshot, config)
    tool_version = snapshot.last_run.tool_version if snapshot.last_run else ""
    changed = (followup.changes(followup.figures(n), previous, previous_at),) if follow_up else ()
    parts = (
        part.about(config),
        *changed,
        part.what_happened(n, config),
        part.discovery(snapshot, config),
        part.timeline(n),
        part.deadline_section(dl, config),
        part.personal_data(n),
        part.data_subjects(n, config),
        part.recipients(n, reveal),
        part.staff(n, config),
        *_custodians(snapshot),
        part.delivery(n),
        part.unknown_content(n),
        part.consequences(n, config),
        part.risk_section(risk),
        part.containment(n),
        part.measures(config, n),
        part.notifications(config, risk),
        part.contacts(config),
    )
    summary: dict[str, object] = {
        "messages_scanned": n.messages_scanned,
        "messages_flagged": n.messages_flagged,
        "messages_confirmed": n.messages_confirmed,
        "messages_unreviewed": n.messages_unreviewed,
        "data_subjects_estimate": n.data_subjects_estimate,
        "data_subjects_confirmed": n.data_subjects_confirmed,
        "distinct_identifiers": n.distinct_identifiers,
        "records": n.records,
        "first_seen": n.first_seen,
        "last_seen": n.last_seen,
        "consumer_domains": [{"domain": d, "messages": c} for d, c in n.consumer_domains],
        "senders": [{"sender": s, "messages": c} for s, c in n.senders],
    }
    logs: dict[str, object] | None = None
    if n.logs is not None:
        logs = {
            "events": n.logs.events,
            "consumer_bound_messages": n.logs.consumer_bound_messages,
            "matched_in_export": n.logs.matched_in_export,
            "not_in_export": n.logs.not_in_export,
            "forwarding_rules": n.logs.forwarding_rules,
        }
    return IcoReport(
        title="Personal data breach report (draft for the ICO)",
        organisation=config.organisation,
        tool_version=tool_version,
        reveal=reveal,
        numbers=n,
        risk=risk,
        deadline=dl,
        summary=summary,
        sections=parts,
        coverage=part.coverage(snapshot, n),
        logs=logs,
    )


def _custodians(snapshot: CaseSnapshot) -> tuple[Section, ...]:
    """The custodians section, only for a case whose findings were attributed (false
    positives left out, one finding per fingerprint and custodian)."""
    from tracecheck.findings import by_custodian

    decided = snapshot.decisions
    unique = {(f.fingerprint, f.custodian): f for f in snapshot.findings
              if not (f.fingerprint in decided
                      and decided[f.fingerprint].decision.value == "false-positive")}
    rows = by_custodian(unique[k] for k in sorted(unique))
    return (part.custodians(rows),) if rows else ()


def flagged_table(report: IcoReport, *, fingerprints: bool) -> Table:
    """The appendix of flagged messages, one row each, shared by the HTML and Markdown
    renderers (`fingerprints` adds short fingerprints for reviewers working from Markdown)."""
    n = report.numbers
    headers = ["Date", "Sender", "Consumer addresses", "Categories", "Review", "Copies"]
    if n.logs is not None:
        headers.append("Delivery")
    if fingerprints:
        headers.append("Fingerprints")
    if report.reveal:
        headers += ["Values", "Evidence"]
    rows = []
    for m in n.flagged:
        row = [
            m.date or "unknown",
            m.sender,
            ", ".join(m.consumer_addresses),
            ", ".join(m.categories),
            m.status,
            str(len(m.locators)),
        ]
        if n.logs is not None:
            row.append(m.delivery or "")
        if fingerprints:
            row.append(", ".join(fp[:12] for fp in m.fingerprints))
        if report.reveal:
            row += [", ".join(m.values), " … ".join(m.evidence)]
        rows.append(tuple(row))
    return Table(tuple(headers), tuple(rows))
