"""Header fields → addresses, dates, Message-ID, Received hops; tolerant and auditable.

Owns address parsing. Two independent parses run on every address field: the stdlib
`getaddresses` (compat32, non-strict where the Python build has the flag) and a plain regex
over the raw text. Every address either one finds is kept, and a disagreement is noted,
because each parser alone loses real recipients on some inputs (`x@y <z@w>`, trailing commas,
broken groups). Raw 8-bit header bytes are decoded as UTF-8 (RFC 6532) before parsing.
Parsing never invents an address: every address it gives is written in the value
(`written_in`); the stdlib's joining of atoms around a comment (`!a(x)0@gmail.com` read as
`!a0@gmail.com`) is dropped and noted. Never raises on any header value.
"""

from __future__ import annotations

import email.utils
import functools
import inspect
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import regex

from tracecheck.content.charset import header_text
from tracecheck.header_block import HeaderFields
from tracecheck.model import Address, Hop

SENDER_FIELDS = ("from", "sender")
RECIPIENT_FIELDS = (
    "to",
    "cc",
    "bcc",
    "resent-to",
    "resent-cc",
    "resent-bcc",
    "delivered-to",
    "x-original-to",
)
_ADDR_TOKEN = regex.compile(r"[^\s<>(),;:\"'\[\]@\\]+@[^\s<>(),;:\"'\[\]@\\]+")
_CONTROL = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DOMAIN_OK = regex.compile(r"^(?:[\w-]{1,63}\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})$")


