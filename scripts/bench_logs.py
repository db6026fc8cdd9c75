"""The log benchmark of `make bench` (issue 18): months of Postfix logs read serially, on two
local worker processes and on a Dask LocalCluster, against a one-process baseline that only
splits lines and parses their time stamps.

Owns the generated rotated set (`write_rotated`: `mail.log.N` … `mail.log`, one file per
month, about 200 bytes a line and 7 lines a message, deterministic for a seed) and the
baseline (`baseline`). `bench.py` runs it (`--shape logs`, and in the default run) and times
whole processes with its `measure` (wall, CPU, peak RSS of the largest process).
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ORG = "tracecall.co.uk"
CONSUMER = ("gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "icloud.com")
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


def _message(rng: random.Random, when: datetime, n: int) -> list[str]:
    """The syslog lines of one message through Postfix (submission, cleanup, qmgr, one or
    two deliveries, removal)."""
    qid = f"{n:010X}"
    stamp = when.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)
    sender = f"agent.{rng.randrange(400)}@{ORG}"
    rcpts = [f"user{rng.randrange(5000)}@{rng.choice(CONSUMER)}" if rng.random() < 0.1
             else f"staff.{rng.randrange(400)}@{ORG}" for _ in range(rng.choice((1, 1, 2)))]
    pid = 1000 + n % 30000
    lines = [
        f"{stamp} mx1 postfix/submission/smtpd[{pid}]: {qid}: client=ws{n % 90}.{ORG}"
        f"[10.0.{n % 250}.{n % 200}], sasl_method=PLAIN, sasl_username={sender}",
        f"{stamp} mx1 postfix/cleanup[{pid + 1}]: {qid}: message-id=<{n}.{qid}@{ORG}>",
        f"{stamp} mx1 postfix/qmgr[900]: {qid}: from=<{sender}>, size={rng.randrange(900, 90000)}"
        f", nrcpt={len(rcpts)} (queue active)",
    ]
    for r in rcpts:
        relay = ("gmail-smtp-in.l.google.com[142.250.1.26]:25" if r.endswith("gmail.com")
                 else f"mailstore.{ORG}[10.0.0.5]:25")
        lines.append(f"{stamp} mx1 postfix/smtp[{pid + 2}]: {qid}: to=<{r}>, relay={relay}, "
                     "delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 OK "
                     f"{1609458604 + n} a1si{n % 97} - gsmtp)")
    lines.append(f"{stamp} mx1 postfix/submission/smtpd[{pid}]: disconnect from ws{n % 90}.{ORG}"
                 "[10.0.0.12] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8")
    lines.append(f"{stamp} mx1 postfix/qmgr[900]: {qid}: removed")
    return lines


def write_rotated(folder: Path, size_mb: int, files: int = 8, seed: int = 2021
                  ) -> dict[str, int]:
    """A rotated set of `files` Postfix logs holding about `size_mb` MiB in all, one month
    each from January 2021 (`mail.log.{files-1}` oldest … `mail.log` newest). Reused when
    already written at this size. Returns {bytes, lines, files}."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder.parent / f"{folder.name}.complete-{size_mb}-{files}-{seed}"
    names = [f"mail.log.{i}" if i else "mail.log" for i in range(files - 1, -1, -1)]
    if stamp.exists():
        lines = int(stamp.read_text())
        return {"bytes": sum((folder / n).stat().st_size for n in names), "lines": lines,
                "files": files}
    rng = random.Random(seed)
    per_file = size_mb * 1024 * 1024 // files
    total_lines = n = 0
    start = datetime(2021, 1, 1, tzinfo=UTC)
    for month, name in enumerate(names):
        begin = start.replace(month=month % 12 + 1)
        written = 0
        with open(folder / name, "w", encoding="utf-8") as out:
            i = 0
            while written < per_file:
                when = begin + timedelta(seconds=i * 2)  # a month holds 1.3M messages
                chunk = "\n".join(_message(rng, when, n)) + "\n"
                out.write(chunk)
                written += len(chunk)
                total_lines += chunk.count("\n")
                n += 1
                i += 1
    stamp.write_text(str(total_lines))
    return {"bytes": sum((folder / n).stat().st_size for n in names), "lines": total_lines,
            "files": files}


def baseline(folder: str, year: int = 2021) -> int:
    """The floor of any log reader: every file of the folder read, split into lines, and
    each line's BSD syslog time stamp parsed into a UTC datetime. Returns the lines read."""
    n = 0
    for name in sorted(os.listdir(folder)):
        if not name.startswith("mail.log"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                datetime(year, MONTHS[line[:3]], int(line[4:6]), int(line[7:9]),
                         int(line[10:12]), int(line[13:15]), tzinfo=UTC)
                n += 1
    return n


if __name__ == "__main__":  # python scripts/bench_logs.py (_baseline FOLDER | FOLDER SIZE_MB)
    import sys

    if sys.argv[1] == "_baseline":
        print(baseline(sys.argv[2]), file=sys.stderr)
        sys.exit(0)
    t0 = time.perf_counter()
    print(write_rotated(Path(sys.argv[1]), int(sys.argv[2])), time.perf_counter() - t0)
    t0 = time.perf_counter()
    print(baseline(sys.argv[1]), time.perf_counter() - t0)
