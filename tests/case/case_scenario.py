"""A hand-built case: a Vault mbox and a Purview EML export of the same mailboxes, plus
Postfix-style log facts, with known answers for every figure the ICO report states.

Messages (org domain example-contact.co.uk):
  M1  mbox@0     agent.one -> jane.manager@gmail.com   NHS 9434765919 + positive PCR (body)
      also in the Purview export as m1.eml (identical bytes -> same fingerprints)
  M2  mbox@2048  agent.one -> jane.manager@gmail.com   symptoms only (no identifier)
  M3  mbox@4096  agent.two -> bob.lead@hotmail.co.uk   NHS 9434765919 (body) and
                 NHS 4010232137 in attachment cases.csv; re-exported as m3.eml with other
                 bytes but the same Message-ID
  M4  m4.eml     agent.two -> bob.lead@hotmail.co.uk   "positive feedback" (a false positive)
  M5  mbox@6144  agent.one -> team@example-contact.co.uk  NHS number, internal flow
  M6  mbox@8192  agent.one -> jane.manager@gmail.com   NHS 9999999999-range test value
  C1, C2         clean messages
Known answers (before any decision): 3 flagged messages, 2 distinct identifiers, 1 message
with health data and no identifier -> 3 data subjects, 4 records.
"""

from __future__ import annotations

import hashlib

from tests.conftest import loc
from tracecheck.logs.analysis import log_findings
from tracecheck.model import (
    Finding,
    Flow,
    LogEvent,
    LogRecipient,
    LogSummary,
    MessageRef,
    OrgDomains,
    PackRef,
    RunOptions,
    ScanResult,
    Severity,
    SkipKind,
    Skipped,
    SourceSummary,
)
from tracecheck.persons.mentions import Mention

MBOX = "/evidence/vault/agents.mbox"
EML = "/evidence/purview/"
ORG = "example-contact.co.uk"
A1 = f"agent.one@{ORG}"
A2 = f"agent.two@{ORG}"
JANE = "jane.manager@gmail.com"
BOB = "bob.lead@hotmail.co.uk"
NHS1 = "9434765919"
NHS2 = "4010232137"
TEST_NHS = "9990000018"
PACK = PackRef("uk-health", "1.0.0", "ab" * 32, "rules/uk-health.yaml")
MANIFEST = {
    "tool_version": "0.1.0",
    "python": "CPython 3.11.7",
    "packs": [{"pack": "uk-health", "version": "1.0.0", "sha256": "ab" * 32,
               "path": "rules/uk-health.yaml"}],
    "arguments": ["scan", MBOX, EML, "--case", "case"],
    "started": "2021-03-12T10:00:00Z",
}
ENDED = "2021-03-12T10:05:00Z"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fp(msg_sha: str, part: str, rule: str, value: str) -> str:
    return sha("\x1f".join((msg_sha, part, rule, value)))


SHA = {name: sha(f"raw bytes of {name}") for name in
       ("M1", "M2", "M3", "M3b", "M4", "M5", "M6", "C1", "C2")}
MID = {name: f"<{name.lower()}@{ORG}>" for name in ("M1", "M2", "M3", "M4", "M5", "M6", "C1",
                                                      "C2")}


def ref(locator: str, name: str, date: str, consumer: bool = True,
        sha_name: str | None = None) -> MessageRef:
    return MessageRef(locator, SHA[sha_name or name], MID[name], date, consumer)


