"""What the log events mean for a breach: findings, the join with the mailbox export, tables.

Owns three views of `LogEvent`s: `log_findings` (consumer flows per sender and day,
forwarding to consumer addresses, subjects that match health rules - reported by rule id and a
masked form, never the subject text), `correlate` (which consumer-bound messages in the logs the
export holds, which it does not - "content unknown" - and the delivery status of exported
messages, joined by normalised Message-ID and by queue id) and pandas frames for CSV/JSON
output. Output order is deterministic. Never reads files and never decides what a consumer
domain is (the caller's `is_consumer` does).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from tracecheck.logs.base import norm_message_id, status_rank
from tracecheck.model import Flow, Locator, LogEvent, MessageRef, Severity
from tracecheck.rules.mask import mask_subject

IsConsumer = Callable[[str], bool]
SubjectHits = Callable[[str], list[str]]

MAX_LOCATORS = 20
"""Locators listed per aggregated finding (the count is always complete)."""

def event_queue_ids(event: LogEvent) -> list[str]:
    """The event's queue id plus any joined ones (content-filter re-injection, forwarding)."""
    ids = [event.queue_id] if event.queue_id else []
    for note in event.notes:
        if note.startswith("queue-ids: "):
            ids.extend(q for q in note[len("queue-ids: "):].split() if q not in ids)
    return ids


def _safe(is_consumer: IsConsumer, addr: str) -> bool:
    return bool(addr) and "@" in addr and is_consumer(addr)


def flow_of(event: LogEvent, is_consumer: IsConsumer) -> Flow:
    """Consumer flow of a message event (org-independent: non-consumer counts as other)."""
    sender_c = _safe(is_consumer, event.sender)
    rc = [_safe(is_consumer, r.addr) for r in event.recipients]
    if not event.sender and not rc:
        return Flow.UNKNOWN
    if sender_c and any(rc):
        return Flow.CONSUMER_TO_CONSUMER
    if any(rc):
        return Flow.TO_CONSUMER
    if sender_c:
        return Flow.FROM_CONSUMER
    return Flow.EXTERNAL_OTHER


def consumer_recipients(event: LogEvent, is_consumer: IsConsumer) -> list[str]:
    """Consumer recipient addresses of an event, in logged order, without duplicates."""
    return list(dict.fromkeys(r.addr for r in event.recipients if _safe(is_consumer, r.addr)))


def overall_status(statuses: Iterable[str]) -> str:
    """One status for a message: delivered when every copy was, `partly-delivered` when some
    were, else the most final status seen."""
    seen = list(statuses)
    if not seen:
        return "unknown"
    if all(s == "delivered" for s in seen):
        return "delivered"
    if any(s == "delivered" for s in seen):
        return "partly-delivered"
    return max(seen, key=lambda s: (status_rank(s), s))


def _message_status(event: LogEvent, is_consumer: IsConsumer) -> str:
    picked = [r.status for r in event.recipients if _safe(is_consumer, r.addr)]
    return overall_status(picked or [r.status for r in event.recipients])


def _locator_key(locator: Locator) -> tuple[str, int]:
    return (locator.path, locator.line or 0)


def _day(time: str | None) -> str:
    return time[:10] if time else "unknown"


