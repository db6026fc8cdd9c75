"""The mbox splitter: exact bytes, offsets, hashes, quoting, junk and truncation."""

from __future__ import annotations

import hashlib
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from tracecheck.model import RawMessage, Skipped
from tracecheck.sources.mbox import is_from_line, read_mbox, split_pieces, unquote_mboxrd

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
