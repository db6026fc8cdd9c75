"""The sections of the ICO report, in ICO-form order, each with prose, fields, tables and the
same facts as JSON data.

Owns what each section says and which ICO form question and UK GDPR article it answers
(research/ico_logs.md Part A), and the prompts left for the organisation where the evidence
cannot answer. Never computes a count (numbers.py does) and never formats for an output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from tracecheck.case.snapshot import CaseSnapshot
from tracecheck.findings import CustodianCount
from tracecheck.reports.ico.config import Contact, IcoConfig
from tracecheck.reports.ico.deadline import Deadline
from tracecheck.reports.ico.document import Field, Section, Table, limit, or_prompt, prompt
from tracecheck.reports.ico.numbers import Numbers
from tracecheck.reports.ico.risk import Risk


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()


def _fmt_time(value: str | None) -> str:
    return value if value else "unknown"


INFERRED_YEAR = "(year inferred from the log file's modification time)"
"""The mark on a log time whose year rests on nothing but the file's mtime."""


def _log_time(value: str | None, inferred: bool) -> str:
    return f"{_fmt_time(value)} {INFERRED_YEAR}" if value and inferred else _fmt_time(value)


YEARS_METHOD = (
    "Syslog-style mail-server logs (Postfix, Sendmail, Exim) write no year. The year of each "
    "such log is taken from the dates of the exported messages its lines match, else from the "
    "rotation order of its set, and from the file's modification time only as a last resort "
    "(unless given with --log-year). Dates whose year rests on the modification time alone "
    "are marked inferred and left out of the breach window (the started and stopped dates)."
)


def about(c: IcoConfig) -> Section:
    """About this report (ICO form Q1, Q2, Q22)."""
    fields = (
        or_prompt("Organisation", c.organisation, "organisation name"),
        or_prompt("ICO registration number", c.ico_registration, "data protection fee ref"),
        or_prompt("Sector", c.sector, "sector"),
        or_prompt("Address", c.address, "registered address"),
        or_prompt("Report type", c.report_type,
                  "initial or follow-up (incident.report_type)"),
        _case_ref(c),
        or_prompt("Spoken to ICO staff about this breach", c.spoken_to_ico,
                  "whether you have already spoken to ICO staff about this breach, and to "
                  "whom (incident.spoken_to_ico)"),
    )
    return Section(
        "about_report",
        "About this report",
        "ICO form Q1, Q2, Q22",
        fields=fields,
        data={
            "organisation": c.organisation,
            "ico_registration": c.ico_registration,
            "sector": c.sector,
            "address": c.address,
            "report_type": c.report_type,
            "ico_case_ref": c.ico_case_ref,
            "spoken_to_ico": c.spoken_to_ico,
        },
    )


def _case_ref(c: IcoConfig) -> Field:
    """The ICO case reference: none for an initial report, else given or asked for."""
    if not c.ico_case_ref and c.report_type == "initial":
        return Field("ICO case reference", "none (initial report)")
    return or_prompt("ICO case reference", c.ico_case_ref,
                     "the ICO's case reference, for a follow-up report (incident.ico_case_ref)")


def what_happened(n: Numbers, c: IcoConfig) -> Section:
    """What happened (Q4, Q5; Art. 33(3)(a))."""
    if n.messages_flagged:
        story = (
            f"Between {_fmt_time(n.first_seen)} and {_fmt_time(n.last_seen)}, "
            f"{n.messages_flagged} email message(s) carrying health data about members of the "
            f"public were sent to or from personal (consumer) mailboxes at "
            f"{len(n.consumer_domains)} consumer domain(s) "
            f"({', '.join(d for d, _ in n.consumer_domains[:5])}), from "
            f"{len(n.senders)} account(s). Of these messages, {n.messages_confirmed} "
            f"{'is' if n.messages_confirmed == 1 else 'are'} confirmed by review and "
            f"{n.messages_unreviewed} not yet reviewed."
        )
    else:
        story = (
            "The scan found no message carrying health data to or from a consumer mailbox "
            "(after excluding findings marked as false positives)."
        )
    fields = (
        or_prompt("How it happened", c.description,
                  "how it happened, in the organisation's words, e.g. staff were told to "
                  "send case details to managers' personal email (incident.description)"),
        or_prompt("Cyber incident", c.cyber_incident,
                  "yes, no or don't know (incident.cyber_incident)"),
    )
    return Section(
        "what_happened",
        "What happened",
        "ICO form Q4, Q5 · Art. 33(3)(a)",
        paragraphs=(story,),
        fields=fields,
        data={
            "summary": story,
            "description": c.description,
            "cyber_incident": c.cyber_incident,
        },
    )


