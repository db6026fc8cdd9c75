"""quick_parse builds the stdlib compat32 tree, or declines: never a different tree."""

from __future__ import annotations

import email.parser
import email.policy
from email.message import Message
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import mime_gen
from tests.conftest import corpus, raw_messages
from tracecheck.content.quickparse import quick_parse
from tracecheck.sources.mbox import read_mbox, unquote_mboxrd

ROOT = Path(__file__).resolve().parents[2]
_STDLIB = email.parser.BytesParser(policy=email.policy.compat32)


def tree(msg: Message) -> tuple[object, ...]:
    """Everything the feedparser sets on a message, recursively."""
    payload = msg._payload  # type: ignore[attr-defined]
    return (tuple(msg._headers), msg.get_unixfrom(), msg.preamble,  # type: ignore[attr-defined]
            msg.epilogue, tuple(type(d).__name__ for d in msg.defects), msg.get_default_type(),
            tuple(tree(p) for p in payload) if isinstance(payload, list) else payload)


def same_or_declined(raw: bytes) -> bool:
    """True when quick_parse built a tree (which must equal the stdlib's); False when it
    declined."""
    quick = quick_parse(raw)
    if quick is None:
        return False
    assert tree(quick) == tree(_STDLIB.parsebytes(raw)), raw[:400]
    return True


def _messages(folder: Path) -> list[bytes]:
    out: list[bytes] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name[0] != "."):
        if path.suffix == ".mbox" or path.name.endswith("mbox"):
            with path.open("rb") as f:
                out += [unquote_mboxrd(m.raw) if m.mbox_quoted else m.raw
                        for m in read_mbox(f, str(path)) if hasattr(m, "raw")]
        elif path.suffix in ("", ".eml") or path.parent.name in ("cur", "new"):
            out.append(path.read_bytes())
    return out


def test_samples_take_the_quick_path_with_the_stdlib_tree() -> None:
    raws = _messages(ROOT / "samples")
    quick = sum(same_or_declined(r) for r in raws)
    assert len(raws) > 150
    assert quick >= 0.9 * len(raws)  # the fast path is the common one, not a rarity


def test_every_shared_corpus_tree_equals_the_stdlib() -> None:
    raws = [unquote_mboxrd(m.raw) if m.mbox_quoted else m.raw for m in raw_messages(corpus())]
    quick = sum(same_or_declined(r) for r in raws)
    assert quick >= len(raws) // 2


@pytest.mark.parametrize("raw", [
    b"Subject: x\n\nbody\n",
    b"Subject: x\r\n\r\nbody\r\n",
    b"Subject: x\nContent-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n--b\n"
    b"Content-Type: text/html\n\n<p>two</p>\n--b--\nafter\n",
    b"Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\none\n--b--",
    b"Content-Type: multipart/mixed; boundary=\"a\"\n\n--a\nContent-Type: multipart/"
    b"alternative; boundary=aa\n\n--aa\n\nplain\n--aa--\n\n--a--\n",
    b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n"
    b"Subject: inner\n\ninner body\n--b--\n",
    b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n--b--\n",
])
def test_well_formed_shapes_are_built(raw: bytes) -> None:
    assert same_or_declined(raw)


@pytest.mark.parametrize("raw", [
    b" folded first\nSubject: x\n\nbody\n",                         # continuation first
    b"Subject: x\nnot a header\n\nbody\n",                           # missing separator
    b"Subject: x\rTo: y\n\nbody\n",                                  # bare CR
    b"Content-Type: multipart/mixed\n\n--b\n\nx\n--b--\n",           # no boundary
    b"Content-Type: multipart/mixed; boundary=b\n\nno parts\n",      # no first boundary
    b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n",      # no closing boundary
    b"Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\nx\n--b--\n",  # lines in a row
    b"Content-Type: message/delivery-status\n\nA: b\n\nC: d\n",
    b"Content-Type: multipart/digest; boundary=b\n\n--b\n\nSubject: s\n\nx\n--b--\n",
    b"Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: base64\n\n"
    b"--b\n\nx\n--b--\n",
    b"From someone\nSubject: x\n\nbody\n",
])
def test_what_the_feedparser_treats_specially_is_declined(raw: bytes) -> None:
    assert quick_parse(raw) is None
    _STDLIB.parsebytes(raw)  # and the stdlib still reads it