def log_findings(
    events: Iterable[LogEvent], is_consumer: IsConsumer, subject_hits: SubjectHits
) -> list[dict[str, Any]]:
    """Findings from log events, deterministic order.

    - `log-consumer-flow` (medium): per sender, day and flow, the messages with a consumer
      party: counts, consumer recipients, delivered count, first/last time, locators.
    - `log-forwarding` (high): a forwarding rule or auto-forward to a consumer address.
    - `log-subject-match` (high when a consumer party is involved, else medium): subjects
      that match health rules, as rule ids and a masked subject.
    """
    flows: dict[tuple[str, str, str], dict[str, Any]] = {}
    forwards: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    for ev in events:
        if ev.forwarding and _safe(is_consumer, ev.forwarding):
            forwards.append({
                "type": "log-forwarding",
                "severity": Severity.HIGH.label,
                "kind": ev.kind,
                "time": ev.time,
                "mailbox": ev.sender,
                "actor": ev.actor,
                "target": ev.forwarding,
                "operation": ev.notes[0] if ev.notes else "",
                "log_format": ev.log_format,
                "source": ev.source,
                "locator": str(ev.locator),
            })
        if ev.kind != "message":
            continue
        flow = flow_of(ev, is_consumer)
        crcpts = consumer_recipients(ev, is_consumer)
        if flow.is_consumer:
            key = (ev.sender.lower(), _day(ev.time), flow.value)
            agg = flows.get(key)
            if agg is None:
                agg = flows[key] = {
                    "type": "log-consumer-flow",
                    "severity": Severity.MEDIUM.label,
                    "sender": key[0],
                    "day": _day(ev.time),
                    "flow": flow.value,
                    "messages": 0,
                    "delivered": 0,
                    "consumer_recipients": [],
                    "first_time": ev.time,
                    "last_time": ev.time,
                    "statuses": Counter(),
                    "locators": [],
                }
            agg["messages"] += 1
            status = _message_status(ev, is_consumer)
            agg["statuses"][status] += 1
            agg["delivered"] += status in ("delivered", "partly-delivered")
            agg["consumer_recipients"] = sorted(set(agg["consumer_recipients"]) | set(crcpts))
            if ev.time:
                agg["first_time"] = min(filter(None, [agg["first_time"], ev.time]))
                agg["last_time"] = max(filter(None, [agg["last_time"], ev.time]))
            agg["locators"].append(ev.locator)
        if ev.subject:
            rules = sorted(set(subject_hits(ev.subject)))
            if rules:
                subjects.append({
                    "type": "log-subject-match",
                    "severity": (Severity.HIGH if flow.is_consumer else Severity.MEDIUM).label,
                    "rules": rules,
                    "subject_masked": mask_subject(ev.subject),
                    "time": ev.time,
                    "sender": ev.sender,
                    "flow": flow.value,
                    "consumer_recipients": crcpts,
                    "message_id": ev.message_id,
                    "queue_id": ev.queue_id,
                    "status": _message_status(ev, is_consumer),
                    "log_format": ev.log_format,
                    "source": ev.source,
                    "locator": str(ev.locator),
                })
    out = sorted(forwards, key=lambda f: (f["time"] or "", f["locator"], f["target"]))
    for key in sorted(flows):
        agg = flows[key]
        agg["statuses"] = dict(sorted(agg["statuses"].items()))
        agg["locators"] = [str(loc) for loc in
                           sorted(agg["locators"], key=_locator_key)[:MAX_LOCATORS]]
        out.append(agg)
    out.extend(sorted(subjects, key=lambda s: (s["time"] or "", s["locator"])))
    return out


def correlate(
    events: Iterable[LogEvent], export_refs: Iterable[MessageRef], is_consumer: IsConsumer
) -> dict[str, Any]:
    """Join log events to the mailbox export by Message-ID and queue id.

    Returns counts (`events`, `consumer_bound_messages`, `matched_in_export`, `not_in_export`,
    `forwarding_rules` - audit events forwarding to a consumer address), `not_in_export_list`
    (consumer-bound messages the export does not hold - their content is unknown) and
    `delivery`: for every exported message found in the logs, keyed by its normalised
    Message-ID (or locator when it has none), the overall status of its logged copies
    (consumer recipients only when it had any).
    """
    by_mid: dict[str, list[MessageRef]] = defaultdict(list)
    by_qid: dict[str, list[MessageRef]] = defaultdict(list)
    for ref in export_refs:
        if ref.message_id:
            by_mid[norm_message_id(ref.message_id)].append(ref)
        for q in ref.queue_ids:
            by_qid[q].append(ref)
    n_events = consumer_bound = matched = forwarding = 0
    missing: list[dict[str, Any]] = []
    delivery_statuses: dict[str, list[str]] = defaultdict(list)
    for ev in events:
        n_events += 1
        if ev.kind == "forwarding-rule":
            forwarding += _safe(is_consumer, ev.forwarding)
            continue
        refs: list[MessageRef] = []
        if ev.message_id:
            refs.extend(by_mid.get(norm_message_id(ev.message_id), []))
        for q in event_queue_ids(ev):
            refs.extend(r for r in by_qid.get(q, []) if r not in refs)
        status = _message_status(ev, is_consumer)
        for ref in refs:
            key = norm_message_id(ref.message_id) if ref.message_id else ref.locator
            delivery_statuses[key].append(status)
        crcpts = consumer_recipients(ev, is_consumer)
        if not crcpts:
            continue
        consumer_bound += 1
        if refs:
            matched += 1
            continue
        missing.append({
            "time": ev.time,
            "sender": ev.sender,
            "consumer_recipients": crcpts,
            "message_id": ev.message_id,
            "queue_id": ev.queue_id,
            "size": ev.size,
            "source": ev.source,
            "locator": str(ev.locator),
            "status": status,
        })
    missing.sort(key=lambda m: (m["time"] or "", m["locator"]))
    delivery = {k: overall_status(v) for k, v in sorted(delivery_statuses.items())}
    return {
        "events": n_events,
        "consumer_bound_messages": consumer_bound,
        "matched_in_export": matched,
        "not_in_export": len(missing),
        "forwarding_rules": forwarding,
        "not_in_export_list": missing,
        "delivery": delivery,
    }


