"""Address parsing keeps every recipient either parser finds; dates go to UTC."""

from __future__ import annotations

import email

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracecheck.content.headers import (
    addresses,
    normalise_address,
    parse_address_field,
    parse_date,
)


def addrs(value: str) -> list[str]:
    return [a.addr for a in parse_address_field(value, "to", [])]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # An address as the display name of another names the mailbox; the angle address is
        # the recipient (policy.default and the regex would each keep the other one too).
        ("manager@tracecall.co.uk <sam.j@gmail.com>", ["sam.j@gmail.com"]),
        ('"jane@gmail.com" <jane@org.example>', ["jane@org.example"]),
        ('"a@gmail.com, b@org.uk" <c@org.uk>, d@hotmail.com', ["c@org.uk", "d@hotmail.com"]),
        # ...but an address that is also a recipient in its own right stays one.
        ('"x" <a@gmail.com>, a@gmail.com <b@org.uk>', ["a@gmail.com", "b@org.uk"]),
        ("=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <Jorg@GMAIL.COM>", ["jorg@gmail.com"]),
        ('"Smith, Jo" <jo@hotmail.co.uk>, alice@yahoo.co.uk,', ["jo@hotmail.co.uk",
                                                                "alice@yahoo.co.uk"]),
        ("Case team: a@tracecall.co.uk, b@gmail.com;", ["a@tracecall.co.uk", "b@gmail.com"]),
        ("undisclosed-recipients:;", []),
        ("x@y", []),
        ("bob@bücher.de", ["bob@xn--bcher-kva.de"]),
    ],
)
def test_address_fields(value: str, expected: list[str]) -> None:
    assert addrs(value) == expected


def test_rfc2047_display_name_is_decoded() -> None:
    [a] = parse_address_field("=?utf-8?q?J=C3=B6rg?= <j@gmail.com>", "to", [])
    assert a.name == "Jörg"


def test_raw_utf8_header_is_decoded_not_surrogate_escaped() -> None:
    msg = email.message_from_bytes(
        "To: Zoë Brontë <zoe@gmail.com>\nSubject: x\n\nbody\n".encode()
    )
    [a] = addresses(msg, ["to"], [])
    assert a.name == "Zoë Brontë" and a.addr == "zoe@gmail.com"


def test_disagreement_is_noted() -> None:
    notes: list[str] = []
    parse_address_field("Boss <boss@tracecall.co.uk> sam@gmail.com", "cc", notes)
    assert addrs("Boss <boss@tracecall.co.uk> sam@gmail.com") == [
        "boss@tracecall.co.uk", "sam@gmail.com"] or notes


def test_every_recipient_field_is_read() -> None:
    raw = (
        b"From: a@tracecall.co.uk\nTo: t@gmail.com\nCc: c@hotmail.com\nBcc: b@yahoo.com\n"
        b"Resent-To: r@icloud.com\nDelivered-To: d@outlook.com\nX-Original-To: x@aol.com\n\nx\n"
    )
    msg = email.message_from_bytes(raw)
    from tracecheck.content.headers import RECIPIENT_FIELDS

    got = {(a.field, a.addr) for a in addresses(msg, RECIPIENT_FIELDS, [])}
    assert got == {
        ("to", "t@gmail.com"), ("cc", "c@hotmail.com"), ("bcc", "b@yahoo.com"),
        ("resent-to", "r@icloud.com"), ("delivered-to", "d@outlook.com"),
        ("x-original-to", "x@aol.com"),
    }


@pytest.mark.parametrize(
    ("value", "expected", "noted"),
    [
        ("Mon, 11 Jan 2021 09:30:00 +0100", "2021-01-11T08:30:00Z", False),
        ("Mon, 11 Jan 2021 09:30:00 -0000", "2021-01-11T09:30:00Z", True),
        ("not a date", None, True),
        (None, None, False),
    ],
)
def test_dates_to_utc(value: str | None, expected: str | None, noted: bool) -> None:
    notes: list[str] = []
    assert parse_date(value, notes) == expected
    assert bool(notes) == noted


def test_normalise_address_rejects_non_addresses() -> None:
    assert normalise_address("<Jo@Example.COM>") == "jo@example.com"
    assert normalise_address("no-at-sign") is None
    assert normalise_address("a b@example.com") is None


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_address_parsing_never_raises(value: str) -> None:
    for a in parse_address_field(value, "to", []):
        assert "@" in a.addr


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_raw_header_bytes_never_raise(data: bytes) -> None:
    msg = email.message_from_bytes(b"To: " + data.replace(b"\n", b" ") + b"\n\nbody\n")
    addresses(msg, ["to"], [])


