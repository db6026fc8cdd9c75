"""Generated mail for the differential tests: header fields with every address shape the
parsers disagree on, and MIME trees with multiparts and attached messages nested inside each
other.

Both fast paths (raw-header triage, quickparse) are checked against their slow twins on what
this builds. Most messages are well formed (so the fast paths really run); a share carry the
shapes the fast paths must decline (spaced `@`, comments, 8-bit and control bytes, `From :`,
missing closing boundaries). Half the messages use organisation domains only (the mail the
triage fast path answers for).

A message is built from one drawn seed by `random.Random`, not from many small hypothesis
draws: that keeps the build rate in the thousands of messages a second, where the earlier
many-draws strategy built about 70. The stated minimum is `MIN_RATE`; `make fuzz` measures
the rate first (scripts/generator_rate.py) and stops when it is lower, since a slow generator
starves the differential tests. The cost: hypothesis shrinks a failure to a smaller seed rather
than a smaller message (the failing message is printed whole).
"""

from __future__ import annotations

import base64
import os
import random

from hypothesis import strategies as st

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "slice")
"""The hypothesis profile of this run (tests/fuzz/conftest.py): `slice` in `make test`,
`fuzz` (budgeted) in `make fuzz`, `fuzz-deep` (full counts) in `make fuzz-deep`."""

EXAMPLES = {"fuzz": 2_000, "fuzz-deep": 20_000}.get(PROFILE, 300)
"""Generated messages per differential test: `make test` a slice, `make fuzz` 2,000,
`make fuzz-deep` 20,000."""

MIN_RATE = 1_000
"""Messages a second the generator must build, at least, on the project's 2-core machine."""

LOCALS = ["jane", "j.doe", "agent.one", "x", "case+tt", "O'Neil"]
CONSUMER = ["gmail.com", "GMAIL.COM", "hotmail.co.uk", "yahoo.com", "icloud.com",
            "btinternet.com", "mail.gmail.com", "x_y.gmail.com"]
ORGANISATIONS = ["tracecall.co.uk", "nhs.net", "leeds.nhs.uk", "example.org",
                 "gmail-services.co.uk", "xn--bcher-kva.example", "outlook-partners.com"]
DOMAINS = CONSUMER + ORGANISATIONS
NAMES = ["", "Jane Doe", '"Doe, Jane"', "=?utf-8?q?J=C3=A9n?=", '"jane@gmail.com"',
         "Agent (team)", "J. O'Neil"]
FIELDS = ["From", "To", "Cc", "Bcc", "Sender", "Delivered-To", "X-Original-To", "Resent-To",
          "Reply-To", "Received"]
TEXTS = ["Hello", "NHS number 943 476 5919, tested positive", "From the rota\nline two",
         "<p>Patient <b>Jane</b> LFD positive</p>", "=E9t=E9", "", "--not-a-boundary"]
LEAF_TYPES = ["text/plain; charset=utf-8", "text/html", "text/plain; charset=iso-8859-1",
              "application/octet-stream; name=x.bin", "text/csv"]


def address(rng: random.Random, domains: list[str]) -> str:
    """One address as it may be written in a header field."""
    addr = f"{rng.choice(LOCALS)}@{rng.choice(domains)}"
    form = rng.randint(0, 29) - 20  # most addresses are written plainly
    name = rng.choice(NAMES)
    if form <= 4:
        return f"{name} <{addr}>" if name else addr
    if form == 5:
        return addr.replace("@", " @ ")  # spaced: the parsers join it
    if form == 6:
        local, _, domain = addr.partition("@")
        first, _, rest = domain.partition(".")
        return f"{local}@{first}(c).{rest}"
    if form == 7:
        return f"{addr} ({name or 'comment'})"
    if form == 8:
        return f"group: {addr}, {rng.choice(LOCALS)}@example.org;"
    return f"<{addr}>"


def address_field(rng: random.Random, domains: list[str]) -> str:
    """A field value: none, one or more addresses, maybe folded, maybe with odd bytes."""
    value = rng.choice([", ", ",\n\t", ",", " , "]).join(
        address(rng, domains) for _ in range(rng.randint(0, 3)))
    odd = rng.randint(0, 19)
    if odd == 0:
        value += "\x01"
    elif odd == 1:
        value = value.replace("a", "\xe4", 1)
    return value


def header_block(rng: random.Random) -> str:
    """Header fields (lines ending `\\n`), no empty line."""
    domains = rng.choice([ORGANISATIONS, DOMAINS])
    lines: list[str] = []
    if rng.randint(0, 4):  # most messages have a From field
        lines.append(f"From: {address_field(rng, domains)}\n")
    for _ in range(rng.randint(0, 6)):
        name = rng.choice(FIELDS)
        spelled = (rng.choice([f"{name}:", f"{name.lower()}:", f"{name.upper()}:", f"{name} :"])
                   if name == "From" else f"{name}:")
        if name == "Received":
            value = (f"from mx.example.org by mx.{rng.choice(domains)} with ESMTP id "
                     f"Q{rng.randint(1000, 9999)};\n\tMon, 11 Jan 2021 09:30:00 +0000")
        else:
            value = address_field(rng, domains)
        lines.append(f"{spelled} {value}\n")
    lines.append("Message-ID: <m1@tracecall.co.uk>\n")
    lines.append(rng.choice(["Date: Mon, 11 Jan 2021 09:30:00 +0000\n",
                             "Date: 11 Jan 2021 09:30\n", "Date: garbage\n", ""]))
    rng.shuffle(lines)
    return "".join(lines)


def mime_body(rng: random.Random, depth: int = 0) -> tuple[str, str]:
    """(content header lines, body) of a part: a leaf, a multipart, or an attached message."""
    kind = rng.randint(0, 9) if depth < 4 else 0
    if kind <= 4:
        enc = rng.choice(["", "Content-Transfer-Encoding: quoted-printable\n",
                          "Content-Transfer-Encoding: base64\n"])
        body = rng.choice(TEXTS)
        if "base64" in enc:
            body = base64.b64encode(body.encode()).decode()
        return f"Content-Type: {rng.choice(LEAF_TYPES)}\n{enc}", body + "\n"
    if kind <= 7:
        boundary = f"b{depth}{rng.choice(['', '-x', '=_'])}"
        sub = rng.choice(["mixed", "alternative", "related"])
        children = [mime_body(rng, depth + 1)
                    for _ in range(rng.randint(0 if kind == 7 else 1, 3))]
        parts = "".join(f"--{boundary}\n{h}\n{b}" for h, b in children)
        closing = rng.choice([f"--{boundary}--\n", f"--{boundary}--", ""])
        body = rng.choice(["", "preamble\n"]) + parts + closing
        return f'Content-Type: multipart/{sub}; boundary="{boundary}"\n', body
    h, b = mime_body(rng, depth + 1)
    return "Content-Type: message/rfc822\n", f"{header_block(rng)}{h}\n{b}"


def build(seed: int) -> bytes:
    """The message for `seed`: header fields, MIME content; LF or CRLF line ends."""
    rng = random.Random(seed)
    head = header_block(rng)
    h, b = mime_body(rng)
    text = f"{head}MIME-Version: 1.0\n{h}\n{b}"
    if rng.random() < 0.5:
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8", "surrogateescape")


def messages() -> st.SearchStrategy[bytes]:
    """Whole messages, one per drawn seed."""
    return st.integers(min_value=0, max_value=2**32 - 1).map(build)
