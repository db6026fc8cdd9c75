#!/usr/bin/env python3
"""Labelled sample corpus generator: realistic exported mail with known answers.

Owns `samples/` (or the `--out` folder): a Google Vault style mbox, a Purview style folder tree
of `.eml` files, a Maildir, a gzip-compressed older mbox, one unsupported binary file, and
`labels.json`, which says for every message its shape, its flow, whether it carries health
data on a consumer flow, whether its identifiers are reserved test data, and the exact set of
rule ids expected to fire (labelled by what the text truly says, never by what a scanner
outputs).

A message *shape* is one registered builder (`@shape(...)`); a shape yields variants that
differ in names, numbers, dates and domains. New shapes (issue 5) are added by writing one more
decorated function; every variant gets its own random stream derived from (seed, shape,
variant), so adding a shape never changes the bytes of the others.

Deterministic: a fixed seed, fixed dates in January-March 2021, no clock, no locale, no hash
randomisation; two runs give byte-identical files. Standard library only. It never reads
evidence, never scans, and never writes outside its output folder: before writing it removes
only the folders and files it owns there (`mbox/`, `eml/`, `maildir/`, `archive/`,
`labels.json`).

Usage: python samples/generate.py [--out DIR] [--scale N] [--seed S]
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import json
import quopri
import random
import re
import shutil
import struct
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

SCHEMA_VERSION = 2
DEFAULT_SEED = 2021
ORG = "tracecall.co.uk"
ORG_DOMAINS = (ORG,)

CONSUMER_DOMAINS = (
    "gmail.com", "googlemail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "icloud.com",
    "btinternet.com", "sky.com", "live.co.uk", "aol.com", "protonmail.com",
)
LOOKALIKE_DOMAINS = ("gmail-services.co.uk", "outlookconsulting.com")
NHSMAIL = "nhs.net"

TO_CONSUMER = "to-consumer"
FROM_CONSUMER = "from-consumer"
CONSUMER_TO_CONSUMER = "consumer-to-consumer"
INTERNAL = "internal"
EXTERNAL_OTHER = "external-other"
CONSUMER_FLOWS = frozenset({TO_CONSUMER, FROM_CONSUMER, CONSUMER_TO_CONSUMER})

NHS = "nhs-number"
CHI = "chi-number"
HC = "hc-number"
COVID = "covid-test-result"
CASE_STATUS = "covid-case-status"
SYMPTOM = "symptom"
CONDITION = "condition"
MEDICATION = "medication"
ADMISSION = "admission"
PREGNANCY = "pregnancy"
DISABILITY = "disability"
VACCINATION = "vaccination"
RULES = (NHS, CHI, HC, COVID, CASE_STATUS, SYMPTOM, CONDITION, MEDICATION, ADMISSION, PREGNANCY,
         DISABILITY, VACCINATION)

MBOX = "mbox"
MBOX_GZ = "mbox-gz"
EML = "eml"
MAILDIR = "maildir"
OWNED = ("mbox", "eml", "maildir", "archive", "logs", "labels.json")
POSTFIX_FILE = "logs/mail.log"
AUDIT_FILE = "logs/purview-audit.csv"
MBOX_FILE = "mbox/vault-export.mbox"
GZ_FILE = "archive/older.mbox.gz"
BIN_FILE = "eml/misc/scan-notes.bin"

START = datetime(2021, 1, 4, tzinfo=UTC)
END = datetime(2021, 3, 31, tzinfo=UTC)

# --------------------------------------------------------------------------------------------
# People, numbers, dates
# --------------------------------------------------------------------------------------------

FEMALE = ("Amy", "Bethan", "Chloe", "Dawn", "Eleanor", "Fiona", "Gemma", "Hannah", "Imogen",
          "Jade", "Kirsty", "Leanne", "Megan", "Nadia", "Olivia", "Priya", "Rachel", "Sophie",
          "Tasha", "Yasmin")
MALE = ("Aaron", "Ben", "Callum", "Declan", "Ethan", "Faisal", "Gareth", "Harvey", "Imran",
        "Jamie", "Kieran", "Liam", "Marcus", "Nathan", "Owen", "Ravi", "Sean", "Tom", "Wesley",
        "Zack")
SURNAMES = ("Ashworth", "Bainbridge", "Castleton", "Delaney", "Ellery", "Fairclough", "Gorton",
            "Hartigan", "Illingworth", "Jessop", "Kettering", "Lomax", "Mottram", "Naylor",
            "Ormerod", "Pendlebury", "Quayle", "Ridgway", "Stansfield", "Thorley", "Umpleby",
            "Vickers", "Whitworth", "Yardley")
# Latin-1 representable names for the iso-8859-1 and RFC 2047 shapes.
ACCENTED_F = ("Renée", "Zoë", "Chloé", "Siobhán", "Aoife", "Anaïs")
ACCENTED_M = ("Seán", "Éamonn", "José", "Rónán", "Loïc", "Tomás")
ACCENTED_SURNAMES = ("Ní Bhriain", "Ó Ceallaigh", "Núñez", "Müller", "Lefèvre", "Brontë")
ROLES = ("Call Handler", "Contact Tracer", "Team Leader, Contact Centre", "Shift Manager",
         "Quality Lead", "Operations Manager")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Person:
    """A fictitious person; `she`/`her` give the pronouns a colleague would use."""

    first: str
    last: str
    female: bool
    key: str = field(default="", compare=False)
    """Who this is across the corpus (`shape/variant/n`): a thread's replies rebuild the same
    person under the same key."""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def she(self) -> str:
        return "she" if self.female else "he"

    @property
    def her(self) -> str:
        return "her" if self.female else "his"


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters of a name, accents dropped (for local parts)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


def nhs_check_digit(nine: str) -> int | None:
    """NHS mod-11 check digit for nine digits, or None when the remainder makes it invalid."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_valid(ten: str) -> bool:
    check = nhs_check_digit(ten[:9])
    return check is not None and check == int(ten[9])


def nhs_number(rng: random.Random) -> str:
    """A mod-11 valid number in the England/Wales ranges (never the 999 test range)."""
    while True:
        lo, hi = rng.choice(((400_000_000, 499_999_999), (600_000_000, 799_999_999)))
        nine = str(rng.randint(lo, hi))
        check = nhs_check_digit(nine)
        if check is not None and len(set(nine)) > 2:
            return f"{nine}{check}"


def bad_reference(rng: random.Random) -> str:
    """A 10-digit number shaped like an NHS number that fails the mod-11 check."""
    while True:
        nine = str(rng.randint(400_000_000, 799_999_999))
        last = rng.randrange(10)
        if not nhs_valid(f"{nine}{last}"):
            return f"{nine}{last}"


def fmt_nhs(number: str, style: str) -> str:
    """Write ten digits 3-3-4 `spaced`, `dashed`, `dotted` or `contiguous`."""
    sep = {"spaced": " ", "dashed": "-", "dotted": ".", "contiguous": ""}[style]
    return sep.join((number[:3], number[3:6], number[6:]))


def passing_tail(rng: random.Random, prefix: str) -> str:
    """Complete a digit prefix to ten digits that pass mod-11 (phone numbers as traps)."""
    while True:
        nine = prefix + "".join(str(rng.randrange(10)) for _ in range(9 - len(prefix)))
        check = nhs_check_digit(nine)
        if check is not None:
            return f"{nine}{check}"


def test_range_number(rng: random.Random) -> str:
    """A mod-11 valid number from the reserved 999 test range (never issued to a patient)."""
    while True:
        nine = f"999{rng.randrange(10**6):06d}"
        check = nhs_check_digit(nine)
        if check is not None and len(set(nine)) > 2:
            return f"{nine}{check}"