# Values on both sides of the plain-address shape: names with dots, quotes, apostrophes,
# hyphens, encoded words, several spaces, tabs and folds; local parts and domains with
# leading, trailing and doubled dots, odd characters, no dot, upper case, non-ASCII.
_WS = st.sampled_from(["", " ", "  ", "\t", "\r\n", "\r\n\t", "\n", " \r\n "])
_WORD = st.sampled_from(["Jo", "Smith", "Amy59", "J.", "O'Neil", "Ann-Marie", '"Jo"',
                         "=?utf-8?q?J=C3=B6rg?=", "Zo\u00eb", "x", "7", "(c)", "a@b", ""])
_LOCAL = st.sampled_from(["jo", "jo.smith", "JO.Smith", "a+b", "a%b", "a_b", "-a", "a.",
                          ".a", "a..b", "a b", "jo\u00eb", "", "a\"b", "a(b)"])
_DOMAIN = st.sampled_from(["x.com", "tracecall.co.uk", "GMAIL.COM", "localhost", "-x.com",
                           "x..com", "x.com.", "b\u00fccher.de", "x_y.com", "1.2", ""])


@st.composite
def _address_values(draw: st.DrawFn) -> str:
    addr = f"{draw(_LOCAL)}@{draw(_DOMAIN)}"
    if draw(st.booleans()):
        words = draw(st.lists(_WORD, max_size=3))
        gap = draw(st.sampled_from([" ", "  ", "\t", " \t"]))
        addr = f"{gap.join(words)}{draw(_WS)}<{addr}>"
    return f"{draw(_WS)}{addr}{draw(_WS)}{draw(st.sampled_from(['', '', ',', ' x']))}"


@settings(max_examples=3000, deadline=None)
@given(_address_values())
def test_a_plain_address_gives_what_both_parsers_give(value: str) -> None:
    from tracecheck.content.headers import _both_parsers

    fast_notes: list[str] = []
    slow_notes: list[str] = []
    assert parse_address_field(value, "to", fast_notes) == _both_parsers(value, "to",
                                                                         slow_notes)
    assert fast_notes == slow_notes


def test_plain_addresses_in_the_samples_and_corpora_give_what_both_parsers_give() -> None:
    from tests.conftest import SAMPLES, corpus, raw_messages
    from tracecheck.content.headers import (
        _PLAIN_ONE,
        RECIPIENT_FIELDS,
        SENDER_FIELDS,
        _both_parsers,
    )
    from tracecheck.content.mime import parse_headers

    plain = 0
    for raw in raw_messages(SAMPLES, corpus()):
        msg = parse_headers(raw)
        for name in (*SENDER_FIELDS, *RECIPIENT_FIELDS):
            for value in msg.get_all(name, []):
                for piece in (str(value), *str(value).split(",")):
                    plain += _PLAIN_ONE.fullmatch(piece) is not None
                    notes: list[str] = []
                    assert parse_address_field(piece, name, notes) == _both_parsers(
                        piece, name, []), piece
    assert plain > 100  # the fast path is taken, not a rarity


_DAY_NAMES = st.sampled_from(["", "Mon, ", "Sun, ", "Fri,", "mon, ", "Xyz, ", "Mon "])
_DATE_TAILS = st.sampled_from(["", " (UTC)", " GMT", "\r\n", " ", "\t", " x"])


@st.composite
def _dates(draw: st.DrawFn) -> str:
    day = draw(st.sampled_from(["1", "04", "28", "29", "30", "31", "0", "32", "004"]))
    month = draw(st.sampled_from(["Jan", "Feb", "Apr", "Dec", "jan", "Foo"]))
    year = draw(st.sampled_from(["2021", "1900", "1899", "2099", "2100", "21", "99", "2024",
                                "0999", "1000"]))
    hms = draw(st.sampled_from(["07:08:09", "00:00:00", "23:59:59", "24:00:00", "12:60:00",
                                "12:00:60", "7:08:09", "07:08"]))
    zone = draw(st.sampled_from(["+0000", "-0000", "+0530", "-1200", "+2359", "-2400",
                                 "+9959", "+0060", "GMT", "EST", "UT", "Z", "+00:00", ""]))
    gap = draw(st.sampled_from([" ", "  ", "\t"]))
    return (f"{draw(_DAY_NAMES)}{day}{gap}{month} {year} {hms}{gap}{zone}"
            f"{draw(_DATE_TAILS)}")


@settings(max_examples=3000, deadline=None)
@given(_dates())
def test_a_date_in_the_usual_form_gives_what_the_stdlib_parser_gives(value: str) -> None:
    from tracecheck.content.headers import _stdlib_date

    fast_notes: list[str] = []
    slow_notes: list[str] = []
    assert parse_date(value, fast_notes) == _stdlib_date(value, slow_notes), value
    assert fast_notes == slow_notes, value