def discovery(s: CaseSnapshot, c: IcoConfig) -> Section:
    """How and when the breach was discovered (Q6, Q7)."""
    runs = [r for r in s.runs if r.status == "complete"]
    run_text = (
        f"tracecheck scan run(s) {', '.join(str(r.id) for r in runs)}; last ended {runs[-1].ended}"
        if runs
        else "no complete tracecheck run recorded"
    )
    fields = (
        or_prompt(
            "Discovered at",
            _iso(c.discovered_at) or "",
            "when the organisation became aware (incident.discovered_at)",
        ),
        or_prompt("How it was discovered", c.discovery_method, "how the organisation found out"),
        Field("Evidence examined with", run_text),
    )
    return Section(
        "discovery",
        "How and when the breach was discovered",
        "ICO form Q6, Q7 · Art. 33(1), 33(5)",
        fields=fields,
        data={
            "discovered_at": _iso(c.discovered_at),
            "discovery_method": c.discovery_method,
            "runs": [r.id for r in runs],
        },
    )


def timeline(n: Numbers) -> Section:
    """When it started and stopped, from mail and logs (Q8)."""
    logs = n.logs
    starts = [t for t in (n.first_seen, logs.first_flagged if logs else None) if t]
    stops = [t for t in (n.last_seen, logs.last_flagged if logs else None) if t]
    started = min(starts) if starts else None
    stopped = max(stops) if stops else None
    fields = [
        Field("Breach started (first flagged message)", _fmt_time(started)),
        Field("Breach stopped (last flagged message)", _fmt_time(stopped)),
        Field(
            "First / last flagged message in the mailbox export",
            f"{_fmt_time(n.first_seen)} / {_fmt_time(n.last_seen)}",
        ),
    ]
    if logs is not None:
        fields.append(
            Field(
                "First / last flagged message in the mail-server logs",
                f"{_fmt_time(logs.first_flagged)} / {_fmt_time(logs.last_flagged)}",
            )
        )
        if logs.inferred_first_flagged:
            fields.append(
                Field(
                    "Flagged messages in logs dated by the file's modification time only "
                    "(not in the breach window)",
                    f"{_log_time(logs.inferred_first_flagged, True)} / "
                    f"{_log_time(logs.inferred_last_flagged, True)}",
                )
            )
        if logs.unknown_first:
            fields.append(
                Field(
                    "Consumer-bound mail of unknown content in the logs",
                    f"{_log_time(logs.unknown_first, logs.unknown_first_inferred)} to "
                    f"{_log_time(logs.unknown_last, logs.unknown_last_inferred)}",
                )
            )
    paragraphs = [
        "Times are UTC. The breach may have started earlier or continued later than the "
        "evidence examined shows; see Coverage.",
    ]
    tables: tuple[Table, ...] = ()
    if logs is not None and logs.years:
        paragraphs.append(YEARS_METHOD)
        tables = (Table(("Log file", "Year", "How the year was decided"), tuple(
            (y.path, y.years, f"{y.basis.label}: {y.detail}" if y.detail else y.basis.label)
            for y in logs.years)),)
    return Section(
        "timeline",
        "When the breach happened",
        "ICO form Q8 · Art. 33(5)",
        paragraphs=tuple(paragraphs),
        fields=tuple(fields),
        tables=tables,
        data={
            "started": started,
            "stopped": stopped,
            "mail_first": n.first_seen,
            "mail_last": n.last_seen,
            "logs_first": logs.first_flagged if logs else None,
            "logs_last": logs.last_flagged if logs else None,
            "unknown_content_first": logs.unknown_first if logs else None,
            "unknown_content_last": logs.unknown_last if logs else None,
            "by_day": [{"day": d, "messages": k} for d, k in n.by_day],
            "logs_inferred_first": logs.inferred_first_flagged if logs else None,
            "logs_inferred_last": logs.inferred_last_flagged if logs else None,
            "unknown_content_first_inferred": logs.unknown_first_inferred if logs else False,
            "unknown_content_last_inferred": logs.unknown_last_inferred if logs else False,
            "log_years": [y.as_dict() for y in logs.years] if logs else [],
        },
    )


