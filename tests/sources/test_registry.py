"""The sources registry: every input type is recognised from its content and read, in the
documented precedence order, and a type without a reader is an error, never a silent skip."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import eml, mbox_of
from tests.sources import pstkit, tnefkit
from tests.sources.archivekit import make_tar, make_zip
from tests.sources.msgkit import msg_bytes
from tracecheck import api
from tracecheck.deps import MissingDependencyError
from tracecheck.logs import read_log
from tracecheck.model import LogEvent, RawMessage, Skipped
from tracecheck.sources import registry
from tracecheck.sources.base import InputFile, Source, SourceType
from tracecheck.sources.files import discover, open_stream, read_messages, sniff_file

LOG = (
    b"Jan 11 09:30:00 mx1 postfix/qmgr[911]: 6F3459B528: from=<agent@tracecall.co.uk>, "
    b"size=725, nrcpt=1 (queue active)\n"
    b"Jan 11 09:30:01 mx1 postfix/smtp[5735]: 6F3459B528: to=<pat@gmail.com>, "
    b"relay=gmail-smtp-in.l.google.com[142.250.27.26]:25, delay=1.2, dsn=2.0.0, "
    b"status=sent (250 2.0.0 OK)\n"
)
PST_HEAD = b"!BDN" + bytes(1020)


def _pst(monkeypatch: pytest.MonkeyPatch) -> bytes:
    item = pstkit.Message(1, subject="from the pst")
    pstkit.install(monkeypatch, pstkit.Pst(pstkit.Folder("", [item])))
    return PST_HEAD


SAMPLES: dict[SourceType, Callable[[pytest.MonkeyPatch], bytes]] = {
    SourceType.MBOX: lambda mp: mbox_of(eml(subject="from the mbox"), eml(subject="second")),
    SourceType.EML: lambda mp: eml(subject="from the eml"),
    SourceType.MSG: lambda mp: msg_bytes(subject="from the msg"),
    SourceType.PST: _pst,
    SourceType.TNEF: lambda mp: tnefkit.tnef(subject="from the tnef"),
    SourceType.ZIP: lambda mp: make_zip([("Export/0001.eml", eml(subject="from the zip"))]),
    SourceType.TAR: lambda mp: make_tar([("mail/0001.eml", eml(subject="from the tar"))]),
    SourceType.LOG: lambda mp: LOG,
}
"""A small sample of every input type, made here (the PST is read through a stand-in for
libpff: nothing writes PST files)."""
MEMBER_TYPE = {SourceType.ZIP: "eml", SourceType.TAR: "eml"}
"""What the message in an archive sample is (archives hold files of the other types)."""


def test_every_input_type_is_registered_in_the_documented_order() -> None:
    assert set(SAMPLES) == set(SourceType) == set(registry.REGISTRY)
    assert list(registry.REGISTRY) == [SourceType.PST, SourceType.MSG, SourceType.TNEF,
                                       SourceType.ZIP, SourceType.TAR, SourceType.MBOX,
                                       SourceType.EML, SourceType.LOG]
    assert all(registry.REGISTRY[t].type == t for t in SourceType)
    # every type but logs reads messages; logs are read by tracecheck.logs
    assert {t for t, d in registry.REGISTRY.items() if isinstance(d, Source)} == (
        set(SourceType) - {SourceType.LOG})


@pytest.mark.parametrize("kind", list(SourceType), ids=str)
def test_every_registered_type_is_sniffed_and_read(
        kind: SourceType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "input"
    path.write_bytes(SAMPLES[kind](monkeypatch))
    inp = sniff_file(str(path))
    assert isinstance(inp, InputFile)
    assert (inp.kind, inp.gz) == (kind, False)
    if kind is SourceType.LOG:
        assert inp.log_format == "postfix"
        with pytest.raises(registry.NoReaderError, match="tracecheck.logs reads log files"):
            registry.source_for(kind)
        events = [e for e in read_log(str(path), inp.log_format, year=2021)
                  if isinstance(e, LogEvent)]
        assert {e.queue_id for e in events} == {"6F3459B528"}
        return
    with open_stream(inp) as (stream, _):
        out = list(read_messages(inp, stream))
    raws = [r for r in out if isinstance(r, RawMessage)]
    assert raws and not [s for s in out if isinstance(s, Skipped)]
    first = raws[0]
    subject = first.parsed["Subject"] if first.parsed is not None else (  # type: ignore[index]
        first.raw.split(b"Subject: ")[1].split(b"\n")[0].decode())
    assert subject == f"from the {kind}"
    assert first.container == MEMBER_TYPE.get(kind, str(kind))


@pytest.mark.parametrize("kind", [SourceType.MBOX, SourceType.EML, SourceType.TNEF,
                                  SourceType.TAR, SourceType.LOG], ids=str)
def test_types_read_from_a_stream_are_recognised_inside_gzip(kind: SourceType, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "input.gz"
    path.write_bytes(gzip.compress(SAMPLES[kind](monkeypatch)))
    inp = sniff_file(str(path))
    assert isinstance(inp, InputFile) and (inp.kind, inp.gz) == (kind, True)


@pytest.mark.parametrize("kind", [SourceType.MSG, SourceType.PST, SourceType.ZIP], ids=str)
def test_random_access_files_are_not_looked_for_inside_gzip(kind: SourceType, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "input.gz"
    path.write_bytes(gzip.compress(SAMPLES[kind](monkeypatch)))
    skip = sniff_file(str(path))
    assert isinstance(skip, Skipped) and skip.kind == "unsupported"
    assert skip.reason.endswith("inside gzip")


def test_maildir_messages_are_eml_in_a_maildir(tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "box" / sub).mkdir(parents=True)
    message = tmp_path / "box" / "cur" / "1610357400.M1.host:2,S"
    message.write_bytes(eml())
    loose = tmp_path / "loose.eml"
    loose.write_bytes(eml())
    found = {Path(i.path).name: (i.kind, i.container) for i in discover([str(tmp_path)])
             if isinstance(i, InputFile)}
    assert found == {message.name: ("eml", "maildir"), "loose.eml": ("eml", "")}


def test_precedence_decides_between_types_that_both_claim_a_file(tmp_path: Path) -> None:
    # An mbox's first message is also a header block: the mbox detector comes first.
    both = mbox_of(eml())
    assert registry.REGISTRY[SourceType.EML].sniff(both.split(b"\n", 1)[1], "x") is not None
    assert registry.detect(both, "x") is not None
    assert registry.detect(both, "x").type is SourceType.MBOX  # type: ignore[union-attr]


def test_an_unknown_type_is_an_error_not_a_skip() -> None:
    with pytest.raises(ValueError, match="'bogus' is not a valid SourceType"):
        InputFile(path="x", kind="bogus")  # type: ignore[arg-type]
    log = InputFile(path="x", kind=SourceType.LOG)
    with pytest.raises(registry.NoReaderError):
        list(read_messages(log, None))  # type: ignore[arg-type]
    assert InputFile(path="x", kind="mbox").kind is SourceType.MBOX  # type: ignore[arg-type]


def test_unclaimed_content_is_listed_with_its_sniffed_type(tmp_path: Path) -> None:
    path = tmp_path / "photo.eml"  # the name says eml; the bytes say PNG
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
                     b"\x08\x02\x00\x00\x00\x90wS\xde")
    skip = sniff_file(str(path))
    assert isinstance(skip, Skipped)
    assert (skip.kind, skip.reason) == ("unsupported", "unsupported file type: image/png")


def test_a_missing_required_package_stops_discovery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.eml").write_bytes(eml())
    registry.unavailable.cache_clear()
    monkeypatch.setitem(sys.modules, "extract_msg", None)  # as if it were not installed
    try:
        with pytest.raises(MissingDependencyError, match="the msg source needs the Python "
                                                          "package 'extract-msg'"):
            list(discover([str(tmp_path)]))
    finally:
        registry.unavailable.cache_clear()


def test_a_missing_optional_package_is_reported_not_raised(
        monkeypatch: pytest.MonkeyPatch) -> None:
    registry.unavailable.cache_clear()
    monkeypatch.setitem(sys.modules, "pypff", None)
    try:
        missing = registry.unavailable()
    finally:
        registry.unavailable.cache_clear()
    assert [(kind, req.package, req.install_hint()) for kind, req in missing] == [
        (SourceType.PST, "libpff-python", "pip install 'tracecheck[pst]'")]


def test_a_scan_reads_every_type_through_the_registry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for kind, make in SAMPLES.items():
        (tmp_path / f"input.{kind}").write_bytes(make(monkeypatch))
    result = api.scan([str(tmp_path)])
    assert sorted((Path(s.path).name, s.type, s.messages) for s in result.sources) == [
        ("input.eml", "eml", 1), ("input.log", "log:postfix", 1), ("input.mbox", "mbox", 2),
        ("input.msg", "msg", 1), ("input.pst", "pst", 1), ("input.tar", "tar", 1),
        ("input.tnef", "tnef", 1), ("input.zip", "zip", 1)]
    assert result.skipped == ()


def test_the_cli_names_a_missing_package_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(eml())
    code = ("import sys; sys.modules['extract_msg'] = None\n"
            "from tracecheck.cli import main\n"
            f"sys.argv = ['tracecheck', 'scan', {str(tmp_path)!r}, '--format', 'json']\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    # at start-up, before anything is scanned: the first component that needs it says so
    assert done.stderr.startswith("tracecheck: error: the ")
    assert "needs the Python package 'extract-msg', which is not installed" in done.stderr
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
