"""Audit logs that show mail being forwarded out: Microsoft 365 / Purview and Google Workspace.

Owns the forwarding evidence in audit records. Microsoft (`o365-audit`): the Purview audit
search CSV export (RecordId, CreationDate, RecordType, Operation, UserId, AuditData - the JSON
record in a doubled-quote CSV field; also the classic CreationDate, UserIds, Operations,
AuditData layout) and Management Activity API JSON records; `New-InboxRule`, `Set-InboxRule`,
`UpdateInboxRules` (ForwardTo, RedirectTo, ForwardAsAttachmentTo, or RuleActions Forward /
Redirect recipients), `Set-Mailbox` (ForwardingSmtpAddress, ForwardingAddress), and transport
rules (RedirectMessageTo, BlindCopyTo, AddToRecipients, CopyTo). Google (`gmail-audit`): Cloud
Audit LogEntry and Reports API activity records whose event names mention forwarding, e.g.
`email_forwarding_out_of_domain` with `email_forwarding_destination_address`, plus the Gmail
`delivery` events of the Reports API (message records, read like Gmail's BigQuery logs, where
`mail_event_type` 11 is an auto-forward). Each forwarding
target becomes one `LogEvent(kind="forwarding-rule")` with the target in `forwarding` and the
person who made the change in `actor`. Records that forward nowhere are not events. Never judges
whether a target is a consumer address (the analysis does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tracecheck.logs.base import LogSource, clean_addr, find_addrs, parse_time
from tracecheck.logs.google import GmailJoiner
from tracecheck.logs.message import forwarding_rule
from tracecheck.logs.tabular import JSON_ERRORS, export_rows, json_records
from tracecheck.model import LogEvent, Skipped

O365 = "o365-audit"
GMAIL = "gmail-audit"

FORWARD_PARAMS = {
    "forwardto": "ForwardTo",
    "redirectto": "RedirectTo",
    "forwardasattachmentto": "ForwardAsAttachmentTo",
    "forwardingsmtpaddress": "ForwardingSmtpAddress",
    "forwardingaddress": "ForwardingAddress",
    "redirectmessageto": "RedirectMessageTo",
    "blindcopyto": "BlindCopyTo",
    "addtorecipients": "AddToRecipients",
    "copyto": "CopyTo",
}
_PARAM_STRING = re.compile(r"-(?P<name>\w+)\s+(?P<value>\"[^\"]*\"|'[^']*'|[^-\s][^\s]*)")
_RESULT_FAILED = {"false", "failed", "failure"}


def _targets(value: str) -> list[str]:
    addrs = find_addrs(value)
    if addrs:
        return addrs
    plain = clean_addr(value)
    return [plain] if plain else []


def _params(rec: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) pairs from Parameters (list or PowerShell-style string)."""
    raw = rec.get("Parameters")
    out: list[tuple[str, str]] = []
    if isinstance(raw, list):
        out.extend(
            (str(p["Name"]), "" if p.get("Value") is None else str(p["Value"]))
            for p in raw
            if isinstance(p, dict) and p.get("Name") is not None
        )
    elif isinstance(raw, str):
        out.extend((m.group("name"), m.group("value").strip("\"'"))
                   for m in _PARAM_STRING.finditer(raw))
    return out


def _rule_actions(rec: dict[str, Any]) -> list[tuple[str, str]]:
    """(action type, recipient) from OperationProperties/Parameters RuleActions JSON."""
    props = rec.get("OperationProperties")
    pairs = _params({"Parameters": props}) if isinstance(props, list) else []
    out: list[tuple[str, str]] = []
    for name, value in [*pairs, *_params(rec)]:
        if name != "RuleActions" or not value:
            continue
        try:
            actions = json.loads(value)
        except JSON_ERRORS:
            continue
        for act in actions if isinstance(actions, list) else [actions]:
            if not isinstance(act, dict):
                continue
            kind = str(act.get("ActionType", ""))
            if "forward" not in kind.lower() and "redirect" not in kind.lower():
                continue
            for r in act.get("Recipients") or []:
                if isinstance(r, dict):
                    r = r.get("SmtpAddress") or r.get("Address") or r.get("EmailAddress") or ""
                out.extend((kind, t) for t in _targets(str(r)))
    return out


def o365_events(src: LogSource, lineno: int, rec: dict[str, Any], when: str | None
                ) -> list[LogEvent]:
    """Forwarding-rule events in one Management-API audit record."""
    op = str(rec.get("Operation") or "")
    if op.startswith(("Remove-", "Disable-")):
        return []
    params = _params(rec)
    found: list[tuple[str, str]] = []
    for name, value in params:
        label = FORWARD_PARAMS.get(name.lower())
        if label and value.strip():
            found.extend((label, t) for t in _targets(value))
    found.extend(_rule_actions(rec))
    if not found:
        return []
    pmap = {n.lower(): v for n, v in params}
    actor = str(rec.get("UserId") or rec.get("UserKey") or "")
    mailbox = str(rec.get("MailboxOwnerUPN") or pmap.get("identity") or pmap.get("mailbox")
                  or actor)
    notes = [op]
    if str(rec.get("ResultStatus", "")).strip().lower() in _RESULT_FAILED:
        notes.append("operation failed")
    if pmap.get("name"):
        notes.append(f"rule name: {pmap['name']}")
    when = when or parse_time(str(rec.get("CreationTime") or ""))
    out = []
    seen: set[str] = set()
    for label, target in found:
        if target.lower() in seen:
            continue
        seen.add(target.lower())
        out.append(forwarding_rule(src, O365, lineno, time=when, mailbox=mailbox, target=target,
                                   label=label, actor=actor, notes=(*notes, label),
                                   queue_id=str(rec.get("Id") or "")))
    return out