def _days_hours(span: timedelta) -> str:
    """A span as a reader counts it: `2071 days and 1 hour`, `5 hours`, to the nearest hour."""
    total = round(span.total_seconds() / 3600)
    if total < 1:
        return "less than an hour"
    days, hours = divmod(total, 24)
    parts = [f"{k} {unit}{'s' if k != 1 else ''}"
             for k, unit in ((days, "day"), (hours, "hour")) if k]
    return " and ".join(parts)


def deadline_section(dl: Deadline, c: IcoConfig) -> Section:
    """The 72-hour deadline and, when past it, the reason for the delay (Q9)."""
    fields: list[Field] = []
    paragraphs: list[str] = []
    if dl.discovered_at is None or dl.deadline is None:
        fields.append(Field("72-hour deadline", prompt("set incident.discovered_at"), True))
        status = "unknown"
    else:
        fields.append(Field("Became aware", dl.discovered_at.isoformat()))
        fields.append(Field("72-hour deadline (Art. 33(1))", dl.deadline.isoformat()))
        if dl.as_of is None or dl.late is None:
            status = "unknown"
            fields.append(Field("Status", "unknown: no report time (set incident.reported_at)"))
        else:
            fields.append(Field("Checked as of", f"{dl.as_of.isoformat()} ({dl.as_of_source})"))
            if dl.late:
                status = "late"
                over = _days_hours(dl.as_of - dl.deadline)
                fields.append(Field("Status", f"PAST the deadline by {over}"))
            else:
                status = "within"
                left = _days_hours(dl.deadline - dl.as_of)
                fields.append(Field("Status", f"within the deadline ({left} left)"))
    if status == "late":
        fields.append(
            or_prompt(
                "Reason for the delay",
                c.delay_reason,
                "REQUIRED — the reasons for reporting after 72 hours (Art. 33(1))",
            )
        )
        paragraphs.append(
            "The report is made more than 72 hours after the organisation became aware: "
            "Art. 33(1) requires the reasons for the delay to accompany it."
        )
    elif c.delay_reason:
        fields.append(Field("Reason for the delay", c.delay_reason))
    return Section(
        "deadline",
        "72-hour deadline",
        "ICO form Q7, Q9 · Art. 33(1)",
        paragraphs=tuple(paragraphs),
        fields=tuple(fields),
        data={
            "discovered_at": _iso(dl.discovered_at),
            "deadline": _iso(dl.deadline),
            "as_of": _iso(dl.as_of),
            "as_of_source": dl.as_of_source,
            "hours_elapsed": dl.hours_elapsed,
            "status": status,
            "delay_reason": c.delay_reason if status == "late" or c.delay_reason else None,
        },
    )


def personal_data(n: Numbers) -> Section:
    """Categories of personal data and number of records (Q10, Q11)."""
    rows = tuple((label, str(msgs), str(finds)) for _, label, msgs, finds in n.categories)
    ticks = []
    if n.has_health_content or n.has_identifiers:
        ticks.append("Health data (special category, Art. 9)")
    if n.has_identifiers:
        ticks.append("Identification data (NHS/CHI/H&C numbers)")
    paragraphs = (
        f"Approximate number of records: {n.records} ({n.records_confirmed} confirmed). "
        "A record is one flagged message or one flagged attachment; copies of the same "
        "message in several exports count once.",
        "The personal data itself is not reproduced in this report.",
    )
    return Section(
        "personal_data",
        "Categories of personal data and number of records",
        "ICO form Q10, Q11 · Art. 33(3)(a), Art. 9",
        paragraphs=paragraphs,
        fields=(Field("ICO categories", "; ".join(ticks) or "none found"),),
        tables=(Table(("Category", "Messages", "Findings"), rows),) if rows else (),
        data={
            "ico_categories": ticks,
            "categories": [
                {"category": c, "label": label, "messages": m, "findings": f}
                for c, label, m, f in n.categories
            ],
            "records": n.records,
            "records_confirmed": n.records_confirmed,
            "records_method": "flagged messages plus flagged attachments; copies counted once",
        },
    )


