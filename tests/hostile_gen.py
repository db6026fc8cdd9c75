"""Hostile input shapes of issue 15 (items 6 to 9), built at any size.

The full sizes are the ones the issue measured (`scripts/hostile.py`, run by `make fuzz`,
builds them and checks time and peak memory); the tests build the same shapes small and
lower the limits to match. Every builder is deterministic: the same arguments give the same
bytes.

- `flat_zip_email`: a zip of 1 MiB members full of distinct valid-looking NHS numbers, each
  with identity context, in one email (14.6 MB in the issue): each member passes the ratio
  check, and the findings are dense.
- `repeated_zip_email`: 50 such members that compress well (a short cycle of numbers), in a
  small email (244 KB in the issue).
- `csv_email`: a plain CSV attachment of patient rows, one distinct NHS number a row (20 MB).
- `many_parts_email`: one multipart with millions of tiny parts (2.5M parts in 17.5 MB).
- `write_gz_mbox`: a `.mbox.gz` whose one message is huge (1 GiB in 3.6 MB).
- `write_garbage_exchange_log`: an Exchange tracking log whose rows are garbage (1 GB).
"""

from __future__ import annotations

import base64
import gzip
import io
import operator
import random
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

MIB = 1024 * 1024

HEAD = ("From: agent@tracecall.co.uk\nTo: someone@gmail.com\nSubject: {subject}\n"
        "Date: Mon, 11 Jan 2021 09:30:00 +0000\nMessage-ID: <{subject}@tracecall.co.uk>\n"
        "MIME-Version: 1.0\n")


def nhs_numbers(first: int = 401_000_000) -> Iterator[str]:
    """Valid NHS numbers (Modulus 11, issued range), ascending from `first` (nine digits).

    The weighted digit sum is split at the last three digits: the first six are summed once
    per thousand numbers and the last three come from a table (the full-size hostile shapes
    need millions of numbers; tests/test_hostile_gen.py holds this to the plain definition)."""
    high, low = divmod(first, 1000)
    while True:
        head = f"{high:06d}"
        base = sum(map(operator.mul, map(int, head), _WEIGHTS[:6]))
        for last in range(low, 1000):
            check = 11 - (base + _LAST_SUM[last]) % 11
            if check != 10:
                yield head + _LAST[last] + _CHECK[check]
        high += 1
        low = 0


_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_LAST = [f"{n:03d}" for n in range(1000)]
_LAST_SUM = [sum(map(operator.mul, map(int, digits), _WEIGHTS[6:])) for digits in _LAST]
_CHECK = [str(c % 11) for c in range(12)]