def mod10_check_digit(nine: str) -> int:
    """The CHI Modulus 10 check digit (Public Health Scotland's phsmethods `chi_check`): double
    the 9th, 7th, 5th, 3rd and 1st digits, subtract 9 from any result over 9, sum, and take
    10 - (sum mod 10), with 10 written as 0."""
    total = 0
    for pos, ch in enumerate(nine, 1):
        d = int(ch) * (2 if pos % 2 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def chi_number(rng: random.Random, born: date, female: bool, mod10: bool) -> str:
    """A Scottish CHI number: DDMMYY date of birth, two digits, a sex digit (even for women,
    odd for men) and a check digit: Modulus 11, or (`mod10`) one that passes only Modulus 10."""
    while True:
        sex = rng.choice((0, 2, 4, 6, 8) if female else (1, 3, 5, 7, 9))
        nine = f"{born.strftime('%d%m%y')}{rng.randrange(100):02d}{sex}"
        eleven = nhs_check_digit(nine)
        if mod10:
            check = mod10_check_digit(nine)
            if eleven != check:
                return f"{nine}{check}"
        elif eleven is not None:
            return f"{nine}{eleven}"


def hc_number(rng: random.Random) -> str:
    """A Northern Ireland H&C number: mod-11 valid, first nine digits 320 000 001-399 999 999."""
    while True:
        nine = str(rng.randint(320_000_001, 399_999_999))
        check = nhs_check_digit(nine)
        if check is not None and len(set(nine)) > 2:
            return f"{nine}{check}"


def iban_gb(bank: str, digits: str) -> str:
    """A GB IBAN (bank code letters + 14 digits of sort code and account) with real ISO 7064
    mod-97 check digits, written compact."""
    bban = f"{bank}{digits}"
    as_number = "".join(str(int(c, 36)) for c in f"{bban}GB00")
    return f"GB{98 - int(as_number) % 97:02d}{bban}"


def when(rng: random.Random) -> datetime:
    """A working-hours moment between 4 January and 31 March 2021 (UTC)."""
    day = rng.randrange((END - START).days)
    return START + timedelta(days=day, hours=rng.randint(7, 19), minutes=rng.randrange(60),
                             seconds=rng.randrange(60))


def dob(rng: random.Random) -> str:
    born = datetime(1941, 1, 1) + timedelta(days=rng.randrange(365 * 64))
    return born.strftime("%d/%m/%Y")


def short_date(dt: datetime) -> str:
    return dt.strftime("%d/%m")


# --------------------------------------------------------------------------------------------
# MIME building: exact bytes under our control (LF endings; CRLF applied per file at the end)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """One MIME entity: its content headers and its already-encoded body."""

    headers: tuple[tuple[str, str], ...]
    body: str


def _wrap76(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def text_part(text: str, subtype: str = "plain", charset: str = "utf-8", cte: str = "7bit",
              filename: str | None = None) -> Entity:
    """A text/* entity, encoded with `cte` (7bit, 8bit, quoted-printable or base64)."""
    raw = text.encode(charset)
    if cte == "7bit" and not raw.isascii():
        raise ValueError("7bit part with non-ASCII text")
    if cte == "base64":
        body = _wrap76(raw)
    elif cte == "quoted-printable":
        body = quopri.encodestring(raw).decode("ascii")
    else:
        body = text
    ctype = f"text/{subtype}; charset=\"{charset}\""
    if filename:
        ctype += f"; name=\"{filename}\""
    headers = [("Content-Type", ctype), ("Content-Transfer-Encoding", cte)]
    if filename:
        headers.append(("Content-Disposition", f"attachment; filename=\"{filename}\""))
    return Entity(tuple(headers), body if body.endswith("\n") else body + "\n")


def binary_part(data: bytes, ctype: str, filename: str) -> Entity:
    return Entity((("Content-Type", f"{ctype}; name=\"{filename}\""),
                   ("Content-Disposition", f"attachment; filename=\"{filename}\""),
                   ("Content-Transfer-Encoding", "base64")), _wrap76(data))


def rfc822_part(inner: str, filename: str) -> Entity:
    return Entity((("Content-Type", f"message/rfc822; name=\"{filename}\""),
                   ("Content-Disposition", f"attachment; filename=\"{filename}\"")), inner)


def multipart(subtype: str, parts: Iterable[Entity], rng: random.Random,
              extra: str = "") -> Entity:
    boundary = f"----=_Part_{rng.randrange(10**6)}_{rng.getrandbits(40):010x}"
    chunks = ["This is a multi-part message in MIME format.\n"]
    chunks += [f"\n--{boundary}\n{render_entity(part)}" for part in parts]
    chunks.append(f"\n--{boundary}--\n")
    ctype = f"multipart/{subtype};{extra}\n\tboundary=\"{boundary}\""
    return Entity((("Content-Type", ctype),), "".join(chunks))


def render_headers(headers: Iterable[tuple[str, str]]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in headers)


def render_entity(entity: Entity) -> str:
    return render_headers(entity.headers) + "\n" + entity.body


def encoded_words(text: str, q: bool) -> str:
    """RFC 2047 encoded words (UTF-8, Q or B), each at most 75 characters, folded with CRLF-free
    continuation lines. Written here rather than with `email.header` so the bytes do not change
    with the Python version."""
    words: list[str] = []
    current = b""
    for char in text:
        piece = char.encode("utf-8")
        trial = current + piece
        body = _q(trial) if q else base64.b64encode(trial).decode("ascii")
        if len(body) + 12 > 75 and current:
            words.append(current.decode("utf-8"))
            current = piece
        else:
            current = trial
    words.append(current.decode("utf-8"))
    enc = [f"=?utf-8?q?{_q(w.encode())}?=" if q else
           f"=?utf-8?b?{base64.b64encode(w.encode()).decode('ascii')}?=" for w in words]
    return "\n ".join(enc)


def _q(data: bytes) -> str:
    return "".join("_" if b == 0x20 else chr(b) if chr(b).isalnum() and b < 0x80 else f"={b:02X}"
                   for b in data)


def encoded(text: str) -> str:
    """A Subject value, Q-encoded when it is not plain ASCII."""
    return text if text.isascii() else encoded_words(text, q=True)


def mailbox(name: str, addr: str, mode: str = "plain") -> str:
    """`Name <addr>`; mode `2047` encodes the name, `raw` leaves UTF-8 bytes in the header."""
    if not name:
        return addr
    if mode == "2047" and not name.isascii():
        return f"{encoded_words(name, q=False)} <{addr}>"
    if re.search(r"[,.;:@\"()]", name):
        return f"\"{name}\" <{addr}>"
    return f"{name} <{addr}>"


# --------------------------------------------------------------------------------------------
# Messages and shapes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One generated message before it is placed in a container."""

    message_id: str
    date: datetime
    envelope_from: str
    senders: tuple[str, ...]
    recipients: tuple[str, ...]
    subject: str
    text: str
    """The whole message, LF line endings (CRLF applied by the container when chosen)."""
    unquoted_from: bool = False
    """Leave a body `From ` line unquoted in an mbox (the "From time to time" trap)."""
    rules: tuple[str, ...] | None = None
    """This variant's expected rules when they differ from the shape's (None: the shape's)."""
    persons: tuple[str, ...] = ()
    """Keys of the people whose health data the message carries (its data subjects)."""


@dataclass(frozen=True)
class Shape:
    """A registered message shape: what it is, its flow and the rules expected to fire."""

    name: str
    kind: str
    """`positive` (health data on a consumer flow), `flagged` (health data, other flow),
    `test-data` (only reserved test-range identifiers, on a consumer flow: reported as test
    data, never counted as a breach) or `negative` (a precision trap: nothing may fire)."""
    flow: str
    rules: tuple[str, ...]
    variants: int
    build: Callable[[Ctx], Mail]
    container: Callable[[int], str | None] = lambda i: None
    """A container a variant must go to (None: chosen at random, weighted towards the mbox)."""
    description: str = ""


SHAPES: dict[str, Shape] = {}


def shape(name: str, kind: str, flow: str, rules: tuple[str, ...], variants: int = 4,
          container: Callable[[int], str | None] | None = None,
          ) -> Callable[[Callable[[Ctx], Mail]], Callable[[Ctx], Mail]]:
    """Register a shape builder; its docstring becomes the shape's description."""

    def register(fn: Callable[[Ctx], Mail]) -> Callable[[Ctx], Mail]:
        if name in SHAPES:
            raise ValueError(f"duplicate shape {name}")
        consumer = flow in CONSUMER_FLOWS
        expected = {"positive": consumer and bool(rules), "flagged": not consumer and bool(rules),
                    "test-data": consumer and bool(rules), "negative": not rules}
        if set(rules) - set(RULES):
            raise ValueError(f"{name}: unknown rule ids {sorted(set(rules) - set(RULES))}")
        if not expected.get(kind, False):
            raise ValueError(f"{name}: kind {kind} does not fit flow {flow} and rules {rules}")
        SHAPES[name] = Shape(name, kind, flow, tuple(sorted(rules)), variants, fn,
                             container or (lambda i: None),
                             " ".join((fn.__doc__ or "").split()))
        return fn

    return register


@dataclass
class Ctx:
    """What a shape builder gets: the variant index and a random stream of its own."""

    shape: str
    index: int
    seed: int
    rng: random.Random = field(init=False)
    subjects: list[str] = field(init=False, default_factory=list)
    """Keys of the data subjects marked so far (`subject`), for the message's label."""
    _people: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        # A string seed is hashed with SHA-512 by `random`, independent of PYTHONHASHSEED.
        self.rng = random.Random(f"{self.seed}/{self.shape}/{self.index}")

    def subject(self, p: Person, *others: str) -> Person:
        """Mark `p` (and people known only by `others`, e.g. an unnamed relative, keyed under
        `p`) as data subjects of the message being built. Draws nothing from the stream."""
        self.subjects.append(p.key)
        self.subjects.extend(f"{p.key}/{o}" for o in others)
        return p

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)

    def cycle(self, options: Sequence[T]) -> T:
        """The variant's own entry, so variants 0..n-1 cover every option once."""
        return options[self.index % len(options)]

    def person(self, accented: bool = False) -> Person:
        female = self.rng.random() < 0.5
        if accented:
            first = self.pick(ACCENTED_F if female else ACCENTED_M)
            made = Person(first, self.pick(ACCENTED_SURNAMES), female)
        else:
            made = Person(self.pick(FEMALE if female else MALE), self.pick(SURNAMES), female)
        self._people += 1
        return dataclasses.replace(made, key=f"{self.shape}/{self.index}/{self._people}")

    def staff(self) -> tuple[Person, str]:
        p = self.person()
        return p, f"{ascii_slug(p.first)}.{ascii_slug(p.last)}@{ORG}"

    def personal(self, p: Person, domain: str) -> str:
        """A fictitious consumer local part for a person."""
        first, last = ascii_slug(p.first), ascii_slug(p.last)
        style = self.rng.randrange(4)
        if style == 0:
            local = f"{first}.{last}{self.rng.randint(70, 99)}"
        elif style == 1:
            local = f"{first[0]}{last}{self.rng.randint(1, 9)}"
        elif style == 2:
            local = f"{first}_{last[:3]}{self.rng.randint(10, 99)}"
        else:
            local = f"{first}.{last[0]}"
        return f"{local}@{domain}"

    def nhs(self) -> str:
        return nhs_number(self.rng)

    def when(self) -> datetime:
        return when(self.rng)

    def dob(self) -> str:
        return dob(self.rng)

    def msgid(self, dt: datetime, domain: str = f"mail.{ORG}") -> str:
        tag = hashlib.sha256(f"{self.seed}/{self.shape}/{self.index}".encode()).hexdigest()
        if domain == "mail.gmail.com":
            return f"<CAH{tag[:20]}+{tag[20:34]}=Q@mail.gmail.com>"
        if domain.endswith("outlook.com"):
            return f"<DB8PR0{tag[:2]}MB{tag[2:6]}{tag[6:22].upper()}@{domain}>"
        return f"<{dt.strftime('%Y%m%d%H%M%S')}.{tag[:16]}@{domain}>"

    def queue_id(self) -> str:
        return self.pick(("B", "C", "D", "E", "F")) + f"{self.rng.getrandbits(36):09X}"


def signature(p: Person, role: str) -> str:
    return f"{p.name}\n{role} | Tracecall Ltd\n{ORG}\n"


def compose(ctx: Ctx, *, sender: tuple[str, str], to: list[tuple[str, str]], subject: str,
            body: Entity, dt: datetime, cc: list[tuple[str, str]] | None = None,
            bcc: list[tuple[str, str]] | None = None, extra: list[tuple[str, str]] | None = None,
            msgid_domain: str = f"mail.{ORG}", name_mode: str = "plain",
            to_raw: str | None = None, recipients_extra: tuple[str, ...] = (),
            unquoted_from: bool = False, user_agent: str | None = None,
            rules: tuple[str, ...] | None = None) -> Mail:
    """Assemble a full message: trace header, envelope headers, content. `rules` overrides the
    shape's expected rules for this variant."""
    s_name, s_addr = sender
    msgid = ctx.msgid(dt, msgid_domain)
    rcpt = [a for _, a in to] + [a for _, a in cc or []] + [a for _, a in bcc or []]
    first_rcpt = rcpt[0] if rcpt else recipients_extra[0]
    if s_addr.endswith("@" + ORG):
        trace = (f"by smtp.{ORG} (Postfix, from userid 1001)\n\tid {ctx.queue_id()}"
                 f"; {format_datetime(dt)}")
    else:
        # The organisation's MX only sees mail addressed to it; consumer-to-consumer mail was
        # received by the recipient's provider.
        by = (f"mx1.{ORG} (Postfix) with ESMTPS id {ctx.queue_id()}"
              if any(a.endswith("@" + ORG) for a in rcpt)
              else f"mx.{first_rcpt.split('@')[1]} with ESMTPS id {ctx.queue_id()}")
        trace = (f"from mail-{ctx.pick(('wr1', 'ej1', 'lj1'))}-f{ctx.rng.randint(41, 99)}"
                 f".{s_addr.split('@')[1]} (mail.{s_addr.split('@')[1]})\n\tby {by}"
                 f"\n\tfor <{first_rcpt}>; {format_datetime(dt)}")
    headers: list[tuple[str, str]] = [("Received", trace)]
    headers += extra or []
    headers += [("Date", format_datetime(dt)), ("From", mailbox(s_name, s_addr, name_mode))]
    if to_raw is not None:
        headers.append(("To", to_raw))
    elif to:
        headers.append(("To", ", ".join(mailbox(n, a, name_mode) for n, a in to)))
    if cc:
        headers.append(("Cc", ", ".join(mailbox(n, a, name_mode) for n, a in cc)))
    if bcc:
        headers.append(("Bcc", ", ".join(mailbox(n, a, name_mode) for n, a in bcc)))
    headers += [("Subject", encoded(subject)), ("Message-ID", msgid)]
    if user_agent:
        headers.append(("X-Mailer" if "Outlook" in user_agent else "User-Agent", user_agent))
    headers.append(("MIME-Version", "1.0"))
    text = render_headers(headers) + render_entity(body)
    return Mail(msgid, dt, s_addr, (s_addr,), tuple(rcpt) + recipients_extra, subject, text,
                unquoted_from, rules, tuple(dict.fromkeys(ctx.subjects)))


OUTLOOK = "Microsoft Outlook 16.0"
THUNDERBIRD = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:78.0) Gecko/20100101 Thunderbird/78.7.0"
RESULTS = ("positive", "positive", "negative", "inconclusive", "void", "positive")


# --------------------------------------------------------------------------------------------
# Positive shapes: health data on a consumer flow
# --------------------------------------------------------------------------------------------


@shape("nhs-spaced-pcr-plain", "positive", TO_CONSUMER, (NHS, COVID))
def nhs_spaced_pcr_plain(ctx: Ctx) -> Mail:
    """Plain-text case details: NHS number written 3-3-4 with spaces and a PCR result, sent To a
    manager's personal gmail.com address."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    case, dt = ctx.person(), ctx.when()
    ctx.subject(case)
    swab = dt - timedelta(days=ctx.rng.randint(1, 3))
    late = ("\nFrom Monday I'm on the late shift, so text me if anything changes.\n"
            if ctx.index % 2 == 0 else "")
    body = (f"Hi {mgr.first},\n\nAs asked, here is the one I couldn't close on the system today:"
            f"\n\nName: {case.name}\nDOB: {ctx.dob()}\nNHS number: {fmt_nhs(ctx.nhs(), 'spaced')}"
            f"\nPCR test result: {ctx.cycle(RESULTS)} (swab taken {short_date(swab)})\n\n"
            f"{case.she.capitalize()} wants a call back after 4pm. I'll pick it up again "
            f"tomorrow.\n{late}\nThanks,\n{signature(agent, ctx.pick(ROLES[:2]))}")
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, "gmail.com"))],
                   subject=ctx.cycle(("Callback for tomorrow", "the case from earlier",
                                      f"{case.first} - details", "As discussed")),
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("html-case-table", "positive", TO_CONSUMER, (NHS, COVID))
def html_case_table(ctx: Ctx) -> Mail:
    """HTML-only body with a table of cases (dashed NHS numbers, test type and result); the
    manager's work address in To and their hotmail.co.uk address in Cc."""
    agent, a_addr = ctx.staff()
    mgr, m_addr = ctx.staff()
    dt = ctx.when()
    rows = []
    for _ in range(ctx.rng.randint(3, 5)):
        p = ctx.person()
        ctx.subject(p)
        rows.append(f"<tr><td>TC-{ctx.rng.randint(100000, 999999)}</td><td>{p.name}</td>"
                    f"<td>{ctx.dob()}</td><td>{fmt_nhs(ctx.nhs(), 'dashed')}</td>"
                    f"<td>{ctx.pick(('PCR', 'LFD'))}</td>"
                    f"<td>{ctx.pick(('Positive', 'Positive', 'Negative', 'Inconclusive'))}</td>"
                    f"</tr>")
    html = ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
            "</head>\n<body style=\"font-family:Calibri,sans-serif\">\n"
            f"<p>Hi {mgr.first},</p>\n<p>Today's open cases are below (copying your own address "
            "as you asked, the tracker is still locked).</p>\n"
            "<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">\n"
            "<tr><th>Case ID</th><th>Name</th><th>DOB</th><th>NHS number</th><th>Test</th>"
            "<th>Result</th></tr>\n" + "\n".join(rows) + "\n</table>\n"
            f"<p>Thanks,<br>\n{agent.first}</p>\n<p style=\"color:#888\">{agent.name}<br>\n"
            f"{ctx.pick(ROLES[:2])} | Tracecall Ltd</p>\n</body></html>\n")
    return compose(ctx, sender=(agent.name, a_addr), to=[(mgr.name, m_addr)],
                   cc=[(mgr.name, ctx.personal(mgr, "hotmail.co.uk"))],
                   subject=f"Open cases {dt.strftime('%d %b')}",
                   body=text_part(html, "html"), dt=dt, user_agent=OUTLOOK)