def data_subjects(n: Numbers, c: IcoConfig) -> Section:
    """Approximate number and categories of data subjects, with the method (Q12, Q13)."""
    fields = (
        Field("Approximate number of data subjects", str(n.data_subjects_estimate)),
        Field("Of which from confirmed findings", str(n.data_subjects_confirmed)),
        Field("Distinct identifiers", str(n.distinct_identifiers)),
        Field(
            "Flagged messages with health data but no identifier",
            str(n.messages_without_identifier),
        ),
        Field("People to check (an identifier seen with different names)",
              str(n.persons_for_review)),
        or_prompt(
            "Categories of data subjects",
            ", ".join(c.data_subject_categories),
            "e.g. Customers, Patients, Vulnerable adults (incident.data_subject_categories)",
        ),
    )
    return Section(
        "data_subjects",
        "Data subjects",
        "ICO form Q12, Q13 · Art. 33(3)(a)",
        paragraphs=(f"Method: {n.persons_method}.",),
        fields=fields,
        data={
            "estimate": n.data_subjects_estimate,
            "estimate_confirmed": n.data_subjects_confirmed,
            "distinct_identifiers": n.distinct_identifiers,
            "distinct_identifiers_confirmed": n.distinct_identifiers_confirmed,
            "messages_without_identifier": n.messages_without_identifier,
            "method": n.persons_method,
            "persons_for_review": n.persons_for_review,
            "linked_by": dict(sorted(Counter(p.linked_by for p in n.persons).items())),
            "categories": list(c.data_subject_categories),
        },
    )


def recipients(n: Numbers, reveal: bool) -> Section:
    """Consumer domains and (masked) addresses the data went to."""
    dom_rows = tuple((d, str(k)) for d, k in n.consumer_domains)
    addr_rows = [(a, d, str(k)) for a, d, k in n.consumer_addresses]
    return Section(
        "recipients",
        "Consumer mailboxes involved",
        "Art. 33(3)(a)",
        paragraphs=(
            "Addresses are masked (first character and domain)"
            + ("; shown in full because the report was built with --reveal." if reveal else "."),
        ),
        tables=(
            Table(("Consumer domain", "Flagged messages"), dom_rows),
            limit(addr_rows, ("Address", "Domain", "Flagged messages")),
        ),
        data={
            "domains": [{"domain": d, "messages": k} for d, k in n.consumer_domains],
            "addresses": [
                {"address": a, "domain": d, "messages": k} for a, d, k in n.consumer_addresses
            ],
        },
    )


def staff(n: Numbers, c: IcoConfig) -> Section:
    """Staff accounts involved, training and guidance (Q17). A consumer mailbox that sent a
    flagged message is not a staff account: it is counted apart, never listed here."""
    rows = [(s, str(k)) for s, k in n.staff_senders]
    paragraphs = (
        f"{n.consumer_sent} flagged message(s) were sent from a consumer mailbox (a member of "
        "the public, or staff using a personal account); those senders are not counted as "
        "staff accounts (see Consumer mailboxes involved).",) if n.consumer_sent else ()
    return Section(
        "staff",
        "Staff accounts involved",
        "ICO form Q17",
        paragraphs=paragraphs,
        fields=(
            or_prompt(
                "Data protection training in the last two years",
                c.staff_trained,
                "have the staff involved been trained (incident.staff_trained)",
            ),
            or_prompt(
                "Guidance given to the staff involved",
                c.staff_guidance,
                "instructions given to staff (incident.staff_guidance)",
            ),
        ),
        tables=(limit(rows, ("Staff account", "Flagged messages sent")),),
        data={
            "senders": [{"sender": s, "messages": k} for s, k in n.staff_senders],
            "consumer_senders": n.consumer_sent,
            "staff_trained": c.staff_trained,
            "staff_guidance": c.staff_guidance,
        },
    )