def spaced(number: str) -> str:
    """`4010232137` → `401 023 2137`."""
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def dense_text(size: int, *, cycle: int | None = None, first: int = 401_000_000) -> bytes:
    """`size` bytes of lines `NHS 401 023 2137 positive`: distinct numbers, or a `cycle` of
    that many numbers repeated (text that compresses far better)."""
    numbers = nhs_numbers(first)
    if cycle is not None:
        block = "".join(f"NHS {spaced(next(numbers))} positive\n" for _ in range(cycle))
        data = (block * (size // len(block) + 1)).encode()
        return data[:size]
    out = io.StringIO()
    written = 0
    while written < size:
        line = f"NHS {spaced(next(numbers))} positive\n"
        out.write(line)
        written += len(line)
    return out.getvalue().encode()[:size]


def zip_of(members: list[tuple[str, bytes]]) -> bytes:
    """A deflated zip of (name, data) members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, (2021, 1, 11, 9, 30, 0)), data,
                       compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def email_with(subject: str, name: str, ctype: str, data: bytes) -> bytes:
    """A message with a short body and one base64 attachment."""
    b64 = base64.encodebytes(data).decode()
    text = (HEAD.format(subject=subject)
            + 'Content-Type: multipart/mixed; boundary="b"\n\n'
            + "--b\nContent-Type: text/plain\n\nSee the attached file.\n"
            + f'--b\nContent-Type: {ctype}; name="{name}"\nContent-Transfer-Encoding: base64\n'
            + f'Content-Disposition: attachment; filename="{name}"\n\n'
            + b64 + "--b--\n")
    return text.encode()


def flat_zip_email(total: int = 14_600_000, member: int = MIB) -> bytes:
    """A zip of `member`-byte members of distinct numbers, as many as fit an email of about
    `total` bytes (base64 makes 4 bytes of 3; every member compresses about as the first)."""
    first = dense_text(member)
    packed = len(zlib.compress(first, 6)) + 120
    count = max(1, -(-(total * 3 // 4) // packed))
    members = [("batch/000.txt", first)]
    start = 401_000_000
    for i in range(1, count):
        start += member // 2  # past every number the member before used (26-byte lines)
        members.append((f"batch/{i:03d}.txt", dense_text(member, first=start)))
    return email_with("flat", "cases.zip", "application/zip", zip_of(members))


def repeated_zip_email(members: int = 50, member: int = MIB, cycle: int = 40) -> bytes:
    """`members` members of `member` bytes each, a cycle of `cycle` numbers repeated."""
    text = dense_text(member, cycle=cycle)
    data = zip_of([(f"batch/{i:03d}.txt", text) for i in range(members)])
    return email_with("repeated", "cases.zip", "application/zip", data)


SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts"]
FORENAMES = ["Jane", "John", "Olivia", "Amelia", "George", "Harry", "Isla", "Noah", "Ava",
             "Leo", "Mia", "Oscar", "Aisha", "Mohammed", "Grace", "Jack"]
RESULTS = ["positive", "negative", "inconclusive", "void"]


def patient_rows(size: int, seed: int = 15) -> bytes:
    """About `size` bytes of a patient CSV: a header and one row per patient, each with a
    distinct NHS number (every one of which a scan must report)."""
    rng = random.Random(seed)
    numbers = nhs_numbers(401_000_000)
    out = io.StringIO()
    out.write("nhs_number,surname,forename,date_of_birth,postcode,test_date,test,result\n")
    written = 0
    while written < size:
        row = (f"{next(numbers)},{rng.choice(SURNAMES)},{rng.choice(FORENAMES)},"
               f"{rng.randint(1930, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
               f"LS{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLN')}"
               f"{rng.choice('PQRSTUWXYZ')},2021-01-{rng.randint(1, 28):02d},PCR,"
               f"{rng.choice(RESULTS)}\n")
        out.write(row)
        written += len(row)
    return out.getvalue().encode()


def csv_email(size: int = 20_000_000) -> bytes:
    """A message carrying a patient CSV of about `size` bytes."""
    return csv_email_of(patient_rows(size))


def csv_email_of(rows: bytes) -> bytes:
    """A message carrying the patient CSV `rows` (from `patient_rows`)."""
    return email_with("csv", "patients.csv", "text/csv", rows)


def distinct_numbers_in(data: bytes) -> set[str]:
    """The NHS numbers a patient CSV holds (its first column)."""
    return {line.split(b",", 1)[0].decode() for line in data.splitlines()[1:]}


def many_parts_email(parts: int = 2_500_000) -> bytes:
    """One multipart/mixed holding `parts` tiny parts (7 bytes each)."""
    head = (HEAD.format(subject="parts") + 'Content-Type: multipart/mixed; boundary="b"\n\n')
    return head.encode() + b"--b\n\nx\n" * parts + b"--b--\n"


FILLER = ("Dear team, please find the weekly rota below. The Leeds office opens at 9am and the "
          "call centre at 8am; cover for the bank holiday is still open. Thanks, Sam\n")


def write_gz_mbox(path: Path, size: int = 1024 * MIB, leak_at: int = 0) -> None:
    """An mbox.gz with one message of about `size` bytes of ordinary text, then a second,
    small message (that a scan must still read), written as it is compressed. `leak_at`:
    the case note in the big message's body comes after this many bytes of filler."""
    block = (FILLER * (MIB // len(FILLER) + 1)).encode()[:MIB]
    head = ("From agent@tracecall.co.uk Mon Jan 11 09:30:00 2021\n"
            + HEAD.format(subject="big") + "Content-Type: text/plain\n\n")
    note = b"Case notes: NHS number 401 023 2137, PCR came back positive.\n"
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(head.encode())

        def filler(n: int) -> None:
            while n > 0:
                chunk = block[:n]
                out.write(chunk)
                n -= len(chunk)

        leak_at = min(leak_at, size)
        filler(leak_at)
        out.write(note)
        filler(size - leak_at)
        out.write(b"\n\nFrom agent@tracecall.co.uk Mon Jan 11 09:31:00 2021\n"
                  + HEAD.format(subject="small").encode()
                  + b"Content-Type: text/plain\n\n" + note)


EXCHANGE_HEAD = ("#Software: Microsoft Exchange Server\n#Version: 15.01.2375.007\n"
                 "#Log-type: Message Tracking Log\n#Date: 2021-01-11T09:00:00.000Z\n"
                 "#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,"
                 "source-context,connector-id,source,event-id,internal-message-id,message-id,"
                 "network-message-id,recipient-address,recipient-status,total-bytes,"
                 "recipient-count,related-recipient-address,reference,message-subject,"
                 "sender-address,return-path,message-info,directionality,tenant-id,"
                 "original-client-ip,original-server-ip,custom-data,transport-traffic-type,"
                 "log-id,schema-version\n"
                 "2021-01-11T09:00:00.100Z,,,,EX01,,,SMTP,SEND,1001,<case-1@example.org>,,"
                 "someone@gmail.com,250 2.0.0 OK,4200,1,,,Case notes,agent@example.org,,,"
                 "Originating,,,,,,,\n")


def write_garbage_exchange_log(path: Path, size: int = 200 * MIB) -> int:
    """An Exchange tracking log: its directive lines and one row, then about `size` bytes of
    short garbage lines (none a row). Returns the number of garbage lines."""
    line = b"garbage,row,with,too,few,cells,\x01\x02 0123456789abcdef 0123\n"
    block = line * (MIB // len(line))
    lines = 0
    with path.open("wb") as out:
        out.write(EXCHANGE_HEAD.encode())
        written = 0
        while written < size:
            out.write(block)
            written += len(block)
            lines += len(block) // len(line)
    return lines