EVENT_COLUMNS = [
    "log_format", "kind", "time", "sender", "recipient", "status", "detail", "orig_to",
    "message_id", "queue_id", "size", "subject_masked", "direction", "forwarding", "actor",
    "notes", "source", "locator",
]


def events_frame(events: Iterable[LogEvent]) -> pd.DataFrame:
    """One row per event and recipient (an event without recipients gives one row)."""
    rows: list[dict[str, Any]] = []
    for ev in events:
        base = {
            "log_format": ev.log_format,
            "kind": ev.kind,
            "time": ev.time,
            "sender": ev.sender,
            "message_id": ev.message_id,
            "queue_id": ev.queue_id,
            "size": ev.size,
            "subject_masked": mask_subject(ev.subject),
            "direction": ev.direction,
            "forwarding": ev.forwarding,
            "actor": ev.actor,
            "notes": "; ".join(ev.notes),
            "source": ev.source,
            "locator": str(ev.locator),
        }
        recips = ev.recipients or ()
        if not recips:
            rows.append({**base, "recipient": "", "status": "", "detail": "", "orig_to": ""})
        rows.extend(
            {**base, "recipient": r.addr, "status": r.status, "detail": r.detail,
             "orig_to": r.orig_to}
            for r in recips
        )
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    frame["size"] = frame["size"].astype("Int64")
    return frame


def _domain(addr: str) -> str:
    return addr.rpartition("@")[2].lower() if "@" in addr else ""


def summary_frames(events: Iterable[LogEvent], is_consumer: IsConsumer) -> dict[str, pd.DataFrame]:
    """Totals for auditors: `by_sender`, `by_domain` (recipient domain), `by_day`, `by_month`.

    Counts cover message events only; forwarding rules are listed by `events_frame`.
    """
    rows: list[dict[str, Any]] = []
    for ev in events:
        if ev.kind != "message":
            continue
        flow = flow_of(ev, is_consumer)
        rows.extend(
            {
                "locator": str(ev.locator),
                "sender": ev.sender.lower(),
                "day": _day(ev.time),
                "month": _day(ev.time)[:7],
                "domain": _domain(r.addr),
                "consumer": _safe(is_consumer, r.addr),
                "consumer_flow": flow.is_consumer,
                "delivered": r.status == "delivered",
                "size": ev.size or 0,
            }
            for r in ev.recipients or ()
        )
    df = pd.DataFrame(rows, columns=["locator", "sender", "day", "month", "domain", "consumer",
                                     "consumer_flow", "delivered", "size"])

    def agg(by: str) -> pd.DataFrame:
        if df.empty:
            return pd.DataFrame(columns=[by, "messages", "recipients", "consumer_messages",
                                         "consumer_recipients", "delivered_recipients"])
        consumer = df[df["consumer"]]
        out = pd.DataFrame({
            "messages": df.groupby(by)["locator"].nunique(),
            "recipients": df.groupby(by).size(),
            "consumer_messages": consumer.groupby(by)["locator"].nunique(),
            "consumer_recipients": consumer.groupby(by).size(),
            "delivered_recipients": df.groupby(by)["delivered"].sum(),
        }).fillna(0).astype("int64")
        return out.reset_index().rename(columns={"index": by}).sort_values(by, kind="stable",
                                                                             ignore_index=True)

    by_domain = agg("domain")
    if not by_domain.empty:
        by_domain.insert(1, "consumer_domain", [bool(d) and is_consumer(f"x@{d}")
                                                for d in by_domain["domain"]])
    return {
        "by_sender": agg("sender"),
        "by_domain": by_domain,
        "by_day": agg("day"),
        "by_month": agg("month"),
    }