def delivery(n: Numbers) -> Section:
    """Delivery status of the flagged messages from the logs."""
    if n.logs is None:
        return Section(
            "delivery",
            "Delivery status",
            "Art. 33(3)(a)",
            paragraphs=(
                "No mail-server logs were part of this case: delivery of the flagged "
                "messages is assumed. " + prompt("add mail-server logs to confirm"),
            ),
            data={"logs_in_case": False, "statuses": []},
        )
    rows = tuple((s, str(k)) for s, k in n.logs.delivery)
    return Section(
        "delivery",
        "Delivery status (from mail-server logs)",
        "Art. 33(3)(a)",
        paragraphs=("Per flagged message, the delivery status the logs record for it.",),
        tables=(Table(("Status", "Flagged messages"), rows),),
        data={
            "logs_in_case": True,
            "statuses": [{"status": s, "messages": k} for s, k in n.logs.delivery],
        },
    )


def unknown_content(n: Numbers) -> Section:
    """Consumer-bound mail in the logs that the export does not hold."""
    logs = n.logs
    if logs is None:
        return Section(
            "unknown_content",
            "Consumer-bound mail in the logs that the export does not hold",
            "Art. 33(3)(a), 33(4)",
            paragraphs=(
                "No mail-server logs were part of this case, so mail that left for "
                "consumer domains but is missing from the export cannot be bounded.",
            ),
            data={"logs_in_case": False, "count": None, "messages": []},
        )
    rows = [
        (_log_time(u.time, u.year_inferred), u.sender, ", ".join(u.recipients), u.status)
        for u in logs.unknown
    ]
    return Section(
        "unknown_content",
        "Consumer-bound mail in the logs that the export does not hold",
        "Art. 33(3)(a), 33(4)",
        paragraphs=(
            f"{logs.not_in_export} consumer-bound message(s) appear in the logs but not in the "
            "mailbox export: their content is unknown and they may carry further health data. "
            "They bound the breach from above; recover them (e.g. from the senders' mailboxes) "
            "and scan them.",
        ),
        tables=(limit(rows, ("Logged at", "Sender", "Consumer recipients", "Status")),),
        data={
            "logs_in_case": True,
            "count": logs.not_in_export,
            "first": logs.unknown_first,
            "last": logs.unknown_last,
            "messages": [
                {
                    "time": u.time,
                    "sender": u.sender,
                    "recipients": list(u.recipients),
                    "status": u.status,
                    "ref": u.ref,
                    "year_inferred": u.year_inferred,
                }
                for u in logs.unknown
            ],
        },
    )


def consequences(n: Numbers, c: IcoConfig) -> Section:
    """Likely consequences (Q14; Art. 33(3)(c))."""
    parts = []
    if n.has_health_content:
        parts.append(
            "Health information (such as test results, symptoms or conditions) about the "
            "people concerned is held in personal mailboxes outside the organisation's "
            "control, where it may be kept indefinitely, read by others, forwarded, or exposed "
            "if those accounts are compromised. People may suffer distress, loss of "
            "confidentiality of medical information, embarrassment or discrimination."
        )
    if n.has_identifiers:
        parts.append(
            "NHS/CHI/H&C numbers link the disclosed details to health records and make the "
            "people identifiable; combined with other data they could aid impersonation."
        )
    if not parts:
        parts.append("No disclosure of health data was found; consequences are not expected.")
    if c.consequences:
        parts.append(c.consequences)
    return Section(
        "consequences",
        "Likely consequences",
        "ICO form Q14 · Art. 33(3)(c)",
        paragraphs=tuple(parts),
        data={"text": parts},
    )


def risk_section(r: Risk) -> Section:
    """Likelihood, severity and the notify / tell-the-people answers (Q3, Q15)."""
    return Section(
        "risk",
        "Risk assessment",
        "ICO form Q3, Q15 · Art. 33(1), 34(1)",
        paragraphs=r.reasons,
        fields=(
            Field("Likelihood of significant consequences", r.likelihood),
            Field("Severity", r.severity),
            Field(
                "Report to the ICO (Art. 33)",
                "yes" if r.notify_ico else "no — record the decision and the reasons",
            ),
            Field(
                "Tell the data subjects (Art. 34)",
                "yes — high risk to their rights and freedoms"
                if r.tell_data_subjects
                else "not required on this assessment",
            ),
        ),
        data={
            "likelihood": r.likelihood,
            "severity": r.severity,
            "notify_ico": r.notify_ico,
            "tell_data_subjects": r.tell_data_subjects,
            "reasons": list(r.reasons),
            "overridden": list(r.overridden),
        },
    )


