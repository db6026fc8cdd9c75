"""Output never lets the input attack its reader (issue 15, items 10 to 12): no terminal
control from a subject, body, RFC 2231 file name or logged reply reaches any text output,
every element of a CSV list cell is guarded, and a server's reply is masked like the rest."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracecheck.cli import app
from tracecheck.model import ScanResult
from tracecheck.reports.table import TableReporter

runner = CliRunner()

ESC = "\x1b"
HOSTILE = (
    "From: agent@tracecall.co.uk\n"
    'To: "Sam" <sam.j@gmail.com>, =1+1@gmail.com\n'
    f"Subject: {ESC}]0;pwned\x07Case 12 {ESC}[2J\n"
    "Date: Mon, 11 Jan 2021 09:30:00 +0000\n"
    "Message-ID: <hostile@tracecall.co.uk>\nMIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=B\n\n"
    "--B\nContent-Type: text/plain; charset=utf-8\n\n"
    f"NHS no 401 023 2137{ESC}]52;c;ZXZpbA==\x07 PCR positive \u009b2J\x08\x08\x00 done\n"
    "--B\nContent-Type: text/csv\n"
    "Content-Disposition: attachment; filename*=utf-8''%1B%5D0%3Btitle%07cases%1B%5B2J.csv\n\n"
    "patient,NHS number 943 476 5919\n--B--\n"
)
POSTFIX = (
    "Jan 11 09:30:01 mx1 postfix/qmgr[211]: 4F2A1B: from=<agent@tracecall.co.uk>, size=2048, "
    "nrcpt=1 (queue active)\n"
    "Jan 11 09:30:02 mx1 postfix/smtp[212]: 4F2A1B: to=<sam.j@gmail.com>, relay=gmail, "
    f"delay=1, dsn=5.7.1, status=bounced (host said: 550 5.7.1 {ESC}]0;x\x07 rejected: "
    "content 943 476 5919 for <sam.j@gmail.com>)\n"
)


def _controls(text: str, allowed: str = "\t\n") -> list[str]:
    """C0, DEL, C1 and bidirectional controls in `text`, other than `allowed`."""
    return [repr(ch) for ch in text
            if (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or 0x202A <= ord(ch) <= 0x202E
                or 0x2066 <= ord(ch) <= 0x2069) and ch not in allowed]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    (base / "in").mkdir()
    (base / "in" / "hostile.eml").write_text(HOSTILE, encoding="utf-8")
    (base / "logs").mkdir()
    (base / "logs" / "mail.log").write_text(POSTFIX, encoding="utf-8")
    res = runner.invoke(app, ["scan", str(base / "in"), "--case", str(base / "case"),
                              "--format", "json", "--output", os.devnull, "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    return base


def _run(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code in (0, 1), res.output
    return res.stdout


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_scan_text_formats_show_controls_as_escapes(tree: Path, fmt: str) -> None:
    out = _run("scan", str(tree / "in"), "--format", fmt, "--fail-on", "never")
    assert "401" in out and "attachment:" in out  # the finding and the file name are there
    assert _controls(out) == []
    assert "\\x1b]0;title\\x07cases\\x1b[2J.csv" in out  # the file name, visibly


def test_the_terminal_table_carries_only_its_own_colours(tree: Path) -> None:
    from tracecheck import api

    result: ScanResult = api.scan([str(tree / "in")])
    buf = io.StringIO()
    TableReporter(color=True, width=200).write(result, buf)
    out = buf.getvalue()
    assert "\x07" not in out and f"{ESC}]" not in out and f"{ESC}[2J" not in out
    assert "\x9b" not in out and "\x08" not in out and "\x00" not in out
    assert "\\x1b]0;title" in out


def test_json_is_escaped_by_its_own_format(tree: Path) -> None:
    out = _run("scan", str(tree / "in"), "--format", "json", "--fail-on", "never")
    assert _controls(out, "\n\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e"
                          "\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e"
                          "\x9f") == []
    doc = json.loads(out)
    assert any(ESC in f["where"] for f in doc["findings"])  # the value itself is unchanged


@pytest.mark.parametrize("reveal", [[], ["--reveal"]], ids=["masked", "revealed"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_ico_report_shows_controls_as_escapes(tree: Path, fmt: str,
                                                  reveal: list[str]) -> None:
    out = _run("report", "--case", str(tree / "case"), "--format", fmt, *reveal)
    assert _controls(out) == []


def test_review_lists_show_controls_as_escapes(tree: Path) -> None:
    out = _run("review", "--case", str(tree / "case"))
    assert "finding(s)" in out
    assert _controls(out) == []


def test_error_lines_show_controls_as_escapes(tmp_path: Path) -> None:
    res = runner.invoke(app, ["scan", str(tmp_path / f"gone{ESC}]0;x\x07{ESC}[2J")])
    assert res.exit_code == 2
    assert _controls(res.stderr) == [] and "\\x1b]0;x\\x07" in res.stderr
    res = runner.invoke(app, ["report", "--case", str(tmp_path / f"c{ESC}[2J")])
    assert res.exit_code == 2 and _controls(res.stderr) == []


def test_the_logs_table_shows_controls_as_escapes_and_masks_the_reply(tree: Path) -> None:
    out = _run("logs", str(tree / "logs"), "--log-year", "2021")
    assert _controls(out) == []
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["recipient"] == "sam.j@gmail.com"
    assert row["detail"].startswith("host said: 550 5.7.1 \\x1b]0;x\\x07 rejected")
    assert "943 476 5919" not in row["detail"] and "### ### ####" in row["detail"]
    assert "s***@gmail.com" in row["detail"]
    revealed = _run("logs", str(tree / "logs"), "--log-year", "2021", "--reveal")
    [row] = list(csv.DictReader(io.StringIO(revealed)))
    assert "943 476 5919" in row["detail"] and _controls(revealed) == []
    assert "subject" in row and "subject_masked" not in row  # named for what it holds
    as_json = json.loads(_run("logs", str(tree / "logs"), "--log-year", "2021", "--format",
                              "json"))
    assert "943 476 5919" not in as_json["rows"][0]["detail"]


def test_every_element_of_a_csv_list_cell_is_guarded(tree: Path) -> None:
    out = _run("scan", str(tree / "in"), "--format", "csv", "--fail-on", "never")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows
    for row in rows:
        assert row["recipients"] == "sam.j@gmail.com;'=1+1@gmail.com"
        for column in ("recipients", "consumer_addresses"):
            for element in row[column].split(";"):
                assert not element.startswith(("=", "+", "-", "@", "\t", "\r")), row[column]