@shape("subject-only-result", "positive", TO_CONSUMER, (COVID,))
def subject_only_result(ctx: Ctx) -> Mail:
    """The test result is only in the Subject; the body says nothing. The manager's personal
    yahoo.co.uk address is in Bcc."""
    agent, a_addr = ctx.staff()
    mgr, m_addr = ctx.staff()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    subject = ctx.cycle((f"{p.first} {p.last[0]} - PCR positive",
                         f"LFD result for {p.first} {p.last}: positive",
                         f"{p.first} {p.last} swab came back positive",
                         f"RE: {p.name} lateral flow negative",
                         f"{p.name} - PCR test result inconclusive"))
    body = (f"Hi {mgr.first},\n\nSee subject. Can you update the tracker when you get a chance?"
            f"\n\nCheers,\n{signature(agent, ctx.pick(ROLES[:2]))}")
    return compose(ctx, sender=(agent.name, a_addr), to=[(mgr.name, m_addr)],
                   bcc=[("", ctx.personal(mgr, "yahoo.co.uk"))], subject=subject,
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("base64-plain", "positive", TO_CONSUMER, (NHS, COVID))
def base64_plain(ctx: Ctx) -> Mail:
    """A text/plain body sent base64-encoded (NHS number dotted, contiguous or spaced, LFD
    result), to an outlook.com address."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    style = ctx.cycle(("dotted", "contiguous", "spaced", "dotted"))
    body = (f"Hi {mgr.first},\n\nCase details for {p.name} (DOB {ctx.dob()}):\n"
            f"NHS No. {fmt_nhs(ctx.nhs(), style)}\nLFD result: {ctx.cycle(RESULTS)}, reported "
            f"{short_date(dt)}.\n\nI've not been able to add the contacts yet, will do it "
            f"first thing.\n\n{agent.first}\n\n{signature(agent, ctx.pick(ROLES[:2]))}")
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, "outlook.com"))],
                   subject=ctx.cycle(("case details", "for your records", "Case update",
                                      "as promised")),
                   body=text_part(body, cte="base64"), dt=dt, user_agent=THUNDERBIRD)


@shape("qp-latin1-symptoms", "positive", TO_CONSUMER, (SYMPTOM,))
def qp_latin1_symptoms(ctx: Ctx) -> Mail:
    """Quoted-printable iso-8859-1 body describing a named person's symptoms, to a
    btinternet.com address."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(accented=True), ctx.when()
    ctx.subject(p)
    day = ctx.pick(WEEKDAYS)
    symptoms = ctx.cycle((
        f"{p.she} has had a persistent cough and lost {p.her} sense of smell",
        f"{p.she} has had a high temperature and a new continuous cough since {day}",
        f"{p.she} has been short of breath and has had fatigue since {day}",
        f"{p.she} says {p.she} has lost {p.her} sense of taste and has had a fever since {day}",
    ))
    body = (f"Hi {mgr.first},\n\n{p.name} rang back about the voucher (the £10 one). "
            f"Apparently {symptoms}. {p.she.capitalize()} has not booked anything yet, can you "
            f"ring {p.first} in the morning?\n\nThanks, {agent.first}\n\n"
            f"{signature(agent, ctx.pick(ROLES[:2]))}")
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, "btinternet.com"))],
                   subject=f"{p.first} called back", dt=dt,
                   body=text_part(body, charset="iso-8859-1", cte="quoted-printable"),
                   user_agent=THUNDERBIRD)


@shape("csv-attachment", "positive", TO_CONSUMER, (NHS, COVID))
def csv_attachment(ctx: Ctx) -> Mail:
    """A text/csv attachment with contiguous NHS numbers and test results, to icloud.com."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    dt = ctx.when()
    lines = ["NHS Number,Surname,Forename,DOB,Test,Result,Date"]
    for _ in range(ctx.rng.randint(3, 6)):
        p = ctx.person()
        ctx.subject(p)
        taken = dt - timedelta(days=ctx.rng.randint(1, 4))
        lines.append(f"{ctx.nhs()},{p.last},{p.first},{ctx.dob()},"
                     f"{ctx.pick(('PCR', 'LFD'))},"
                     f"{ctx.pick(('Positive', 'Positive', 'Negative', 'Void'))},"
                     f"{taken.strftime('%Y-%m-%d')}")
    csv = "\n".join(lines) + "\n"
    name = f"cases_{dt.strftime('%Y%m%d')}.csv"
    note = text_part(f"Hi {mgr.first},\n\nAttached as discussed. Delete it once you've copied "
                     f"it over.\n\n{signature(agent, ctx.pick(ROLES[:2]))}")
    # The base64 variant carries CRLF lines, as Excel writes them.
    attach = (text_part(csv.replace("\n", "\r\n"), "csv", cte="base64", filename=name)
              if ctx.index % 2 == 0
              else text_part(csv, "csv", cte="7bit", filename=name))
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, "icloud.com"))],
                   subject=f"list {dt.strftime('%d/%m')}",
                   body=multipart("mixed", (note, attach), ctx.rng), dt=dt, user_agent=OUTLOOK)


@shape("forwarded-rfc822", "positive", TO_CONSUMER, (NHS, COVID))
def forwarded_rfc822(ctx: Ctx) -> Mail:
    """A work message forwarded as a message/rfc822 attachment to gmail.com; the health data is
    only inside the attached message."""
    agent, a_addr = ctx.staff()
    lead, l_addr = ctx.staff()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    inner_dt = dt - timedelta(hours=ctx.rng.randint(1, 30))
    result = ctx.cycle(("SARS-CoV-2 RNA detected", "SARS-CoV-2 RNA not detected",
                        "PCR positive", "swab result: positive"))
    inner_body = (f"{agent.first},\n\nPlease call this one first thing.\n\nCase: {p.name}\n"
                  f"NHS number: {fmt_nhs(ctx.nhs(), 'spaced')}\nDOB: {ctx.dob()}\n"
                  f"Result: {result}\n\n{signature(lead, 'Shift Manager')}")
    inner_id = f"<{inner_dt.strftime('%Y%m%d%H%M%S')}.{ctx.rng.getrandbits(48):012x}@mail.{ORG}>"
    inner = render_headers((
        ("Date", format_datetime(inner_dt)), ("From", mailbox(lead.name, l_addr)),
        ("To", mailbox(agent.name, a_addr)), ("Subject", f"Case for callback - {p.first}"),
        ("Message-ID", inner_id), ("MIME-Version", "1.0"))) + render_entity(text_part(inner_body))
    note = text_part(f"Sending this to myself so I have it at home.\n\n{agent.first}\n")
    fwd = rfc822_part(inner, f"Case for callback - {p.first}.eml")
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(agent.name, ctx.personal(agent, "gmail.com"))],
                   subject=f"FW: Case for callback - {p.first}",
                   body=multipart("mixed", (note, fwd), ctx.rng), dt=dt, user_agent=OUTLOOK)


@shape("from-consumer-result", "positive", FROM_CONSUMER, (COVID,))
def from_consumer_result(ctx: Ctx) -> Mail:
    """An agent writes from a personal gmail.com/googlemail.com address to a manager's work
    address with a named person's lateral flow or PCR result."""
    agent = ctx.person()
    mgr, m_addr = ctx.staff()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    line = ctx.cycle((f"{p.her} lateral flow test was positive this morning",
                      f"{p.her} PCR came back positive yesterday",
                      f"{p.her} LFD result is negative now",
                      f"the PCR test for {p.her} son was positive"))
    body = (f"Hi {mgr.first},\n\nSending from my own email as the system is down again. "
            f"{p.name} (DOB {ctx.dob()}) rang back, {line}. Can you log it for me?\n\n"
            f"{agent.first}\n\nSent from my iPhone\n")
    domain = ctx.cycle(("gmail.com", "googlemail.com"))
    return compose(ctx, sender=(agent.name, ctx.personal(agent, domain)),
                   to=[(mgr.name, m_addr)], subject=f"{p.first} {p.last}", body=text_part(body),
                   dt=dt, msgid_domain="mail.gmail.com")


@shape("consumer-to-consumer", "positive", CONSUMER_TO_CONSUMER, (NHS, COVID, SYMPTOM),
       container=lambda i: MAILDIR)
def consumer_to_consumer(ctx: Ctx) -> Mail:
    """Two agents' personal mailboxes (hotmail.co.uk to gmail.com) exchange a case: NHS number,
    PCR result and a symptom. Found in the recipient's Maildir copy."""
    agent, mgr = ctx.person(), ctx.person()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    symptom = ctx.cycle((f"{p.she} has a high temperature", f"{p.she} has a new cough",
                         f"{p.she} has lost {p.her} sense of smell",
                         f"{p.she} is short of breath"))
    body = (f"{mgr.first} - the one you asked about.\n\n{p.name}, NHS no "
            f"{fmt_nhs(ctx.nhs(), ctx.cycle(('spaced', 'dashed')))}, PCR positive on "
            f"{short_date(dt - timedelta(days=2))}. {symptom.capitalize()}.\n\nx\n\n"
            f"Get Outlook for Android\n")
    return compose(ctx, sender=(agent.name, ctx.personal(agent, "hotmail.co.uk")),
                   to=[(mgr.name, ctx.personal(mgr, "gmail.com"))], subject=f"{p.first}",
                   body=text_part(body), dt=dt,
                   msgid_domain=f"DB8PR0{ctx.rng.randint(1, 9)}MB{ctx.rng.randint(1000, 9999)}"
                                f".eurprd0{ctx.rng.randint(1, 9)}.prod.outlook.com")


@shape("rfc2047-headers", "positive", TO_CONSUMER, (NHS, COVID))
def rfc2047_headers(ctx: Ctx) -> Mail:
    """RFC 2047 encoded Subject (en dash) and sender display name, a raw UTF-8 display name in
    To, an 8bit UTF-8 body with an NHS number and a PCR result, to gmail.com."""
    agent = ctx.person(accented=True)
    a_addr = f"{ascii_slug(agent.first)}.{ascii_slug(agent.last)}@{ORG}"
    mgr = ctx.person(accented=True)
    p, dt = ctx.person(accented=True), ctx.when()
    ctx.subject(p)
    result = ctx.cycle(RESULTS)
    raw_to = f"{mgr.name} <{ctx.personal(mgr, 'gmail.com')}>"
    body = (f"{mgr.first},\n\nCase: {p.name}, born {ctx.dob()}\n"
            f"NHS number {fmt_nhs(ctx.nhs(), 'spaced')} – PCR {result}.\n\n"
            f"Thanks – {agent.first}\n\n{signature(agent, ctx.pick(ROLES[:2]))}")
    return compose(ctx, sender=(agent.name, a_addr), to=[], to_raw=raw_to,
                   recipients_extra=(raw_to.split("<")[1].rstrip(">"),),
                   subject=f"Case update – {p.first} – PCR {result}", name_mode="2047",
                   body=text_part(body, cte="8bit"), dt=dt, user_agent=THUNDERBIRD)


