#!/usr/bin/env python3
"""Labelled sample corpus generator: realistic exported mail with known answers.

Owns `samples/` (or the `--out` folder): a Google Vault style mbox, a Purview style folder tree
of `.eml` files, a Maildir, a gzip-compressed older mbox, one unsupported binary file, and
`labels.json`, which says for every message its shape, its flow, whether it carries health
data on a consumer flow, and the exact set of rule ids expected to fire.

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
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

SCHEMA_VERSION = 1
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
COVID = "covid-test-result"
SYMPTOM = "symptom"
CONDITION = "condition"

MBOX = "mbox"
MBOX_GZ = "mbox-gz"
EML = "eml"
MAILDIR = "maildir"
OWNED = ("mbox", "eml", "maildir", "archive", "labels.json")
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


@dataclass(frozen=True)
class Shape:
    """A registered message shape: what it is, its flow and the rules expected to fire."""

    name: str
    kind: str
    """`positive` (health data on a consumer flow), `flagged` (health data, other flow) or
    `negative` (a precision trap: nothing may fire)."""
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
                    "negative": not rules}
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

    def __post_init__(self) -> None:
        # A string seed is hashed with SHA-512 by `random`, independent of PYTHONHASHSEED.
        self.rng = random.Random(f"{self.seed}/{self.shape}/{self.index}")

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)

    def cycle(self, options: Sequence[T]) -> T:
        """The variant's own entry, so variants 0..n-1 cover every option once."""
        return options[self.index % len(options)]

    def person(self, accented: bool = False) -> Person:
        female = self.rng.random() < 0.5
        if accented:
            first = self.pick(ACCENTED_F if female else ACCENTED_M)
            return Person(first, self.pick(ACCENTED_SURNAMES), female)
        return Person(self.pick(FEMALE if female else MALE), self.pick(SURNAMES), female)

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
            unquoted_from: bool = False, user_agent: str | None = None) -> Mail:
    """Assemble a full message: trace header, envelope headers, content."""
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
                unquoted_from)


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


@shape("alternative-conditions", "positive", TO_CONSUMER, (CONDITION,))
def alternative_conditions(ctx: Ctx) -> Mail:
    """multipart/alternative (plain + HTML) describing a named person's conditions: pregnancy,
    diabetes and insulin, a hospital admission."""
    agent, a_addr = ctx.staff()
    mgr = ctx.person()
    p, dt = ctx.person(), ctx.when()
    if p.female and ctx.index % 2 == 0:
        facts = f"{p.she} is 20 weeks pregnant"
    else:
        facts = ctx.cycle((f"{p.she} is diabetic and on insulin",
                           f"{p.she} was admitted to hospital on {ctx.pick(WEEKDAYS)}",
                           f"{p.she} is diabetic and on insulin, and {p.her} partner says "
                           f"{p.she} was admitted to hospital last night",
                           f"{p.she} was admitted to hospital at the weekend"))
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
                   dt=dt, user_agent=OUTLOOK)


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
            pick = random.Random(f"{seed}/place/{sh.name}/{i}")
            container = sh.container(i) or pick.choices(
                (MBOX, EML, MAILDIR, MBOX_GZ), weights=(55, 22, 12, 11))[0]
            crlf = container == EML and pick.random() < 0.5
            if container == MAILDIR:
                sub = "cur" if pick.random() < 0.75 else "new"
            else:
                sub = _purview_folder(mail)
            placed.append(Placed(mail, sh, flow, container, crlf, sub))
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
        labels.append({"message_id": p.mail.message_id, "file": file, "shape": p.shape.name,
                       "flow": p.flow, "positive": bool(p.shape.rules) and p.flow in
                       CONSUMER_FLOWS, "rules": list(p.shape.rules)})

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
