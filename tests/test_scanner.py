"""The scanner's fast triage path gives exactly what the stdlib header parse gives."""

from __future__ import annotations

import dataclasses
import email
import email.parser
import email.policy
import io
from email.message import Message
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES, corpus, eml, mbox_of, raw_messages
from tracecheck.content.headers import received_hops
from tracecheck.content.mime import header_fields as triage_headers
from tracecheck.content.mime import message_info, parse_full, parse_headers
from tracecheck.header_block import fast_headers
from tracecheck.model import Locator, RawMessage
from tracecheck.sources.files import InputFile, read_messages


def _stdlib_items(data: bytes) -> list[tuple[str, str]]:
    head = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        data, headersonly=True)
    assert not head.defects
    return list(head.raw_items())


def _check(raw: RawMessage) -> bool:
    """Triage facts equal message_info's; returns whether the fast split was used."""
    assert message_info(raw, cast(Message, triage_headers(raw))) == message_info(
        raw, parse_headers(raw))
    full = parse_full(raw)
    assert dataclasses.replace(message_info(raw, full), hops=received_hops(full)) == \
        message_info(raw, full, hops=True)
    fast = fast_headers(raw.raw)
    if fast is not None:
        assert list(fast.raw_items()) == _stdlib_items(raw.raw)
    return fast is not None


def test_triage_facts_equal_message_info_on_the_samples() -> None:
    used = [_check(raw) for raw in raw_messages(SAMPLES)]
    assert len(used) >= 60
    assert any(used) and not all(used)  # both the fast split and the stdlib fallback ran


def test_triage_facts_equal_message_info_on_real_messy_mail() -> None:
    used = [_check(raw) for raw in raw_messages(corpus("email-real"))]
    assert len(used) >= 100


def test_recipient_lists_in_new_orders_give_the_same_addresses() -> None:
    lists = [
        "a@x.com, Bob Smith <bob@gmail.com>, c.d@tracecall.co.uk",
        "c.d@tracecall.co.uk, a@x.com",
        "a@x.com,\n\tBob Smith <bob@gmail.com>",
        "J. O'Neil <j@x.com>, a@x.com, a@x.com",
        '"Smith, Bob" <bob@gmail.com>, a@x.com',  # quoted comma: whole-list parse
        "a@x.com, , b@y.com,",  # empty members: whole-list parse
        "undisclosed-recipients:;, a@x.com",
    ]
    for i, to in enumerate(lists):
        data = eml(to=to, msgid=f"<m{i}@x>")
        raw = RawMessage(source="t", locator=Locator(f"t{i}"), raw=data, sha256="0")
        assert _check(raw)


def test_unusual_header_sections_go_to_the_stdlib_parser() -> None:
    cases = [
        b"From: a@x.com\nTo: b@gmail.com\n",  # no blank line before the body
        b" folded: first\nTo: b@gmail.com\n\nbody\n",  # starts with a continuation
        b"From: a@x.com\nTo: \xc3\xa9 <b@gmail.com>\n\nbody\n",  # raw UTF-8
        b"From: a@x.com\rTo: b@gmail.com\n\nbody\n",  # a bare CR ends a line
        b"From: a@x.com\nNot a header line\nTo: b@gmail.com\n\nbody\n",
        b"From a@x.com Mon Jan 11 09:30:00 2021\nFrom: a@x.com\n\nbody\n",
        b":empty name\nTo: b@gmail.com\n\nbody\n",
    ]
    for i, data in enumerate(cases):
        assert fast_headers(data) is None, data
        raw = RawMessage(source="t", locator=Locator(f"t{i}"), raw=data, sha256="0")
        assert message_info(raw, cast(Message, triage_headers(raw))) == message_info(
        raw, parse_headers(raw))


_NAMES = st.sampled_from(["From", "To", "Cc", "cc", "Subject", "Date", "Message-ID",
                          "X-Odd!~", "Delivered-To", "Sender", "Received"])
_VALUES = st.text(alphabet=st.sampled_from(list("ab@x.com<> ,;:\"()=?\\\t\x0b\x0c")),
                  max_size=40)
_FOLDS = st.lists(st.text(alphabet=st.sampled_from(list("ab@y.org, ")), max_size=20),
                  max_size=2)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAMES, st.sampled_from([":", ": ", ":\t", " :"]), _VALUES,
                          _FOLDS), min_size=1, max_size=8),
       st.sampled_from(["\n", "\r\n"]))
def test_fast_split_equals_the_stdlib_split(
    fields: list[tuple[str, str, str, list[str]]], eol: str
) -> None:
    lines = []
    for name, colon, value, folds in fields:
        lines.append(f"{name}{colon}{value}{eol}")
        lines.extend(f"\t{f}{eol}" for f in folds)
    data = ("".join(lines) + eol + "body" + eol).encode("ascii")
    fast = fast_headers(data)
    if fast is not None:
        assert list(fast.raw_items()) == _stdlib_items(data)
    raw = RawMessage(source="t", locator=Locator("t"), raw=data, sha256="0")
    assert message_info(raw, cast(Message, triage_headers(raw))) == message_info(
        raw, parse_headers(raw))


_LINES = st.sampled_from(["To: a@x.com\n", "X-Odd!~:v\n", "Subject:\n", "\tfold\n",
                          " fold\n", "From a@x.com Mon\n", "no colon here\n", ":empty\n",
                          "A :b\n", "\n", "Date: d\r\n", "B:\x00\n", "C: \u00e9\n"])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_LINES, max_size=10).map("".join))
def test_the_one_pass_field_split_declines_exactly_where_the_block_check_does(
        block: str) -> None:
    """`split_fields` tiles the block with the fields it finds instead of checking the block
    first: the same blocks are declined, and the pairs are the ones found line by line."""
    import re

    from tracecheck.header_block import is_field_block, split_fields

    field = re.compile(r"^([\x21-\x39\x3b-\x7e]+):[ \t]*([^\n]*\n(?:[ \t][^\n]*\n)*)",
                       re.MULTILINE)
    expected = ([(m[1], m[2].rstrip("\r\n")) for m in field.finditer(block)]
                if is_field_block(block) else None)
    assert split_fields(block) == expected


def test_mbox_of_plain_messages_uses_the_fast_split() -> None:
    data = mbox_of(eml(), eml(to="x@y.com, z@gmail.com", msgid="<m2@x>"))
    inp = InputFile(path="box.mbox", kind="mbox")
    msgs = [m for m in read_messages(inp, io.BytesIO(data)) if isinstance(m, RawMessage)]
    assert len(msgs) == 2 and all(_check(m) for m in msgs)




@pytest.mark.parametrize("data", [b"A: b\n\nbody\n", b"A: b\r\n\r\nbody\r\n",
                                  b"A: b\n\r\n\nbody\n", b"A: b\n\n\r\nbody\n",
                                  b"A: b\n c\n\r\nbody\n\nmore\n"])
def test_fast_split_finds_where_the_body_starts(data: bytes) -> None:
    fast = fast_headers(data)
    assert fast is not None
    stdlib = email.message_from_bytes(data, policy=email.policy.compat32)
    assert data[fast.body_start:].decode() == stdlib.get_payload()
    assert list(fast.raw_items()) == _stdlib_items(data)