_SUGGEST = {
    "containment": "e.g. staff asked to delete the messages from personal mailboxes and "
    "confirm in writing; forwarding rules removed",
    "mitigation": "e.g. mail to consumer domains blocked or held at the gateway",
    "preventive": "e.g. DLP rule for NHS numbers on outbound mail; a sanctioned channel "
    "to reach managers; staff guidance",
    "before": "e.g. data protection training, acceptable use policy, TLS, DLP",
}


def containment(n: Numbers) -> Section:
    """What has been done to contain it: each consumer mailbox asked to delete the data, and
    its answer (ICO form Q18, measures taken; Art. 33(3)(d))."""
    total = sum(k for _, k in n.containment)
    rows = tuple((status, str(k)) for status, k in n.containment)
    deleted = dict(n.containment).get("deleted", 0)
    if n.containment_records:
        story = (f"{total} consumer mailbox(es) received or sent the flagged messages, or "
                 "were forwarded to. "
                 f"{total - dict(n.containment).get('not contacted', 0)} have been asked to "
                 f"delete them (first request {_fmt_time(n.first_request)}); {deleted} "
                 "confirmed the deletion"
                 + (f" (first {n.first_confirmed}, last {n.last_confirmed})."
                    if n.first_confirmed else "."))
    else:
        story = (f"No containment request is recorded in the case for the {total} consumer "
                 "mailbox(es) involved (received, sent or forwarded to): record each request "
                 "and answer with `tracecheck contain mark ADDRESS --status "
                 "requested|deleted|refused|no-response`.")
    return Section(
        "containment",
        "What has been done to contain it",
        "ICO form Q18 · Art. 33(3)(d)",
        paragraphs=(story, "A mailbox's status is its latest recorded request or answer; "
                    "deleted means its owner confirmed the deletion."),
        fields=(
            Field("First request", _fmt_time(n.first_request)),
            Field("First confirmation of deletion", _fmt_time(n.first_confirmed)),
            Field("Last confirmation of deletion", _fmt_time(n.last_confirmed)),
        ),
        tables=(Table(("Status", "Consumer mailboxes"), rows),),
        data={
            "mailboxes": total,
            "by_status": dict(n.containment),
            "records": n.containment_records,
            "first_request": n.first_request,
            "first_confirmed": n.first_confirmed,
            "last_confirmed": n.last_confirmed,
        },
    )


def measures(c: IcoConfig, n: Numbers) -> Section:
    """Measures before the breach and taken or proposed since (Q18, Q19)."""

    def listing(label: str, items: tuple[str, ...], key: str) -> Field:
        if items:
            return Field(label, "; ".join(items))
        return Field(label, prompt(f"{_SUGGEST[key]} (measures.{key})"), True)

    return Section(
        "measures",
        "Measures taken or proposed",
        "ICO form Q18, Q19 · Art. 33(3)(d)",
        fields=(
            listing("Measures in place before the breach", c.measures_before, "before"),
            listing("Containment", c.containment, "containment"),
            listing("Mitigation of possible adverse effects", c.mitigation, "mitigation"),
            listing("Preventing a recurrence", c.preventive, "preventive"),
        ),
        data={
            "before": list(c.measures_before),
            "containment": list(c.containment),
            "mitigation": list(c.mitigation),
            "preventive": list(c.preventive),
            "senders_to_contact": len(n.staff_senders),
        },
    )


