"""Shared test fixtures: repository paths, the shared corpora, and small message builders."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracecheck.isolation import STRICT_ENV
from tracecheck.model import Locator, RawMessage

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
_SHARED = ROOT.parent / "shared"
"""The read-only folder of real corpora and schemas beside the repository (absent on a new
user's machine): reach it only through `shared()`."""


def shared(*parts: str) -> Path:
    """A path under ../shared, skipping the calling test when it is absent. Every test that
    needs the real corpora or the SARIF schema goes through here; they are read-only (copy
    to tmp_path what a test must modify)."""
    path = _SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared not present here: {path}")
    return path


def corpus(*parts: str) -> Path:
    """`shared("corpora", *parts)`: a real corpus file or folder."""
    return shared("corpora", *parts)


def eml(
    *,
    sender: str = "agent@tracecall.co.uk",
    to: str = "someone@gmail.com",
    subject: str = "Case notes",
    body: str = "Hello",
    extra: str = "",
    msgid: str = "<m1@tracecall.co.uk>",
) -> bytes:
    """A small RFC 5322 message as bytes."""
    text = (
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: Mon, 11 Jan 2021 09:30:00 +0000\n"
        f"Message-ID: {msgid}\n{extra}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        f"\n{body}\n"
    )
    return text.encode("utf-8")


def mbox_of(*messages: bytes) -> bytes:
    """An mboxrd file holding `messages`."""
    out = []
    for i, m in enumerate(messages):
        out.append(f"From sender{i}@example.com Mon Jan 11 09:30:00 2021\n".encode())
        out.append(m if m.endswith(b"\n") else m + b"\n")
        out.append(b"\n")
    return b"".join(out)


@pytest.fixture
def root() -> Path:
    """The repository root."""
    return ROOT


def loc(text: str) -> Locator:
    """A `Locator` from its written form (`path`, `path@offset`, `path:line`, `...#within`),
    for building expected records in tests; the library itself never parses locators."""
    head, _, within = text.partition("#")
    path, at, offset = head.rpartition("@")
    if at and offset.isdigit():
        return Locator(path=path, offset=int(offset), within=within)
    path, colon, line = head.rpartition(":")
    if colon and line.isdigit():
        return Locator(path=path, line=int(line), within=within)
    if ":/" in head:
        path, _, item = head.partition(":")
        return Locator(path=path, item=item, within=within)
    return Locator(path=head, within=within)


# Tests run in strict mode: a failure inside tracecheck raises instead of becoming an
# `internal-error` coverage entry (subprocesses started by tests inherit it). Tests of the
# non-strict behaviour unset it with monkeypatch.
os.environ[STRICT_ENV] = "1"


def validate_sarif(doc: dict[str, object]) -> None:
    """Validate a SARIF document against the SARIF 2.1.0 schema in ../shared/schemas (the
    calling test skips when it is absent)."""
    import json

    import jsonschema

    schema = json.loads(shared("schemas", "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(doc)


def raw_messages(*roots: Path) -> Iterator[RawMessage]:
    """Every message of every mbox or one-message file under `roots`, as the scanner reads
    them (discovery, sniffing, the mbox splitter)."""
    from tracecheck.sources.files import InputFile, discover, open_stream, read_messages

    for inp in discover([str(r) for r in roots]):
        if not isinstance(inp, InputFile) or inp.kind not in ("mbox", "eml"):
            continue
        with open_stream(inp) as (stream, _):
            for raw in read_messages(inp, stream):
                if isinstance(raw, RawMessage):
                    yield raw


def run_cli_peak_rss(args: list[str]) -> tuple[int, float, str]:
    """`tracecheck ARGS` run by a fresh parent whose only child is the scan: (exit code, the
    scan's own peak RSS in MB, its stderr)."""
    import sys

    exe = Path(sys.executable).parent / "tracecheck"
    runner = ("import resource, subprocess, sys; "
              "rc = subprocess.run(sys.argv[1:]).returncode; "
              "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.run([sys.executable, "-c", runner, str(exe), *args],
                          capture_output=True, text=True, check=False)
    rc, peak_kb = proc.stdout.split()
    return int(rc), int(peak_kb) / 1024, proc.stderr


def run_cli_with_file_limit(args: list[str], limit: int, cwd: Path | None = None
                            ) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess that cannot grow any file past `limit` bytes (RLIMIT_FSIZE,
    with SIGXFSZ ignored): every write beyond it fails with EFBIG, as on a full disk."""
    import resource
    import signal
    import sys

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "tracecheck", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=300, check=False,
                          preexec_fn=limited)


def free_loopback() -> bool:
    """Can a local socket be bound (what a Dask LocalCluster needs)?"""
    import socket

    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
        return True
    except OSError:
        return False
