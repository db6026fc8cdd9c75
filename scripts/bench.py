#!/usr/bin/env python3
"""`make bench`: throughput and memory of `tracecheck scan` against a stdlib baseline.

Owns the benchmark corpora (generated mboxes in `.bench/`, git-ignored, reused when their
parameters match) and the measurements, each shape in one run on the same corpus against the
baseline (one process, stdlib `BytesParser(policy=compat32)`, every part decoded, one regex —
the "Measured baselines" line of the product brief):

* the second shape first (`mixed-20000.mbox`, about 195 MB): 20,000 messages, 10% with a
  consumer address; bodies of 80-1,500 words (most of them short), 30% with an HTML
  alternative, 15% with a CSV of 5-60 patient rows, 8% with a 2-60 KB binary attachment.
  Whole processes, start-up included (what a user waits for): `tracecheck scan FILE`,
  `--all-messages` and `--workers 1`, each run three times in turn with the baseline, the
  ratios from the medians; then the start-up alone (`--version`, a one-message mbox);
* the first shape (1 GiB, 137,674 messages): the baseline, then `tracecheck scan` in the
  default (triage) mode, `--all-messages`, `--workers 1` and `--workers 2`, each as a
  subprocess whose process tree is sampled for peak RSS; then peak RSS for a 200 MB and
  (full mode) a 2 GB input.

The first corpus mixes about 90% organisational mail of many shapes (plain memos, quoted reply
threads, HTML newsletters, quoted-printable and base64 bodies, Latin-1, calendar invites,
CSV/PNG/PDF attachments, forwarded messages) with about 10% consumer-flow mail taken from the
labelled sample generator (`samples/generate.py`: positives and hard negatives).

Every measured process runs with Python's bytecode cached (`.bench/pycache`), as an installed
package has it, and after an unmeasured warm-up run.

* the log benchmark (`bench_logs.py`, issue 18): months of generated Postfix logs (1 GiB, about
  7M lines, in eight monthly rotated files) read by `tracecheck logs` serially, with
  `--workers 2` and on a Dask LocalCluster, against a one-process baseline that splits lines
  and parses time stamps; then peak RSS of the serial read at 100 MB and 1 GiB.

Usage: python scripts/bench.py [--quick] [--size-mb N] [--seed S]
       [--shape all|both|gib|mixed|logs] [--log-size-mb N] [--repeats N]
       (BENCH_TRACECHECK=/path/to/tracecheck measures another build)
Never writes outside `.bench/` and never scans anything but its own corpora.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import platform
import quopri
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench"
PY = ROOT / ".venv" / "bin" / "python"
TRACECHECK = Path(os.environ.get("BENCH_TRACECHECK") or ROOT / ".venv" / "bin" / "tracecheck")
"""The command measured; BENCH_TRACECHECK names another (an A/B run against an older tree)."""
GEN_VERSION = 2
MB = 1024 * 1024
ORG = "tracecall.co.uk"
STAFF = [f"{f}.{s}" for f in ("amy", "ben", "cara", "dev", "eli", "fay", "gus", "hana", "ivan",
                              "jo", "kit", "lena", "max", "nia", "owen", "pia", "raj", "sam")
         for s in ("hughes", "patel", "okafor", "smith", "jones", "nowak", "kaur", "evans")]
PARTNERS = ("acme-logistics.co.uk", "northgate-it.com", "brightpath-hr.co.uk", "nhs.net",
            "lancashire.gov.uk", "serco-partner.example.com", "gmail-services.co.uk",
            "payroll-bureau.co.uk", "facilities-plus.com")
WORDS = (
    "the rota for next week is attached please confirm your shifts by friday and let the team "
    "leader know about any changes to availability we have updated the call scripts following "
    "feedback from the quality review and the new guidance on escalation paths training sessions "
    "will run on tuesday and thursday mornings in room four the system upgrade is scheduled for "
    "the weekend so expect some downtime on saturday night thanks everyone for the positive "
    "feedback on the new dashboard results are positive overall and the build passed all tests "
    "invoices for the quarter need approval before the finance deadline parking permits expire "
    "at the end of the month the fire alarm test is on wednesday at ten the canteen will close "
    "early on friday reminder to complete the data protection module by the end of the month "
    "headcount figures are in the shared drive we are reviewing the vendor contract renewal"
).split()


# ---------------------------------------------------------------------------------------------
# corpus


def _para(rng: random.Random, lo: int = 25, hi: int = 90) -> str:
    words = rng.choices(WORDS, k=rng.randint(lo, hi))
    words[0] = words[0].capitalize()
    lines, line = [], ""
    for w in words:
        if len(line) + len(w) + 1 > 72:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line + ".")
    return "\n".join(lines)


def _addr(rng: random.Random, domain: str = ORG) -> str:
    return f"{rng.choice(STAFF)}@{domain}"


def _date(rng: random.Random) -> tuple[str, str]:
    day = rng.randint(4, 28)
    month, mname = rng.choice(((1, "Jan"), (2, "Feb"), (3, "Mar")))
    hh, mm, ss = rng.randint(7, 19), rng.randint(0, 59), rng.randint(0, 59)
    wd = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(day + month) % 7]
    return (f"{wd}, {day:02d} {mname} 2021 {hh:02d}:{mm:02d}:{ss:02d} +0000",
            f"{wd} {mname} {day:2d} {hh:02d}:{mm:02d}:{ss:02d} 2021")


def _headers(rng: random.Random, n: int, sender: str, to: list[str], subject: str,
             date: str, cc: list[str] | None = None) -> list[str]:
    hops = []
    for h in range(rng.randint(1, 4)):
        qid = "".join(rng.choices("0123456789ABCDEF", k=10))
        ip = f"10.0.{h}.{rng.randint(2, 250)}"
        hops.append(f"Received: from relay{h}.{ORG} (relay{h}.{ORG} [{ip}])"
                    f"\n\tby mx{h}.{ORG} (Postfix) with ESMTPS id {qid}\n\tfor <{to[0]}>; {date}")
    out = [*hops,
           f"From: {sender.split('@')[0].replace('.', ' ').title()} <{sender}>",
           f"To: {', '.join(to)}"]
    if cc:
        out.append(f"Cc: {', '.join(cc)}")
    out += [f"Subject: {subject}", f"Date: {date}",
            f"Message-ID: <{n:08d}.{rng.getrandbits(40):010x}@mail.{ORG}>",
            "MIME-Version: 1.0", "X-Mailer: Microsoft Outlook 16.0",
            f"Thread-Index: {base64.b64encode(rng.randbytes(22)).decode()}"]
    return out


def _recipients(rng: random.Random) -> tuple[list[str], list[str]]:
    to = [_addr(rng) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        to.append(_addr(rng, rng.choice(PARTNERS)))
    cc = [_addr(rng) for _ in range(rng.randint(0, 4))]
    return to, cc


@dataclass
class Blobs:
    """Pre-encoded attachments, reused across messages (generation speed)."""

    png: list[str]
    csv: list[str]
    pdf: list[str]


def _b64(data: bytes) -> str:
    enc = base64.b64encode(data).decode()
    return "\n".join(enc[i:i + 76] for i in range(0, len(enc), 76))


def _pdf(text: str) -> bytes:
    stream = f"BT /F1 11 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref)
    return bytes(out)


def _blobs(rng: random.Random) -> Blobs:
    png = [_b64(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
                + rng.randbytes(rng.randint(15, 60) * 1024)) for _ in range(12)]
    csv = []
    for _ in range(12):
        rows = ["site,date,calls_handled,avg_wait_s,abandoned"]
        rows += [f"site-{rng.randint(1, 40)},2021-0{rng.randint(1, 3)}-{rng.randint(10, 28)},"
                 f"{rng.randint(50, 900)},{rng.randint(5, 300)},{rng.randint(0, 40)}"
                 for _ in range(rng.randint(80, 400))]
        csv.append(_b64("\r\n".join(rows).encode()))
    pdf = [_b64(_pdf(f"Quarterly facilities report {i}: " + " ".join(rng.choices(WORDS, k=40))))
           for i in range(6)]
    return Blobs(png, csv, pdf)


def _mixed(rng: random.Random, head: list[str], parts: list[str]) -> str:
    b = f"----=_Part_{rng.getrandbits(48):012x}"
    body = "".join(f"--{b}\n{p}\n" for p in parts) + f"--{b}--\n"
    return "\n".join([*head, f'Content-Type: multipart/mixed; boundary="{b}"']) + "\n\n" + body


def _alt(rng: random.Random, parts: list[str]) -> str:
    b = f"----=_Alt_{rng.getrandbits(48):012x}"
    body = "".join(f"--{b}\n{p}\n" for p in parts) + f"--{b}--"
    return f'Content-Type: multipart/alternative; boundary="{b}"\n\n' + body


def _text_part(text: str) -> str:
    return f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n{text}"


def _html(rng: random.Random, paras: list[str]) -> str:
    rows = "".join(f"<tr><td style=\"padding:4px\">{rng.choice(WORDS)}</td>"
                   f"<td>{rng.randint(1, 999)}</td></tr>" for _ in range(rng.randint(5, 30)))
    ps = "".join(f"<p style=\"font-family:Calibri,sans-serif;font-size:11pt\">{p}</p>"
                 for p in paras)
    doc = (f"<html><head><style>td{{border:1px solid #ccc}}</style></head><body>{ps}"
           f"<table>{rows}</table><p>Kind regards,<br>Internal Communications</p></body></html>")
    qp = quopri.encodestring(doc.encode()).decode()
    return ("Content-Type: text/html; charset=utf-8\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n{qp}")


def bulk_message(rng: random.Random, n: int, blobs: Blobs) -> tuple[str, str]:
    """(envelope sender, message text) of one organisational (non-consumer) message."""
    date, asc = _date(rng)
    sender = _addr(rng) if rng.random() < 0.85 else _addr(rng, rng.choice(PARTNERS))
    to, cc = _recipients(rng)
    kind = rng.choices(("memo", "thread", "html", "png", "csv", "ics", "latin1", "b64text",
                        "forward", "pdf"),
                       weights=(24, 20, 16, 8, 6, 5, 6, 5, 8, 2))[0]
    subject = " ".join(rng.choices(WORDS, k=rng.randint(3, 8))).capitalize()
    head = _headers(rng, n, sender, to, subject, date, cc)
    paras = [_para(rng) for _ in range(rng.randint(1, 6))]
    phone = f"0161 496 {rng.randint(0, 9999):04d}"
    sig = f"\n\n--\n{sender.split('@')[0].title()}\nTracecall Ltd | {phone}"
    if kind == "memo":
        return sender, "\n".join([*head, "Content-Type: text/plain; charset=utf-8"]) + "\n\n" + \
            "\n\n".join(paras) + sig + "\n"
    if kind == "thread":
        quoted = []
        for _ in range(rng.randint(2, 6)):
            d2, _ = _date(rng)
            q = "\n".join("> " + line for line in _para(rng).splitlines())
            quoted.append(f"On {d2}, {_addr(rng)} wrote:\n{q}")
        if rng.random() < 0.2:
            quoted.append("From time to time we review these threads.")
        return sender, "\n".join([*head, "Content-Type: text/plain; charset=utf-8"]) + "\n\n" + \
            paras[0] + sig + "\n\n" + "\n\n".join(quoted) + "\n"
    if kind == "html":
        body = _alt(rng, [_text_part("\n\n".join(paras)), _html(rng, paras * 2)])
        return sender, "\n".join(head) + "\n" + body + "\n"
    if kind in ("png", "csv", "pdf"):
        blob, ctype, name = {
            "png": (rng.choice(blobs.png), "image/png", "screenshot.png"),
            "csv": (rng.choice(blobs.csv), "text/csv", "call-stats.csv"),
            "pdf": (rng.choice(blobs.pdf), "application/pdf", "facilities-report.pdf"),
        }[kind]
        att = (f"Content-Type: {ctype}; name=\"{name}\"\nContent-Transfer-Encoding: base64\n"
               f"Content-Disposition: attachment; filename=\"{name}\"\n\n{blob}")
        return sender, _mixed(rng, head, [_text_part("\n\n".join(paras) + sig), att])
    if kind == "ics":
        ics = ("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\n"
               f"SUMMARY:{subject}\nDTSTART:20210{rng.randint(1, 3)}{rng.randint(10, 28)}T100000Z\n"
               f"ORGANIZER:mailto:{sender}\nDESCRIPTION:{paras[0].replace(chr(10), ' ')}\n"
               "END:VEVENT\nEND:VCALENDAR")
        body = _alt(rng, [_text_part(paras[0]), "Content-Type: text/calendar; method=REQUEST; "
                          "charset=utf-8\n\n" + ics])
        return sender, "\n".join(head) + "\n" + body + "\n"
    if kind == "latin1":
        text = "\n\n".join(paras).replace("the ", "the caf\u00e9 ", 2) + "\nCo\u00fbt: \u00a312"
        qp = quopri.encodestring(text.encode("latin-1")).decode()
        return sender, "\n".join([*head, "Content-Type: text/plain; charset=iso-8859-1",
                                  "Content-Transfer-Encoding: quoted-printable"]) + \
            "\n\n" + qp + "\n"
    if kind == "b64text":
        return sender, "\n".join([*head, "Content-Type: text/plain; charset=utf-8",
                                  "Content-Transfer-Encoding: base64"]) + "\n\n" + \
            _b64(("\n\n".join(paras) + sig).encode()) + "\n"
    inner_head = _headers(rng, n + 10_000_000, _addr(rng), [_addr(rng)], subject, date)
    inner = "\n".join([*inner_head, "Content-Type: text/plain; charset=utf-8"]) + "\n\n" + \
        "\n\n".join(paras) + "\n"
    fwd = f"Content-Type: message/rfc822\nContent-Disposition: attachment\n\n{inner}"
    return sender, _mixed(rng, head, [_text_part("FYI, see below." + sig), fwd])


def _load_samples_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("tc_samples_generate",
                                                  ROOT / "samples" / "generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def consumer_pool(seed: int) -> list[tuple[str, str]]:
    """(envelope sender, text) of the labelled sample messages that involve a consumer
    mailbox (positives and hard negatives alike)."""
    gen = _load_samples_generator()
    pool = []
    for p in gen.build_all(seed, 4):
        if p.flow in gen.CONSUMER_FLOWS:
            pool.append((p.mail.envelope_from, gen.mbox_quote(p.mail.text, p.mail.unquoted_from)))
    return pool


_QUOTE = re.compile(r"^(>*From )", re.MULTILINE)


def _mbox_quote(text: str) -> str:
    head, sep, body = text.partition("\n\n")
    return head + sep + _QUOTE.sub(r">\1", body)


def write_corpus(path: Path, size_mb: int, seed: int,
                 consumer_share: float = 0.10) -> dict[str, int]:
    """Write an mbox of about `size_mb` MiB; returns its facts (cached in a sidecar)."""
    meta_path = path.with_suffix(".json")
    want = {"version": GEN_VERSION, "size_mb": size_mb, "seed": seed}
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if all(meta.get(k) == v for k, v in want.items()) and path.stat().st_size == meta["bytes"]:
            return meta  # type: ignore[no-any-return]
    rng = random.Random(seed)
    blobs = _blobs(rng)
    pool = consumer_pool(seed)
    target = size_mb * MB
    written = messages = consumer = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb", buffering=8 * MB) as f:
        while written < target:
            _, asc = _date(rng)
            if rng.random() < consumer_share:
                env, text = rng.choice(pool)
                consumer += 1
            else:
                env, text = bulk_message(rng, messages, blobs)
                text = _mbox_quote(text)
            data = f"From {env} {asc}\n{text}".encode()
            if not data.endswith(b"\n"):
                data += b"\n"
            data += b"\n"
            f.write(data)
            written += len(data)
            messages += 1
    tmp.replace(path)
    meta = {**want, "bytes": written, "messages": messages, "consumer_messages": consumer}
    meta_path.write_text(json.dumps(meta))
    return meta


# ---------------------------------------------------------------------------------------------
# the second shape: 20,000 mixed messages in one mbox of about 190 MB

MIXED_VERSION = 2
MIXED_MESSAGES = 20_000
CONSUMER = ("gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "btinternet.com",
            "icloud.com")
RESULTS = ("positive", "negative", "inconclusive", "void")


def _words_text(rng: random.Random, words: int) -> list[str]:
    """Paragraphs of about `words` words in total."""
    paras = []
    while words > 0:
        n = min(words, rng.randint(30, 120))
        paras.append(_para(rng, n, n))
        words -= n
    return paras


def _html_alternative(paras: list[str], name: str) -> str:
    """The HTML rendering of a plain body (what a mail client sends beside it), quoted-
    printable: the same paragraphs and signature."""
    ps = "".join(f"<p style=\"font-family:Calibri,sans-serif;font-size:11pt\">{p}</p>"
                 for p in paras)
    doc = (f"<html><head><meta charset=\"utf-8\"></head><body>{ps}<p>--<br>{name}</p>"
           "</body></html>")
    qp = quopri.encodestring(doc.encode()).decode()
    return ("Content-Type: text/html; charset=utf-8\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n{qp}")


def _patient_csv(rng: random.Random, gen) -> str:  # type: ignore[no-untyped-def]
    """A CSV of 5-60 patient rows (NHS number, date of birth, test date and result)."""
    rows = ["Surname,Forename,NHS Number,Date of Birth,Test Date,COVID-19 PCR Result"]
    for _ in range(rng.randint(5, 60)):
        rows.append(f"{rng.choice(gen.SURNAMES)},{rng.choice(gen.FEMALE + gen.MALE)},"
                    f"{gen.nhs_number(rng)},{gen.dob(rng)},"
                    f"2021-0{rng.randint(1, 3)}-{rng.randint(10, 28)},{rng.choice(RESULTS)}")
    return "\r\n".join(rows) + "\r\n"


def _binary(rng: random.Random) -> tuple[bytes, str, str]:
    """A 2-60 KB binary attachment: (data, content type, file name)."""
    size = rng.randint(2, 60) * 1024
    kind = rng.choice(("png", "jpeg", "octet"))
    if kind == "png":
        return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(size), "image/png", \
            "photo.png"
    if kind == "jpeg":
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(size), "image/jpeg", \
            "scan.jpg"
    return rng.randbytes(size), "application/octet-stream", "export.dat"


def mixed_message(rng: random.Random, n: int, gen, consumer: bool  # type: ignore[no-untyped-def]
                  ) -> tuple[str, str]:
    """(envelope sender, message text) of one message of the second shape: a body of 80-1,500
    words; 30% with an HTML alternative, 15% with a CSV of patient rows, 8% with a binary
    attachment; a consumer address on the message when `consumer`."""
    date, _ = _date(rng)
    sender = _addr(rng) if rng.random() < 0.85 else _addr(rng, rng.choice(PARTNERS))
    to, cc = _recipients(rng)
    if consumer:
        personal = f"{rng.choice(STAFF).replace('.', rng.choice(('.', '_', '')))}" \
                   f"{rng.randint(1, 99)}@{rng.choice(CONSUMER)}"
        if rng.random() < 0.5:
            to[0] = personal  # to-consumer
        else:
            sender = personal  # from-consumer
    subject = " ".join(rng.choices(WORDS, k=rng.randint(3, 8))).capitalize()
    head = _headers(rng, n, sender, to, subject, date, cc)
    # 80-1,500 words, most of them short (median about 435 words): x² of a uniform draw
    paras = _words_text(rng, 80 + int(1420 * rng.random() ** 2))
    name = sender.split("@")[0].title()
    text = "\n\n".join(paras) + f"\n\n--\n{name}\n"
    body = _alt(rng, [_text_part(text), _html_alternative(paras, name)]) \
        if rng.random() < 0.30 else _text_part(text)
    attachments = []
    if rng.random() < 0.15:
        csv = _b64(_patient_csv(rng, gen).encode())
        attachments.append("Content-Type: text/csv; name=\"patients.csv\"\n"
                           "Content-Transfer-Encoding: base64\n"
                           f"Content-Disposition: attachment; filename=\"patients.csv\"\n\n{csv}")
    if rng.random() < 0.08:
        data, ctype, name = _binary(rng)
        attachments.append(f"Content-Type: {ctype}; name=\"{name}\"\n"
                           "Content-Transfer-Encoding: base64\n"
                           f"Content-Disposition: attachment; filename=\"{name}\"\n\n"
                           f"{_b64(data)}")
    if attachments:
        return sender, _mixed(rng, head, [body, *attachments])
    return sender, "\n".join(head) + "\n" + body + "\n"


def write_mixed_corpus(path: Path, messages: int, seed: int,
                       consumer_share: float = 0.10) -> dict[str, int]:
    """Write the second shape's mbox (`messages` messages); returns its facts (cached in a
    sidecar like `write_corpus`)."""
    meta_path = path.with_suffix(".json")
    want = {"version": MIXED_VERSION, "messages": messages, "seed": seed}
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if all(meta.get(k) == v for k, v in want.items()) and path.stat().st_size == meta["bytes"]:
            return meta  # type: ignore[no-any-return]
    rng = random.Random(seed)
    gen = _load_samples_generator()
    written = consumer = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb", buffering=8 * MB) as f:
        for n in range(messages):
            _, asc = _date(rng)
            is_consumer = rng.random() < consumer_share
            consumer += is_consumer
            env, text = mixed_message(rng, n, gen, is_consumer)
            data = f"From {env} {asc}\n{_mbox_quote(text)}".encode()
            if not data.endswith(b"\n"):
                data += b"\n"
            data += b"\n"
            f.write(data)
            written += len(data)
    tmp.replace(path)
    meta = {**want, "bytes": written, "consumer_messages": consumer}
    meta_path.write_text(json.dumps(meta))
    return meta


# ---------------------------------------------------------------------------------------------
# the baseline: stdlib compat32, decode every part, one regex


def baseline(path: str) -> int:
    """Messages read; every part transfer- and charset-decoded and searched with one regex."""
    import email.parser
    import email.policy

    nhs = re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b")
    parser = email.parser.BytesParser(policy=email.policy.compat32)
    count = hits = 0

    def one(raw: bytes) -> None:
        nonlocal count, hits
        msg = parser.parsebytes(raw)
        for part in msg.walk():
            if part.is_multipart():
                continue
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes):
                continue
            try:
                text = data.decode(part.get_content_charset() or "latin-1", "replace")
            except LookupError:
                text = data.decode("latin-1")
            hits += len(nhs.findall(text))
        count += 1

    buf: list[bytes] = []
    blank = True
    with open(path, "rb", buffering=MB) as f:
        for line in f:
            if blank and line.startswith(b"From "):
                if buf:
                    one(b"".join(buf))
                buf = []
            else:
                buf.append(line)
            blank = line in (b"\n", b"\r\n")
    if buf:
        one(b"".join(buf))
    return count


# ---------------------------------------------------------------------------------------------
# running and measuring


def cli_has_flags() -> bool:
    """True once `tracecheck scan` offers --workers and --all-messages."""
    try:
        out = subprocess.run([str(TRACECHECK), "scan", "--help"], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "COLUMNS": "200"}).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--workers" in out and "--all-messages" in out


def scan_command(path: Path, *, all_messages: bool, workers: int | None,
                 use_cli: bool) -> list[str]:
    """The command line that scans `path` with JSON output thrown away."""
    if use_cli:
        cmd = [str(TRACECHECK), "scan", str(path), "--format", "json", "--output", "/dev/null",
               "--fail-on", "never"]
        if all_messages:
            cmd.append("--all-messages")
        if workers is not None:
            cmd += ["--workers", str(workers)]
        return cmd
    cmd = [str(PY), str(Path(__file__).resolve()), "_api", str(path)]
    if all_messages:
        cmd.append("--all-messages")
    if workers is not None:
        cmd += ["--workers", str(workers)]
    return cmd


def api_run(path: str, all_messages: bool, workers: int | None) -> None:
    """What the CLI does until its flags exist: api.scan + executor, JSON to /dev/null."""
    sys.path.insert(0, str(ROOT))
    from tracecheck import api
    from tracecheck.reports.base import ReportFormat, reporter_for

    result = api.scan([path], api.ScanOptions(all_messages=all_messages, workers=workers))
    with open(os.devnull, "w") as out:
        reporter_for(ReportFormat.JSON, color=False).write(result, out, reveal=False)
    print(json.dumps({"messages": result.messages_found, "findings": len(result.findings),
                      "flows": result.flow_counts}), file=sys.stderr)


@dataclass
class Run:
    name: str
    seconds: float
    cpu_seconds: float
    peak_tree_mb: float
    peak_proc_mb: float
    returncode: int
    other_cpu: float = 0.0
    """CPU seconds the rest of the machine used meanwhile (other jobs: on a shared machine
    they slow the parallel runs far more than the one-process baseline)."""


def run_env() -> dict[str, str]:
    """The environment every measured process runs in: Python's bytecode cached (in
    `.bench/pycache`) as it is for an installed package, even where the machine sets
    PYTHONDONTWRITEBYTECODE (this project's does): otherwise every run would compile
    tracecheck's sources again, which no installed copy does."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(BENCH / "pycache")
    return env


def measure(name: str, cmd: list[str], ok: tuple[int, ...] = (0,)) -> Run:
    """Run `cmd`; sample its process tree every 50 ms for the largest process's RSS and every
    250 ms for the tree's total PSS (proportional set size: shared pages counted once).
    `ok`: the exit codes of a good run (`tracecheck scan` exits 1 when it has findings)."""
    import resource

    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    me0 = resource.getrusage(resource.RUSAGE_SELF)
    busy0 = _busy_seconds()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=run_env())
    peak_tree = peak_proc = 0
    ps = psutil.Process(proc.pid)
    procs: list[psutil.Process] = [ps]
    samples = 0
    while proc.poll() is None:
        # The sampler shares the machine with what it measures: finding the children scans
        # every process on the machine (about 2.5 ms) and PSS walks every mapping of a
        # process (1-3 ms each), so both are read every 0.25 s and RSS (cheap) every 50 ms.
        # Reading them every 50 ms took about 9% of a core, which a two-worker run that
        # needs both cores paid for (the one-process baseline did not).
        full = samples % 5 == 0
        try:
            if full:
                procs = [ps, *ps.children(recursive=True)]
            rss, pss = [], []
            for p in procs:
                try:
                    info = p.memory_full_info() if full else p.memory_info()
                except psutil.Error:
                    continue
                rss.append(info.rss)
                pss.append(getattr(info, "pss", info.rss))
            # the tree total uses PSS: forked workers share their parent's pages
            if full:
                peak_tree = max(peak_tree, sum(pss))
            peak_proc = max(peak_proc, max(rss, default=0))
        except psutil.Error:
            pass
        samples += 1
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    me1 = resource.getrusage(resource.RUSAGE_SELF)
    sampling = (me1.ru_utime + me1.ru_stime) - (me0.ru_utime + me0.ru_stime)
    other = max(0.0, _busy_seconds() - busy0 - cpu - sampling)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in ok:
        print(f"  {name}: exit {proc.returncode}\n{err[-2000:]}", file=sys.stderr)
    return Run(name, seconds, cpu, peak_tree / MB, peak_proc / MB,
               0 if proc.returncode in ok else proc.returncode, other)