def notifications(c: IcoConfig, r: Risk) -> Section:
    """Who has been told: data subjects and other organisations (Q20, Q21)."""
    told_prompt = (
        "whether and how the data subjects were told (Art. 34 applies on this assessment)"
        if r.tell_data_subjects
        else "whether the data subjects were told"
    )
    return Section(
        "notifications",
        "Who has been told",
        "ICO form Q20, Q21 · Art. 34",
        fields=(
            or_prompt(
                "Data subjects told",
                c.data_subjects_told,
                f"{told_prompt} (notifications.data_subjects)",
            ),
            or_prompt(
                "Other organisations told",
                "; ".join(c.other_organisations),
                "police, other regulators, NHS bodies (notifications.other_organisations)",
            ),
        ),
        data={
            "data_subjects": c.data_subjects_told,
            "other_organisations": list(c.other_organisations),
        },
    )


def contacts(c: IcoConfig) -> Section:
    """Reporter and DPO contact details (Q23, Q24)."""

    def person(label: str, who: str, p: Contact) -> Field:
        if p.empty:
            return Field(label, prompt(f"name, email and phone ([{who}])"), True)
        parts = [x for x in (p.name, p.role, p.email, p.phone) if x]
        return Field(label, ", ".join(parts))

    return Section(
        "contacts",
        "Contact details",
        "ICO form Q23, Q24 · Art. 33(3)(b)",
        fields=(
            person("Reporter", "reporter", c.reporter),
            person("DPO or contact point", "dpo", c.dpo),
        ),
        data={
            "reporter": {
                "name": c.reporter.name,
                "role": c.reporter.role,
                "email": c.reporter.email,
                "phone": c.reporter.phone,
            },
            "dpo": {
                "name": c.dpo.name,
                "role": c.dpo.role,
                "email": c.dpo.email,
                "phone": c.dpo.phone,
            },
        },
    )


def _mode_text(n: Numbers) -> str:
    """What the scan mode read, said plainly (the default mode reads only the headers of mail
    that involves no consumer address)."""
    if n.all_messages:
        return "The content of every message was read (--all-messages)."
    if n.all_messages is None:
        return ("The scan mode is not recorded: whether the content of internal mail was read "
                "is unknown.")
    return (f"Default mode: every message's headers (senders, recipients, dates) were read, "
            f"but the content only of messages to or from a consumer mailbox. For internal "
            f"mail only its headers were read: the content of {n.headers_only} message(s) with "
            "no consumer address (internal and other business mail) was not read, so health "
            "data in it is not counted here. Scan again with --all-messages to read it.")


