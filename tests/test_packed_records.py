"""Packed sequences behave like the tuples they stand for, and stay small."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracecheck.model import Finding, Flow, Locator, Severity
from tracecheck.packed_records import BLOCK, Packed, Packer


def _finding(i: int) -> Finding:
    return Finding(
        fingerprint=f"{i:064x}", message_id=f"<m{i // 3}@tracecall.co.uk>", source="box.mbox",
        at=Locator("box.mbox", offset=i // 3 * 1000), part="1", where="body",
        date="2021-01-05T10:42:47Z", sender="a@tracecall.co.uk",
        recipients=("a@tracecall.co.uk", "b@gmail.com"), flow=Flow.TO_CONSUMER,
        consumer_addresses=("b@gmail.com",), rule="nhs-number", category="identifier",
        severity=Severity.HIGH, evidence=f"NHS number [943 *** ****] case {i} \ud800",
        value=f"{9434765919 + i}", confidence=0.95, message_sha256="ab" * 32, pack="uk-health",
        quoted=i % 7 == 0,
    )


@given(st.lists(st.integers(), max_size=3 * BLOCK + 5))
def test_a_packed_sequence_is_the_tuple_it_was_made_from(items: list[int]) -> None:
    p = Packed(items)
    t = tuple(items)
    assert len(p) == len(t) and tuple(p) == t and p == t and t == p
    assert bool(p) == bool(t)
    for i in (0, 1, BLOCK - 1, BLOCK, len(t) - 1, -1, -len(t)):
        if -len(t) <= i < len(t):
            assert p[i] == t[i]
    assert p[3:BLOCK + 9:2] == t[3:BLOCK + 9:2]
    assert pickle.loads(pickle.dumps(p)) == p
    with pytest.raises(IndexError):
        p[len(t)]


@given(st.lists(st.lists(st.integers(), max_size=2 * BLOCK), max_size=6),
       st.sets(st.integers(min_value=0, max_value=6 * BLOCK)))
def test_joining_and_removing_keep_order(parts: list[list[int]], gone: set[int]) -> None:
    packer: Packer[int] = Packer()
    for part in parts:
        packer.add_packed(Packed(part))
    joined = packer.done()
    flat = [x for part in parts for x in part]
    assert tuple(joined) == tuple(flat) and len(joined) == len(flat)
    assert joined[len(flat) // 2:] == tuple(flat[len(flat) // 2:])
    gone = {i for i in gone if i < len(flat)}
    kept = joined.without(gone)
    want = [x for i, x in enumerate(flat) if i not in gone]
    assert list(kept) == want and len(kept) == len(want)
    assert [kept[i] for i in range(len(want))] == want
    again = kept.without(range(0, len(want), 3))  # positions in `kept`, not in `joined`
    assert list(again) == [x for i, x in enumerate(want) if i % 3]
    packer = Packer()
    packer.add_packed(again)
    assert tuple(packer.done()) == tuple(again)


def test_findings_are_kept_exactly_and_in_a_fraction_of_their_object_size() -> None:
    findings = [_finding(i) for i in range(2000)]
    p = Packed(findings)
    assert list(p) == findings and p[1234] == findings[1234]
    assert p.packed_bytes < 300 * len(findings)  # about 1 KB each as objects
    assert p != tuple(findings[:-1]) and p != findings  # a list is not a tuple
