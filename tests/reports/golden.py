"""Golden-file helpers shared by the reporter tests, and the fixed, hand-built ScanResult that
the table, JSON, JSONL and CSV goldens (and the incomplete-run SARIF and JUnit goldens) are
rendered from.

`UPDATE_GOLDEN=1` (or `TRACECHECK_UPDATE_GOLDEN=1`) rewrites the golden files instead of
comparing; read the diff before committing it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from tests.conftest import ROOT, loc
from tracecheck.model import (
    BaselineApplied,
    Finding,
    Flow,
    Locator,
    LogEvent,
    LogForwarding,
    LogRecipient,
    LogSummary,
    Note,
    NoteKind,
    OrgDomains,
    PackRef,
    RunOptions,
    ScanResult,
    Severity,
    SkipKind,
    Skipped,
    SourceSummary,
)
from tracecheck.reports.base import ReportFormat, reporter_for

GOLDEN = ROOT / "tests" / "golden"
SCAN_ROOT = "/scan"
TABLE_WIDTH = 100
"""The fixed width the table golden is rendered at (the piped form does not wrap)."""


def updating() -> bool:
    """True when the golden files are to be rewritten rather than compared."""
    return "1" in (os.environ.get("UPDATE_GOLDEN"), os.environ.get("TRACECHECK_UPDATE_GOLDEN"))


def check_golden(path: Path, text: str) -> None:
    """Assert `text` equals the golden file at `path` (or rewrite it when updating)."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, f"{path.relative_to(ROOT)} differs from the output"


def render_scan(result: ScanResult, fmt: ReportFormat, *, reveal: bool = False) -> str:
    """`result` written in `fmt` as the golden files are: piped table at a fixed width, SARIF
    paths relative to /scan."""
    if fmt.binary:  # bytes, one char per byte, so every caller can compare them as text
        return render_bytes(result, fmt, reveal=reveal).decode("latin-1")
    out = io.StringIO()
    reporter_for(fmt, color=False, width=TABLE_WIDTH, root=SCAN_ROOT).write(
        result, out, reveal=reveal)
    return out.getvalue()


