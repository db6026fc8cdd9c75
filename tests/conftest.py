"""Shared test fixtures: repository paths, the shared corpora, and small message builders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tracecheck.isolation import STRICT_ENV
from tracecheck.model import Locator

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"
SAMPLES = ROOT / "samples"


def corpus(*parts: str) -> Path:
    """A path under ../shared/corpora, skipping the test when it is absent."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpus not present: {path}")
    return path


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