_ATOMS = ["Subject: s\n", "Content-Type: multipart/mixed; boundary=b\n",
          "Content-Type: multipart/alternative; boundary=\"b2\"\n",
          "Content-Type: multipart/related; boundary=b-\n", "Content-Type: text/plain\n",
          "Content-Type: message/rfc822\n", "Content-Transfer-Encoding: 7bit\n",
          "Content-Transfer-Encoding: base64\n", " folded\n", "\n", "\r\n", "\r", "--b\n",
          "--b--\n", "--b \n", "--b--", "--b2\n", "--b2--\n", "--b-\n", "--b---\n", "--bb\n",
          "text\n", "From x\n", "x: y\n", ":\n", "\xe9", "--b\r\n", "--b--\r\n"]


@settings(max_examples=400 if mime_gen.PROFILE == "slice" else mime_gen.EXAMPLES,
          deadline=None)  # as many as the differential tests in `make fuzz` and `fuzz-deep`
@given(st.lists(st.sampled_from(_ATOMS), max_size=40))
def test_generated_mime_is_built_exactly_or_declined(atoms: list[str]) -> None:
    same_or_declined("".join(atoms).encode("utf-8", "surrogateescape"))


@settings(max_examples=mime_gen.EXAMPLES, deadline=None, suppress_health_check=[])
@given(mime_gen.messages())
def test_generated_nested_mime_is_built_exactly_or_declined(data: bytes) -> None:
    same_or_declined(data)


def test_the_triage_split_gives_the_same_tree() -> None:
    from tracecheck.header_block import fast_headers

    used = 0
    for raw in _messages(ROOT / "samples"):
        head = fast_headers(raw)
        if head is None or quick_parse(raw) is None:
            continue
        used += 1
        built = quick_parse(raw, head)
        assert built is not None and tree(built) == tree(_STDLIB.parsebytes(raw))
    assert used > 150


_CT_PARTS = st.sampled_from([
    "multipart/mixed", "Multipart/Alternative", "multipart/x.y+z", "text/plain", "", " ",
    "\t", "\r\n\t", "\n ", ";", "; ", ";\r\n\t", "boundary=", "BOUNDARY=", "boundary*=",
    "boundary*0=", "b=", '"', "abc", "=_Part_1.2", "a b", "x\\y", "a;b", "''", "us-ascii'en'",
    "%41", "=?utf-8?q?x?=", "charset=utf-8", "\u00e9", "(c)", "name", "*",
])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_CT_PARTS, max_size=10).map("".join))
def test_a_plain_boundary_is_the_stdlib_boundary(value: str) -> None:
    """The boundary read straight from a plain Content-Type equals the stdlib's."""
    _same_boundary(value)


def _same_boundary(value: str) -> None:
    """Equal to the stdlib's; where the stdlib raises, quick_parse declines (`_Unusual`)."""
    from tracecheck.content.quickparse import _boundary, _Unusual

    msg = Message()
    msg._headers = [("Content-Type", value)]  # type: ignore[attr-defined]
    try:
        expected = msg.get_boundary()
    except Exception:  # noqa: BLE001  (the stdlib raising on hostile parameters)
        with pytest.raises(_Unusual):
            _boundary(msg)
        return
    assert _boundary(msg) == expected, value


def test_the_plain_boundary_shapes_are_read_directly() -> None:
    from tracecheck.content.quickparse import _PLAIN_BOUNDARY

    for value in ('multipart/mixed; boundary="===============1234=="',
                  "multipart/alternative;\r\n\tboundary=b1_x.y", "Multipart/Related; "
                  "BOUNDARY=\"a'b(c)+d,e/f:g=h?i\""):
        assert _PLAIN_BOUNDARY.fullmatch(value), value
        _same_boundary(value)
