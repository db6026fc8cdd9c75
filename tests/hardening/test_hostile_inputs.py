"""Hostile inputs: each gives a listed skip or a clear result, in bounded time, never a crash."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from tests.conftest import eml, mbox_of, run_cli_peak_rss
from tracecheck import api
from tracecheck.errors import InputError
from tracecheck.model import ScanResult

LEAK_BODY = "NHS no 401 023 2137, PCR came back positive."


def scan(*paths: Path, **kw: object) -> ScanResult:
    return api.scan([str(p) for p in paths], api.ScanOptions(**kw))  # type: ignore[arg-type]


def kinds(result: ScanResult) -> set[str]:
    return {s.kind for s in result.skipped}


def test_thousand_deep_multipart_is_a_listed_limit(tmp_path: Path) -> None:
    parts = [b"From: a@x.com\nTo: b@gmail.com\nSubject: deep\nMIME-Version: 1.0\n"]
    for i in range(1000):
        parts.append(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n".encode())
    parts.append(f"Content-Type: text/plain\n\n{LEAK_BODY}\n".encode())
    for i in reversed(range(1000)):
        parts.append(f"--b{i}--\n".encode())
    (tmp_path / "deep.eml").write_bytes(b"".join(parts))
    (tmp_path / "plain.eml").write_bytes(eml())  # so the scan read something
    result = scan(tmp_path)
    assert result.messages_found == 2 and result.messages_scanned == 1
    assert "limit" in kinds(result)
    assert any("nest" in s.reason for s in result.skipped)
    # alone, the deep message leaves nothing read: an error naming why, not "no findings"
    (tmp_path / "plain.eml").unlink()
    with pytest.raises(InputError, match="nothing to scan: .* 1 limit; first: .*deep.eml: limit"):
        scan(tmp_path)


def test_nul_bytes_do_not_hide_recipients_or_content(tmp_path: Path) -> None:
    (tmp_path / "nul.eml").write_bytes(
        b"From: a@x.com\nTo: b@gmail.com\x00\nSubject: n\x00ul\n\n\x00" + LEAK_BODY.encode()
        + b"\x00\n")
    result = scan(tmp_path)
    assert {f.rule for f in result.findings} == {"nhs-number", "covid-test-result"}
    assert result.findings[0].consumer_addresses == ("b@gmail.com",)


def test_invalid_base64_is_scanned_leniently(tmp_path: Path) -> None:
    (tmp_path / "b64.eml").write_bytes(
        b"From: a@x.com\nTo: b@gmail.com\nSubject: b\nContent-Transfer-Encoding: base64\n\n"
        b"!!!not base64***\n====\n")
    result = scan(tmp_path)
    assert result.messages_scanned == 1 and not result.findings


def test_ten_thousand_recipients(tmp_path: Path) -> None:
    rcpt = ", ".join(f"u{i}@gmail.com" for i in range(10_000))
    (tmp_path / "many.eml").write_bytes(eml(to=rcpt, body=LEAK_BODY))
    result = scan(tmp_path)
    assert len(result.findings[0].recipients) == 10_000
    assert len(result.findings[0].consumer_addresses) == 10_000


def test_header_folding_abuse(tmp_path: Path) -> None:
    subject = b"\n ".join([b"x"] * 100_000)
    (tmp_path / "fold.eml").write_bytes(
        b"From: a@x.com\nTo: b@gmail.com\nSubject: " + subject + b"\n\n" + LEAK_BODY.encode())
    result = scan(tmp_path)
    assert result.messages_scanned == 1 and len(result.findings) == 2


def test_non_utf8_file_name_survives_to_json(tmp_path: Path) -> None:
    name = os.fsdecode(b"\xff\xfecase.eml")
    (tmp_path / name).write_bytes(eml(body=LEAK_BODY))
    result = scan(tmp_path)
    assert result.findings and result.findings[0].locator.endswith(name)
    import io

    from tracecheck.reports.json_report import JsonReporter

    out = io.StringIO()
    JsonReporter().write(result, out)
    text = out.getvalue().encode("utf-8", "backslashreplace").decode("utf-8")
    assert json.loads(text)["findings"][0]["locator"].endswith("case.eml")


def test_symlink_loop_is_refused_and_listed(tmp_path: Path) -> None:
    sub = tmp_path / "box" / "sub"
    sub.mkdir(parents=True)
    (sub / "m.eml").write_bytes(eml(body=LEAK_BODY))
    (sub / "back").symlink_to("..")
    result = scan(tmp_path / "box")
    assert result.messages_found == 1
    assert "symlink-loop" in kinds(result)


def test_truncated_gzip_keeps_what_was_read_and_lists_the_rest(tmp_path: Path) -> None:
    data = gzip.compress(mbox_of(*[eml(msgid=f"<m{i}@x>", body=LEAK_BODY) for i in range(400)]))
    (tmp_path / "box.mbox.gz").write_bytes(data[: len(data) // 2])
    result = scan(tmp_path)
    assert 0 < result.messages_scanned < 400
    assert any(s.kind == "truncated" and "gzip" in s.reason for s in result.skipped)


def test_file_that_changes_while_scanned_is_flagged(tmp_path: Path) -> None:
    box = tmp_path / "live.mbox"
    box.write_bytes(mbox_of(*[eml(msgid=f"<m{i}@x>", body="x" * 20000) for i in range(200)]))

    class Grow:  # grows the file as soon as the scan reports progress
        grown = False

        def set_total(self, total: int) -> None:
            pass

        def advance(self, n: int) -> None:
            if not self.grown:
                with open(box, "ab") as f:
                    f.write(mbox_of(eml(msgid="<late@x>")))
                self.grown = True

    grow = Grow()
    result = api.scan([str(box)], progress=grow)
    assert grow.grown
    assert any(s.kind == "changed" for s in result.skipped)


def test_unreadable_file_is_listed(tmp_path: Path) -> None:
    p = tmp_path / "locked.eml"
    p.write_bytes(eml())
    p.chmod(0)
    try:
        if os.access(p, os.R_OK):  # running as root: permissions do not apply
            return
        result = scan(tmp_path)
        assert "unreadable" in kinds(result)
    finally:
        p.chmod(0o600)


def test_huge_single_line_body_is_scanned_in_windows_in_bounded_memory(tmp_path: Path) -> None:
    big = tmp_path / "big.eml"
    with open(big, "wb") as f:
        f.write(b"From: a@x.com\nTo: b@gmail.com\nSubject: big\n\n")
        f.write(b"x" * 30_000_000 + f" {LEAK_BODY} ".encode() + b"y" * 30_000_000 + b"\n")
    out = tmp_path / "r.json"
    rc, peak_mb, stderr = run_cli_peak_rss(["scan", str(big), "-f", "json", "-o", str(out),
                                            "--max-message-mb", "16"])
    # 3, not 1: the limit cut short a message on a consumer flow (its parts were not decoded)
    assert rc == 3, stderr
    doc = json.loads(out.read_text())
    assert {f["rule"] for f in doc["findings"]} == {"nhs-number", "covid-test-result"}
    assert any(s["kind"] == "limit" and "raw text" in s["reason"]
               for s in doc["coverage"]["skipped"])
    assert doc["summary"]["incomplete"] == 1
    # the bytes past --max-message-mb are read as they are scanned, never held
    assert peak_mb < 250  # a full MIME parse of this message took about 1 GB


def _outside_links(tmp_path: Path) -> Path:
    """An export folder holding links out of it (a message, a folder, /dev/zero) and one
    link to a message inside it."""
    outside = tmp_path / "elsewhere"
    (outside / "box").mkdir(parents=True)
    (outside / "secret.eml").write_bytes(eml(msgid="<out@x>", body=LEAK_BODY))
    (outside / "box" / "more.eml").write_bytes(eml(msgid="<more@x>", body=LEAK_BODY))
    export = tmp_path / "export"
    export.mkdir()
    (export / "in.eml").write_bytes(eml(msgid="<in@x>", body=LEAK_BODY))
    (export / "again.eml").symlink_to("in.eml")  # stays inside: followed
    (export / "secret.eml").symlink_to(outside / "secret.eml")
    (export / "box").symlink_to(outside / "box")
    (export / "zero").symlink_to("/dev/zero")
    return export


def test_symlinks_out_of_the_folder_are_listed_not_followed(tmp_path: Path) -> None:
    export = _outside_links(tmp_path)
    result = scan(export)
    outside = {str(s.locator) for s in result.skipped if s.kind == "outside-root"}
    assert outside == {str(export / n) for n in ("box", "secret.eml", "zero")}
    assert {f.message_id for f in result.findings} == {"<in@x>"}
    assert result.messages_found == result.messages_scanned == 2  # in.eml and its link
    followed = scan(export, follow_symlinks=True)
    assert {f.message_id for f in followed.findings} == {"<in@x>", "<out@x>", "<more@x>"}
    assert not any(s.kind == "outside-root" for s in followed.skipped)
    assert followed.options.as_dict()["follow_symlinks"] is True
    assert "follow_symlinks" not in result.options.as_dict()


def test_a_link_to_a_device_is_not_a_regular_file_not_broken(tmp_path: Path) -> None:
    export = _outside_links(tmp_path)
    (export / "gone").symlink_to(export / "missing.eml")
    result = scan(export, follow_symlinks=True)
    reasons = {s.locator.path.rpartition("/")[2]: (s.kind, s.reason) for s in result.skipped}
    assert reasons["zero"] == ("unsupported", "not a regular file")
    assert reasons["gone"] == ("unreadable", "broken symlink")


def test_follow_symlinks_on_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tracecheck.cli import app

    export = _outside_links(tmp_path)
    runner = CliRunner()
    args = ["scan", str(export), "--format", "json", "--fail-on", "never", "--workers", "1"]
    default = json.loads(runner.invoke(app, args).stdout)
    assert sum(s["kind"] == "outside-root" for s in default["coverage"]["skipped"]) == 3
    followed = json.loads(runner.invoke(app, [*args, "--follow-symlinks"]).stdout)
    assert not any(s["kind"] == "outside-root" for s in followed["coverage"]["skipped"])
    assert len(followed["findings"]) > len(default["findings"])