def coverage(s: CaseSnapshot, n: Numbers) -> Section:
    """What was and was not examined: sources, gaps, copies, runs, finding counts."""
    names = n.names
    source_rows = tuple(
        (
            names.id(src.path),
            names.name(src.path),
            src.type,
            str(src.size),
            src.sha256[:16],
            "CHANGED" if src.changed else ("unchanged" if src.sha256_end else "not re-hashed"),
            str(src.messages),
            str(src.skipped),
        )
        for src in s.sources
    )
    kinds = tuple((k, str(c)) for k, c in n.skipped_by_kind)
    gap_rows = [(names.locator(sk.locator), sk.part or "", sk.kind.value, names.text(sk.reason))
                for sk in s.skipped]
    paragraphs = [
        f"{n.messages_scanned} message(s) scanned of {n.messages_found} found in the mailbox "
        f"exports ({n.unique_messages} distinct after merging {n.duplicate_copies} duplicate "
        f"cop{'y' if n.duplicate_copies == 1 else 'ies'} found in several exports); "
        f"{len(s.skipped)} item(s) could not be scanned in full.",
    ]
    if n.log_files:
        paragraphs.append(
            f"{n.log_events_read} log event(s) read from {n.log_files} log file(s); a log "
            "event is a logged message or rule, counted apart from the messages above.")
    paragraphs.append(_mode_text(n))
    paragraphs += [
        f"Findings: {n.findings_confirmed} confirmed, {n.findings_unreviewed} unreviewed "
        f"(of which {n.findings_needs_review} marked needs-review), "
        f"{n.findings_false_positive} false positive(s) excluded, "
        f"{n.findings_test_data} reserved test-range value(s) excluded, "
        f"{n.findings_other_flows} on internal or other non-consumer flows not counted.",
    ]
    if any(src.changed for src in s.sources):
        paragraphs.append("WARNING: at least one source file changed during the scan.")
    failed = sum(1 for sk in s.skipped if sk.kind.incomplete)
    if failed:
        paragraphs.append(
            f"WARNING: the scan is INCOMPLETE: tracecheck failed on {failed} item(s) "
            "(internal-error or worker-lost, listed below), so their content was not "
            "examined and the figures in this report may be too low until they are rescanned.")
    cut = sum(1 for sk in s.skipped if sk.incomplete and not sk.kind.incomplete)
    if cut:
        paragraphs.append(
            f"WARNING: the scan is INCOMPLETE: a limit cut short {cut} item(s) of messages on "
            "consumer flows (kind limit, listed below), so part of their content was not "
            "examined and the figures in this report may be too low.")
    copies = [(key, ", ".join(locs)) for key, locs in n.copies]
    tables = [
        Table(
            (
                "Source",
                "Name" if not names.reveal else "Path",
                "Type",
                "Bytes",
                "SHA-256 (first 16)",
                "End-of-run hash",
                "Messages (logs: events)",
                "Skipped",
            ),
            source_rows,
        ),
        Table(("Kind", "Items not scanned"), kinds),
        limit(gap_rows, ("Where", "Part", "Kind", "Reason")),
    ]
    if copies:
        tables.append(limit(copies, ("Message", "Copies found at")))
    runs = [
        {
            "id": r.id,
            "status": r.status,
            "started": r.started,
            "ended": r.ended,
            "tool_version": r.tool_version,
            "python": r.python,
            "packs": [{"pack": p.pack, "version": p.version, "sha256": p.sha256} for p in r.packs],
        }
        for r in s.runs
    ]
    return Section(
        "coverage",
        "Coverage: what was and was not examined",
        "Art. 33(4)",
        paragraphs=tuple(paragraphs),
        tables=tuple(tables),
        data={
            "messages_found": n.messages_found,
            "messages_scanned": n.messages_scanned,
            "unique_messages": n.unique_messages,
            "duplicate_copies": n.duplicate_copies,
            "log_files": n.log_files,
            "log_events": n.log_events_read,
            "all_messages": n.all_messages,
            "headers_only": n.headers_only,
            "sources": [
                {
                    "id": names.id(src.path),
                    "name": names.name(src.path),
                    "path": src.path if names.reveal else None,
                    "type": src.type,
                    "bytes": src.size,
                    "sha256": src.sha256,
                    "sha256_end": src.sha256_end,
                    "changed": src.changed,
                    "messages": src.messages,
                    "skipped": src.skipped,
                }
                for src in s.sources
            ],
            "skipped_by_kind": dict(n.skipped_by_kind),
            "skipped": [
                {"locator": names.locator(sk.locator), "part": sk.part, "kind": sk.kind.value,
                 "reason": names.text(sk.reason)}
                for sk in s.skipped
            ],
            "notes": len(s.notes),
            "flows": dict(n.flows),
            "findings": {
                "confirmed": n.findings_confirmed,
                "unreviewed": n.findings_unreviewed,
                "needs_review": n.findings_needs_review,
                "false_positive_excluded": n.findings_false_positive,
                "test_data_excluded": n.findings_test_data,
                "other_flows_not_counted": n.findings_other_flows,
            },
            "copies": [{"message": key, "locators": list(locs)} for key, locs in n.copies],
            "runs": runs,
            "org_domains": list(s.org_domains),
            "org_domains_inferred": s.org_inferred,
        },
    )


def custodians(rows: Sequence[CustodianCount]) -> Section:
    """Whose mailbox exports the flagged messages came from (`findings.by_custodian`, false
    positives left out): the scale of the breach per custodian."""
    shown = [(r.custodian or "(not attributed)", str(r.messages_flagged),
              str(r.consumer_findings)) for r in rows]
    return Section(
        "custodians",
        "Custodians (mailbox exports) involved",
        "ICO form Q4 (scale); per custodian as attributed by tracecheck --custodian-from",
        paragraphs=("Each message is attributed to the custodian whose export held it; a "
                    "message held in two custodians' exports counts under each.",),
        tables=(limit(shown, ("Custodian", "Flagged messages", "Findings")),),
        data={"custodians": [r.as_dict() for r in rows]},
    )
