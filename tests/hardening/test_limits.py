"""What one message may cost (issue 15, items 6, 7, 8 and 13): every limit bounds memory or
time, is listed in coverage, and a limit that cuts short a message on a consumer flow makes
the run incomplete (exit code 3), so that a CI gate never passes on content it did not see.

The shapes are the issue's, small, with the limits lowered to match; `make fuzz` runs them at
full size (scripts/hostile.py).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import eml, run_cli_peak_rss
from tests.hostile_gen import (
    csv_email,
    distinct_numbers_in,
    flat_zip_email,
    many_parts_email,
    patient_rows,
    write_gz_mbox,
)
from tracecheck import api
from tracecheck.cli import app
from tracecheck.model import ExtractLimits, ScanResult, Severity, SkipKind

LEAK = "NHS no 401 023 2137, PCR came back positive."


def scan(*paths: Path, all_messages: bool = False, **limits: int) -> ScanResult:
    return api.scan([str(p) for p in paths],
                    api.ScanOptions(limits=ExtractLimits(**limits), all_messages=all_messages))


def limit_reasons(result: ScanResult) -> list[str]:
    return [s.reason for s in result.skipped if s.kind is SkipKind.LIMIT]


# --- item 6: findings-dense attachments --------------------------------------------------


def test_findings_past_the_part_limit_are_counted_not_kept_and_the_run_is_incomplete(
        tmp_path: Path) -> None:
    (tmp_path / "flat.eml").write_bytes(flat_zip_email(total=60_000, member=20_000))
    result = scan(tmp_path, max_findings_per_part=100, max_findings=150)
    assert len(result.findings) == 100
    assert all(f.part == "2" and f.rule == "nhs-number" for f in result.findings)
    (entry,) = result.incomplete
    assert entry.kind is SkipKind.LIMIT and entry.consumer_flow and entry.part == "2"
    assert entry.reason.startswith("limit: more than 100 distinct findings in this part "
                                   "(max_findings_per_part): ")
    assert api.exit_code(result, Severity.HIGH) == 3
    assert api.exit_code(result, None, exit_zero=True) == 3  # never hidden


def test_a_patient_list_gives_every_distinct_identifier(tmp_path: Path) -> None:
    """Below the limits nothing is held back: one finding per NHS number, each counted once
    per row it is in."""
    (tmp_path / "csv.eml").write_bytes(csv_email(150_000))
    result = scan(tmp_path)
    got = {f.value for f in result.findings if f.rule == "nhs-number"}
    assert got == distinct_numbers_in(patient_rows(150_000)) and len(got) > 1500
    assert not result.incomplete and not limit_reasons(result)


def test_a_text_longer_than_max_text_chars_is_scanned_up_to_it_and_listed(
        tmp_path: Path) -> None:
    body = "Rota notes. " * 2000 + LEAK  # the leak starts after 24,000 characters
    (tmp_path / "long.eml").write_bytes(eml(body=body))
    result = scan(tmp_path, max_text_chars=20_000)
    assert not result.findings
    (reason,) = limit_reasons(result)
    assert reason == ("limit: text of 24,045 characters is over 20,000 (max_text_chars): the "
                      "rest was not scanned")
    assert result.incomplete and str(result.incomplete[0].locator).endswith("long.eml#body")
    assert {f.rule for f in scan(tmp_path).findings} == {"nhs-number", "covid-test-result"}


def test_the_text_of_a_message_is_capped_across_its_parts(tmp_path: Path) -> None:
    parts = "".join(f"--b\nContent-Type: text/plain\n\n{'Rota notes. ' * 500}\n"
                    for _ in range(4))  # 4 x 6,000 characters, then the leak
    (tmp_path / "m.eml").write_bytes(
        ("From: a@tracecall.co.uk\nTo: b@gmail.com\nSubject: parts\nMIME-Version: 1.0\n"
         'Content-Type: multipart/mixed; boundary="b"\n\n'
         f"{parts}--b\nContent-Type: text/plain\n\n{LEAK}\n--b--\n").encode())
    result = scan(tmp_path, max_message_text_chars=20_000)
    assert not result.findings
    (reason,) = limit_reasons(result)
    assert reason.startswith("limit: more than 20,000 characters of text in this message "
                             "(max_message_text_chars): ")
    assert result.incomplete
    assert {f.rule for f in scan(tmp_path).findings} == {"nhs-number", "covid-test-result"}


def test_the_detectors_stop_after_max_matches(tmp_path: Path) -> None:
    (tmp_path / "m.eml").write_bytes(eml(body=f"{LEAK}\n" * 50))
    result = scan(tmp_path, max_matches=20)
    assert sum(f.occurrences for f in result.findings) == 20
    assert any("detectors stopped after 20 hits" in r for r in limit_reasons(result))
    assert result.incomplete


# --- item 7: millions of tiny parts ------------------------------------------------------


def test_a_message_with_more_parts_than_max_parts_is_not_parsed_but_still_read(
        tmp_path: Path) -> None:
    data = many_parts_email(12_000).replace(b"--b--", f"--b\n\n{LEAK}\n--b--".encode())
    (tmp_path / "parts.eml").write_bytes(data)
    result = scan(tmp_path)  # default max_parts: 10,000
    assert limit_reasons(result) == [
        "limit: more than 10,000 MIME parts (12,002 part delimiters; max_parts): not "
        "MIME-parsed; its body was scanned as raw text (encoded attachments not decoded)"]
    assert {f.rule for f in result.findings} == {"nhs-number", "covid-test-result"}
    assert result.incomplete and result.messages_scanned == 1


# --- item 8: a huge message inside a compressed input ------------------------------------


def _mbox(tmp_path: Path, name: str, size: int) -> tuple[Path, bytes]:
    """A one-big-message mbox (gzipped when `name` ends .gz) and the big message's bytes."""
    path = tmp_path / name
    write_gz_mbox(path, size, leak_at=size - 200_000)
    data = gzip.decompress(path.read_bytes())
    if not name.endswith(".gz"):
        path.write_bytes(data)
    big = data[data.index(b"\n") + 1:data.index(b"\n\nFrom agent@") + 1]
    return path, big