@shape("address-trick", "positive", TO_CONSUMER, (NHS, COVID))
def address_trick(ctx: Ctx) -> Mail:
    """`To: manager@tracecall.co.uk <sam.j@gmail.com>`: the display name looks like a work
    address, the real recipient is a consumer mailbox."""
    agent, a_addr = ctx.staff()
    mgr, m_addr = ctx.staff()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    personal = ctx.personal(mgr, ctx.cycle(("gmail.com", "gmail.com", "hotmail.co.uk",
                                            "icloud.com")))
    body = (f"Hi {mgr.first},\n\n{p.name}\nNHS number {fmt_nhs(ctx.nhs(), 'spaced')}\n"
            f"LFD test result {ctx.cycle(RESULTS)}\n\nThanks\n{signature(agent, ROLES[0])}")
    return compose(ctx, sender=(agent.name, a_addr), to=[], to_raw=f"{m_addr} <{personal}>",
                   recipients_extra=(personal,), subject=f"{p.first}",
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("resent-to", "positive", TO_CONSUMER, (NHS, COVID))
def resent_to(ctx: Ctx) -> Mail:
    """An internal message re-sent (Resent-To) to the agent's own consumer address."""
    agent, a_addr = ctx.staff()
    lead, l_addr = ctx.staff()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    resent = dt + timedelta(minutes=ctx.rng.randint(5, 300))
    personal = ctx.personal(agent, ctx.cycle(("gmail.com", "sky.com", "live.co.uk",
                                              "protonmail.com")))
    body = (f"{agent.first},\n\nCan you take this one?\n\n{p.name}, DOB {ctx.dob()}\n"
            f"NHS number: {fmt_nhs(ctx.nhs(), 'dashed')}\nPCR result: {ctx.cycle(RESULTS)}\n\n"
            f"{signature(lead, 'Shift Manager')}")
    extra = [("Resent-Date", format_datetime(resent)), ("Resent-From", a_addr),
             ("Resent-To", personal),
             ("Resent-Message-ID", f"<{resent.strftime('%Y%m%d%H%M%S')}.r"
                                   f"{ctx.rng.getrandbits(40):010x}@mail.{ORG}>")]
    return compose(ctx, sender=(lead.name, l_addr), to=[(agent.name, a_addr)],
                   subject=f"Callback: {p.first} {p.last[0]}", body=text_part(body), dt=dt,
                   extra=extra, recipients_extra=(personal,), user_agent=OUTLOOK)


@shape("delivered-to", "positive", TO_CONSUMER, (NHS, SYMPTOM), container=lambda i: MAILDIR)
def delivered_to(ctx: Ctx) -> Mail:
    """A team-list message auto-forwarded to an agent's consumer mailbox: Delivered-To (and
    X-Original-To) name the consumer address; the copy sits in that person's Maildir."""
    agent = ctx.person()
    lead, l_addr = ctx.staff()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    personal = ctx.personal(agent, ctx.cycle(("googlemail.com", "gmail.com", "aol.com",
                                              "live.co.uk")))
    extra = [("Delivered-To", personal)]
    if ctx.index % 2:
        extra.append(("X-Original-To", personal))
    symptom = ctx.cycle((f"{p.she} has a fever and a new continuous cough",
                         f"{p.she} reports loss of taste and smell",
                         f"{p.she} has been coughing and is short of breath",
                         f"{p.she} has a high temperature"))
    body = (f"Team,\n\nUnallocated case, first free agent please:\n\n{p.name}\n"
            f"NHS no: {fmt_nhs(ctx.nhs(), 'spaced')}\nNotes: {symptom}.\n\n"
            f"{signature(lead, 'Shift Manager')}")
    return compose(ctx, sender=(lead.name, l_addr), to=[("Cases Team", f"cases-team@{ORG}")],
                   subject="Unallocated case", body=text_part(body), dt=dt, extra=extra,
                   recipients_extra=(personal,), user_agent=OUTLOOK)


@shape("octet-stream-notes", "positive", TO_CONSUMER, (NHS, COVID, SYMPTOM))
def octet_stream_notes(ctx: Ctx) -> Mail:
    """An application/octet-stream attachment that is really plain-text case notes (NHS
    number, LFD result, symptoms)."""
    agent, a_addr = ctx.staff()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    symptom = ctx.cycle(("Patient reports fatigue and shortness of breath.",
                         f"{p.she.capitalize()} has a persistent cough.",
                         f"{p.she.capitalize()} reports loss of smell.",
                         "Patient has a fever."))
    notes = (f"CASE NOTES\r\nPatient: {p.name}\r\nNHS No: {fmt_nhs(ctx.nhs(), 'contiguous')}"
             f"\r\nLFD result: {ctx.cycle(RESULTS)}\r\n{symptom}\r\n"
             f"Call back: {ctx.pick(WEEKDAYS[:5])}\r\n")
    name = ctx.cycle(("case_notes.dat", "notes", "export.bin", "CASE1.DAT"))
    note = text_part(f"Notes attached.\n\n{agent.first}\n")
    domain = ctx.cycle(("gmail.com", "aol.com", "yahoo.co.uk", "gmail.com"))
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(agent.name, ctx.personal(agent, domain))], subject="notes",
                   body=multipart("mixed", (note, binary_part(
                       notes.encode(), "application/octet-stream", name)), ctx.rng),
                   dt=dt, user_agent=THUNDERBIRD)


@shape("alternative-conditions", "positive", TO_CONSUMER,
       (PREGNANCY, CONDITION, MEDICATION, ADMISSION))
def alternative_conditions(ctx: Ctx) -> Mail:
    """multipart/alternative (plain + HTML) about a named person: 20 weeks pregnant
    (pregnancy), diabetic and on insulin (condition, medication), admitted to hospital
    (admission); the rules depend on the variant's wording."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    rules: tuple[str, ...]
    if p.female and ctx.index % 2 == 0:
        facts, rules = f"{p.she} is 20 weeks pregnant", (PREGNANCY,)
    else:
        facts, rules = ctx.cycle((
            (f"{p.she} is diabetic and on insulin", (CONDITION, MEDICATION)),
            (f"{p.she} was admitted to hospital on {ctx.pick(WEEKDAYS)}", (ADMISSION,)),
            (f"{p.she} is diabetic and on insulin, and {p.her} partner says {p.she} was "
             f"admitted to hospital last night", (CONDITION, MEDICATION, ADMISSION)),
            (f"{p.she} was admitted to hospital at the weekend", (ADMISSION,))))
    plain = (f"Hi {mgr.first},\n\nUpdate on {p.name}: {facts}. Please don't chase the "
             f"household this week.\n\n{signature(agent, ctx.pick(ROLES[:3]))}")
    html = (f"<html><body><p>Hi {mgr.first},</p><p>Update on <b>{p.name}</b>: {facts}. Please "
            f"don't chase the household this week.</p><p>{agent.name}<br>Tracecall Ltd</p>"
            f"</body></html>\n")
    domain = ctx.cycle(("live.co.uk", "aol.com", "sky.com", "protonmail.com"))
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, domain))], subject=f"Update - {p.first}",
                   body=multipart("alternative", (text_part(plain, cte="quoted-printable"),
                                                  text_part(html, "html",
                                                            cte="quoted-printable")),
                                  ctx.rng),
                   dt=dt, user_agent=OUTLOOK, rules=rules)


# --------------------------------------------------------------------------------------------
# Flagged but not consumer: health data on internal / external-other flows
# --------------------------------------------------------------------------------------------


def _case_block(ctx: Ctx, p: Person) -> str:
    return (f"Name: {p.name}\nNHS number: {fmt_nhs(ctx.nhs(), ctx.pick(('spaced', 'dashed')))}\n"
            f"PCR result: {ctx.cycle(RESULTS)}\n")


@shape("internal-nhs-result", "flagged", INTERNAL, (NHS, COVID), variants=3)
def internal_nhs_result(ctx: Ctx) -> Mail:
    """Internal mail (agent to line manager, both at the organisation) with an NHS number and
    a PCR result."""
    agent, a_addr = ctx.staff()
    mgr, m_addr = ctx.staff()
    p, dt = ctx.person(), ctx.when()
    body = (f"Hi {mgr.first},\n\nEscalating this one:\n\n{_case_block(ctx, p)}\n"
            f"{signature(agent, ctx.pick(ROLES[:2]))}")
    return compose(ctx, sender=(agent.name, a_addr), to=[(mgr.name, m_addr)],
                   subject=f"Escalation - {p.first} {p.last[0]}", body=text_part(body), dt=dt,
                   user_agent=OUTLOOK)


@shape("nhsnet-recipient", "flagged", EXTERNAL_OTHER, (NHS, COVID), variants=3)
def nhsnet_recipient(ctx: Ctx) -> Mail:
    """Health data sent to an NHSmail (nhs.net) address: flagged, but not a consumer flow."""
    agent, a_addr = ctx.staff()
    clin = ctx.person()
    p, dt = ctx.person(), ctx.when()
    addr = f"{ascii_slug(clin.first)}.{ascii_slug(clin.last)}{ctx.rng.randint(1, 9)}@{NHSMAIL}"
    body = (f"Dear {clin.first},\n\nAs requested, the case details for follow-up:\n\n"
            f"{_case_block(ctx, p)}\nKind regards,\n{signature(agent, 'Quality Lead')}")
    return compose(ctx, sender=(agent.name, a_addr), to=[(clin.name, addr)],
                   subject="Case details for follow-up", body=text_part(body), dt=dt,
                   user_agent=OUTLOOK)


@shape("lookalike-domain", "flagged", EXTERNAL_OTHER, (NHS, COVID), variants=3)
def lookalike_domain(ctx: Ctx) -> Mail:
    """Health data sent to a business whose domain merely contains "gmail" or "outlook"
    (gmail-services.co.uk, outlookconsulting.com): not a consumer mailbox."""
    agent, a_addr = ctx.staff()
    contact = ctx.person()
    p, dt = ctx.person(), ctx.when()
    domain = ctx.cycle(LOOKALIKE_DOMAINS)
    addr = f"{ascii_slug(contact.first)}@{domain}"
    body = (f"Hi {contact.first},\n\nThe record for the data-quality audit, as agreed:\n\n"
            f"{_case_block(ctx, p)}\nRegards,\n{signature(agent, 'Quality Lead')}")
    return compose(ctx, sender=(agent.name, a_addr), to=[(contact.name, addr)],
                   subject="Audit sample record", body=text_part(body), dt=dt, user_agent=OUTLOOK)


# --------------------------------------------------------------------------------------------
# Hard negatives: consumer recipients, no health data, traps for every detector
# --------------------------------------------------------------------------------------------


def _member_of_public(ctx: Ctx) -> tuple[Person, str]:
    p = ctx.person()
    return p, ctx.personal(p, ctx.pick(CONSUMER_DOMAINS))


@shape("positive-feedback", "negative", TO_CONSUMER, (),
       container=lambda i: MBOX if i == 0 else None)
def positive_feedback(ctx: Ctx) -> Mail:
    """Thanks for the positive feedback, to a member of the public. Variant 0 carries an
    unquoted body line "From time to time ..." after a blank line in the mbox: it must not
    start a new message."""
    agent, a_addr = ctx.staff()
    p, addr = _member_of_public(ctx)
    colleague, dt = ctx.person(), ctx.when()
    trap = ("\nFrom time to time we ask callers how we did, and comments like yours really "
            "help the team.\n" if ctx.index == 0 else "")
    body = (f"Dear {p.first},\n\nThanks for the positive feedback about your call with "
            f"{colleague.first} on {ctx.pick(WEEKDAYS[:5])}. I've passed it on to "
            f"{colleague.first} and to the team.\n{trap}\nKind regards,\n"
            f"{signature(agent, 'Team Leader, Contact Centre')}")
    return compose(ctx, sender=(agent.name, a_addr), to=[(p.name, addr)],
                   subject=ctx.cycle(("Thank you for your feedback", "Re: Feedback",
                                      "Your comments", "Thank you")),
                   body=text_part(body), dt=dt, unquoted_from=ctx.index == 0, user_agent=OUTLOOK)


@shape("test-the-build", "negative", TO_CONSUMER, ())
def test_the_build(ctx: Ctx) -> Mail:
    """We need to "test the build" and the "results are positive overall": software testing
    words, sent to a contractor's consumer address."""
    dev, d_addr = ctx.staff()
    contractor, addr = _member_of_public(ctx)
    dt = ctx.when()
    body = (f"Hi {contractor.first},\n\nWe need to test the build on the new dialler before "
            f"{ctx.pick(('Friday', 'Thursday'))}'s release. The first runs look good and the "
            f"results are positive overall, but the regression suite still fails on the "
            f"reporting screen.\n\nCan you re-run it against build {ctx.rng.randint(400, 899)} "
            f"and send me the log?\n\nThanks,\n{dev.name}\nIT Services | Tracecall Ltd\n")
    return compose(ctx, sender=(dev.name, d_addr), to=[(contractor.name, addr)],
                   subject=ctx.cycle(("Dialler release", "Re: build status", "regression run",
                                      "Release checks")),
                   body=text_part(body), dt=dt, user_agent=THUNDERBIRD)


@shape("mod11-fail-reference", "negative", TO_CONSUMER, ())
def mod11_fail_reference(ctx: Ctx) -> Mail:
    """Complaint case references shaped like NHS numbers (10 digits, 3-3-4) that fail the
    mod-11 check."""
    agent, a_addr = ctx.staff()
    p, addr = _member_of_public(ctx)
    dt = ctx.when()
    ref = bad_reference(ctx.rng)
    body = (f"Dear {p.name},\n\nThank you for contacting us. Your complaint has been logged "
            f"and your case reference is {fmt_nhs(ref, ctx.cycle(('spaced', 'dashed')))}.\n\n"
            f"Please quote reference {bad_reference(ctx.rng)} if you need to write to us "
            f"again; we aim to reply within 10 working days.\n\nYours sincerely,\n"
            f"{signature(agent, 'Customer Relations')}")
    return compose(ctx, sender=("Tracecall Customer Relations", f"complaints@{ORG}"),
                   to=[(p.name, addr)], subject="Your complaint", body=text_part(body), dt=dt,
                   user_agent=OUTLOOK)


@shape("phone-signature", "negative", TO_CONSUMER, ())
def phone_signature(ctx: Ctx) -> Mail:
    """UK phone numbers (07700 900xxx, +44 20 7946 0xxx, 0161 496 0xxx) in a signature; their
    last ten digits pass mod-11, but they are 11-digit phone numbers."""
    agent, a_addr = ctx.staff()
    p, addr = _member_of_public(ctx)
    dt = ctx.when()
    mob, ldn, mcr = (passing_tail(ctx.rng, pre) for pre in ("7700900", "2079460", "1614960"))
    body = (f"Hi {p.first},\n\nThanks for your application. We'd like to invite you to an "
            f"interview on {(dt + timedelta(days=7)).strftime('%A %d %B')} at our Manchester "
            f"office. Please bring photo ID.\n\nBest wishes,\n{agent.name}\nRecruitment | "
            f"Tracecall Ltd\nTel: 0{mcr[:3]} {mcr[3:6]} {mcr[6:]}\n"
            f"Mob: 0{mob[:4]} {mob[4:]}\nSwitchboard: +44 {ldn[:2]} {ldn[2:6]} {ldn[6:]}\n")
    return compose(ctx, sender=(agent.name, a_addr), to=[(p.name, addr)],
                   subject="Interview invitation", body=text_part(body), dt=dt,
                   user_agent=OUTLOOK)


