"""Evidence safety: inputs never modified or opened for writing, outputs private, no network."""

from __future__ import annotations

import builtins
import hashlib
import os
import shutil
import socket
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SAMPLES, corpus
from tracecheck import api
from tracecheck.cli import app


def tree_hashes(root: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mtime_ns)
    return out


def test_scan_leaves_every_input_byte_and_mtime_unchanged(tmp_path: Path) -> None:
    copy = tmp_path / "evidence"
    shutil.copytree(SAMPLES, copy)
    before = tree_hashes(copy)
    api.scan([str(copy)], api.ScanOptions(all_messages=True))
    assert tree_hashes(copy) == before


def test_sources_are_opened_read_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(SAMPLES / "mbox", evidence)
    seen: list[tuple[str, int]] = []
    real_os_open = os.open
    real_open = builtins.open

    def spy_os_open(path: object, flags: int, *a: object, **k: object) -> int:
        seen.append((str(path), flags))
        return real_os_open(path, flags, *a, **k)  # type: ignore[arg-type]

    def spy_open(file: object, mode: str = "r", *a: object, **k: object) -> object:
        if isinstance(file, str | Path) and str(file).startswith(str(evidence)):
            assert not set(mode) & set("wax+"), f"{file} opened with mode {mode}"
        return real_open(file, mode, *a, **k)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(builtins, "open", spy_open)
    api.scan([str(evidence)])
    mine = [(p, f) for p, f in seen if p.startswith(str(evidence))]
    assert mine, "the scan must open the evidence through os.open"
    for _path, flags in mine:
        assert flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND) == 0


def test_read_only_evidence_folder_scans(tmp_path: Path) -> None:
    evidence = tmp_path / "ro"
    shutil.copytree(SAMPLES / "eml", evidence)
    for p in [evidence, *evidence.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        result = api.scan([str(evidence)])
        assert result.messages_scanned > 0
    finally:
        for p in [evidence, *evidence.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)


def test_outputs_and_case_store_are_private(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "r.json"
    case = tmp_path / "case"
    res = runner.invoke(app, ["scan", str(SAMPLES / "mbox"), "-f", "json", "-o", str(out),
                              "--case", str(case), "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    for f in case.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f


def test_no_socket_is_ever_opened(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*a: object, **k: object) -> None:
        raise AssertionError("tracecheck tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    inputs = [str(SAMPLES / d) for d in ("mbox", "eml", "maildir", "archive")]
    logs = Path(__file__).parents[1] / "fixtures" / "logs"
    if logs.is_dir():
        inputs.append(str(logs))
    result = api.scan(inputs, api.ScanOptions(all_messages=True))
    assert result.findings


def test_every_real_corpus_message_is_scanned_or_listed() -> None:
    root = corpus("email-real")
    result = api.scan([str(root)], api.ScanOptions(all_messages=True))
    files = [p for p in root.rglob("*") if p.is_file()]
    message_skips = [s for s in result.skipped if s.part is None and not s.locator.within
                     and s.kind in ("junk", "truncated", "unreadable", "limit")]
    file_skips = {str(s.locator) for s in result.skipped if s.part is None
                  and s.kind in ("unsupported",)}
    assert result.messages_found == result.messages_scanned + len(message_skips)
    # Every file is a source or a listed skip: nothing silently dropped.
    sources = {s.path for s in result.sources}
    assert {str(f) for f in files} == sources | file_skips
    assert result.messages_scanned >= 148


def test_all_shared_corpora_scan_with_every_file_accounted_for() -> None:
    root = corpus()
    result = api.scan([str(root)], api.ScanOptions(all_messages=True))
    files = {str(p) for p in root.rglob("*") if p.is_file()}
    sources = {s.path for s in result.sources}
    listed = {str(s.locator) for s in result.skipped if s.part is None and not s.locator.within}
    assert files <= sources | listed
    assert any(s.type.startswith("log:") for s in result.sources)
    assert any(s.type in ("msg", "pst") for s in result.sources)
    assert result.log_summary is not None