def render_bytes(result: ScanResult, fmt: ReportFormat, *, reveal: bool = False) -> bytes:
    """`result` written in `fmt` as bytes (a binary format goes to the stream's `buffer`)."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    reporter_for(fmt, color=False, width=TABLE_WIDTH, root=SCAN_ROOT).write(
        result, out, reveal=reveal)
    out.flush()
    return raw.getvalue()


MBOX = "/scan/exports/vault.mbox"
GZ = "/scan/exports/older.mbox.gz"
EML = "/scan/eml/Sent Items/case 1.eml"
MSG = "/scan/outlook/reply.msg"
PST = "/scan/outlook/archive.pst"
LOG = "/scan/logs/mail.log"


def _finding(n: int, *, at: str, flow: Flow, rule: str = "golden-nhs",
             category: str = "identifier", severity: Severity = Severity.HIGH,
             value: str = "9434765919", evidence: str = "…NHS number [943 *** ****] PCR…",
             consumer: tuple[str, ...] = (), sender: str = "agent@tracecall.co.uk",
             recipients: tuple[str, ...] = ("ops@tracecall.co.uk",), part: str = "1",
             where: str = "body", source: str = "", test_data: bool = False,
             message_id: str = "", date: str | None = "2021-01-11T09:30:00Z",
             occurrences: int = 1, custodian: str = "") -> Finding:
    at_loc = loc(at)
    return Finding(
        fingerprint=f"{n:x}" * (64 // len(f"{n:x}")),
        message_id=message_id or f"<m{n}@tracecall.co.uk>",
        source=source or at_loc.path,
        at=at_loc,
        part=part,
        where=where,
        date=date,
        sender=sender,
        recipients=recipients + consumer,
        flow=flow,
        consumer_addresses=consumer,
        rule=rule,
        category=category,
        severity=severity,
        evidence=evidence,
        value=value,
        confidence=0.9,
        occurrences=occurrences,
        test_data=test_data,
        message_sha256=f"{n:02d}" * 32,
        pack="golden-pack",
        reasons=(("nhs_mod11 check", "identity context") if category == "identifier"
                 else ("person word",)),
        custodian=custodian,
    )


def golden_result() -> ScanResult:
    """A fixed result with a finding on every flow, coverage gaps of several kinds (two of
    them tracecheck's own failures, so the run is incomplete), notes, a baseline applied, and
    mail-server log events with their summary."""
    findings = (
        _finding(1, at=f"{MBOX}@0", flow=Flow.TO_CONSUMER, consumer=("sam.j@gmail.com",),
                 evidence="…Sam, NHS number [943 *** ****], PCR p*******…", occurrences=2,
                 custodian="agent@tracecall.co.uk"),
        _finding(2, at=f"{MBOX}@2048", flow=Flow.FROM_CONSUMER, rule="golden-symptom",
                 category="symptom", severity=Severity.MEDIUM, value="persistent cough",
                 evidence="…she has a [p********** c****] since Friday…",
                 sender="mum.k@hotmail.co.uk", consumer=("mum.k@hotmail.co.uk",)),
        _finding(3, at=f"{GZ}@512", flow=Flow.CONSUMER_TO_CONSUMER, severity=Severity.LOW,
                 rule="golden-test", category="test-result", value="positive",
                 evidence="[p*******] result, see j***@gmail.com", sender="a.b@yahoo.com",
                 recipients=(), consumer=("a.b@yahoo.com", "c.d@outlook.com")),
        _finding(4, at=EML, flow=Flow.INTERNAL, part="2", where="attachment:cases.csv",
                 custodian="agent@tracecall.co.uk",
                 evidence="…patient [401 *** ****] swab…", value="4010232137"),
        _finding(5, at=f"{PST}:/Inbox/#3", source=PST, flow=Flow.EXTERNAL_OTHER,
                 sender="gp@nhs.example", severity=Severity.MEDIUM, rule="golden-symptom",
                 category="symptom", value="loss of taste",
                 evidence="\t=loss [l*** o* t****]\tsince [bold]Monday[/bold]"),
        _finding(6, at=MSG, flow=Flow.UNKNOWN, sender="", recipients=(), date=None,
                 message_id="=HYPERLINK(\"http://x\")", where="subject", part="header",
                 evidence="[943 *** ****] results", severity=Severity.LOW),
        _finding(7, at=f"{MBOX}@4096", flow=Flow.TO_CONSUMER, consumer=("t.t@gmail.com",),
                 value="9991234560", test_data=True, severity=Severity.INFO,
                 evidence="…test patient [999 *** ****]…"),
    )
    event = LogEvent(
        log_format="postfix", source=LOG, locator=Locator(LOG, line=12),
        time="2021-01-11T09:30:02Z", sender="agent@tracecall.co.uk",
        recipients=(LogRecipient("sam.j@gmail.com", "delivered", "250 2.0.0 OK"),),
        message_id="m1@tracecall.co.uk", queue_id="4F2A1B", size=2048,
        subject="Results for 943 476 5919",
    )
    forward = LogEvent(
        log_format="o365-audit", source="/scan/logs/audit.csv",
        locator=Locator("/scan/logs/audit.csv", line=2), time="2021-01-04T08:12:00Z",
        sender="", recipients=(), kind="forwarding-rule", forwarding="tt.home@gmail.com",
        actor="aaron.q@tracecall.co.uk",
    )
    return ScanResult(
        tool_version="9.9.9",
        packs=(PackRef("golden-pack", "2.0.0", "ab" * 32, str(GOLDEN / "sarif" / "pack.yaml")),),
        sources=(
            SourceSummary(MBOX, "mbox", 8192, "11" * 32, 4, 2),
            SourceSummary(GZ, "mbox+gzip", 900, "22" * 32, 2, 0),
            SourceSummary(EML, "eml", 700, "33" * 32, 1, 1),
            SourceSummary(MSG, "msg", 5000, "44" * 32, 1, 0),
            SourceSummary(PST, "pst", 270_336, "55" * 32, 3, 1),
            SourceSummary(LOG, "log:postfix", 4000, "66" * 32, 0, 1),
        ),
        messages_found=11,
        messages_scanned=10,
        skipped=(
            Skipped(loc(f"{MBOX}@6000"), "truncated message", None, SkipKind.TRUNCATED),
            Skipped(loc(f"{MBOX}@2048#attachment:scan.png"), "not extracted: image/png", "3",
                    SkipKind.IMAGE),
            Skipped(loc(f"{EML}#attachment:notes.docx"),
                    "content not scanned: KeyError in the matcher", "4",
                    SkipKind.INTERNAL_ERROR),
            Skipped(Locator(PST, item="/Inbox/#9"), "worker process died while reading this",
                    None, SkipKind.WORKER_LOST),
            Skipped(loc("/scan/notes.bin"), "unsupported file type: application/octet-stream",
                    None, SkipKind.UNSUPPORTED),
            Skipped(Locator(LOG, line=40), "does not parse as postfix", None,
                    SkipKind.MALFORMED_LOG_LINE),
        ),
        notes=(
            Note(loc(f"{GZ}@512"), "charset 'x-unknown' read as windows-1252", "1",
                 NoteKind.DECODE),
            Note(Locator(PST), "password-protected PST read anyway", None, NoteKind.SOURCE),
            Note(loc(f"{MBOX}@0#body"), "quoted text already counted in "
                 f"{MBOX}@2048", "1", NoteKind.SUPPRESSED),
        ),
        findings=findings,
        org=OrgDomains(("tracecall.co.uk",), inferred=True,
                       evidence=(("tracecall.co.uk", 7), ("nhs.example", 1))),
        flow_counts={"to-consumer": 2, "from-consumer": 1, "consumer-to-consumer": 1,
                     "non-consumer": 5, "unknown": 1},
        log_events=(forward, event),
        log_findings=(
            LogForwarding(kind="forwarding-rule", time=forward.time,
                          mailbox="aaron.q@tracecall.co.uk", actor="aaron.q@tracecall.co.uk",
                          target="tt.home@gmail.com", operation="", log_format="o365-audit",
                          source=forward.source, locator=forward.locator),
        ),
        log_summary=LogSummary.from_dict({
            "events": 2, "consumer_bound_messages": 1, "matched_in_export": 1,
            "not_in_export": 0, "forwarding_rules": 1, "not_in_export_list": [],
            "delivery": {"m1@tracecall.co.uk": "delivered"},
        }),
        options=RunOptions(
            all_messages=True,
            baseline=BaselineApplied(".tracecheck-baseline.json", accepted=3, suppressed=2,
                                     not_found=1),
        ),
    )