def _gmail_params(params: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for p in params or []:
        if not isinstance(p, dict):
            continue
        value = p.get("value")
        if value is None:
            value = p.get("multiValue") or p.get("boolValue") or p.get("intValue") or ""
        out.append((str(p.get("name", "")), value if isinstance(value, str) else
                    json.dumps(value)))
    return out


def gmail_events(src: LogSource, lineno: int, rec: dict[str, Any]) -> list[LogEvent]:
    """Forwarding events in one Google audit record (Cloud Audit LogEntry or Reports API)."""
    proto = rec.get("protoPayload") if isinstance(rec.get("protoPayload"), dict) else None
    if proto is not None:
        meta = proto.get("metadata") or {}
        events = meta.get("event") or []
        actor = str((proto.get("authenticationInfo") or {}).get("principalEmail") or "")
        when = parse_time(str(rec.get("timestamp") or ""))
        pkey = "parameter"
        nkey = "eventName"
    else:
        events = rec.get("events") or []
        actor = str((rec.get("actor") or {}).get("email") or "")
        when = parse_time(str((rec.get("id") or {}).get("time") or ""))
        pkey = "parameters"
        nkey = "name"
    out: list[LogEvent] = []
    for ev in events if isinstance(events, list) else []:
        if not isinstance(ev, dict):
            continue
        name = str(ev.get(nkey) or "")
        if "forward" not in name.lower():
            continue
        params = _gmail_params(ev.get(pkey))
        targets: list[tuple[str, str]] = []
        for pname, value in params:
            low = pname.lower()
            if "destination" in low or "forward" in low or low in ("new_value", "email"):
                targets.extend((pname, t) for t in find_addrs(value))
        owner = next((v for n, v in params if n.lower() in ("user_email", "user")), actor)
        for pname, target in dict.fromkeys(targets):
            out.append(forwarding_rule(src, GMAIL, lineno, time=when, mailbox=owner,
                                       target=target, label=pname, actor=actor, notes=(name,)))
    return out


class O365AuditReader:
    """Reader for Microsoft 365 unified audit log exports (Purview CSV or API JSON)."""

    name = O365

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield forwarding-rule events and skips in file order."""
        for item in export_rows(src):
            if isinstance(item, Skipped):
                yield item
            elif item.from_json:
                yield from o365_events(src, item.lineno, item.fields, None)
            else:
                yield from _purview_row(src, item.lineno, item.fields)


def _purview_row(src: LogSource, lineno: int, r: dict[str, str]) -> Iterator[LogEvent | Skipped]:
    """A Purview CSV row: the record is the JSON in its `AuditData` cell."""
    if "auditdata" not in r:
        yield src.bad(lineno, "no AuditData column in the CSV header")
        return
    try:
        rec = json.loads(r["auditdata"])
    except JSON_ERRORS:
        yield src.bad(lineno, "AuditData is not JSON")
        return
    if not isinstance(rec, dict):
        yield src.bad(lineno, "AuditData is not a JSON object")
        return
    rec.setdefault("Operation", r.get("operation") or r.get("operations") or "")
    rec.setdefault("UserId", r.get("userid") or r.get("userids") or "")
    when = parse_time(str(rec.get("CreationTime") or r.get("creationdate") or ""))
    yield from o365_events(src, lineno, rec, when)


def reports_params(params: Any) -> dict[str, Any]:
    """Reports API `parameters` (name + value / intValue / boolValue / multiValue /
    messageValue / multiMessageValue) as a nested dict."""
    out: dict[str, Any] = {}
    for p in params if isinstance(params, list) else []:
        if not isinstance(p, dict) or "name" not in p:
            continue
        if isinstance(p.get("messageValue"), dict):
            value: Any = reports_params(p["messageValue"].get("parameter"))
        elif isinstance(p.get("multiMessageValue"), list):
            value = [reports_params(m.get("parameter")) for m in p["multiMessageValue"]
                     if isinstance(m, dict)]
        else:
            value = next((p[k] for k in ("value", "intValue", "boolValue", "multiValue",
                                         "multiIntValue") if k in p), None)
        out[str(p["name"])] = value
    return out


def _gmail_delivery(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """Gmail `delivery` events of a Reports API record, as Gmail log records."""
    if not str(rec.get("kind", "")).startswith("admin#reports#activit"):
        return []
    out = []
    for ev in rec.get("events") or []:
        if isinstance(ev, dict) and ev.get("name") == "delivery":
            params = reports_params(ev.get("parameters"))
            if isinstance(params.get("message_info"), dict):
                out.append(params)
    return out


class GmailAuditReader:
    """Reader for Google Workspace audit records: forwarding changes, and Gmail `delivery`
    events of the Reports API (message records, joined like the BigQuery Gmail logs)."""

    name = GMAIL

    def read(self, src: LogSource) -> Iterator[LogEvent | Skipped]:
        """Yield forwarding-rule events and skips in file order, then the Gmail messages."""
        joiner = GmailJoiner(src, GMAIL)
        for item in json_records(src):
            if isinstance(item, Skipped):
                yield item
                continue
            lineno, rec = item
            deliveries = _gmail_delivery(rec)
            when = parse_time(str((rec.get("id") or {}).get("time") or ""))
            for record in deliveries:
                bad = joiner.add(lineno, record, when)
                if bad is not None:
                    yield bad
            if not deliveries:
                yield from gmail_events(src, lineno, rec)
        yield from joiner.events()