@pytest.mark.parametrize("name", ["big.mbox.gz", "big.mbox"])
def test_a_message_over_max_message_bytes_is_read_as_it_is_scanned(tmp_path: Path,
                                                                    name: str) -> None:
    path, big = _mbox(tmp_path, name, 3 * 1024 * 1024)
    result = api.scan([str(path)], api.ScanOptions(
        limits=ExtractLimits(max_message_bytes=1024 * 1024), all_messages=True))
    assert result.messages_found == result.messages_scanned == 2  # the one after it too
    assert limit_reasons(result) == [
        "limit: message of 3 MB is over 1 MB; its body was scanned as raw text (encoded "
        "attachments not decoded)"]
    flagged = {f.locator: f for f in result.findings if f.rule == "nhs-number"}
    assert len(flagged) == 2  # the leak near the end of the big message, and the small one
    assert flagged[f"{path}@0"].message_sha256 == hashlib.sha256(big).hexdigest()
    assert result.incomplete


def test_the_bytes_past_max_message_mb_are_never_held(tmp_path: Path) -> None:
    """A 64 MiB message in a 0.2 MB .mbox.gz: its bytes past `--max-message-mb` are read as
    they are scanned (before, the message was held whole, several times over)."""
    path, _ = _mbox(tmp_path, "big.mbox.gz", 64 * 1024 * 1024)
    out = tmp_path / "r.json"
    rc, peak_mb, stderr = run_cli_peak_rss(["scan", str(path), "-f", "json", "-o", str(out),
                                            "--max-message-mb", "1", "--workers", "1"])
    assert rc == 3, stderr
    assert len(json.loads(out.read_text())["findings"]) == 4
    assert peak_mb < 160, peak_mb


# --- item 13: a limit on a consumer flow makes the run incomplete --------------------------


def _deep_multipart(depth: int) -> bytes:
    parts = [b"From: a@tracecall.co.uk\nTo: b@gmail.com\nSubject: deep\nMIME-Version: 1.0\n"]
    for i in range(depth):
        parts.append(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n".encode())
    parts.append(f"Content-Type: text/plain\n\n{LEAK}\n".encode())
    parts.extend(f"--b{i}--\n".encode() for i in reversed(range(depth)))
    return b"".join(parts)


def _deep_rfc822(depth: int, to: str = "b@gmail.com") -> bytes:
    inner = eml(body=LEAK)
    for _ in range(depth):
        inner = (f"From: a@tracecall.co.uk\nTo: {to}\nSubject: fwd\nMIME-Version: 1.0\n"
                 "Content-Type: message/rfc822\n\n").encode() + inner
    return inner


@pytest.mark.parametrize("shape", [_deep_multipart(250), _deep_rfc822(120)],
                         ids=["multipart-250", "rfc822-120"])
def test_a_deeply_nested_consumer_message_fails_the_gate_with_exit_3(tmp_path: Path,
                                                                     shape: bytes) -> None:
    (tmp_path / "deep.eml").write_bytes(shape)
    (tmp_path / "plain.eml").write_bytes(eml())
    for flags in ([], ["--fail-on", "never"], ["--exit-zero"]):
        done = CliRunner().invoke(app, ["scan", str(tmp_path), "--workers", "1", *flags])
        assert done.exit_code == 3, done.output
        assert "deep.eml" in done.output and "INCOMPLETE" in done.output


def test_a_limit_on_a_message_off_consumer_flows_is_listed_not_incomplete(
        tmp_path: Path) -> None:
    (tmp_path / "deep.eml").write_bytes(_deep_rfc822(120, to="c@tracecall.co.uk"))
    (tmp_path / "plain.eml").write_bytes(eml())
    result = scan(tmp_path, all_messages=True)
    assert limit_reasons(result) and not result.incomplete
    assert api.exit_code(result, Severity.LOW) == 0


def test_a_case_keeps_which_limits_made_the_run_incomplete(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "deep.eml").write_bytes(_deep_multipart(250))
    (tmp_path / "in" / "plain.eml").write_bytes(eml(body=LEAK))
    result = api.scan_into_case([str(tmp_path / "in")], api.ScanOptions(), tmp_path / "case")
    assert len(result.incomplete) == 1
    text = api.report(tmp_path / "case")
    assert "a limit cut short 1 item(s) of messages on consumer flows" in text