@shape("order-number-mod11-pass", "negative", TO_CONSUMER, ())
def order_number_mod11_pass(ctx: Ctx) -> Mail:
    """An order number that passes mod-11 (in the NHS number ranges) with only order and
    invoice context around it."""
    buyer, b_addr = ctx.staff()
    supplier, addr = _member_of_public(ctx)
    dt = ctx.when()
    order = nhs_number(ctx.rng)
    body = (f"Hi {supplier.first},\n\nOrder number {order} confirmed: "
            f"{ctx.rng.randint(10, 40)} USB headsets and {ctx.rng.randint(2, 9)} chargers, "
            f"delivery to the Manchester office. Please send the invoice to "
            f"accounts@{ORG} with the order number on it.\n\nMany thanks,\n{buyer.name}\n"
            f"Facilities | Tracecall Ltd\n")
    return compose(ctx, sender=(buyer.name, b_addr), to=[(supplier.name, addr)],
                   subject=f"Order {order}", body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("nhs-newsletter-footer", "negative", TO_CONSUMER, ())
def nhs_newsletter_footer(ctx: Ctx) -> Mail:
    """A staff newsletter and a disclaimer footer mentioning "NHS Test and Trace", no personal
    data, sent to staff's personal addresses."""
    staff = [ctx.person() for _ in range(3)]
    dt = ctx.when()
    body = (f"Tracecall News - {dt.strftime('%B %Y')}\n\nWelcome to our new starters, "
            f"{staff[0].first} and {staff[1].first}!\n\nThe car park on Dale Street closes for "
            f"resurfacing next week. The charity bake sale raised £{ctx.rng.randint(120, 480)}"
            f" - well done {staff[2].first}.\n\nRota requests for next month are due by "
            f"Friday.\n\n--\nThis email is from Tracecall Ltd, a contact centre supplier to "
            f"NHS Test and Trace. It is confidential and intended only for the addressee. If "
            f"you have received it in error please tell the sender and delete it.\n")
    # 8bit: the pound sign is raw UTF-8.
    to = [(p.name, ctx.personal(p, ctx.pick(CONSUMER_DOMAINS))) for p in staff]
    return compose(ctx, sender=("Tracecall Internal Comms", f"comms@{ORG}"), to=to,
                   subject=f"Tracecall News - {dt.strftime('%B')}",
                   body=text_part(body, cte="8bit"), dt=dt, user_agent=OUTLOOK)


@shape("placeholder-nhs-number", "negative", TO_CONSUMER, (),
       container=lambda i: MBOX if i == 0 else None)
def placeholder_nhs_number(ctx: Ctx) -> Mail:
    """Training note with "NHS number: 9999999999 (unknown)": a repeated-digit placeholder that
    passes mod-11, and no other health data."""
    trainer, t_addr = ctx.staff()
    trainee, addr = _member_of_public(ctx)
    dt = ctx.when()
    placeholder = ctx.cycle(("9999999999", "1111111111", "9999999999", "0000000000"))
    body = (f"Hi {trainee.first},\n\nOne thing from today's session: when a caller can't give "
            f"it, record\n\nNHS number: {placeholder} (unknown)\n\nand carry on with the next "
            f"question. Don't guess it.\n\nSee you tomorrow,\n{trainer.name}\nTraining | "
            f"Tracecall Ltd\n")
    return compose(ctx, sender=(trainer.name, t_addr), to=[(trainee.name, addr)],
                   subject="Today's session", body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("meeting-invite", "negative", TO_CONSUMER, ())
def meeting_invite(ctx: Ctx) -> Mail:
    """A meeting invitation (text/plain + text/calendar) about the quarter's results and a
    software test plan: "test" and "results" in unrelated senses."""
    org, o_addr = ctx.staff()
    guest, addr = _member_of_public(ctx)
    dt = ctx.when()
    start = (dt + timedelta(days=3)).replace(hour=10, minute=0, second=0)
    stamp = "%Y%m%dT%H%M%SZ"
    what = ctx.cycle(("Q1 results review and test plan", "Results review / UAT test schedule",
                      "Test plan sign-off and Q1 results", "Quarterly results and test run"))
    plain = (f"{what}\nWhen: {start.strftime('%a %d %b %Y %H:%M')} - 11:00 (GMT)\n"
             f"Where: Teams\n\nWe'll go through the quarter's results and agree the test plan "
             f"for the new reporting dashboard.\n\n{org.name}\n")
    uid = f"{ctx.rng.getrandbits(64):016x}@{ORG}"
    ics = ("BEGIN:VCALENDAR\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\n"
           "VERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\n"
           f"ORGANIZER;CN={org.name}:mailto:{o_addr}\n"
           f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{addr}\n"
           f"DTSTART:{start.strftime(stamp)}\n"
           f"DTEND:{(start + timedelta(hours=1)).strftime(stamp)}\n"
           f"DTSTAMP:{dt.strftime(stamp)}\nUID:{uid}\nSUMMARY:{what}\nLOCATION:Teams\n"
           "END:VEVENT\nEND:VCALENDAR\n")
    cal = Entity((("Content-Type", "text/calendar; charset=\"utf-8\"; method=REQUEST"),
                  ("Content-Transfer-Encoding", "7bit")), ics)
    return compose(ctx, sender=(org.name, o_addr), to=[(guest.name, addr)],
                   subject=f"Invitation: {what}",
                   body=multipart("alternative", (text_part(plain), cal), ctx.rng), dt=dt,
                   user_agent=OUTLOOK)


# --------------------------------------------------------------------------------------------
# Issue 5: more identifiers, health statements, suppression traps, threads
# --------------------------------------------------------------------------------------------


def _cap(text: str) -> str:
    """First letter upper-cased, the rest untouched (str.capitalize lower-cases day names)."""
    return text[:1].upper() + text[1:]


def _born(ctx: Ctx) -> date:
    return date(1941, 1, 1) + timedelta(days=ctx.rng.randrange(365 * 64))


@shape("chi-scottish-case-note", "positive", TO_CONSUMER, (CHI, COVID))
def chi_scottish_case_note(ctx: Ctx) -> Mail:
    """A Scottish case note with two CHI numbers (the case and a household member; DDMMYY date
    of birth, sex digit, Modulus 11 check, or in odd variants a check that passes only the 2026
    Modulus 10 rule) and a PCR result, sent to a manager's gmail.com address."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    case, other, dt = ctx.person(), ctx.person(), ctx.when()
    ctx.subject(other)
    ctx.subject(case)
    mod10 = ctx.index % 2 == 1
    born, born2 = _born(ctx), _born(ctx)
    chi1 = chi_number(ctx.rng, born, case.female, mod10)
    chi2 = chi_number(ctx.rng, born2, other.female, mod10)
    sep = ctx.cycle(("", " ", "", "-"))

    def fmt(chi: str) -> str:
        return f"{chi[:6]}{sep}{chi[6:]}"

    body = (f"Hi {mgr.first},\n\nOne for the Glasgow team (NHS Scotland case, so CHI not NHS "
            f"number):\n\nPatient: {case.name}\nDOB: {born.strftime('%d/%m/%Y')}\n"
            f"CHI: {fmt(chi1)}\nPCR result: {ctx.cycle(RESULTS)} ({short_date(dt)})\n\n"
            f"Household member: {other.name}, DOB {born2.strftime('%d/%m/%Y')}, CHI no "
            f"{fmt(chi2)}\n\nThanks,\n{signature(agent, ctx.pick(ROLES[:2]))}")
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, "gmail.com"))],
                   subject=ctx.cycle(("Scottish case", "Glasgow one", "CHI case",
                                      f"{case.first} (Scotland)")),
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("hc-ni-case-note", "positive", TO_CONSUMER, (HC, COVID))
def hc_ni_case_note(ctx: Ctx) -> Mail:
    """A Northern Ireland case note with a Health and Care (H&C) number (mod-11, first nine
    digits 320 000 001-399 999 999) and a lateral flow result, sent to a consumer address."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    case, dt = ctx.person(), ctx.when()
    ctx.subject(case)
    number = fmt_nhs(hc_number(ctx.rng), ctx.cycle(("spaced", "contiguous", "spaced", "dashed")))
    label = ctx.cycle(("H&C number", "H&C no.", "Health and Care number", "H+C number"))
    body = (f"{mgr.first},\n\nNI case for Belfast (HSC, so it's an H&C number):\n\n"
            f"Name: {case.name}\nDOB: {ctx.dob()}\n{label}: {number}\n"
            f"Lateral flow result: {ctx.cycle(RESULTS)}\n\n{agent.first}\n\n"
            f"{signature(agent, ctx.pick(ROLES[:2]))}")
    domain = ctx.cycle(("gmail.com", "hotmail.co.uk", "icloud.com", "gmail.com"))
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, domain))], subject="NI case",
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("nhs-test-range-training", "test-data", TO_CONSUMER, (NHS,))
def nhs_test_range_training(ctx: Ctx) -> Mail:
    """A training scenario sent to a trainee's gmail.com address with NHS numbers from the
    reserved 999 test range: the NHS number rule fires as test data, never as a breach."""
    trainer, t_addr = ctx.staff()
    trainee = ctx.person()
    dt = ctx.when()
    rows = "".join(f"Caller {n}: Test Patient {chr(64 + n)}, DOB 01/0{n}/1980, NHS number "
                   f"{fmt_nhs(test_range_number(ctx.rng), ctx.pick(('spaced', 'contiguous')))}"
                   f"\n" for n in range(1, ctx.rng.randint(2, 4) + 1))
    body = (f"Hi {trainee.first},\n\nTraining scenario {ctx.index + 1} for tomorrow's role "
            f"play. These are test-data records from the training system, not real patients:"
            f"\n\n{rows}\nPractise confirming the caller's identity before you read anything "
            f"back.\n\n{trainer.name}\nTraining | Tracecall Ltd\n")
    return compose(ctx, sender=(trainer.name, t_addr),
                   to=[(trainee.name, ctx.personal(trainee, "gmail.com"))],
                   subject=f"Training scenario {ctx.index + 1}", body=text_part(body), dt=dt,
                   user_agent=OUTLOOK)


NHS_DISCLAIMER = (
    "This email and any attachments are confidential and intended solely for the addressee. "
    "Tracecall Ltd provides contact tracing services to NHS Test and Trace; if you have "
    "received this email in error, please notify the sender and delete it. Any patient "
    "information must be handled in line with NHS data security standards.")


@shape("invoice-number-nhs-signature", "negative", TO_CONSUMER, ())
def invoice_number_nhs_signature(ctx: Ctx) -> Mail:
    """Accounts mail to a freelance trainer's personal address: a checksum-valid number in the
    NHS ranges written as an invoice, order or account number (its label right before it), next
    to an "NHS Test and Trace" signature and an NHS-branded confidentiality disclaimer."""
    clerk, c_addr = ctx.staff()
    payee, addr = _member_of_public(ctx)
    dt = ctx.when()
    number = fmt_nhs(nhs_number(ctx.rng), ctx.cycle(("contiguous", "spaced", "contiguous",
                                                     "dashed")))
    label = ctx.cycle(("Invoice no.", "Order no:", "Account", "Invoice number"))
    body = (f"Dear {payee.first},\n\nThank you for the training sessions in "
            f"{dt.strftime('%B')}. {label} {number} has been approved and will be paid on the "
            f"next payment run (£{ctx.rng.randint(300, 1900)}.00).\n\nKind regards,\n\n"
            f"-- \n{clerk.name}\nAccounts Payable | Tracecall Ltd\n"
            f"Proud to support NHS Test and Trace\n\n{NHS_DISCLAIMER}\n")
    return compose(ctx, sender=(clerk.name, c_addr), to=[(payee.name, addr)],
                   subject=f"Remittance - {label.split()[0]} {number}",
                   body=text_part(body, cte="8bit"), dt=dt, user_agent=OUTLOOK)


@shape("url-iban-number", "negative", TO_CONSUMER, ())
def url_iban_number(ctx: Ctx) -> Mail:
    """A payment confirmation whose link carries a checksum-valid 10-digit number in its path or
    query, and whose IBAN (valid mod-97 check digits) embeds another one in its digits."""
    clerk, c_addr = ctx.staff()
    payee, addr = _member_of_public(ctx)
    dt = ctx.when()
    in_url = nhs_number(ctx.rng)
    in_iban = nhs_number(ctx.rng) + f"{ctx.rng.randrange(10**4):04d}"
    iban = iban_gb(ctx.pick(("BARC", "NWBK", "LOYD", "HBUK")), in_iban)
    if ctx.index % 2:
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    url = ctx.cycle((f"https://pay.tracecall.co.uk/remittance/{in_url}/pdf",
                     f"https://pay.tracecall.co.uk/view?doc={in_url}&fmt=pdf",
                     f"https://portal.payroll-bureau.co.uk/r/{in_url}",
                     f"https://pay.tracecall.co.uk/remittance/{in_url}"))
    body = (f"Hi {payee.first},\n\nYour expenses have been paid to IBAN {iban}.\n"
            f"The remittance advice is here: {url}\n\nThanks,\n{clerk.name}\nFinance | "
            f"Tracecall Ltd\n")
    return compose(ctx, sender=(clerk.name, c_addr), to=[(payee.name, addr)],
                   subject="Expenses paid", body=text_part(body), dt=dt, user_agent=OUTLOOK)


def _phone_mod11(ctx: Ctx, area: str) -> str:
    """A North American style 10-digit number (area, 555, 01xx) whose digits pass mod-11."""
    while True:
        nine = f"{area}55501{ctx.rng.randrange(10)}"
        check = nhs_check_digit(nine)
        if check is not None:
            return f"{nine}{check}"