def _busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _row(run: Run, size: int, messages: int, base_mbs: float | None) -> str:
    mbs = size / MB / run.seconds
    ratio = f"{mbs / base_mbs if base_mbs else 1.0:5.2f}x"
    return (f"| {run.name:<38} | {run.seconds:6.1f} | {run.cpu_seconds:6.1f} | {mbs:6.1f} "
            f"| {messages / run.seconds:6.0f} | {ratio} | {run.peak_proc_mb:8.0f} "
            f"| {run.peak_tree_mb:8.0f} | {run.other_cpu:7.1f} |")


def warm_up(commands: list[list[str]]) -> None:
    """Run each command once, unmeasured: the bytecode cache and the page cache are filled
    before anything is timed."""
    for cmd in commands:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=run_env(), check=False)


def bench_mixed(seed: int, repeats: int) -> bool:
    """The second shape, whole processes: `tracecheck scan FILE` as a user types it (table
    on stdout, start-up included) against the baseline as a process of its own, each run
    `repeats` times in turn; the ratio uses the medians. True when a run failed."""
    import statistics

    path = BENCH / f"mixed-{MIXED_MESSAGES}.mbox"
    t0 = time.perf_counter()
    meta = write_mixed_corpus(path, MIXED_MESSAGES, seed)
    size, messages = int(meta["bytes"]), int(meta["messages"])
    print(f"\nsecond shape: {path.relative_to(ROOT)}  {size / 1e6:.0f} MB ({size / MB:.0f} MiB), "
          f"{messages} messages, {meta['consumer_messages']} with a consumer address "
          f"({100 * meta['consumer_messages'] / messages:.1f}%), ready in "
          f"{time.perf_counter() - t0:.0f} s")
    one = BENCH / "one-message.mbox"
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    cut = head.find(b"\n\nFrom ", 1)
    one.write_bytes(head[: cut + 2] if cut > 0 else head)
    tc = str(TRACECHECK)
    runs = [
        ("baseline (compat32, decode all, regex)",
         [str(PY), str(Path(__file__).resolve()), "_baseline", str(path)]),
        ("tracecheck scan FILE", [tc, "scan", str(path)]),
        ("tracecheck scan FILE --all-messages", [tc, "scan", str(path), "--all-messages"]),
        ("tracecheck scan FILE --workers 1", [tc, "scan", str(path), "--workers", "1"]),
    ]
    startup = [
        ("tracecheck --version", [tc, "--version"]),
        ("tracecheck scan ONE-MESSAGE-MBOX", [tc, "scan", str(one)]),
    ]
    warm_up([cmd for _, cmd in startup] + [[str(PY), str(Path(__file__).resolve()),
                                           "_baseline", str(one)]])
    header = ("| run (whole process)                    | wall s |  CPU s |   MB/s | msgs/s "
              "| ratio  | RSS proc | PSS tree | others |")
    print(f"each run {repeats}x in turn; ratio = baseline median wall / run median wall\n")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    measured: dict[str, list[Run]] = {name: [] for name, _ in runs + startup}
    whole = {name for name, _ in runs}
    failed = False
    for _ in range(repeats):
        for name, cmd in runs + startup:
            run = measure(name, cmd, ok=(0, 1))
            failed |= run.returncode != 0
            measured[name].append(run)
            base = statistics.median(r.seconds for r in measured[runs[0][0]])
            if name in whole:
                print(_row(run, size, messages, size / MB / base), flush=True)
            else:  # start-up: one message, no ratio
                print(f"| {name:<38} | {run.seconds:6.2f} | {run.cpu_seconds:6.2f} |      - "
                      f"|      - |     -  | {run.peak_proc_mb:8.0f} | {run.peak_tree_mb:8.0f} "
                      f"| {run.other_cpu:7.1f} |",
                      flush=True)
    base = statistics.median(r.seconds for r in measured[runs[0][0]])
    print("\nmedians:")
    for name, _ in runs + startup:
        walls = [r.seconds for r in measured[name]]
        mid = statistics.median(walls)
        ratio = f", {base / mid:.2f}x the baseline" if name in whole else ""
        print(f"  {name:<38} wall {mid:6.2f} s (runs {', '.join(f'{w:.2f}' for w in walls)}), "
              f"CPU {statistics.median(r.cpu_seconds for r in measured[name]):6.2f} s, RSS "
              f"{max(r.peak_proc_mb for r in measured[name]):.0f} MB{ratio}; other jobs used "
              f"{', '.join(f'{r.other_cpu:.1f}' for r in measured[name])} CPU s")
    return failed


