"""File names carry health data (exports are named after subjects): the data-minimised ICO
report names each source by a stable short id and a masked name, and masks every locator; the
full paths appear only with --reveal (issue 14, item 10)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import eml, mbox_of
from tracecheck import api
from tracecheck.rules.mask import mask_place

SECRETS = ("Jane", "Smith", "LFD-result", "-positive", "4765919", "476 5919")
ORG = "tracecall.co.uk"
LEAK = eml(to="Sam <sam.j@gmail.com>", msgid="<m1@tracecall.co.uk>",
           body="Hi Sam, NHS number 943 476 5919 - PCR came back positive today.")
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
WITH_IMAGE = (
    "From: agent@tracecall.co.uk\nTo: Sam <sam.j@gmail.com>\nSubject: scan\n"
    "Date: Mon, 11 Jan 2021 09:30:00 +0000\nMessage-ID: <m2@tracecall.co.uk>\n"
    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
    "Content-Type: text/plain\n\nPCR positive for the caller, NHS number 943 476 5919.\n--b\n"
    "Content-Type: image/png\nContent-Disposition: attachment; "
    "filename=\"Jane-Smith-LFD-positive.png\"\nContent-Transfer-Encoding: base64\n\n"
    f"{PNG}\n--b--\n").encode()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("names")
    export = base / "export" / "Jane Smith"
    export.mkdir(parents=True)
    (export / "LFD-result-for-Jane-Smith-positive.eml").write_bytes(LEAK)
    (export / "Jane Smith 2021.mbox").write_bytes(mbox_of(WITH_IMAGE))
    (export / "Jane-Smith-notes.bin").write_bytes(bytes(range(256)) * 2)
    opts = api.ScanOptions(org_domains=(ORG,))
    api.scan_into_case([str(base / "export")], opts, base / "case")
    return base / "case", export


def _report(case: Path, fmt: str, reveal: bool = False) -> str:
    return api.report(case, fmt=api.IcoFormat(fmt), reveal=reveal)


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_the_masked_report_names_no_file(case: tuple[Path, Path], fmt: str,
                                         monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    text = _report(case[0], fmt)
    for secret in SECRETS:
        assert secret not in text, secret
    assert str(case[1]) not in text


def test_sources_have_a_stable_id_and_a_masked_name(case: tuple[Path, Path],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    doc = json.loads(_report(case[0], "json"))
    assert doc["schema_version"] == 2
    sources = doc["coverage"]["sources"]
    eml_file = case[1] / "LFD-result-for-Jane-Smith-positive.eml"
    digest = hashlib.sha256(eml_file.read_bytes()).hexdigest()
    (src,) = [s for s in sources if s["sha256"] == digest]
    assert re.fullmatch(r"S\d+-[0-9a-f]{8}", src["id"]) and src["id"].endswith(digest[:8])
    assert src["name"] == "L**-r*****-f**-J***-S****-p*******.eml"
    assert src["path"] is None
    assert [s["id"].split("-")[0] for s in sources] == [f"S{i}" for i in
                                                       range(1, len(sources) + 1)]
    # every locator in the report starts with a file's id: a source's, or the next numbers
    # for the files the coverage lists that were never read
    ids = {s["id"] for s in sources}
    placed = [m for msg in doc["messages"] for m in msg["locators"]]
    assert placed and all(any(p.startswith(i) for i in ids) for p in placed), placed
    assert all(re.match(r"S\d+", s["locator"]) for s in doc["coverage"]["skipped"])
    gaps = {s["kind"]: s["locator"] for s in doc["coverage"]["skipped"]}
    assert gaps["not-extracted"].endswith("#attachment:J***-S****-L**-p*******.png")
    assert re.fullmatch(r"S\d+-[0-9a-f]{8}@0#attachment:J\*\*\*-S\*\*\*\*-L\*\*-p\*+\.png",
                        gaps["not-extracted"])
    assert re.fullmatch(r"S\d+", gaps["unsupported"])  # a file never read has no hash
    again = json.loads(_report(case[0], "json"))
    assert again == doc


def test_reveal_shows_the_paths(case: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    doc = json.loads(_report(case[0], "json", reveal=True))
    paths = {s["path"] for s in doc["coverage"]["sources"]}
    assert str(case[1] / "LFD-result-for-Jane-Smith-positive.eml") in paths
    assert any(str(case[1]) in m for msg in doc["messages"] for m in msg["locators"])
    md = _report(case[0], "md", reveal=True)
    assert "LFD-result-for-Jane-Smith-positive.eml" in md


@pytest.mark.parametrize(("text", "masked"), [
    ("LFD-result-for-Jane-positive.eml", "L**-r*****-f**-J***-p*******.eml"),
    ("943 476 5919.pdf", "*** *** ****.pdf"),
    ("attachment:cases.zip/zip:Jane/results.csv", "attachment:c****.zip/zip:J***/r******.csv"),
    ("page:3", "page:3"),
    ("body", "body"),
    ("/Inbox/Jane Smith/#12", "/I****/J*** S****/#12"),
    ("attachment:2021 Jane.pdf", "attachment:**** J***.pdf"),
])
def test_mask_place(text: str, masked: str) -> None:
    assert mask_place(text) == masked
    assert mask_place(text, reveal=True) == text


def test_a_reason_that_names_a_file_names_it_by_id(tmp_path: Path) -> None:
    import dataclasses

    from tracecheck.case.snapshot import CaseSnapshot
    from tracecheck.model import Locator, SkipKind, Skipped
    from tracecheck.reports.ico import IcoConfig, build

    box = tmp_path / "Jane Smith.mbox"
    box.write_bytes(mbox_of(LEAK))
    result = api.scan([str(box)])
    lost = Skipped(Locator(path=str(box), offset=0), f"not scanned: the worker scanning "
                   f"{box}@0-900 was lost", kind=SkipKind.WORKER_LOST)
    result = dataclasses.replace(result, skipped=(lost,))
    report = build(CaseSnapshot.from_scan(result), IcoConfig())
    (gap,) = report.coverage.data["skipped"]  # type: ignore[index]
    assert gap["reason"].startswith("not scanned: the worker scanning S1-")
    assert "Jane" not in gap["reason"] and "Jane" not in gap["locator"]