@shape("tel-number-mod11", "negative", TO_CONSUMER, ())
def tel_number_mod11(ctx: Ctx) -> Mail:
    """A supplier's contact block with 10-digit phone numbers written 3-3-4 (area codes in the
    NHS number ranges) that pass mod-11, each preceded by "Tel:", "Phone:", "Mobile:" or
    "Fax:"; odd variants mention the "patient booking system" nearby."""
    it, i_addr = ctx.staff()
    contractor, addr = _member_of_public(ctx)
    dt = ctx.when()
    tel, fax = (_phone_mod11(ctx, ctx.pick(("415", "469", "646", "614", "703", "720")))
                for _ in range(2))
    sep = ctx.cycle((" ", "-", ".", " "))
    label = ctx.cycle(("Tel:", "Phone:", "Mobile:", "Tel:"))
    about = ("the patient booking system demo" if ctx.index % 2 else "the dialler licence renewal")
    body = (f"Hi {contractor.first},\n\nFor {about}, their US support desk is the contact:\n\n"
            f"Dana Whitfield, Account Manager\n{label} {fmt_nhs(tel, 'spaced').replace(' ', sep)}"
            f"\nFax: {fmt_nhs(fax, 'spaced').replace(' ', sep)}\n\nThey're on Eastern time, so "
            f"after 2pm our time is best.\n\nCheers,\n{it.name}\nIT Services | Tracecall Ltd\n")
    return compose(ctx, sender=(it.name, i_addr), to=[(contractor.name, addr)],
                   subject="Supplier contact", body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("bare-mod11-number", "negative", TO_CONSUMER, ())
def bare_mod11_number(ctx: Ctx) -> Mail:
    """A checksum-valid 10-digit number in the NHS ranges with no context at all (a note to
    self): low confidence, so nothing is reported at the default threshold."""
    agent, a_addr = ctx.staff()
    dt = ctx.when()
    number = fmt_nhs(nhs_number(ctx.rng), ctx.cycle(("contiguous", "spaced", "dashed",
                                                     "contiguous")))
    body = ctx.cycle((f"{number}\n", f"{number}\n\nSent from my iPhone\n",
                      f"for later: {number}\n", f"{number} - ring back after 3\n"))
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(agent.name, ctx.personal(agent, ctx.pick(CONSUMER_DOMAINS)))],
                   subject=ctx.cycle(("number", "note", "reminder", "that one")),
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("newsletter-bulk", "negative", TO_CONSUMER, (), container=lambda i: MAILDIR)
def newsletter_bulk(ctx: Ctx) -> Mail:
    """An NHS Test and Trace staff bulletin sent as bulk mail (List-Unsubscribe, List-Id,
    Precedence: bulk) to a personal address, found in that person's Maildir: symptoms and
    vaccination advice in general terms, and a staff story ("had her first dose") that is not
    a case."""
    reader = ctx.person()
    nurse = ctx.person()
    dt = ctx.when()
    sender = "bulletin@updates.test-and-trace.nhs.uk"
    story = ctx.cycle((
        f"Staff nurse {nurse.name} had {nurse.her} first dose at the Etihad hub and says the "
        f"queue took ten minutes.",
        f"{nurse.name} from the Leeds site got {nurse.her} vaccine last week and is now a "
        f"vaccination champion.",
        f"Meet {nurse.name}, who has been answering calls since the first wave.",
        f"{nurse.name} ran the Manchester 10k for the hospital charity."))
    body = (f"NHS Test and Trace - staff bulletin, {dt.strftime('%d %B %Y')}\n\n"
            f"Symptoms to look out for: a high temperature, a new continuous cough, or a loss "
            f"or change to your sense of smell or taste. If you have any of these, stay at home "
            f"and book a test.\n\nVaccination: everyone aged 70 and over can now book. If you "
            f"are pregnant, talk to your midwife about the vaccine.\n\n{story}\n\n"
            f"You are receiving this because you subscribed to staff updates.\n"
            f"Unsubscribe: https://updates.test-and-trace.nhs.uk/u/{ctx.rng.getrandbits(48):x}\n")
    unsub = f"<https://updates.test-and-trace.nhs.uk/u/{ctx.rng.getrandbits(48):x}>"
    extra = [("List-Unsubscribe", f"{unsub}, <mailto:unsubscribe@updates.test-and-trace"
                                  f".nhs.uk>"),
             ("List-Id", "NHS Test and Trace staff bulletin <bulletin.test-and-trace.nhs.uk>"),
             ("Precedence", "bulk")]
    return compose(ctx, sender=("NHS Test and Trace", sender),
                   to=[(reader.name, ctx.personal(reader, ctx.pick(CONSUMER_DOMAINS)))],
                   subject=f"Staff bulletin - {dt.strftime('%d %B')}", body=text_part(body),
                   dt=dt, extra=extra, msgid_domain="updates.test-and-trace.nhs.uk")


@shape("you-advice-generic", "negative", TO_CONSUMER, ())
def you_advice_generic(ctx: Ctx) -> Mail:
    """HR guidance to staff's personal addresses: symptoms, self-isolation, pregnancy and
    vaccination written as advice to "you", about no one in particular."""
    hr, h_addr = ctx.staff()
    staff = [ctx.person() for _ in range(2)]
    dt = ctx.when()
    body = (f"Hello both,\n\nA reminder of the attendance policy. If you develop a new "
            f"continuous cough, a high temperature or a loss of taste or smell, do not come "
            f"to the office: you should self-isolate and book a test. If you are pregnant, ask "
            f"your manager for a risk assessment. You can book your vaccination through the "
            f"national booking service when you are invited.\n\nThanks,\n{hr.name}\nPeople "
            f"Team | Tracecall Ltd\n")
    return compose(ctx, sender=(hr.name, h_addr),
                   to=[(p.name, ctx.personal(p, ctx.pick(CONSUMER_DOMAINS))) for p in staff],
                   subject=ctx.cycle(("Attendance policy", "Reminder: if you feel unwell",
                                      "Policy update", "Staying safe")),
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("case-reference-isolating", "positive", TO_CONSUMER, (CASE_STATUS,))
def case_reference_isolating(ctx: Ctx) -> Mail:
    """Only a Test and Trace case reference (TC-nnnnnn) and a person's case status: isolating,
    told to isolate, a close contact of a positive case, an index case. No name, no number."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    ref = f"TC-{ctx.rng.randint(100000, 999999)}"
    line = ctx.cycle((
        f"Case {ref} — {p.she}'s isolating until {ctx.pick(WEEKDAYS)}, so no visit.",
        f"Case {ref}: {p.she} was told to isolate for 10 days from {short_date(dt)}.",
        f"Case {ref} - {p.she} is a close contact of a positive case at {p.her} work.",
        f"Case {ref}: {p.she} is the index case for the household, the rest are self-isolating."
    ))
    body = f"{mgr.first},\n\n{line}\n\n{agent.first}\n"
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, "gmail.com"))], subject=ref,
                   body=text_part(body, cte="8bit" if not body.isascii() else "7bit"), dt=dt,
                   user_agent=OUTLOOK)


@shape("welfare-statements", "positive", TO_CONSUMER,
       (MEDICATION, ADMISSION, DISABILITY, VACCINATION))
def welfare_statements(ctx: Ctx) -> Mail:
    """Welfare-call notes about a named person: a disability (wheelchair user, learning
    disability, registered blind, autistic), a medication, a hospital admission or discharge,
    and vaccination status."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    day = ctx.pick(WEEKDAYS)
    disability = ctx.cycle((f"{p.she} is a wheelchair user", f"{p.she} has a learning disability",
                            f"{p.she} is registered blind", f"{p.she} is autistic"))
    medication = ctx.cycle((f"{p.she} is on warfarin", f"{p.she} was prescribed sertraline",
                            f"{p.she} is on methotrexate", f"{p.she} is on steroids"))
    admission = ctx.cycle((f"{p.she} was discharged from hospital on {day}",
                           f"{p.she} was admitted to A&E on {day}",
                           f"{p.she} was in intensive care until {day}",
                           f"{p.she} was admitted to the ward on {day}"))
    vaccination = ctx.cycle((f"{p.she} has had {p.her} first dose",
                             f"{p.she} had {p.her} booster jab last month",
                             f"{p.she} is unvaccinated", f"{p.she} had {p.her} second dose"))
    body = (f"Hi {mgr.first},\n\nWelfare call notes for {p.name} (lives alone): "
            f"{disability}, and {medication}. {_cap(admission)}. {_cap(vaccination)}. "
            f"{_cap(p.she)} needs a food parcel this week.\n\n"
            f"{signature(agent, ctx.pick(ROLES[:3]))}")
    domain = ctx.cycle(("hotmail.co.uk", "icloud.com", "gmail.com", "yahoo.co.uk"))
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, domain))],
                   subject=f"Welfare call - {p.first}", body=text_part(body), dt=dt,
                   user_agent=OUTLOOK)


@shape("condition-statements", "positive", FROM_CONSUMER, (CONDITION,))
def condition_statements(ctx: Ctx) -> Mail:
    """An agent writes from a personal address to a manager's work address about a named
    person's and a relative's diagnoses (COPD, dementia, epilepsy, HIV positive, dialysis,
    shielding as clinically extremely vulnerable, ...)."""
    agent = ctx.person()
    mgr, m_addr = ctx.staff()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p, "relative")
    own = ctx.cycle((f"{p.she} has COPD and asthma", f"{p.she} has epilepsy",
                     f"{p.she} is HIV positive", f"{p.she} has type 2 diabetes",
                     f"{p.she} is on dialysis for kidney disease",
                     f"{p.she} is clinically extremely vulnerable and shielding"))
    relative = ctx.cycle((f"{p.her} husband has dementia", f"{p.her} mum has heart failure",
                          f"{p.her} son has schizophrenia", f"{p.her} partner has cancer",
                          f"{p.her} brother has bipolar disorder",
                          f"{p.her} dad has hepatitis C"))
    body = (f"Hi {mgr.first},\n\nRe {p.name} (DOB {ctx.dob()}): {own}, and {relative}, so "
            f"please make sure the next call is from someone senior.\n\n{agent.first}\n\n"
            f"Sent from my iPhone\n")
    domain = ctx.cycle(("gmail.com", "hotmail.co.uk", "yahoo.co.uk", "icloud.com"))
    return compose(ctx, sender=(agent.name, ctx.personal(agent, domain)),
                   to=[(mgr.name, m_addr)], subject=f"{p.first} - vulnerable",
                   body=text_part(body), dt=dt,
                   msgid_domain="mail.gmail.com" if "gmail" in domain else f"mail.{domain}")


@shape("awareness-week-generic", "negative", TO_CONSUMER, ())
def awareness_week_generic(ctx: Ctx) -> Mail:
    """A charity and awareness-week note to staff's personal addresses: diabetes, asthma,
    cancer, dementia and learning disability named as causes and statistics, about no one."""
    comms, c_addr = ctx.staff()
    reader = ctx.person()
    dt = ctx.when()
    cause = ctx.cycle(("Diabetes", "Dementia", "Learning Disability", "Asthma"))
    body = (f"Hi {reader.first},\n\nThis is {cause} Awareness Week. Around 1 in 15 people in "
            f"the UK live with diabetes, and 5.4 million with asthma. Our charity of the year "
            f"funds cancer research and dementia support groups, and the Friday bake sale "
            f"raises money for a learning disability charity in Salford.\n\nThanks for your "
            f"support,\n{comms.name}\nInternal Comms | Tracecall Ltd\n")
    return compose(ctx, sender=(comms.name, c_addr),
                   to=[(reader.name, ctx.personal(reader, ctx.pick(CONSUMER_DOMAINS)))],
                   subject=f"{cause} Awareness Week", body=text_part(body), dt=dt,
                   user_agent=OUTLOOK)


