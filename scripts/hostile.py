#!/usr/bin/env python3
"""The hostile shapes of issue 15 (items 6 to 9) at full size: build each, scan it in a
child process, and report its wall time, peak memory (RSS) and exit code.

Run by `make fuzz` (and `make hostile`), which fails when a scan takes 1 GB or more or the
shapes take longer than `--budget` seconds of wall time, two scans at a time (`LANES`). The
shapes come from tests/hostile_gen.py (where each is described); the CSV shape's findings
are counted against its rows: every distinct NHS number must be reported. `--timeout` and
`--max-memory-gb` bound each child (used to measure a version that does not survive the
shapes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import hostile_gen as gen  # noqa: E402

GB = 1024 ** 3


def _write(data: bytes, path: Path) -> Path:
    path.write_bytes(data)
    return path


def shapes(root: Path, scale: float) -> dict[str, Callable[[], Path]]:
    """Shape name → a builder writing it under `root` (sizes times `scale`)."""
    def n(x: float) -> int:
        return max(int(x * scale), 1)

    def log() -> Path:
        p = root / "MSGTRK2021011109-1.LOG"
        gen.write_garbage_exchange_log(p, n(200 * gen.MIB))
        return p

    def gz() -> Path:
        p = root / "big.mbox.gz"
        gen.write_gz_mbox(p, n(1024 * gen.MIB))
        return p

    return {
        "6 flat zip (14.6 MB email)": lambda: _write(gen.flat_zip_email(n(14_600_000)),
                                                     root / "flat.eml"),
        "6 repeated zip (50 members)": lambda: _write(gen.repeated_zip_email(), root / "rep.eml"),
        "6 patient CSV (20 MB)": lambda: _write(gen.csv_email(n(20_000_000)), root / "csv.eml"),
        "7 tiny parts (2.5M)": lambda: _write(gen.many_parts_email(n(2_500_000)),
                                              root / "parts.eml"),
        "8 mbox.gz, one 1 GiB message": gz,
        "9 garbage Exchange log (200 MB)": log,
    }


def run(path: Path, out: Path, fmt: str, timeout: float, max_memory: int | None
        ) -> tuple[float, int, int | str]:
    """(seconds, peak RSS bytes, exit code or `timeout`) of one scan in a child process."""
    def limit() -> None:
        if max_memory:
            resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))

    cmd = [sys.executable, "-P", "-m", "tracecheck", "scan", str(path), "--workers", "1",
           "--fail-on", "high", "--format", fmt, "--output", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=limit)
    deadline = start + timeout
    status: int | str = "timeout"
    rss = 0
    while True:
        pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            rss = usage.ru_maxrss * 1024
            status = os.waitstatus_to_exitcode(code)
            break
        if time.perf_counter() > deadline:
            proc.kill()
            _, code, usage = os.wait4(proc.pid, 0)
            rss = usage.ru_maxrss * 1024
            break
        time.sleep(0.05)
    proc.returncode = 0  # reaped above
    return time.perf_counter() - start, rss, status


LANES = (("flat zip", "tiny parts", "mbox.gz"), ("repeated zip", "CSV", "garbage"))
"""The shapes run two at a time (two cores), each lane in order, about as long as the other
(each scan is one process, checked under 1 GB on its own)."""


def _run_lane(names: list[str], builders: dict[str, Callable[[], Path]], root: Path,
              args: argparse.Namespace, cap: int | None, lock: threading.Lock
              ) -> tuple[bool, float]:
    """Build and scan each shape of one lane in order; (failed, seconds)."""
    failed = False
    spent = 0.0
    for name in names:
        t0 = time.perf_counter()
        with lock:  # building is CPU work in this process: one at a time
            path = builders[name]()
        built = time.perf_counter() - t0
        csv = "CSV" in name
        out = root / f"out-{abs(hash(name))}.{'jsonl' if csv else 'json'}"
        secs, rss, code = run(path, out, "jsonl" if csv else "json", args.timeout, cap)
        spent += built + secs
        extra = ""
        if csv and out.exists():
            got = set()
            with out.open(encoding="utf-8", errors="replace") as f:
                for line in f:
                    if '"nhs-number"' in line:
                        got.add(json.loads(line)["fingerprint"])
            want = len(gen.distinct_numbers_in(
                gen.patient_rows(max(int(20_000_000 * args.scale), 1))))
            extra = f"; {len(got):,} of {want:,} distinct NHS numbers reported"
            failed |= args.check and len(got) != want
        print(f"{name:34} {path.stat().st_size / 1e6:8.1f} MB  built {built:5.1f}s  "
              f"scan {secs:6.1f}s  peak RSS {rss / 1e6:7.0f} MB  exit {code}{extra}",
              flush=True)
        failed |= args.check and (rss >= GB or code == "timeout")
        path.unlink()
        out.unlink(missing_ok=True)
    return failed, spent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", help="run the shapes whose name contains this")
    ap.add_argument("--scale", type=float, default=1.0, help="size factor (1: the issue's)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per scan")
    ap.add_argument("--max-memory-gb", type=float, default=None,
                    help="address-space limit of each scan (a version that runs out)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a scan reaches 1 GB RSS or the wall time passes --budget")
    ap.add_argument("--budget", type=float, default=120.0, help="seconds for every shape")
    ap.add_argument("--serial", action="store_true", help="one shape at a time")
    args = ap.parse_args()
    cap = int(args.max_memory_gb * GB) if args.max_memory_gb else None
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tracecheck-hostile-") as tmp:
        root = Path(tmp)
        builders = shapes(root, args.scale)
        chosen = [n for n in builders if not args.only or args.only in n]
        lanes = [[n for n in chosen if any(k in n for k in lane)] for lane in LANES]
        if args.serial:
            lanes = [chosen]
        lock = threading.Lock()
        with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            done = list(pool.map(lambda lane: _run_lane(lane, builders, root, args, cap, lock),
                                 lanes))
    wall = time.perf_counter() - start
    failed = any(f for f, _ in done)
    print(f"wall {wall:.1f}s for {len(chosen)} shapes in {len(lanes)} lane(s) (budget "
          f"{args.budget:.0f}s); {sum(s for _, s in done):.1f}s of building and scanning")
    failed |= args.check and wall > args.budget
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