def test_dates_of_the_samples_and_corpora_give_what_the_stdlib_parser_gives() -> None:
    from tests.conftest import SAMPLES, corpus, raw_messages
    from tracecheck.content.headers import _plain_date, _stdlib_date
    from tracecheck.content.mime import parse_headers

    plain = 0
    for raw in raw_messages(SAMPLES, corpus()):
        for value in parse_headers(raw).get_all("date", []):
            plain += _plain_date(str(value)) is not None
            assert parse_date(str(value), []) == _stdlib_date(str(value), []), value
    assert plain > 100


def test_an_address_in_a_display_name_is_noted_and_not_a_recipient() -> None:
    """Issue 16: `"jane@gmail.com" <jane@org.example>` made an internal message to-consumer."""
    from tracecheck.content.headers import parse_address_field

    notes: list[str] = []
    found = parse_address_field('"jane@gmail.com" <jane@org.example>', "to", notes)
    assert [a.addr for a in found] == ["jane@org.example"]
    assert notes == ["to: an address in a display name is not a recipient"]


# --- parsing never invents an address (issue 15, item 11) ------------------------------------


def test_atoms_around_a_comment_are_not_joined_into_a_phantom_recipient() -> None:
    # The stdlib drops the comment and joins `!a` and `0`: nobody wrote `!a0@gmail.com`.
    notes: list[str] = []
    found = [a.addr for a in parse_address_field("!a(x)0@gmail.com", "to", notes)]
    assert "!a0@gmail.com" not in found
    assert found == ["0@gmail.com"] and notes
    assert addrs("a(comment)@x.com") == ["a@x.com"]  # a comment beside the local part is CFWS
    assert addrs('"!a0"@gmail.com') == ["!a0@gmail.com"]  # a quoted local part, unquoted
    assert addrs("!a\t0@gmail.com") == ["0@gmail.com"]  # white space never inside an address
    # RFC 5322's obsolete form: white space around the dots of a domain (appendix A.6.3)
    assert addrs("jdoe@test   . example") == ["jdoe@test.example"]
    assert addrs("!a(c)@!a@gmail.com") == ["!a@gmail.com"]  # written, after a broken one


_PIECES = st.sampled_from([
    "!a", "0", "a", "Jo", "x.y", "(c)", "()", "(a b)", '"', '"q"', "<", ">", ",", ";", ":",
    "@", ".", "\\", " ", "  ", "\t", "\r\n ", "gmail.com", "x.com", "b\u00fccher.de",
    "stra\u00dfe.de", "=?utf-8?q?a=40b?=", "\u00fc", "[1.2]", "=1+1", "\x00", "\x1b",
])


@st.composite
def _broken_headers(draw: st.DrawFn) -> str:
    return "".join(draw(st.lists(_PIECES, min_size=1, max_size=14)))


def _written_whole(addr: str, value: str) -> bool:
    """The invariant, stated apart from the code: `addr` (`local@domain`) is written in the
    header as the parser reads it (raw 8-bit bytes decoded, control characters read as
    spaces, compared in lower case): its local part in one run, or its dot-separated atoms
    with only white space or comments around the dots (RFC 5322's obsolete form), optionally
    a closing quote, then `@` with only white space or comments around it, then a domain
    written the same way whose first atoms (or all of them), joined by dots, lower-cased,
    stripped of a trailing dot and IDNA-encoded, are `domain`. Atoms not joined by a dot are
    never one address."""
    import re

    from tracecheck.content.charset import header_text

    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", header_text(value)).lower()
    local, _, domain = addr.rpartition("@")
    around = r"(?:\s|\([^()]*\))*"
    dot = around + r"\." + around
    atom = r"[^\s<>(),;:\"'\[\]@\\.]+"
    for m in re.finditer("(?=" + dot.join(re.escape(a) for a in local.split(".")) + "[\"']?"
                         + around + "@" + around + f"({atom}(?:{dot}{atom})*))", text):
        atoms = re.split(dot, m[1])
        for n in range(1, len(atoms) + 1):
            written = ".".join(atoms[:n]).rstrip(".")
            try:
                if written.encode("idna").decode("ascii") == domain:
                    return True
            except UnicodeError:
                continue
    return False


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_broken_headers(), _address_values(), st.text(max_size=80)))
def test_parsing_never_yields_an_address_the_header_does_not_hold(value: str) -> None:
    from tracecheck.content.headers import field_addresses

    for a in parse_address_field(value, "to", []):
        assert _written_whole(a.addr, value), (value, a.addr)
    for a in field_addresses(value, "to")[0]:
        assert _written_whole(a.addr, value), (value, a.addr)