REFS = (
    ref(f"{MBOX}@0", "M1", "2021-03-01T09:15:00Z"),
    ref(f"{MBOX}@2048", "M2", "2021-03-02T10:00:00Z"),
    ref(f"{MBOX}@4096", "M3", "2021-03-05T16:30:00Z"),
    ref(f"{MBOX}@6144", "M5", "2021-03-06T08:00:00Z", consumer=False),
    ref(f"{MBOX}@8192", "M6", "2021-03-07T08:00:00Z"),
    ref(f"{MBOX}@10240", "C1", "2021-03-03T12:00:00Z", consumer=False),
    ref(f"{EML}m1.eml", "M1", "2021-03-01T09:15:00Z"),
    ref(f"{EML}m3.eml", "M3", "2021-03-05T16:30:00Z", sha_name="M3b"),
    ref(f"{EML}m4.eml", "M4", "2021-03-09T11:00:00Z"),
    ref(f"{EML}c2.eml", "C2", "2021-03-10T12:00:00Z", consumer=False),
)


def finding(locator: str, name: str, date: str, sender: str, rcpt: str, rule: str,
            category: str, value: str, evidence: str, *, part: str = "1", where: str = "body",
            flow: Flow = Flow.TO_CONSUMER, sha_name: str | None = None,
            test_data: bool = False) -> Finding:
    msg_sha = SHA[sha_name or name]
    consumer = (rcpt,) if flow.is_consumer else ()
    return Finding(
        fingerprint=fp(msg_sha, part, rule, value),
        message_id=MID[name],
        source=MBOX if locator.startswith(MBOX) else locator,
        at=loc(locator),
        part=part,
        where=where,
        date=date,
        sender=sender,
        recipients=(rcpt,),
        flow=flow,
        consumer_addresses=consumer,
        rule=rule,
        category=category,
        severity=Severity.HIGH,
        evidence=evidence,
        value=value,
        message_sha256=msg_sha,
        pack="uk-health",
        test_data=test_data,
    )


D1, D2, D3 = "2021-03-01T09:15:00Z", "2021-03-02T10:00:00Z", "2021-03-05T16:30:00Z"
FINDINGS = (
    finding(f"{MBOX}@0", "M1", D1, A1, JANE, "nhs-number", "identifier", NHS1,
            "case 943 *** **** tested"),
    finding(f"{MBOX}@0", "M1", D1, A1, JANE, "covid-test-result", "test-result",
            "pcr positive", "PCR ******** today"),
    # the Purview copy of M1: identical bytes, so identical fingerprints
    finding(f"{EML}m1.eml", "M1", D1, A1, JANE, "nhs-number", "identifier", NHS1,
            "case 943 *** **** tested"),
    finding(f"{EML}m1.eml", "M1", D1, A1, JANE, "covid-test-result", "test-result",
            "pcr positive", "PCR ******** today"),
    finding(f"{MBOX}@2048", "M2", D2, A1, JANE, "symptom", "symptom", "loss of taste",
            "reports **** ** *****"),
    finding(f"{MBOX}@4096", "M3", D3, A2, BOB, "nhs-number", "identifier", NHS1,
            "NHS 943 *** ****"),
    finding(f"{MBOX}@4096", "M3", D3, A2, BOB, "nhs-number", "identifier", NHS2,
            "row 401 *** ****", part="2", where="attachment:cases.csv"),
    # the Purview re-export of M3 (other bytes, same Message-ID, same values)
    finding(f"{EML}m3.eml", "M3", D3, A2, BOB, "nhs-number", "identifier", NHS1,
            "NHS 943 *** ****", sha_name="M3b"),
    finding(f"{EML}m3.eml", "M3", D3, A2, BOB, "nhs-number", "identifier", NHS2,
            "row 401 *** ****", part="2", where="attachment:cases.csv", sha_name="M3b"),
    finding(f"{EML}m4.eml", "M4", "2021-03-09T11:00:00Z", A2, BOB, "covid-test-result",
            "test-result", "positive", "very ******** feedback"),
    finding(f"{MBOX}@6144", "M5", "2021-03-06T08:00:00Z", A1, f"team@{ORG}", "nhs-number",
            "identifier", NHS1, "943 *** ****", flow=Flow.INTERNAL),
    finding(f"{MBOX}@8192", "M6", "2021-03-07T08:00:00Z", A1, JANE, "nhs-number",
            "identifier", TEST_NHS, "999 *** ****", test_data=True),
)
FP_M1_NHS = FINDINGS[0].fingerprint
FP_M2 = FINDINGS[4].fingerprint
FP_M4 = FINDINGS[9].fingerprint

