"""`tracecheck logs` tables: every view in every text format, pandas frames, golden output
(Parquet, read back against these JSON rows: tests/reports/test_parquet.py)."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from logkit import FIXTURES, ROOT, read_all

from tracecheck.logs.analysis import mask_subject
from tracecheck.logs.tables import (
    LogTableFormat,
    LogView,
    events_frame,
    summary_frames,
    write_view,
)
from tracecheck.model import Locator, LogEvent, LogRecipient

Check = Callable[[str], bool]
GOLDEN = Path(__file__).resolve().parent / "golden"


def all_events() -> list[LogEvent]:
    """Events of six fixtures of different formats, with paths relative to the repository
    (the golden files hold them)."""
    events: list[LogEvent] = []
    for name in ("postfix_dec_jan.log", "MSGTRK20210201-1.LOG", "purview_audit.csv",
                 "o365_management_api.json", "google_login_audit.json",
                 "gmail_bigquery.json"):
        events.extend(read_all((FIXTURES / name).relative_to(ROOT), year=2020)[0])
    return events


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_events_frame_one_row_per_recipient() -> None:
    events, _ = read_all(FIXTURES / "postfix_dec_jan.log", year=2020)
    frame = events_frame(events)
    assert len(frame) == sum(len(e.recipients) for e in events) == 7
    row = frame[frame["recipient"] == "manager.a@gmail.com"].iloc[0]
    assert row["status"] == "delivered" and row["queue_id"] == "4A1B2C3D4E"
    assert row["subject_masked"] == mask_subject("Case 4471 COVID test result positive")
    assert "subject" not in frame.columns
    assert frame["size"].dtype == pd.Int64Dtype()
    assert json.loads(frame.to_json(orient="records"))[0]["locator"].endswith(":2")


def test_summary_frames(is_consumer: Check) -> None:
    frames = summary_frames(all_events(), is_consumer)
    assert set(frames) == {v.value for v in LogView if v is not LogView.EVENTS}
    dom = frames["by_domain"].set_index("domain")
    assert bool(dom.loc["gmail.com", "consumer_domain"]) is True
    assert bool(dom.loc["example.org", "consumer_domain"]) is False
    assert dom.loc["gmail.com", "consumer_recipients"] == 5
    month = frames["by_month"].set_index("month")
    assert month.loc["2020-12", "consumer_messages"] == 2
    sender = frames["by_sender"].set_index("sender")
    assert sender.loc["agent.nine@example.org", "messages"] == 2
    assert sender.loc["agent.nine@example.org", "consumer_messages"] == 2
    assert list(frames["by_day"]["day"]) == sorted(frames["by_day"]["day"])


def test_empty_inputs(is_consumer: Check) -> None:
    assert events_frame([]).empty
    assert all(f.empty for f in summary_frames([], is_consumer).values())
    for view in LogView:
        out = io.StringIO()
        write_view([], view, LogTableFormat.JSON, out, is_consumer)
        assert out.getvalue() == "[]\n"


@pytest.mark.parametrize("fmt", [f for f in LogTableFormat if not f.binary])
@pytest.mark.parametrize("view", list(LogView))
def test_every_view_in_every_format_matches_its_golden_file(
        view: LogView, fmt: LogTableFormat, is_consumer: Check) -> None:
    out = io.StringIO()
    write_view(all_events(), view, fmt, out, is_consumer)
    text = out.getvalue()
    path = GOLDEN / f"{view.value}.{fmt.value}"
    if os.environ.get("TRACECHECK_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with TRACECHECK_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs from the golden file"
    if fmt is LogTableFormat.JSON:
        rows = json.loads(text)
        assert rows and isinstance(rows[0], dict)
    for secret in ("COVID", "Positive PCR", "test result"):
        assert secret not in text


def test_csv_cells_from_the_log_never_run_as_formulas(is_consumer: Check) -> None:
    hostile = LogEvent("postfix", "mail.log", Locator("mail.log", line=1), None,
                       "=HYPERLINK(\"http://x.example\")@example.org",
                       (LogRecipient("+cmd@gmail.com", "delivered", "@SUM(1)", "-2+3"),),
                       notes=("=1+1",))
    out = io.StringIO()
    write_view([hostile], LogView.EVENTS, LogTableFormat.CSV, out, is_consumer)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["sender"] == "'=HYPERLINK(\"http://x.example\")@example.org"
    assert (row["recipient"], row["detail"], row["orig_to"], row["notes"]) == (
        "'+cmd@gmail.com", "'@SUM(1)", "'-2+3", "'=1+1")
    by_sender = io.StringIO()
    write_view([hostile], LogView.BY_SENDER, LogTableFormat.CSV, by_sender, is_consumer)
    assert next(csv.DictReader(io.StringIO(by_sender.getvalue())))["sender"].startswith(
        "'=hyperlink(")
    as_json = io.StringIO()
    write_view([hostile], LogView.EVENTS, LogTableFormat.JSON, as_json, is_consumer)
    assert json.loads(as_json.getvalue())[0]["sender"].startswith("=HYPERLINK")


@pytest.mark.parametrize(("reply", "masked"), [
    ("250 2.0.0 OK  1609458604 a1si2 - gsmtp", "250 2.0.0 OK  ########## a1si2 - gsmtp"),
    ("550 5.7.1 <jane.doe@gmail.com>: content 943 476 5919 rejected",
     "550 5.7.1 <j***@gmail.com>: content ### ### #### rejected"),
    ("550-5.1.1 The email account that you tried to reach does not exist",
     "550-5.1.1 The email account that you tried to reach does not exist"),
    ("SEND 250 2.1.5Recipient OK", "SEND 250 2.1.5Recipient OK"),  # Exchange writes it so
    ("452 4.2.2 over quota [4010232137]", "452 4.2.2 over quota [##########]"),
    # digits are digits: a relay's address and an id lose theirs, the host name stays
    ("H=gmail-smtp-in.l.google.com [142.250.1.27] C=\"250 OK id=10HmaY-000000005vi-0000\"",
     "H=gmail-smtp-in.l.google.com [###.###.#.##] C=\"250 OK id=10HmaY-#########vi-####\""),
    ("ref 401.023.213.7 and 943.476.5919", "ref ###.###.###.# and ###.###.####"),
    ("", ""),
])
def test_a_servers_reply_is_masked_by_the_one_masker(reply: str, masked: str) -> None:
    """Issue 15 item 12: the `detail` column showed what a reply quoted of the mail."""
    from tracecheck.rules.mask import mask_reply

    assert mask_reply(reply) == masked
    assert mask_reply(reply, reveal=True) == reply
    event = LogEvent("postfix", "mail.log", Locator("mail.log", line=1), None, "a@x.org",
                     (LogRecipient("jane.doe@gmail.com", "failed", reply),))
    assert events_frame([event])["detail"].tolist() == [masked]
    assert events_frame([event], reveal=True)["detail"].tolist() == [reply]