@shape("colloquial-results", "positive", TO_CONSUMER, (COVID,))
def colloquial_results(ctx: Ctx) -> Mail:
    """Test results in the words agents actually type: "+ve on a lateral flow", "PCR:
    NEGATIVE", "covid +ve", "tested positive for coronavirus", an inconclusive swab."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    line = ctx.cycle((f"{p.name} tested +ve on a lateral flow this morning",
                      f"{p.name} - PCR: NEGATIVE",
                      f"{p.first} {p.last[0]} is covid +ve (PCR {short_date(dt)})",
                      f"{p.name} has tested positive for coronavirus",
                      f"{p.name}'s swab result was inconclusive, so {p.she} is re-testing",
                      f"{p.name}: LFT neg, PCR booked anyway"))
    body = f"{mgr.first}\n\n{line}.\n\n{agent.first}\n"
    domain = ctx.cycle(("gmail.com", "outlook.com", "sky.com", "gmail.com", "icloud.com"))
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, domain))], subject=p.first,
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("colloquial-symptoms", "positive", TO_CONSUMER, (SYMPTOM,))
def colloquial_symptoms(ctx: Ctx) -> Mail:
    """Symptoms described loosely about a named person: can't taste or smell anything, a temp
    of 38.x, coughing all night, struggling to breathe, breathless and exhausted, a sore throat
    and a headache."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    line = ctx.cycle((f"{p.she} can't taste or smell anything since {ctx.pick(WEEKDAYS)}",
                      f"{p.she}'s got a temp of 38.{ctx.rng.randint(1, 9)} and feels awful",
                      f"{p.she} has been coughing all night",
                      f"{p.she} is struggling to breathe",
                      f"{p.she} has been breathless and exhausted all week",
                      f"{p.her} throat is really sore and {p.she} has a banging headache"))
    body = (f"Hi {mgr.first},\n\nSpoke to {p.name}'s daughter: {line}. Can someone senior "
            f"call back?\n\n{signature(agent, ctx.pick(ROLES[:2]))}")
    domain = ctx.cycle(("hotmail.co.uk", "gmail.com", "btinternet.com", "aol.com"))
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, domain))], subject=f"{p.first} call back",
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("lab-business-positive", "negative", TO_CONSUMER, ())
def lab_business_positive(ctx: Ctx) -> Mail:
    """Operations news with test words next to "positive" and "negative" about no one: PCR lab
    turnaround figures are positive, feedback on lateral flow kits was positive, a negative
    trend in COVID call volumes."""
    ops, o_addr = ctx.staff()
    contractor, addr = _member_of_public(ctx)
    dt = ctx.when()
    lines = ctx.cycle((
        "The PCR lab turnaround figures are positive this week: 94% back within 24 hours.",
        "Feedback on the new lateral flow kits was positive across all three sites.",
        "COVID call volumes show a negative trend, down 12% on last week.",
        "The swab supplier audit was positive overall, with two minor actions.",
        "Antigen kit stock is in negative territory at Salford, so reorder today."))
    body = (f"Hi {contractor.first},\n\nQuick operations update for your report:\n\n{lines}\n\n"
            f"Thanks,\n{ops.name}\nOperations | Tracecall Ltd\n")
    return compose(ctx, sender=(ops.name, o_addr), to=[(contractor.name, addr)],
                   subject="Operations update", body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("nhs-number-odd-layout", "positive", TO_CONSUMER, (NHS,))
def nhs_number_odd_layout(ctx: Ctx) -> Mail:
    """NHS numbers in the layouts people type: the label on the line above, "N.H.S. No",
    "Patient ID (NHS)", the label after the number; with a name and date of birth."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    number = ctx.nhs()
    line = ctx.cycle((f"NHS Number:\n{fmt_nhs(number, 'spaced')}",
                      f"N.H.S. No {fmt_nhs(number, 'contiguous')}",
                      f"Patient ID (NHS): {fmt_nhs(number, 'dashed')}",
                      f"{fmt_nhs(number, 'spaced')} is {p.her} NHS number",
                      f"nhs no. {fmt_nhs(number, 'contiguous')} (from {p.her} GP letter)"))
    body = (f"{mgr.first},\n\nFor the record you wanted:\n\n{p.name}\nDOB {ctx.dob()}\n"
            f"{line}\n\n{agent.first}\n")
    domain = ctx.cycle(("gmail.com", "yahoo.co.uk", "live.co.uk", "protonmail.com"))
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, domain))], subject="record",
                   body=text_part(body), dt=dt, user_agent=THUNDERBIRD)


@shape("signature-context-only", "negative", TO_CONSUMER, ())
def signature_context_only(ctx: Ctx) -> Mail:
    """A checksum-valid number in the body whose only health and identity words are in the
    sender's signature ("Patient Contact Team", "Diabetes Specialist Nurse", "COVID-19
    vaccination hub") and NHS disclaimer, after a `-- ` line or a plain sign-off block."""
    nurse, n_addr = ctx.staff()
    friend, addr = _member_of_public(ctx)
    dt = ctx.when()
    number = fmt_nhs(nhs_number(ctx.rng), ctx.cycle(("spaced", "contiguous")))
    role = ctx.cycle(("Diabetes Specialist Nurse (seconded)", "Patient Contact Team Lead",
                      "Clinical Lead, COVID-19 vaccination hub", "Respiratory and COPD Nurse"))
    sep = "-- \n" if ctx.index % 2 == 0 else ""
    body = (f"Hi {friend.first},\n\nThe number you asked for is {number}. See you on "
            f"{ctx.pick(WEEKDAYS[:5])}!\n\nKind regards,\n{sep}{nurse.name}\n{role}\n"
            f"Tracecall Ltd for NHS Test and Trace | Patient Contact Team\n\n"
            f"{NHS_DISCLAIMER}\n")
    return compose(ctx, sender=(nurse.name, n_addr), to=[(friend.name, addr)],
                   subject=ctx.cycle(("that number", "Re: number", "as asked", "number")),
                   body=text_part(body), dt=dt, user_agent=OUTLOOK)


@shape("html-nbsp-number", "positive", TO_CONSUMER, (NHS, COVID))
def html_nbsp_number(ctx: Ctx) -> Mail:
    """Outlook-style HTML only: the NHS number's groups joined by `&nbsp;` (a no-break space
    once decoded), the result in bold in another paragraph, styles and a comment around them."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(), ctx.when()
    ctx.subject(p)
    n = ctx.nhs()
    html = ("<html><head><style><!-- p.MsoNormal {margin:0cm; font-family:Calibri} --></style>"
            "</head>\n<body lang=\"EN-GB\"><div class=\"WordSection1\">\n"
            f"<p class=\"MsoNormal\">Hi {mgr.first},<o:p></o:p></p>\n"
            f"<p class=\"MsoNormal\">{p.name}, DOB&nbsp;{ctx.dob()}<o:p></o:p></p>\n"
            f"<p class=\"MsoNormal\">NHS number:&nbsp;{n[:3]}&nbsp;{n[3:6]}&nbsp;{n[6:]}"
            "<o:p></o:p></p>\n"
            f"<p class=\"MsoNormal\">{ctx.cycle(('PCR', 'LFD', 'Lateral flow', 'PCR'))} result:"
            f"&nbsp;<b>{ctx.cycle(RESULTS)}</b><o:p></o:p></p>\n"
            f"<p class=\"MsoNormal\">{agent.first}<o:p></o:p></p>\n</div></body></html>\n")
    return compose(ctx, sender=(agent.name, a_addr),
                   to=[(mgr.name, ctx.personal(mgr, ctx.cycle(("gmail.com", "outlook.com",
                                                               "hotmail.co.uk", "gmail.com"))))],
                   subject=f"{p.first}", body=text_part(html, "html", cte="quoted-printable"),
                   dt=dt, user_agent=OUTLOOK)


@dataclass(frozen=True)
class Thread:
    """The first message of a thread and the facts its replies quote."""

    mail: Mail
    agent: Person
    a_addr: str
    mgr: Person
    personal: str
    case: Person
    body: str


def _thread(seed: int, index: int) -> Thread:
    """The `thread-original` variant `index`, rebuilt the same way for its replies."""
    ctx = Ctx("thread-original", index, seed)
    agent, a_addr = ctx.staff()
    mgr, case = ctx.person(), ctx.person()
    ctx.subject(case)
    dt = ctx.when()
    personal = ctx.personal(mgr, ctx.cycle(("gmail.com", "gmail.com", "googlemail.com",
                                            "gmail.com")))
    body = (f"Hi {mgr.first},\n\nThis one needs chasing tomorrow:\n\n{case.name}\n"
            f"NHS number: {fmt_nhs(ctx.nhs(), ctx.cycle(('spaced', 'dashed')))}\n"
            f"PCR result: {ctx.cycle(RESULTS)}\n\nThanks,\n{signature(agent, ROLES[0])}")
    mail = compose(ctx, sender=(agent.name, a_addr), to=[(mgr.name, personal)],
                   subject=f"Chase - {case.first}", body=text_part(body), dt=dt,
                   user_agent=OUTLOOK)
    return Thread(mail, agent, a_addr, mgr, personal, case, body)


def _reply(ctx: Ctx, thread: Thread, new_text: str, rules: tuple[str, ...] | None,
           to: tuple[str, str] | None = None) -> Mail:
    """A follow-up that quotes the whole first message, in the Outlook (`-----Original
    Message-----`), Gmail or Thunderbird (`>` lines) style; to the same consumer address, or
    forwarded to `to`."""
    orig = thread.mail
    dt = orig.date + timedelta(minutes=ctx.rng.randint(20, 200))
    style = ctx.cycle(("outlook", "gmail", "thunderbird", "outlook"))
    if style == "outlook":
        quote = (f"-----Original Message-----\nFrom: {thread.agent.name} <{thread.a_addr}>\n"
                 f"Sent: {orig.date.strftime('%d %B %Y %H:%M')}\nTo: {thread.mgr.name} "
                 f"<{thread.personal}>\nSubject: {orig.subject}\n\n{thread.body}")
    else:
        head = (f"On {orig.date.strftime('%a, %d %b %Y at %H:%M')}, {thread.agent.name} "
                f"<{thread.a_addr}> wrote:" if style == "gmail" else
                f"On {orig.date.strftime('%d/%m/%Y %H:%M')}, {thread.agent.name} wrote:")
        quoted = "".join(f">{' ' if line else ''}{line}\n"
                         for line in thread.body.rstrip("\n").split("\n"))
        quote = f"{head}\n{quoted}"
    body = f"{new_text}\n\n{thread.agent.first}\n\n{quote}"
    extra = [("In-Reply-To", orig.message_id), ("References", orig.message_id)]
    return compose(ctx, sender=(thread.agent.name, thread.a_addr),
                   to=[to or (thread.mgr.name, thread.personal)],
                   subject=f"{'FW' if to else 'RE'}: {orig.subject}", body=text_part(body),
                   dt=dt, extra=extra, user_agent=OUTLOOK, rules=rules)


@shape("thread-original", "positive", TO_CONSUMER, (NHS, COVID),
       container=lambda i: MBOX)
def thread_original(ctx: Ctx) -> Mail:
    """The first message of a thread: an NHS number and a PCR result sent to a manager's gmail
    address. Its replies (`reply-quote-only`, `reply-quote-adds`) and its forward to another
    person (`forward-quote-new-recipient`) quote it in full."""
    return _thread(ctx.seed, ctx.index).mail


@shape("reply-quote-only", "negative", TO_CONSUMER, (), container=lambda i: MBOX)
def reply_quote_only(ctx: Ctx) -> Mail:
    """A chaser to the same gmail address that adds no health data and quotes the whole
    `thread-original` message (already counted in the scan): nothing new to report."""
    thread = _thread(ctx.seed, ctx.index)
    new = ctx.cycle(("Any news on this one?", "Did you get a chance to log this?",
                     "Chasing again, nobody has picked it up.", "Can you confirm you got this?"))
    return _reply(ctx, thread, new, None)


@shape("reply-quote-adds", "positive", TO_CONSUMER, (SYMPTOM, MEDICATION, ADMISSION, VACCINATION),
       container=lambda i: MBOX)
def reply_quote_adds(ctx: Ctx) -> Mail:
    """A follow-up to the same gmail address that quotes `thread-original` and adds new health
    data about the case (admission, symptoms, medication, vaccination): only the new statements
    are expected; the quoted NHS number and result were counted with the first message."""
    thread = _thread(ctx.seed, ctx.index)
    p = ctx.subject(thread.case)
    new, rules = ctx.cycle((
        (f"Update: {p.first}'s daughter rang, {p.she} was admitted to hospital last night.",
         (ADMISSION,)),
        (f"Update: {p.her} husband says {p.she} is now short of breath and has a high "
         f"temperature.", (SYMPTOM,)),
        (f"Update: {p.she} is on methotrexate and {p.she} is not vaccinated, so please "
         f"prioritise.", (MEDICATION, VACCINATION)),
        (f"Update: {p.she} is in intensive care now, {p.her} son says.", (ADMISSION,))))
    return _reply(ctx, thread, new, rules)


@shape("forward-quote-new-recipient", "positive", TO_CONSUMER, (NHS, COVID),
       container=lambda i: MBOX)
def forward_quote_new_recipient(ctx: Ctx) -> Mail:
    """The `thread-original` message forwarded, quoted in full, to another colleague's personal
    address: the quoted NHS number and result reach a consumer mailbox they had not reached
    before, so they count again."""
    thread = _thread(ctx.seed, ctx.index)
    ctx.subject(thread.case)
    other = ctx.person()
    to = (other.name, ctx.personal(other, ctx.cycle(("hotmail.co.uk", "icloud.com"))))
    new = ctx.cycle((f"{other.first}, can you pick this up? {thread.mgr.first} is off today.",
                     f"{other.first} - one for your list, see below."))
    return _reply(ctx, thread, new, None, to=to)


# --------------------------------------------------------------------------------------------
# Flow check, containers, labels
# --------------------------------------------------------------------------------------------


def domain_class(addr: str) -> str:
    domain = addr.rpartition("@")[2].lower()
    if domain in CONSUMER_DOMAINS:
        return "consumer"
    return "org" if domain in ORG_DOMAINS else "other"


def flow_of(mail: Mail) -> str:
    """The flow of a generated message, from the addresses the builder used."""
    senders = {domain_class(a) for a in mail.senders}
    rcpts = {domain_class(a) for a in mail.recipients}
    if "consumer" in senders:
        return CONSUMER_TO_CONSUMER if "consumer" in rcpts else FROM_CONSUMER
    if "consumer" in rcpts:
        return TO_CONSUMER
    return INTERNAL if senders | rcpts == {"org"} else EXTERNAL_OTHER


@dataclass(frozen=True)
class Placed:
    """A message with its label, assigned to a container."""

    mail: Mail
    shape: Shape
    flow: str
    container: str
    crlf: bool
    subfolder: str
    """Maildir `cur`/`new`, or the Purview folder path for an .eml."""
    rules: tuple[str, ...] = ()
    """The rules expected to fire on this variant (sorted)."""
    variant: int = 0
    """The variant index within its shape (wordings cycle with it)."""


def build_all(seed: int, scale: int) -> list[Placed]:
    """Every variant of every shape, checked (declared flow, unique Message-IDs) and placed."""
    placed: list[Placed] = []
    for sh in SHAPES.values():
        for i in range(sh.variants * scale):
            ctx = Ctx(sh.name, i, seed)
            mail = sh.build(ctx)
            flow = flow_of(mail)
            if flow != sh.flow:
                raise ValueError(f"{sh.name}[{i}]: flow {flow}, declared {sh.flow}")
            rules = sh.rules if mail.rules is None else tuple(sorted(set(mail.rules)))
            if not set(rules) <= set(sh.rules) or bool(rules) != bool(sh.rules):
                raise ValueError(f"{sh.name}[{i}]: rules {rules} outside the shape's {sh.rules}")
            pick = random.Random(f"{seed}/place/{sh.name}/{i}")
            container = sh.container(i) or pick.choices(
                (MBOX, EML, MAILDIR, MBOX_GZ), weights=(55, 22, 12, 11))[0]
            crlf = container == EML and pick.random() < 0.5
            if container == MAILDIR:
                sub = "cur" if pick.random() < 0.75 else "new"
            else:
                sub = _purview_folder(mail)
            placed.append(Placed(mail, sh, flow, container, crlf, sub, rules, i))
    ids = [p.mail.message_id for p in placed]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate Message-ID")
    return placed


def _purview_folder(mail: Mail) -> str:
    """`Exchange/<mailbox>/<folder>` as a Purview eDiscovery export lays messages out."""
    if mail.senders[0].endswith("@" + ORG):
        return f"Exchange/{mail.senders[0]}/Sent Items"
    for addr in mail.recipients:
        if addr.endswith("@" + ORG):
            return f"Exchange/{addr}/Inbox"
    return "Exchange/unassigned/Inbox"


def custodian_of(p: Placed) -> str:
    """Whose mailbox the export holds the message for: the mailbox of its Purview folder
    (`Exchange/<mailbox>/...`); "" where the layout names no one (the Vault mbox, whose owner
    is in Vault's metadata file, not in the mbox; the Maildir; `Exchange/unassigned`)."""
    parts = p.subfolder.split("/")
    if p.container == EML and len(parts) > 1 and "@" in parts[1]:
        return parts[1]
    return ""


_FROM_LINE = re.compile(r"^(>*From )", re.MULTILINE)


def mbox_quote(text: str, keep_trap: bool) -> str:
    """mboxrd quoting of body `From ` lines; the trap line is left as an mboxo writer that
    missed it would."""
    head, sep, body = text.partition("\n\n")

    def quote(m: re.Match[str]) -> str:
        line_start = body[m.start():m.start() + 18]
        if keep_trap and line_start.startswith("From time to time"):
            return m.group(1)
        return ">" + m.group(1)

    return head + sep + _FROM_LINE.sub(quote, body)


def asctime(dt: datetime) -> str:
    return dt.strftime("%a %b ") + f"{dt.day:2d}" + dt.strftime(" %H:%M:%S %Y")


def mbox_bytes(items: list[Placed], takeout: bool) -> tuple[bytes, list[Placed]]:
    """An mbox of the items in date order; Vault-style or Takeout-style separator lines."""
    ordered = sorted(items, key=lambda p: (p.mail.date, p.mail.message_id))
    out = []
    for p in ordered:
        mail = p.mail
        if takeout:
            num = int(hashlib.sha256(mail.message_id.encode()).hexdigest()[:15], 16)
            sep = f"From {num}@xxx {mail.date.strftime('%a %b %d %H:%M:%S +0000 %Y')}\n"
        else:
            sep = f"From {mail.envelope_from} {asctime(mail.date)}\n"
        labels = "X-Gmail-Labels: " + ("Sent" if mail.envelope_from.endswith(ORG) else "Inbox")
        text = mbox_quote(mail.text, mail.unquoted_from)
        out.append(sep + labels + "\n" + text + "\n")
    return "".join(out).encode("utf-8"), ordered


def gzip_stored(data: bytes) -> bytes:
    """gzip with stored (uncompressed) deflate blocks and no name or time in the header, so the
    bytes never depend on the zlib build (zlib and zlib-ng compress differently)."""
    out = [b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x00\xff"]
    step = 65535
    chunks = [data[i:i + step] for i in range(0, len(data), step)] or [b""]
    for n, chunk in enumerate(chunks):
        final = 1 if n == len(chunks) - 1 else 0
        size = len(chunk)
        out.append(struct.pack("<BHH", final, size, size ^ 0xFFFF) + chunk)
    out.append(struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF))
    return b"".join(out)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")[:40] or "message"


def write_corpus(out: Path, seed: int, scale: int) -> dict[str, object]:
    """Write the whole layout into `out` and return the labels document."""
    placed = build_all(seed, scale)
    for name in OWNED:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    labels: list[dict[str, object]] = []

    def label(p: Placed, file: str) -> None:
        test_data = p.shape.kind == "test-data"
        positive = bool(p.rules) and p.flow in CONSUMER_FLOWS and not test_data
        labels.append({"message_id": p.mail.message_id, "file": file, "shape": p.shape.name,
                       "variant": p.variant, "flow": p.flow, "positive": positive,
                       "test_data": test_data, "rules": list(p.rules),
                       "persons": list(p.mail.persons) if positive else [],
                       "custodian": custodian_of(p)})

    by = {c: [p for p in placed if p.container == c] for c in (MBOX, MBOX_GZ, EML, MAILDIR)}
    data, ordered = mbox_bytes(by[MBOX], takeout=False)
    _write(out / MBOX_FILE, data)
    for p in ordered:
        label(p, MBOX_FILE)
    data, ordered = mbox_bytes(by[MBOX_GZ], takeout=True)
    _write(out / GZ_FILE, gzip_stored(data))
    for p in ordered:
        label(p, GZ_FILE)

    for p in sorted(by[EML], key=lambda p: (p.mail.date, p.mail.message_id)):
        tag = hashlib.sha256(p.mail.message_id.encode()).hexdigest()[:8]
        rel = f"eml/{p.subfolder}/{_slug(p.mail.subject)}_{tag}.eml"
        raw = p.mail.text.encode("utf-8")
        _write(out / rel, raw.replace(b"\n", b"\r\n") if p.crlf else raw)
        label(p, rel)

    for n, p in enumerate(sorted(by[MAILDIR], key=lambda p: (p.mail.date, p.mail.message_id))):
        stamp = int(p.mail.date.timestamp())
        base = f"{stamp}.M{100000 + n * 7919}P{2000 + n}.ws-{(n % 3) + 1:02d}"
        flags = random.Random(f"{seed}/flags/{p.mail.message_id}").choice(("S", "RS", "FS"))
        rel = f"maildir/cur/{base}:2,{flags}" if p.subfolder == "cur" else f"maildir/new/{base}"
        _write(out / rel, p.mail.text.encode("utf-8"))
        label(p, rel)
    _write(out / "maildir/tmp/.gitkeep", b"")

    write_logs(out, placed, seed)

    junk = random.Random(f"{seed}/binary")
    _write(out / BIN_FILE, b"\x00\x9c\xfe\x01" + junk.randbytes(92))

    doc: dict[str, object] = {
        "schema_version": SCHEMA_VERSION,
        "org_domains": list(ORG_DOMAINS),
        "seed": seed,
        "scale": scale,
        "messages": labels,
        "skipped": [{"file": BIN_FILE, "kind": "unsupported"}],
    }
    _write(out / "labels.json",
           (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return doc


_QID = "0123456789ABCDEF"
_RELAYS = {"gmail.com": "gmail-smtp-in.l.google.com[142.250.27.26]",
           "googlemail.com": "gmail-smtp-in.l.google.com[142.250.27.26]",
           "icloud.com": "mx01.mail.icloud.com[17.57.154.6]"}


def _postfix_lines(rng: random.Random, qid: str, when: datetime, message_id: str,
                   sender: str, recipients: list[tuple[str, str]], size: int) -> list[str]:
    """One outbound message through postfix: cleanup, qmgr, one smtp line per recipient,
    removed. RFC 3339 stamps (Debian 12's default), so the year is never guessed."""
    def stamp(seconds: float) -> str:
        return (when + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")

    pid = rng.randint(1000, 30000)
    lines = [
        f"{stamp(0.1)} mx1 postfix/cleanup[{pid}]: {qid}: message-id={message_id}",
        f"{stamp(0.2)} mx1 postfix/qmgr[911]: {qid}: from=<{sender}>, size={size}, nrcpt="
        f"{len(recipients)} (queue active)",
    ]
    for i, (rcpt, status) in enumerate(recipients):
        domain = rcpt.rpartition("@")[2]
        relay = _RELAYS.get(domain, f"mx.{domain}[203.0.113.{10 + i}]")
        if status == "sent":
            tail = "dsn=2.0.0, status=sent (250 2.0.0 OK)"
        else:
            tail = "dsn=5.1.1, status=bounced (host said: 550 5.1.1 user unknown)"
        lines.append(f"{stamp(1.0 + i)} mx1 postfix/smtp[{pid + 1}]: {qid}: to=<{rcpt}>, "
                     f"relay={relay}:25, delay=1.2, delays=0.1/0/0.5/0.6, {tail}")
    lines.append(f"{stamp(2.0 + len(recipients))} mx1 postfix/qmgr[911]: {qid}: removed")
    return lines


def write_logs(out: Path, placed: list[Placed], seed: int) -> None:
    """The organisation's outbound postfix log for the sample period, and a Purview audit
    export. The log holds every message the org's staff sent (so the scan can join it to the
    export by Message-ID) plus consumer-bound messages that no export holds ("content
    unknown"), and one bounce; the audit export holds an inbox rule and a mailbox forward to
    consumer addresses."""
    rng = random.Random(f"{seed}/logs")
    org = ORG_DOMAINS[0]
    entries: list[tuple[datetime, str, str, list[tuple[str, str]], int]] = []
    for p in placed:
        sender = p.mail.envelope_from.lower()
        if not sender.endswith("@" + org) or not p.mail.recipients:
            continue
        rcpts = [(r.lower(), "sent") for r in p.mail.recipients]
        entries.append((p.mail.date, p.mail.message_id, sender, rcpts, len(p.mail.text)))
    staff = sorted({e[2] for e in entries})
    for i in range(8):  # consumer-bound mail the export does not hold
        when = datetime(2021, 1, 4, 8, 0, tzinfo=UTC) + timedelta(days=rng.randint(0, 85),
                                                                  minutes=rng.randint(0, 600))
        mid = f"<{when.strftime('%Y%m%d%H%M%S')}.{rng.getrandbits(48):012x}@mail.{org}>"
        rcpt = f"{rng.choice(('case.notes', 'tt.manager', 'shift.lead'))}{i}@" \
               f"{rng.choice(('gmail.com', 'hotmail.co.uk', 'outlook.com'))}"
        status = "bounced" if i == 5 else "sent"
        entries.append((when, mid, rng.choice(staff), [(rcpt, status)], rng.randint(2000, 9000)))
    lines: list[str] = []
    for when, mid, sender, rcpts, size in sorted(entries, key=lambda e: (e[0], e[1])):
        qid = "".join(rng.choice(_QID) for _ in range(10))
        lines.extend(_postfix_lines(rng, qid, when, mid, sender, rcpts, size))
    _write(out / POSTFIX_FILE, ("\n".join(lines) + "\n").encode("ascii"))

    def audit(rid: str, when: str, op: str, user: str, params: list[tuple[str, str]]) -> str:
        data = {"CreationTime": when, "Id": f"id-{rid}", "Operation": op, "RecordType": 1,
                "ResultStatus": "True", "UserId": user, "Workload": "Exchange",
                "ObjectId": user, "Parameters": [{"Name": n, "Value": v} for n, v in params]}
        body = json.dumps(data).replace('"', '""')
        return f'{rid},{when}.0000000Z,ExchangeAdmin,{op},{user},"{body}",,'

    boss = staff[0] if staff else f"team.lead@{org}"
    rows = [
        "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,"
        "AssociatedAdminUnitsNames",
        audit("r1", "2021-01-04T08:12:00", "New-InboxRule", boss,
              [("Name", "cases"), ("ForwardTo", "tt.manager.home@gmail.com")]),
        audit("r2", "2021-02-01T09:30:00", "Set-Mailbox", f"it.admin@{org}",
              [("Identity", staff[-1] if staff else boss),
               ("ForwardingSmtpAddress", "smtp:shift.lead.home@hotmail.co.uk"),
               ("DeliverToMailboxAndForward", "True")]),
    ]
    _write(out / AUDIT_FILE, ("\n".join(rows) + "\n").encode("utf-8"))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def shape_table() -> Iterator[tuple[str, str, str, str, str]]:
    """(name, kind, flow, rules, description) for every registered shape (docs and --list)."""
    for sh in SHAPES.values():
        yield sh.name, sh.kind, sh.flow, ", ".join(sh.rules) or "-", sh.description


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output folder (default: the samples/ folder itself)")
    parser.add_argument("--scale", type=int, default=1, help="multiply variants per shape")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--list", action="store_true", help="list the shapes and exit")
    args = parser.parse_args(argv)
    if args.list:
        for row in shape_table():
            print(" | ".join(row))
        return 0
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    doc = write_corpus(args.out, args.seed, args.scale)
    messages = doc["messages"]
    assert isinstance(messages, list)
    positives = sum(1 for m in messages if m["positive"])
    print(f"wrote {len(messages)} messages ({positives} positive, {len(SHAPES)} shapes) "
          f"to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