def machine() -> str:
    """One line about the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 1024**3:.0f} GiB RAM"
    except ImportError:
        mem = ""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, {mem}, Python {platform.python_version()}, {platform.system()}"


def bench_logs(size_mb: int, quick: bool) -> bool:
    """Months of Postfix logs (`bench_logs.write_rotated`: eight monthly files): a
    one-process baseline that splits lines and parses time stamps, then `tracecheck logs`
    serially, with `--workers 2` and on a Dask LocalCluster (two workers), as whole
    processes; then peak RSS of the serial read at 100 MB and at `size_mb`."""
    from bench_logs import write_rotated

    print(f"\nlogs: {size_mb} MiB of Postfix logs, eight monthly rotated files "
          f"(load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    t0 = time.perf_counter()
    folder = BENCH / f"logs-{size_mb}"
    meta = write_rotated(folder, size_mb)
    print(f"  {meta['bytes'] / MB:.0f} MiB, {meta['lines']:,} lines, ready in "
          f"{time.perf_counter() - t0:.0f} s")

    def logs_cmd(path: Path, *flags: str) -> list[str]:
        return [str(TRACECHECK), "logs", str(path), "--log-year", "2021", "--view", "by_day",
                "--output", os.devnull, *flags]

    runs = [
        ("baseline (split lines, parse stamps)",
         [str(PY), str(Path(__file__).resolve().parent / "bench_logs.py"), "_baseline",
          str(folder)]),
        ("tracecheck logs --workers 1", logs_cmd(folder, "--workers", "1")),
        ("tracecheck logs --workers 2", logs_cmd(folder, "--workers", "2")),
        ("tracecheck logs --dask local", logs_cmd(folder, "--dask", "local")),
    ]
    header = ("| run                                    | wall s |  CPU s |   MB/s | lines/s "
              "| ratio  | RSS proc | PSS tree | others |")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    write_rotated(BENCH / "logs-warm", 1)
    warm_up([logs_cmd(BENCH / "logs-warm", "--workers", "1")])
    failed = False
    base_mbs: float | None = None
    timed: dict[str, float] = {}
    for name, cmd in runs:
        run = measure(name, cmd)
        failed |= run.returncode != 0
        timed[name] = run.seconds
        print(_row(run, int(meta["bytes"]), int(meta["lines"]), base_mbs), flush=True)
        if base_mbs is None:
            base_mbs = meta["bytes"] / MB / run.seconds
    serial, two = timed["tracecheck logs --workers 1"], timed["tracecheck logs --workers 2"]
    print(f"  --workers 2 against serial: {serial / two:.2f}x (target 1.7x on 2 cores); load "
          f"average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("  peak RSS, serial read:")
    for mb in sorted({100, size_mb}):
        path = BENCH / f"logs-{mb}"
        m = write_rotated(path, mb)
        run = measure(f"{mb} MB", logs_cmd(path, "--workers", "1"))
        failed |= run.returncode != 0
        print(f"    {m['bytes'] / MB:6.0f} MiB of logs: RSS {run.peak_proc_mb:6.0f} MB "
              f"({run.seconds:.0f} s)", flush=True)
    return failed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["_baseline"]:
        n = baseline(args[1])
        print(json.dumps({"messages": n}), file=sys.stderr)
        return 0
    if args[:1] == ["_api"]:
        ap = argparse.ArgumentParser()
        ap.add_argument("path")
        ap.add_argument("--all-messages", action="store_true")
        ap.add_argument("--workers", type=int)
        ns = ap.parse_args(args[1:])
        api_run(ns.path, ns.all_messages, ns.workers)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="~200 MB corpus, no 2 GB memory run")
    ap.add_argument("--size-mb", type=int, default=None,
                    help="main corpus size in MiB (default 1024; 200 with --quick)")
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--shape", choices=("all", "both", "gib", "mixed", "logs"), default="all",
                    help="both: the two mail shapes; gib: the 1 GiB corpus only; mixed: the "
                    "20,000-message one only; logs: the log benchmark only; all: everything")
    ap.add_argument("--log-size-mb", type=int, default=None,
                    help="log benchmark size in MiB (default 1024; 100 with --quick)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="runs of each command on the second shape (default 3; 1 with --quick)")
    ns = ap.parse_args(args)
    size_mb = ns.size_mb or (200 if ns.quick else 1024)
    use_cli = cli_has_flags()
    print(f"machine: {machine()}")
    failed = False
    if ns.shape == "logs":
        return 1 if bench_logs(ns.log_size_mb or (100 if ns.quick else 1024), ns.quick) else 0
    if ns.shape in ("all", "both", "mixed"):
        failed |= bench_mixed(ns.seed, ns.repeats or (1 if ns.quick else 3))
    if ns.shape == "mixed":
        return 1 if failed else 0
    how = "the CLI" if use_cli else "api.scan in a subprocess (CLI flags not wired yet)"
    print(f"\nfirst shape: tracecheck invoked via {how}")
    t0 = time.perf_counter()
    main_path = BENCH / f"corpus-{size_mb}.mbox"
    meta = write_corpus(main_path, size_mb, ns.seed)
    print(f"corpus: {main_path.relative_to(ROOT)}  {meta['bytes'] / MB:.0f} MiB, "
          f"{meta['messages']} messages, {meta['consumer_messages']} from the consumer-flow pool "
          f"({100 * meta['consumer_messages'] / meta['messages']:.1f}%), "
          f"ready in {time.perf_counter() - t0:.0f} s")
    size, messages = int(meta["bytes"]), int(meta["messages"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    runs = [
        ("baseline (compat32, decode all, regex)",
         [str(PY), str(Path(__file__).resolve()), "_baseline", str(main_path)]),
        (f"default (triage), workers {cores}", scan_command(main_path, all_messages=False,
                                                            workers=None, use_cli=use_cli)),
        (f"--all-messages, workers {cores}", scan_command(main_path, all_messages=True,
                                                          workers=None, use_cli=use_cli)),
        ("default, --workers 1", scan_command(main_path, all_messages=False, workers=1,
                                              use_cli=use_cli)),
        ("default, --workers 2", scan_command(main_path, all_messages=False, workers=2,
                                              use_cli=use_cli)),
    ]
    header = ("| run                                    | wall s |  CPU s |   MB/s | msgs/s "
              "| ratio  | RSS proc | PSS tree | others |")
    print()
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    warm_up([[str(TRACECHECK), "--version"]] if use_cli else [])
    base_mbs: float | None = None
    for name, cmd in runs:
        run = measure(name, cmd)
        failed |= run.returncode != 0
        print(_row(run, size, messages, base_mbs), flush=True)
        if base_mbs is None:
            base_mbs = size / MB / run.seconds
    print()
    print("peak RSS, default mode, all cores:")
    mem_sizes = [200] if ns.quick else [200, 2048]
    for mb in mem_sizes:
        path = BENCH / f"corpus-{mb}.mbox"
        m = write_corpus(path, mb, ns.seed)
        run = measure(f"{mb} MB", scan_command(path, all_messages=False, workers=None,
                                               use_cli=use_cli))
        failed |= run.returncode != 0
        print(f"  {m['bytes'] / MB:6.0f} MiB input: largest process RSS "
              f"{run.peak_proc_mb:5.0f} MB, process tree PSS {run.peak_tree_mb:5.0f} MB "
              f"({run.seconds:.0f} s)", flush=True)
    if ns.shape == "all":
        failed |= bench_logs(ns.log_size_mb or (100 if ns.quick else 1024), ns.quick)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