@functools.cache
def _getaddresses_kwargs() -> dict[str, bool]:
    try:
        if "strict" in inspect.signature(email.utils.getaddresses).parameters:
            return {"strict": False}
    except (TypeError, ValueError):  # pragma: no cover
        pass
    return {}


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; return the input unchanged when it cannot be decoded."""
    value = header_text(value)
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # stdlib email.header on malformed encoded words: keep the raw text
        return value


def normalise_address(text: str) -> str | None:
    """`local@domain` lower-cased with an IDNA (punycode) domain, or None if not an address."""
    text = text.strip().strip("<>\"' \t\r\n.,;:").strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return None
    local = local.strip().strip("<\"'")
    if not local or any(ch.isspace() for ch in local):
        return None
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        return None
    return f"{local.lower()}@{ascii_domain}"


def _ascii_domain(text: str) -> str | None:
    """A domain as addresses are compared: lower case, IDNA (punycode), no trailing dot;
    None when it is not a domain name."""
    domain = text.strip().rstrip(".").lower()
    if not domain:
        return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    return ascii_domain if _DOMAIN_OK.match(ascii_domain) else None


_ADDR = r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PLAIN_ONE = re.compile(rf"[ \t\r\n]*(?:([A-Za-z0-9]+(?:[ \t]+[A-Za-z0-9]+)*)[ \t]*<({_ADDR})>"
                        rf"|({_ADDR}))[ \t\r\n]*")
"""One plain address, bare or after a display name of plain words: both parsers read it as
this address with this name (the words joined by single spaces), and nothing else."""


def parse_address_field(
    value: str, field: str, notes: list[str] | None = None
) -> list[Address]:
    """All addresses in one header value; the union of the stdlib and regex parses. A value
    that is one plain address (`_PLAIN_ONE`) gives what both parsers give for it without
    running them (tests hold the two equal on generated and real values)."""
    plain = _PLAIN_ONE.fullmatch(value)
    if plain is not None:
        norm = normalise_address(plain[2] or plain[3])
        name = " ".join(plain[1].split()) if plain[1] else ""
        return [Address(addr=norm, name=name, field=field)] if norm else []
    return _both_parsers(value, field, notes)


def _both_parsers(value: str, field: str, notes: list[str] | None) -> list[Address]:
    """`parse_address_field` by running both parsers."""
    # Control characters (NUL and friends) never belong to an address: treat them as spaces.
    text = _CONTROL.sub(" ", header_text(value))
    std: dict[str, str] = {}
    try:
        for name, addr in email.utils.getaddresses([text], **_getaddresses_kwargs()):
            norm = normalise_address(addr)
            if norm and norm not in std:
                std[norm] = decode_words(name).strip()
    except Exception:  # stdlib email.utils.getaddresses raising: one reason for the regex parse
        if notes is not None:
            notes.append(f"{field}: stdlib address parser failed")
    found: dict[str, str] = {}
    for token in _ADDR_TOKEN.findall(text):
        norm = normalise_address(token)
        if norm and norm not in found:
            found[norm] = ""
    # The regex's tokens are written whole by construction; an address only the stdlib
    # found is kept only when it is too (it joins the atoms around a comment).
    lowered = text.lower()
    invented = [a for a in std if a not in found and not written_in(a, lowered)]
    for a in invented:
        del std[a]
    # An address written as the display name of another (`"jane@gmail.com" <jane@org.uk>`,
    # quoted or not) names the mailbox; it is not one. The angle address is the recipient.
    shown = _display_name_addresses(text)
    if shown:
        if notes is not None:
            notes.append(f"{field}: an address in a display name is not a recipient")
        std = {a: n for a, n in std.items() if a not in shown}
        found = {a: n for a, n in found.items() if a not in shown}
    extra = [a for a in found if a not in std]
    missing = [a for a in std if a not in found]
    if notes is not None and (extra or missing or invented):
        notes.append(f"{field}: address parsers disagree; kept {len(std) + len(extra)} addresses")
    out = [Address(addr=a, name=n, field=field) for a, n in std.items()]
    out.extend(Address(addr=a, name="", field=field) for a in extra)
    return out


_NAMED = regex.compile(r'(?:^|[,;])\s*("[^"]*"|[^"<>,;]*)\s*<([^<>]*)>')


def _display_name_addresses(text: str) -> set[str]:
    """Addresses that occur only in the display name before an angle address (`name <addr>`),
    never as an angle address or a bare list member themselves."""
    shown: set[str] = set()
    angle: set[str] = set()
    for phrase, inner in _NAMED.findall(text):
        if (norm := normalise_address(inner)) is not None:
            angle.add(norm)
        if "@" in phrase:
            shown.update(n for t in _ADDR_TOKEN.findall(phrase)
                         if (n := normalise_address(t)) is not None)
    return shown - angle


_CFWS = r"(?:\s|\([^()]*\))*"
"""Folding white space and (unnested) comments: what may stand around `@` and `.`."""
_ATOM = r"[^\s<>(),;:\"'\[\]@\\.]+"
_DOT = _CFWS + r"\." + _CFWS
_DOMAIN_AS_WRITTEN = rf"({_ATOM}(?:{_DOT}{_ATOM})*)"


def written_in(addr: str, text: str) -> bool:
    """True when the normalised `addr` is written in `text` (lower-cased): its local part in
    one run, or as the dot-separated atoms RFC 5322's obsolete syntax lets white space and
    comments stand between (`a . b`), a closing quote if it was quoted, `@` with white space
    or comments around it, and a domain written the same way (its first atoms, or all of
    them) that normalises to its domain (IDNA). False for an address assembled from atoms
    no dot joins (`!a(x)0@gmail.com`, read as `!a0@gmail.com`), which no sender wrote."""
    local, _, domain = addr.rpartition("@")
    # in a lookahead, so that matches may overlap (`!a(c)@!a@gmail.com`)
    pattern = ("(?=" + _DOT.join(re.escape(atom) for atom in local.split(".")) + "[\"']?"
               + _CFWS + "@" + _CFWS + _DOMAIN_AS_WRITTEN + ")")
    for m in re.finditer(pattern, text):
        atoms = re.split(_DOT, m[1])
        if any(_ascii_domain(".".join(atoms[:n])) == domain for n in range(1, len(atoms) + 1)):
            return True
    return False


_SIMPLE_ADDRESS = regex.compile(
    r"\s*(?:[A-Za-z0-9][A-Za-z0-9 .'-]*<[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+>"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+)\s*")


@functools.lru_cache(maxsize=32768)
def _parse_cached(value: str, field: str) -> tuple[tuple[Address, ...], tuple[str, ...]]:
    notes: list[str] = []
    return tuple(parse_address_field(value, field, notes)), tuple(notes)


@functools.lru_cache(maxsize=16384)
def field_addresses(value: str, field: str) -> tuple[tuple[Address, ...], tuple[str, ...]]:
    """`parse_address_field(value, field)` as (addresses, notes), cached. A list of plain
    addresses (`a@x, Name <b@y>`: no quotes, comments, groups or encoded words) is parsed one
    address at a time, so a recipient list in a new order or combination costs only cache
    look-ups; the whole-list parse is used whenever any piece is not plain."""
    if "," in value and len(value) < 4096:
        pieces = value.split(",")
        if all(_SIMPLE_ADDRESS.fullmatch(p) for p in pieces):
            out: dict[str, Address] = {}
            for piece in pieces:
                found, notes = _parse_cached(piece, field)
                if len(found) != 1 or notes:
                    return _parse_cached(value, field)
                out.setdefault(found[0].addr, found[0])
            return tuple(out.values()), ()
    return _parse_cached(value, field)


def raw_values(msg: HeaderFields, name: str) -> list[str]:
    """Every value of header `name`, unmodified (compat32 would wrap 8-bit values in a
    `Header` whose str() replaces the bytes; the raw items keep them surrogate-escaped).
    Works on any object with `raw_items()`; one with `field_values(name)` (the scanner's fast
    header split) answers directly."""
    direct = getattr(msg, "field_values", None)
    if direct is not None:
        return list(direct(name.lower()))
    name = name.lower()
    out = []
    for key, value in msg.raw_items():
        if key.lower() == name:
            out.append(value if isinstance(value, str) else str(value))
    return out


def _read_values(msg: HeaderFields, name: str) -> Sequence[str]:
    """`raw_values` for reading only: the fast split's own list, not a copy."""
    direct = getattr(msg, "field_values", None)
    return direct(name.lower()) if direct is not None else raw_values(msg, name)


