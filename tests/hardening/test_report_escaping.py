"""Hostile subjects, names and file names are inert in every report format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from tracecheck.cli import app

EVIL = (
    'From: "<script>alert(1)</script> \u202eevil" <agent@tracecall.co.uk>\n'
    'To: "=HYPERLINK(\\"http://x\\")" <victim@gmail.com>\n'
    "Subject: <img src=x onerror=alert(1)> | **bold** [link](http://e) =cmd|'/C calc'!A0\n"
    "Message-ID: <evil@x>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
    "--B\nContent-Type: text/plain\n\nNHS no 401 023 2137, PCR came back positive.\n"
    '--B\nContent-Type: text/csv\nContent-Disposition: attachment; filename="=SUM(1)<b>|x.csv"\n'
    "\n=HYPERLINK(\"http://x\"),NHS no 401 023 2137 patient\n--B--\n"
)


def test_hostile_values_are_escaped(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "evil.eml").write_text(EVIL, encoding="utf-8")
    case = tmp_path / "case"
    runner = CliRunner()
    res = runner.invoke(app, ["scan", str(tmp_path / "in"), "-f", "csv", "--case", str(case),
                              "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    for row in csv.reader(io.StringIO(res.output)):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    outputs = {}
    for fmt in ("md", "html", "json"):
        out = tmp_path / f"r.{fmt}"
        r = runner.invoke(app, ["report", "--case", str(case), "--format", fmt, "-o", str(out)])
        assert r.exit_code == 0, r.output
        outputs[fmt] = out.read_text(encoding="utf-8")
    html = outputs["html"]
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "\u202e" not in html and "\u202e" not in outputs["md"]
    json.loads(outputs["json"])
    for text in outputs.values():
        assert "401 023 2137" not in text and "4010232137" not in text
