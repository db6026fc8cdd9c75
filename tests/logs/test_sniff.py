"""Format detection by content: every log is recognised, mail never is."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from logkit import FIXTURES, sniff_path

from tests.conftest import corpus
from tracecheck.logs import sniff_log


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("postfix_dec_jan.log", "postfix"),
        ("postfix_rfc3339.log", "postfix"),
        ("exim_mainlog", "exim"),
        ("sendmail_maillog", "sendmail"),
        ("MSGTRK20210201-1.LOG", "exchange"),
        ("MSGTRK20110503-1.LOG", "exchange"),
        ("m365_summary_utf16.csv", "m365"),
        ("m365_summary_eac.csv", "m365"),
        ("m365_enhanced.csv", "m365"),
        ("m365_extended.csv", "m365"),
        ("m365_trace.json", "m365"),
        ("google_email_log_search.csv", "google"),
        ("gmail_bigquery.json", "google"),
        ("purview_audit.csv", "o365-audit"),
        ("o365_management_api.json", "o365-audit"),
        ("google_login_audit.json", "gmail-audit"),
        ("rotated/mail.log.2.gz", "postfix"),
    ],
)
def test_fixture_formats(name: str, fmt: str) -> None:
    assert sniff_path(FIXTURES / name) == fmt


def test_gzip_head_is_unpacked() -> None:
    raw = (FIXTURES / "rotated" / "mail.log.2.gz").read_bytes()
    assert sniff_log(raw) == "postfix"
    assert sniff_log(gzip.decompress(raw)) == "postfix"


@pytest.mark.parametrize(
    "head",
    [
        b"From agent@example.org Mon Jan 11 09:30:00 2021\nFrom: a@example.org\n\nbody\n",
        b"Received: from mx1.example.org by mx2 with ESMTP id 4A1B2C3D4E; Mon, 11 Jan 2021\n"
        b"From: a@example.org\nSubject: Jan  1 00:00:00 mx postfix/smtp[1]: x\n\nbody\n",
        b"Return-Path: <a@example.org>\nDelivered-To: b@gmail.com\n\n"
        b"Dec 31 23:50:02 mx1 postfix/qmgr[900]: 4A1B2C3D4E: removed\n",
        b"Subject: mail log excerpt\n\nDec 31 23:50:02 mx1 postfix/qmgr[900]: ABCDE: removed\n",
        b"",
        b"just some text\nwith lines\n",
        b"a,b,c\n1,2,3\n",
        b"2024-01-01 10:00:00 INFO app started\n2024-01-01 10:00:01 WARN disk\n",
        b'{"some": "json"}\n',
    ],
)
def test_mail_and_other_files_are_not_logs(head: bytes) -> None:
    assert sniff_log(head) is None


def test_real_email_corpus_never_sniffed_as_log() -> None:
    files = [p for p in corpus("email-real").rglob("*") if p.is_file()]
    claimed = [str(p) for p in files if sniff_path(p) is not None]
    assert len(files) > 100
    assert claimed == []


def test_log_quoted_inside_an_mbox_is_still_mail(tmp_path: Path) -> None:
    log = (FIXTURES / "postfix_dec_jan.log").read_bytes()
    mbox = b"From MAILER-DAEMON Fri Jan  1 00:00:00 2021\nFrom: x@example.org\n\n" + log
    assert sniff_log(mbox) is None