def first_value(msg: HeaderFields, name: str) -> str | None:
    """The first raw value of header `name`, or None."""
    values = _read_values(msg, name)
    return values[0] if values else None


def addresses(msg: HeaderFields, fields: Iterable[str], notes: list[str]
              ) -> tuple[Address, ...]:
    """Addresses from every occurrence of each named field, de-duplicated per field."""
    return addresses_in(((f, v) for f in fields for v in _read_values(msg, f)), notes)


def addresses_in(values: Iterable[tuple[str, str]], notes: list[str]) -> tuple[Address, ...]:
    """Addresses from (field, raw value) pairs in order, de-duplicated per field: the one
    rule `addresses` applies to a message's fields (and triage to the raw From values)."""
    out: list[Address] = []
    seen: set[tuple[str, str]] = set()
    for field, value in values:
        found, found_notes = field_addresses(value, field)
        notes.extend(found_notes)
        for a in found:
            if (a.addr, field) not in seen:
                seen.add((a.addr, field))
                out.append(a)
    return tuple(out)


_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_PLAIN_DATE = re.compile(
    r"[ \t]*(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),[ \t]+)?(\d{1,2})[ \t]+"
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[ \t]+(19\d\d|20\d\d)[ \t]+"
    r"([01]\d|2[0-3]):([0-5]\d):([0-5]\d)[ \t]+([+-])([01]\d|2[0-3])([0-5]\d)[ \t]*")
"""The usual date form (`Mon, 04 Jan 2021 07:08:09 +0000`): a real time and a numeric zone
other than `-0000` (which the stdlib reads as no zone), in 1900-2099."""


def _plain_date(value: str) -> str | None:
    """`parse_date` of a value in the usual form, without the stdlib's general parser (the
    same string: tested); None when the value is not in that form or not a real day."""
    m = _PLAIN_DATE.fullmatch(value)
    if m is None or (m[7] == "-" and m[8] == "00" and m[9] == "00"):
        return None
    try:
        local = datetime(int(m[3]), _MONTHS[m[2]], int(m[1]), int(m[4]), int(m[5]), int(m[6]))
    except ValueError:  # no such day (31 Feb): the stdlib path says so
        return None
    offset = timedelta(hours=int(m[8]), minutes=int(m[9]))
    utc = local - offset if m[7] == "+" else local + offset
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
            f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z")


def parse_date(value: str | None, notes: list[str]) -> str | None:
    """RFC 5322 date → `YYYY-MM-DDTHH:MM:SSZ` in UTC; None (and a note) if unusable."""
    if not value:
        return None
    plain = _plain_date(value) if isinstance(value, str) else None
    return plain if plain is not None else _stdlib_date(value, notes)


def _stdlib_date(value: str, notes: list[str]) -> str | None:
    """`parse_date` by the stdlib's general date parser."""
    try:
        dt = email.utils.parsedate_to_datetime(header_text(str(value)).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        notes.append("date: unparseable")
        return None
    if dt.tzinfo is None:
        notes.append("date: no time zone; taken as UTC")
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):
        notes.append("date: out of range")
        return None


def message_id(msg: HeaderFields) -> str:
    """Message-ID as written (surrounding white space removed)."""
    value = first_value(msg, "message-id")
    return header_text(value).strip() if value is not None else ""


def subject(msg: HeaderFields) -> str:
    """Decoded Subject (RFC 2047 and raw UTF-8)."""
    value = first_value(msg, "subject")
    return " ".join(decode_words(value).split()) if value is not None else ""


def received_hops(msg: HeaderFields) -> tuple[Hop, ...]:
    """Received headers parsed by mail-parser (first hop first); empty when none parse."""
    raw = [header_text(v) for v in raw_values(msg, "received")]
    if not raw:
        return ()
    import logging

    from mailparser.utils import receiveds_parsing

    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
    try:
        parsed = receiveds_parsing(raw)
    except Exception:  # mail-parser failing on hostile Received text is not fatal
        return ()
    hops = []
    for hop in parsed:
        if not isinstance(hop, dict):
            continue
        hops.append(
            Hop(
                by=str(hop.get("by", "")),
                from_=str(hop.get("from", "")),
                id=str(hop.get("id", "")).strip(" ;<>"),
                for_=str(hop.get("for", "")),
                date_utc=str(hop.get("date_utc", "")),
            )
        )
    return tuple(hops)


def now_utc() -> str:
    """Current time in the same format as message dates (for manifests, never for findings)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