LOG = "/evidence/logs/maillog"


def _ev(line: int, time: str, sender: str, rcpt: str, status: str, mid: str,
        kind: str = "message") -> LogEvent:
    return LogEvent("postfix", LOG, loc(f"{LOG}:{line}"), time, sender,
                    (LogRecipient(rcpt, status),), message_id=mid, queue_id=f"Q{line}",
                    kind=kind)


LOG_EVENTS = (
    _ev(10, "2021-03-01T09:15:02Z", A1, JANE, "delivered", MID["M1"]),
    _ev(20, "2021-03-02T10:00:03Z", A1, JANE, "deferred", MID["M2"]),
    _ev(30, "2021-03-05T16:30:04Z", A2, BOB, "delivered", MID["M3"]),
    _ev(40, "2021-03-11T07:45:00Z", A2, "kim.b@yahoo.co.uk", "delivered",
        f"<x9@{ORG}>"),
    LogEvent("o365-audit", "/evidence/logs/audit.csv", loc("/evidence/logs/audit.csv:2"),
             "2021-02-26T08:00:00Z", "", (), kind="forwarding-rule",
             forwarding="bob.lead@hotmail.co.uk", actor=A2),
)
# What the log analysis finds in them (`logs.analysis.log_findings`, the one owner): the audit
# event's forwarding rule to Bob's personal mailbox.
LOG_FINDINGS = tuple(log_findings(
    LOG_EVENTS, lambda a: a.endswith(("gmail.com", "hotmail.co.uk", "yahoo.co.uk")),
    lambda subject: []))
# In the JSON form a case stores it in (every version has stored this form).
LOG_SUMMARY = LogSummary.from_dict({
    "events": 5,
    "consumer_bound_messages": 4,
    "matched_in_export": 3,
    "not_in_export": 1,
    "forwarding_rules": 1,
    "not_in_export_list": [
        {"time": "2021-03-11T07:45:00Z", "sender": A2, "consumer_recipients": ["kim.b@yahoo.co.uk"],
         "message_id": f"<x9@{ORG}>", "queue_id": "Q40", "size": 5120, "source": LOG,
         "locator": f"{LOG}:40", "status": "delivered"},
    ],
    "delivery": {f"m1@{ORG}": "delivered", f"m2@{ORG}": "deferred", f"m3@{ORG}": "delivered"},
})

SKIPPED = (
    Skipped(loc(f"{EML}m4.eml"), "encrypted zip: payroll.zip", part="3",
            kind=SkipKind("encrypted")),
    Skipped(loc(f"{MBOX}@4096"), "not extracted: image/png", part="3", kind=SkipKind("image")),
    Skipped(loc(f"{MBOX}@12288"), "truncated message", kind=SkipKind("truncated")),
)


def scan_result(*, with_logs: bool = True, findings: tuple[Finding, ...] = FINDINGS,
                refs: tuple[MessageRef, ...] = REFS) -> ScanResult:
    return ScanResult(
        tool_version="0.1.0",
        packs=(PACK,),
        sources=(
            SourceSummary(MBOX, "mbox", 14336, sha("mbox file"), 7, 2),
            SourceSummary(f"{EML}m1.eml", "eml", 2000, SHA["M1"], 1, 0),
            SourceSummary(f"{EML}m3.eml", "eml", 2100, SHA["M3b"], 1, 0),
            SourceSummary(f"{EML}m4.eml", "eml", 3000, SHA["M4"], 1, 1),
            SourceSummary(f"{EML}c2.eml", "eml", 900, SHA["C2"], 1, 0),
        ),
        messages_found=11,
        messages_scanned=len(refs),
        skipped=SKIPPED,
        findings=findings,
        org=OrgDomains((ORG,), inferred=False),
        flow_counts={"to-consumer": 6, "internal": 3, "external-other": 1},
        log_events=LOG_EVENTS if with_logs else (),
        log_findings=LOG_FINDINGS if with_logs else (),
        log_summary=LOG_SUMMARY if with_logs else None,
        refs=refs,
        # findings on internal flows: the content of every message was read
        options=RunOptions(all_messages=True),
    )


