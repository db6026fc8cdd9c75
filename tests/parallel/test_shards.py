"""Byte-range shards of mbox files: cuts only at message boundaries, ranges read exactly."""

from __future__ import annotations

import gzip
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import eml
from tracecheck import api
from tracecheck.merge import join as join_ranges
from tracecheck.model import RawMessage, Skipped
from tracecheck.scanner import scan_shard
from tracecheck.sources.files import InputFile, open_evidence
from tracecheck.sources.mbox import read_mbox
from tracecheck.sources.shards import (
    RangeReader,
    Shard,
    plan_shards,
    read_range,
)

SEPARATORS = [b"From a@x.com Mon Jan 11 09:30:00 2021\n",
              b"From b@y.org  Tue Jan 12 10:00:00 2021\r\n",
              b"From 12345@xxx Wed Jan 13 08:00:00 +0000 2021\n",
              b"From - \n", b"From 1844347792267117879@xxx\n"]  # no date: a header must follow
BODY_LINES = [b"hello\n", b"\n", b"From time to time we meet.\n", b">From the archive\n",
              b"From here on\n", b"From someone Mon Jan 11 09:30:00 2021\n", b"\r\n",
              b"NHS 943 476 5919\n", b"From: not a header in a body\n", b"Year: 1963\n",
              b"From Russia with love\n", b"From  : obsolete header syntax\n"]


def _mbox(draw_msgs: list[tuple[int, list[int], bool]], junk: bool) -> bytes:
    out = [b"junk before the first message\n\n"] if junk else []
    for sep, lines, crlf in draw_msgs:
        head = eml(msgid=f"<m{len(out)}@x>").split(b"\n\n", 1)[0] + b"\n\n"
        if crlf:
            head = head.replace(b"\n", b"\r\n")
        out.append(SEPARATORS[sep] + head + b"".join(BODY_LINES[i] for i in lines) + b"\n")
    return b"".join(out)


def _whole(path: Path) -> list[RawMessage | Skipped]:
    with open_evidence(str(path)) as f:
        return list(read_mbox(f, str(path)))


def _ranged(path: Path, shards: list[Shard]) -> list[RawMessage | Skipped]:
    out: list[RawMessage | Skipped] = []
    for shard in shards:
        with open_evidence(str(path)) as f:
            out.extend(read_range(RangeReader(f, shard.start, shard.end), str(path), shard.start))
    return out


_MESSAGES = st.lists(
    st.tuples(st.integers(0, len(SEPARATORS) - 1),
              st.lists(st.integers(0, len(BODY_LINES) - 1), max_size=8), st.booleans()),
    min_size=1, max_size=12)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_MESSAGES, st.booleans(), st.integers(1, 400))
def test_cuts_fall_on_message_starts_and_ranges_reproduce_the_whole_read(
    tmp_path: Path, msgs: list[tuple[int, list[int], bool]], junk: bool, target: int
) -> None:
    path = tmp_path / "box.mbox"
    data = _mbox(msgs, junk)
    path.write_bytes(data)
    inp = InputFile(path=str(path), kind="mbox", size=len(data))
    whole = _whole(path)
    shards = plan_shards([inp], target)
    starts = {m.offset for m in whole if isinstance(m, RawMessage)}
    starts |= {s.locator.offset for s in whole if isinstance(s, Skipped)}
    for shard in shards[1:]:
        assert shard.start in starts  # never inside a message
    assert [s.start for s in shards] == sorted({s.start for s in shards})
    assert _ranged(path, shards) == whole  # same messages, offsets, locators, hashes


def test_a_big_mbox_is_cut_into_several_ranges_that_cover_it(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    data = _mbox([(i % 3, [0, 1, 2, 1, 5, 7], i % 2 == 0) for i in range(200)], junk=False)
    path.write_bytes(data)
    inp = InputFile(path=str(path), kind="mbox", size=len(data))
    shards = plan_shards([inp], 4096)
    assert len(shards) > 5
    assert shards[0].start == 0 and shards[-1].end is None
    for a, b in zip(shards, shards[1:], strict=False):
        assert a.end == b.start
    assert shards[-1].key == f"{path}@{shards[-1].start}-{len(data)}"
    assert [s.order for s in shards] == sorted(s.order for s in shards)


def test_joined_range_results_equal_the_whole_file_result(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    data = _mbox([(i % 3, [7, 1, 2, 0], False) for i in range(60)], junk=True)
    path.write_bytes(data)
    found = InputFile(path=str(path), kind="mbox", size=len(data))
    cfg = api.ScanConfig(pack_paths=tuple(p.path for p in api.resolve_packs(())))
    whole = scan_shard(found, cfg)
    parts = [scan_shard(s, cfg) for s in plan_shards([found], 1500)]
    assert len(parts) > 3
    assert parts[1].source is not None and parts[1].source.sha256 == ""  # only range 0 hashes
    joined = join_ranges(list(reversed(parts)))  # arrival order does not matter
    assert joined == whole
    assert joined.source is not None and joined.source.bytes == len(data)
    assert whole.matches  # the file really has findings to compare


def test_compressed_and_small_files_are_never_cut(tmp_path: Path) -> None:
    data = _mbox([(0, [0, 1, 0], False) for _ in range(50)], junk=False)
    gz = tmp_path / "box.mbox.gz"
    gz.write_bytes(gzip.compress(data))
    plain = tmp_path / "small.mbox"
    plain.write_bytes(data)
    inputs = [InputFile(path=str(gz), kind="mbox", gz=True, size=gz.stat().st_size),
              InputFile(path=str(plain), kind="mbox", size=len(data), order=1)]
    shards = plan_shards(inputs, 100_000_000)
    assert [s.ranged for s in shards] == [False, False]
    assert [s.key for s in shards] == [str(gz), str(plain)]
    assert not plan_shards(inputs[:1], 10)[0].ranged  # gzip cannot be seeked into


def test_a_message_larger_than_the_target_stays_whole(tmp_path: Path) -> None:
    big = eml(body="x" * 50_000)
    data = (SEPARATORS[0] + eml() + b"\n" + SEPARATORS[0] + big + b"\n"
            + SEPARATORS[0] + eml() + b"\n")
    path = tmp_path / "box.mbox"
    path.write_bytes(data)
    inp = InputFile(path=str(path), kind="mbox", size=len(data))
    shards = plan_shards([inp], 1000)
    whole = _whole(path)
    assert len(whole) == 3
    offsets = [m.offset for m in whole if isinstance(m, RawMessage)]
    # the first cut after byte 1000 is the third message: the big one is never split
    assert [s.start for s in shards] == [0, offsets[2]]
    assert _ranged(path, shards) == whole


def test_range_reader_stops_at_the_range_end(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    with open_evidence(str(path)) as f:
        r = RangeReader(f, 3, 7)
        assert r.read(2) == b"34" and r.read(100) == b"56" and r.read(5) == b""
        assert r.count == 4
