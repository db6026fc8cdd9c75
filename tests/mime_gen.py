"""Generated mail for the differential tests: header fields with every address shape the
parsers disagree on, and MIME trees with multiparts and attached messages nested inside each
other, as hypothesis strategies.

Both fast paths (raw-header triage, quickparse) are checked against their slow twins on what
these build. Most messages are well formed (so the fast paths really run); a share carry the
shapes the fast paths must decline (spaced `@`, comments, 8-bit and control bytes, `From :`,
missing boundaries). The strategies build a message from a few dozen draws, so hypothesis's
`too_slow` health check (left on in tests/test_triage.py) holds them to its minimum rate;
`make fuzz` prints the rate measured (`test_generator_rate`), which is in the thousands of
messages a second on the project's machine.
"""

from __future__ import annotations

import os

from hypothesis import strategies as st

EXAMPLES = 20_000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 300
"""Generated messages per differential test: `make test` a slice, `make fuzz` 20,000."""

LOCALS = ["jane", "j.doe", "agent.one", "x", "case+tt", "O'Neil"]
CONSUMER = ["gmail.com", "GMAIL.COM", "hotmail.co.uk", "yahoo.com", "icloud.com",
            "btinternet.com", "mail.gmail.com", "x_y.gmail.com"]
ORGANISATIONS = ["tracecall.co.uk", "nhs.net", "leeds.nhs.uk", "example.org",
                 "gmail-services.co.uk", "xn--bcher-kva.example", "outlook-partners.com"]
DOMAINS = CONSUMER + ORGANISATIONS
NAMES = ["", "Jane Doe", '"Doe, Jane"', "=?utf-8?q?J=C3=A9n?=", '"jane@gmail.com"',
         "Agent (team)", "J. O'Neil"]


@st.composite
def addresses(draw: st.DrawFn, domains: list[str] = DOMAINS) -> str:
    """One address as it may be written in a header field."""
    addr = f"{draw(st.sampled_from(LOCALS))}@{draw(st.sampled_from(domains))}"
    form = draw(st.integers(0, 29)) - 20  # most addresses are written plainly
    name = draw(st.sampled_from(NAMES))
    if form <= 4:
        return f"{name} <{addr}>" if name else addr
    if form == 5:
        return addr.replace("@", " @ ")  # spaced: the parsers join it
    if form == 6:
        local, _, domain = addr.partition("@")
        return f"{local}@{domain.split('.')[0]}(c).{'.'.join(domain.split('.')[1:])}"
    if form == 7:
        return f"{addr} ({name or 'comment'})"
    if form == 8:
        return f"group: {addr}, {draw(st.sampled_from(LOCALS))}@example.org;"
    return f"<{addr}>"


@st.composite
def address_field(draw: st.DrawFn, domains: list[str] = DOMAINS) -> str:
    """A field value: one or more addresses, maybe folded, maybe with odd bytes."""
    parts = draw(st.lists(addresses(domains), min_size=0, max_size=3))
    sep = draw(st.sampled_from([", ", ",\n\t", ",", " , "]))
    value = sep.join(parts)
    odd = draw(st.integers(0, 19))
    if odd == 0:
        value += "\x01"
    elif odd == 1:
        value = value.replace("a", "\xe4", 1)
    return value


FIELDS = ["From", "To", "Cc", "Bcc", "Sender", "Delivered-To", "X-Original-To", "Resent-To",
          "Reply-To", "Received"]


@st.composite
def header_block(draw: st.DrawFn) -> str:
    """Header fields (lines ending `\\n`), no empty line. Half the messages use only
    organisation domains (the mail the fast path answers for)."""
    domains = draw(st.sampled_from([ORGANISATIONS, DOMAINS]))
    lines: list[str] = []
    if draw(st.integers(0, 4)):  # most messages have a From field
        lines.append(f"From: {draw(address_field(domains))}\n")
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.sampled_from(FIELDS))
        spelled = draw(st.sampled_from([f"{name}:", f"{name.lower()}:", f"{name.upper()}:",
                                        f"{name} :"] if name == "From" else [f"{name}:"]))
        if name == "Received":
            value = (f"from mx.example.org by mx.{draw(st.sampled_from(domains))} "
                     f"with ESMTP id Q{draw(st.integers(1000, 9999))};\n\tMon, 11 Jan 2021 "
                     "09:30:00 +0000")
        else:
            value = draw(address_field(domains))
        lines.append(f"{spelled} {value}\n")
    lines.append("Message-ID: <m1@tracecall.co.uk>\n")
    lines.append(draw(st.sampled_from(["Date: Mon, 11 Jan 2021 09:30:00 +0000\n",
                                       "Date: 11 Jan 2021 09:30\n", "Date: garbage\n", ""])))
    return "".join(draw(st.permutations(lines)))


TEXTS = ["Hello", "NHS number 943 476 5919, tested positive", "From the rota\nline two",
         "<p>Patient <b>Jane</b> LFD positive</p>", "=E9t=E9", "", "--not-a-boundary"]


@st.composite
def mime_body(draw: st.DrawFn, depth: int = 0) -> tuple[str, str]:
    """(content header lines, body) of a part: a leaf, a multipart, or an attached message."""
    kind = draw(st.integers(0, 9)) if depth < 4 else 0
    if kind <= 4:
        ctype = draw(st.sampled_from(["text/plain; charset=utf-8", "text/html",
                                      "text/plain; charset=iso-8859-1",
                                      "application/octet-stream; name=x.bin", "text/csv"]))
        enc = draw(st.sampled_from(["", "Content-Transfer-Encoding: quoted-printable\n",
                                    "Content-Transfer-Encoding: base64\n"]))
        body = draw(st.sampled_from(TEXTS))
        if "base64" in enc:
            import base64

            body = base64.b64encode(body.encode()).decode()
        return f"Content-Type: {ctype}\n{enc}", body + "\n"
    if kind <= 7:
        boundary = f"b{depth}{draw(st.sampled_from(['', '-x', '=_']))}"
        sub = draw(st.sampled_from(["mixed", "alternative", "related"]))
        children = draw(st.lists(mime_body(depth + 1), min_size=0 if kind == 7 else 1,
                                 max_size=3))
        parts = [f"--{boundary}\n{h}\n{b}" for h, b in children]
        closing = draw(st.sampled_from([f"--{boundary}--\n", f"--{boundary}--", ""]))
        body = draw(st.sampled_from(["", "preamble\n"])) + "".join(parts) + closing
        return f'Content-Type: multipart/{sub}; boundary="{boundary}"\n', body
    inner_headers = draw(header_block())
    h, b = draw(mime_body(depth + 1))
    return "Content-Type: message/rfc822\n", f"{inner_headers}{h}\n{b}"


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """A whole message: header fields, MIME content, body; LF or CRLF line ends."""
    head = draw(header_block())
    h, b = draw(mime_body())
    text = f"{head}MIME-Version: 1.0\n{h}\n{b}"
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8", "surrogateescape")