def end_hashes() -> dict[str, str]:
    return {
        MBOX: sha("mbox file"),
        f"{EML}m1.eml": SHA["M1"],
        f"{EML}m3.eml": SHA["M3b"],
        f"{EML}m4.eml": SHA["M4"],
        f"{EML}c2.eml": SHA["C2"],
    }


MENTIONS = {
    # who each flagged message names (as `api.flagged_mentions` reads them): M1 and its copy
    # name the NHS1 patient with a date of birth; M3 names both numbers' patients; M2 names
    # someone with no date of birth or number (counted once, for that message); M6 holds the
    # test-range number only
    f"{MBOX}@0": (Mention("Ann Example", "1950-02-03", (), (NHS1,)),),
    f"{EML}m1.eml": (Mention("Ann Example", "1950-02-03", (), (NHS1,)),),
    f"{MBOX}@2048": (Mention("Cy Person", ""),),
    f"{MBOX}@4096": (Mention("Ann Example", "", (), (NHS1,)),
                     Mention("Bo Sample", "", (), (NHS2,), "attachment:cases.csv")),
    f"{EML}m3.eml": (Mention("Ann Example", "", (), (NHS1,)),
                     Mention("Bo Sample", "", (), (NHS2,), "attachment:cases.csv")),
    f"{MBOX}@8192": (Mention("", "", (), (TEST_NHS,)),),
    f"{EML}m4.eml": (),
}


SUBJECT_M1 = "PCR result for Ann Example DOB 03/02/1950"
SUBJECTS: dict[str, str | None] = {
    # each flagged message's Subject as `api.flagged_reread` reads it: M2 could not be read
    # again, M6 has none
    f"{MBOX}@0": SUBJECT_M1,
    f"{EML}m1.eml": SUBJECT_M1,
    f"{MBOX}@2048": None,
    f"{MBOX}@4096": "Cases 9434765919 and 4010232137",
    f"{EML}m3.eml": "Cases 9434765919 and 4010232137",
    f"{MBOX}@8192": "",
    f"{EML}m4.eml": "Positive feedback",
}


def build_case(path, *, with_logs: bool = True, decide: bool = True):  # type: ignore[no-untyped-def]
    """A case directory holding one complete run of the scenario (and the decisions)."""
    from tracecheck.case import CaseStore

    store = CaseStore.open(path)
    run = store.begin_run(MANIFEST)
    store.finish_run(run, scan_result(with_logs=with_logs), end_hashes(), ended=ENDED,
                     mentions=MENTIONS, subjects=SUBJECTS)
    if decide:
        store.decide([FP_M1_NHS], decision="confirmed", reason="checked against case list",
                     who="analyst", at="2021-03-12T11:00:00Z")
        store.decide([FP_M4], decision="false-positive", reason="feedback, not a test result",
                     who="analyst", at="2021-03-12T11:01:00Z")
        store.decide([FP_M2], decision="needs-review", reason="ask the DPO",
                     who="analyst", at="2021-03-12T11:02:00Z")
        # containment: Jane was asked and confirmed; Bob was asked and has not answered
        store.contain(JANE, "requested", note="email to the manager", who="dpo",
                      at="2021-03-12T12:00:00Z")
        store.contain(BOB, "requested", note="email to the lead", who="dpo",
                      at="2021-03-12T12:05:00Z")
        store.contain(JANE, "deleted", note="confirmed in writing", who="dpo",
                      at="2021-03-13T09:30:00Z")
    return store
