"""The mbox splitter: exact bytes, offsets, hashes, quoting, junk and truncation."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import corpus
from tracecheck import api
from tracecheck.model import Note, NoteKind, RawMessage, Skipped
from tracecheck.sources.base import Detected, InputFile, SourceType
from tracecheck.sources.files import discover
from tracecheck.sources.mbox import (
    BOM,
    MboxSource,
    is_from_line,
    read_mbox,
    split_pieces,
    unquote_mboxrd,
)
from tracecheck.sources.shards import can_cut, plan_shards, whole

M1 = b"From: a@x.com\nSubject: one\n\nbody one\n\nFrom time to time we meet.\n"
M2 = b"From: b@x.com\nSubject: two\n\n>From the archive\n>>From deeper\n"
FILE = (
    b"From a@x.com Mon Jan 11 09:30:00 2021\n" + M1 + b"\n"
    b"From b@x.com Tue Jan 12 10:00:00 2021\n" + M2 + b"\n"
)


def read(data: bytes, chunk: int = 1 << 20) -> list[RawMessage | Skipped]:
    return list(read_mbox(io.BytesIO(data), "box.mbox"))


def test_splits_only_on_separator_lines_with_a_date() -> None:
    msgs = read(FILE)
    assert [type(m) for m in msgs] == [RawMessage, RawMessage]
    first, second = msgs
    assert isinstance(first, RawMessage) and isinstance(second, RawMessage)
    assert first.raw == M1  # "From time to time" after a blank line did not split
    assert second.raw == M2
    assert first.offset == 0
    assert second.offset == FILE.index(b"From b@x.com")
    assert str(second.locator) == f"box.mbox@{second.offset}"
    assert second.sha256 == hashlib.sha256(M2).hexdigest()


def test_stored_bytes_keep_mbox_quoting_and_reader_can_undo_it() -> None:
    second = read(FILE)[1]
    assert isinstance(second, RawMessage)
    assert b">From the archive" in second.raw
    assert unquote_mboxrd(second.raw).endswith(b"From the archive\n>From deeper\n")


def test_junk_before_first_message_is_listed_not_fatal() -> None:
    msgs = read(b"some junk line\n\n" + FILE)
    assert isinstance(msgs[0], Skipped) and msgs[0].kind == "junk"
    assert str(msgs[0].locator) == "box.mbox@0"
    assert sum(isinstance(m, RawMessage) for m in msgs) == 2


def test_headerless_chunk_between_messages_is_junk() -> None:
    data = FILE + b"From c@x.com Wed Jan 13 10:00:00 2021\n\x00\x01binary garbage\n\n" + FILE
    kinds = [m.kind if isinstance(m, Skipped) else "msg" for m in read(data)]
    assert kinds == ["msg", "msg", "junk", "msg", "msg"]


def test_truncated_last_message_is_listed() -> None:
    data = FILE + b"From c@x.com Wed Jan 13 10:00:00 2021\nSubject: cut off in the hea"
    msgs = read(data)
    assert isinstance(msgs[-1], Skipped) and msgs[-1].kind == "truncated"
    assert len(msgs) == 3


def test_crlf_and_tiny_chunks_give_the_same_split() -> None:
    crlf = FILE.replace(b"\n", b"\r\n")
    big = list(split_pieces(io.BytesIO(crlf)))
    tiny = list(split_pieces(io.BytesIO(crlf), chunk_size=3))
    assert [p.offset for p in big] == [p.offset for p in tiny]
    assert len(big) == 2


def test_from_line_check() -> None:
    assert is_from_line(b"From MAILER-DAEMON Sun Aug  7 11:40:37 2022 extra info\n")
    assert is_from_line(b"From - Sat Jan 01 00:00:00 2000\n")
    assert not is_from_line(b"From time to time\n")
    assert not is_from_line(b"From: a@b.com\n")


ALPHABET = [
    b"From ", b"From a@b Mon Jan 1 10:00:00 2020\n", b"\n", b"\r\n", b"x", b"Subject: s\n",
    b">From ", b"\x00", b"\xff",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=40), st.integers(min_value=1, max_value=64))
def test_split_then_join_gives_the_original_bytes(parts: list[bytes], chunk: int) -> None:
    data = b"".join(parts)
    pieces = list(split_pieces(io.BytesIO(data), chunk_size=chunk))
    assert b"".join(p.joined() for p in pieces) == data
    # The split does not depend on how the stream was chunked.
    assert [p.offset for p in pieces] == [
        p.offset for p in split_pieces(io.BytesIO(data))
    ]


# --- mbox as exporters write it: no date on the separator, a byte-order mark, Content-Length

MIMEKIT = {"content-length": 29, "issue1189": 4, "simple": 3, "unmunged": 3}
"""Messages in the four real MimeKit files: 29, 4 and 3 as MimeKit's own tests count them;
unmunged.mbox.txt holds two Thunderbird messages whose bodies say "From Russia with love", and
the second is followed by "Year: 1963", a header-shaped line, so the one separator rule splits
there too (MimeKit, which splits on every `From ` line after an empty line, counts 4)."""


@pytest.mark.parametrize(("name", "count"), sorted(MIMEKIT.items()))
def test_the_real_mimekit_files_are_read_whole(name: str, count: int) -> None:
    path = corpus("email-real", "mimekit-mbox", f"{name}.mbox.txt")
    result = api.scan([str(path)])
    assert result.messages_found == result.messages_scanned == count
    assert not result.skipped
    (source,) = result.sources
    assert source.type == ("mboxcl" if name == "content-length" else "mbox")


def _messages(data: bytes, *, content_length: bool = False) -> list[bytes]:
    out = read_mbox(io.BytesIO(data), "box.mbox", content_length=content_length)
    return [m.raw for m in out if isinstance(m, RawMessage)]


def test_separators_without_a_date_and_without_an_empty_line_before() -> None:
    data = (b"From - \nFrom: a@x.com\nSubject: one\n\nbody\n"
            b"From - \nFrom: b@x.com\nSubject: two\n\nbody two\n"
            b"From 1844347792267117879@xxx\nMIME-Version: 1.0\nFrom: c@x.com\n\nthree\n")
    assert [m.split(b"\n", 2)[1] for m in _messages(data)] == [
        b"Subject: one", b"Subject: two", b"From: c@x.com"]
    assert MboxSource().sniff(data, "box.txt") is not None  # detected by content, any name


def test_body_lines_that_are_not_separators() -> None:
    data = (b"From - \nFrom: a@x.com\n\nFrom Russia with love\n\nFrom here on\nno header\n"
            b"From  : obsolete header syntax is a field, not a separator\n")
    assert len(_messages(data)) == 1


def test_a_byte_order_mark_before_the_first_separator() -> None:
    data = BOM + b"From - \nFrom: a@x.com\n\none\n\nFrom - \nFrom: b@x.com\n\ntwo\n"
    out = list(read_mbox(io.BytesIO(data), "box.mbox"))
    assert [m.offset for m in out if isinstance(m, RawMessage)] == [3,
                                                                    data.index(b"From - \nFrom: b")]
    assert not [s for s in out if isinstance(s, Skipped)]  # the mark is not junk
    assert MboxSource().sniff(data, "box.mbox") is not None


CL_BODY = b"line one\nFrom the desk of the manager\nFrom: not a header\n"


def _mboxcl(length: int, gap: bytes = b"\n") -> bytes:
    return (b"From a@x.com Mon Jan 11 09:30:00 2021\nFrom: a@x.com\nContent-Length: "
            + str(length).encode() + b"\n\n" + CL_BODY + gap
            + b"From b@x.com Mon Jan 11 09:31:00 2021\nFrom: b@x.com\nContent-Length: 3\n\nend")


def test_content_length_keeps_unquoted_from_lines_in_the_body() -> None:
    data = _mboxcl(len(CL_BODY))
    assert MboxSource().sniff(data, "x") == Detected(SourceType.MBOX, container="mboxcl")
    first, second = _messages(data, content_length=True)
    assert first.endswith(CL_BODY) and second.endswith(b"end")
    assert b"".join(p.joined() for p in split_pieces(io.BytesIO(data), 7,
                                                     content_length=True)) == data


def test_a_content_length_that_does_not_fit_falls_back_to_separators_with_a_note() -> None:
    data = _mboxcl(len(CL_BODY) - 5)
    out = list(read_mbox(io.BytesIO(data), "box.mbox", content_length=True))
    assert len([m for m in out if isinstance(m, RawMessage)]) == 3  # the body's From line split
    (note,) = [n for n in out if isinstance(n, Note)]
    assert note.kind is NoteKind.SOURCE and "did not fit" in note.reason


def test_an_mboxcl_body_is_never_mboxrd_unquoted() -> None:
    body = b">From the archive\n"
    data = (b"From a@x.com Mon Jan 11 09:30:00 2021\nFrom: a@x.com\nContent-Length: "
            + str(len(body)).encode() + b"\n\n" + body)
    (msg,) = [m for m in read_mbox(io.BytesIO(data), "b", content_length=True)
              if isinstance(m, RawMessage)]
    assert msg.raw.endswith(body) and not msg.mbox_quoted


def test_mboxcl_files_are_never_cut_into_byte_ranges(tmp_path: Path) -> None:
    path = tmp_path / "cl.mbox"
    path.write_bytes(_mboxcl(len(CL_BODY)) * 50)
    (found,) = discover([str(path)])
    assert isinstance(found, InputFile) and found.container == "mboxcl"
    assert not can_cut(found)
    assert plan_shards([found], 64) == [whole(found)]


@pytest.mark.parametrize("size", [990, 1000, 1001, 1006, 1007, 1008, 5000, 100_000])
@pytest.mark.parametrize("ends", [b"\n", b"\r\n", b""])
def test_a_message_past_the_bound_streams_its_rest_and_the_split_is_unchanged(
        size: int, ends: bytes) -> None:
    """With a bound, a message longer than it comes as its first bytes and a stream of the
    rest: the same pieces, bytes and offsets as without, and no piece holds more than the
    bound and one read."""
    from tracecheck.sources.mbox import split_pieces

    body = (b"line of text From here\n" * (size // 23 + 1))[:size] + ends
    first = b"From a@b Mon Jan 11 09:30:00 2021\nSubject: one\n\n" + body
    data = first + b"\nFrom a@b Mon Jan 11 09:31:00 2021\nSubject: two\n\nhi\n"
    plain = [p.joined() for p in split_pieces(io.BytesIO(data), 64)]
    for chunk in (7, 64, 1000, 1 << 20):
        bounded = []
        streamed = False
        for piece in split_pieces(io.BytesIO(data), chunk, max_bytes=1000):
            assert len(piece.raw) <= 1000 + len(b"\nFrom ") + chunk
            streamed |= piece.rest is not None
            bounded.append(piece.joined())
        assert bounded == plain, chunk
        assert b"".join(bounded) == data
        assert streamed or size < 5000 or chunk >= 1000, chunk  # not vacuous
