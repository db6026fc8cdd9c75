#!/usr/bin/env python3
"""The hostile shapes of issue 15 (items 6 to 9) at full size: build each, scan it in a
child process, and report its wall time, peak memory (RSS) and exit code.

Run by `make fuzz`, `make fuzz-deep` and `make hostile`, which fail (`--check`) when a scan
takes 1 GB or more, exits other than 0, 1 or 3 or meets an internal error, or when the shapes
take longer than `--budget` seconds of wall time, two scans at a time (`--jobs`), longest
first. The shapes come from tests/hostile_gen.py (where each is described); the CSV shape's
findings are counted against its rows: every distinct NHS number must be reported.
`--timeout` and `--max-memory-gb` bound each child (used to measure a version that does not
survive the shapes). Each scan's CPU time is printed beside its wall time: on a shared
machine the wall time stretches, the CPU time much less.

The builders are deterministic, so a built shape is kept under build/hostile/ (`--cache`),
keyed by the hash of the builders (tests/hostile_gen.py and those below) and the scale, and
built again only when one of them changes (`--no-cache`: build every shape afresh in a
temporary folder). The 200 MB log is not kept: it is written faster than it is read back.
Missing shapes are built in processes of their own, beside the scans.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile_gen as gen  # noqa: E402

GB = 1024 ** 3
CSV_BYTES = 20_000_000


def _size(x: float, scale: float) -> int:
    return max(int(x * scale), 1)


def _flat(path: Path, scale: float) -> int | None:
    path.write_bytes(gen.flat_zip_email(_size(14_600_000, scale)))
    return None


def _repeated(path: Path, scale: float) -> int | None:
    path.write_bytes(gen.repeated_zip_email())
    return None


def _csv(path: Path, scale: float) -> int | None:
    rows = gen.patient_rows(_size(CSV_BYTES, scale))
    path.write_bytes(gen.csv_email_of(rows))
    return len(gen.distinct_numbers_in(rows))


def _parts(path: Path, scale: float) -> int | None:
    path.write_bytes(gen.many_parts_email(_size(2_500_000, scale)))
    return None


def _gz(path: Path, scale: float) -> int | None:
    gen.write_gz_mbox(path, _size(1024 * gen.MIB, scale))
    return None


def _log(path: Path, scale: float) -> int | None:
    gen.write_garbage_exchange_log(path, _size(200 * gen.MIB, scale))
    return None


@dataclass(frozen=True)
class Shape:
    """One hostile shape: its name, the file it is built as, and its builder (which writes
    the file and returns how many distinct NHS numbers a scan must report, where known)."""

    name: str
    file: str
    build: Callable[[Path, float], int | None]
    keep: bool = True
    """Kept under build/hostile/ between runs (the log is quicker to write than to copy)."""

    @property
    def fmt(self) -> str:
        return "jsonl" if self.build is _csv else "json"


SHAPES = (
    Shape("6 patient CSV (20 MB)", "csv.eml", _csv),
    Shape("6 flat zip (14.6 MB email)", "flat.eml", _flat),
    Shape("9 garbage Exchange log (200 MB)", "MSGTRK2021011109-1.LOG", _log, keep=False),
    Shape("8 mbox.gz, one 1 GiB message", "big.mbox.gz", _gz),
    Shape("6 repeated zip (50 members)", "rep.eml", _repeated),
    Shape("7 tiny parts (2.5M)", "parts.eml", _parts),
)
"""Longest scan first (as measured), so that two at a time end close together: the CSV
alone takes about as long as the rest together."""


def _build(shape: Shape, path: Path, scale: float) -> int | None:
    """Build `shape` at `path` atomically (a killed build leaves no file that looks built);
    the expected count goes beside it in `path.want`."""
    part = path.with_name(path.name + ".part")
    want = shape.build(part, scale)
    if want is not None:
        path.with_name(path.name + ".want").write_text(str(want))
    os.replace(part, path)
    return want


def _cache_dir(base: Path, scale: float) -> Path:
    """BASE/KEY: KEY hashes the builders' code (tests/hostile_gen.py and the builders here)
    and the scale. Folders of other keys are removed (each holds 64 MB at full size)."""
    digest = hashlib.sha256(str(scale).encode())
    digest.update(Path(gen.__file__).read_bytes())
    for shape in SHAPES:
        digest.update(inspect.getsource(shape.build).encode())
    digest.update(inspect.getsource(_size).encode())
    here = base / digest.hexdigest()[:16]
    if base.is_dir():
        for old in base.iterdir():
            if old != here and len(old.name) == 16 and old.name.isalnum() and old.is_dir():
                shutil.rmtree(old)
    here.mkdir(parents=True, exist_ok=True)
    return here

def run(path: Path, out: Path, fmt: str, timeout: float, max_memory: int | None,
        err: Path) -> tuple[float, float, int, int | str]:
    """(seconds, CPU seconds, peak RSS bytes, exit code or `timeout`) of one scan in a child
    process, its stderr written to `err` (a pipe nobody reads would stall a child that says
    much). CPU time is what a shared machine does not stretch."""
    def limit() -> None:
        if max_memory:
            resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))

    cmd = [sys.executable, "-P", "-m", "tracecheck", "scan", str(path), "--workers", "1",
           "--fail-on", "high", "--format", fmt, "--output", str(out)]
    start = time.perf_counter()
    with err.open("wb") as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr,
                                preexec_fn=limit)
    deadline = start + timeout
    status: int | str = "timeout"
    while True:
        pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status = os.waitstatus_to_exitcode(code)
            break
        if time.perf_counter() > deadline:
            proc.kill()
            _, code, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = 0  # reaped above
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, cpu, usage.ru_maxrss * 1024, status


def _one(shape: Shape, cache: Path | None, tmp: Path, builders: Executor,
         args: argparse.Namespace, cap: int | None) -> tuple[list[str], float]:
    """Build `shape` (or take it from the cache), scan it, print its line; the reasons it
    fails the check, if any, and the scan's CPU seconds."""
    home = cache if cache is not None and shape.keep else tmp
    path = home / shape.file
    t0 = time.perf_counter()
    if path.exists():
        built = "cached"
        want_file = path.with_name(path.name + ".want")
        want = int(want_file.read_text()) if want_file.exists() else None
    else:
        want = builders.submit(_build, shape, path, args.scale).result()
        built = f"built {time.perf_counter() - t0:5.1f}s"
    out = tmp / f"out-{shape.file}.{shape.fmt}"
    err = tmp / f"err-{shape.file}.txt"
    secs, cpu, rss, code = run(path, out, shape.fmt, args.timeout, cap, err)
    failed = []
    said = err.read_text(encoding="utf-8", errors="replace")
    if code not in (0, 1, 3, "timeout") or "internal error" in said:
        # 0, 1 and 3: nothing found, findings, a limit reached; anything else (2, a signal)
        # or a bug in tracecheck (also exit 3) is not the shape being survived
        failed.append(f"{shape.name}: exit {code}: {said.strip()[-300:]}")
    extra = ""
    if want is not None:
        got = set()
        if out.exists():
            with out.open(encoding="utf-8", errors="replace") as f:
                for line in f:
                    if '"nhs-number"' in line:
                        got.add(json.loads(line)["fingerprint"])
        extra = f"; {len(got):,} of {want:,} distinct NHS numbers reported"
        if len(got) != want:
            failed.append(f"{shape.name}: {want - len(got):,} NHS numbers not reported")
    print(f"{shape.name:34} {path.stat().st_size / 1e6:8.1f} MB  {built:12} "
          f"scan {secs:6.1f}s (CPU {cpu:6.1f}s)  peak RSS {rss / 1e6:7.0f} MB  exit {code}"
          f"{extra}", flush=True)
    if rss >= GB:
        failed.append(f"{shape.name}: peak RSS {rss / 1e6:,.0f} MB, 1 GB or more")
    if code == "timeout":
        failed.append(f"{shape.name}: no result within {args.timeout:.0f}s")
    if home is tmp:
        path.unlink()
    out.unlink(missing_ok=True)
    err.unlink()
    return failed, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", help="run the shapes whose name contains this")
    ap.add_argument("--scale", type=float, default=1.0, help="size factor (1: the issue's)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per scan")
    ap.add_argument("--max-memory-gb", type=float, default=None,
                    help="address-space limit of each scan (a version that runs out)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a scan reaches 1 GB RSS, the CSV loses an NHS number "
                         "or the wall time passes --budget")
    ap.add_argument("--budget", type=float, default=120.0, help="seconds for every shape")
    ap.add_argument("--jobs", type=int, default=2, help="scans at a time (longest first)")
    ap.add_argument("--serial", action="store_true", help="one shape at a time (--jobs 1)")
    ap.add_argument("--cache", type=Path, default=ROOT / "build" / "hostile",
                    help="where built shapes are kept (default build/hostile/)")
    ap.add_argument("--no-cache", action="store_true",
                    help="build every shape afresh in a temporary folder")
    args = ap.parse_args()
    jobs = 1 if args.serial else max(1, args.jobs)
    cap = int(args.max_memory_gb * GB) if args.max_memory_gb else None
    chosen = [s for s in SHAPES if not args.only or args.only in s.name]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tracecheck-hostile-") as name, \
            ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")
                                ) as builders, \
            ThreadPoolExecutor(jobs) as scans:
        cache = None if args.no_cache else _cache_dir(args.cache, args.scale)
        done = list(scans.map(lambda s: _one(s, cache, Path(name), builders, args, cap),
                              chosen))
    wall = time.perf_counter() - start
    failed = [reason for reasons, _ in done for reason in reasons]
    cpu = [c for _, c in done]
    print(f"wall {wall:.1f}s for {len(chosen)} shapes, {jobs} at a time (budget "
          f"{args.budget:.0f}s); the scans took {sum(cpu):.0f}s of CPU, the longest "
          f"{max(cpu, default=0):.0f}s (one process: the wall time cannot be shorter)")
    if wall > args.budget:
        failed.append(f"wall {wall:.1f}s, over the budget of {args.budget:.0f}s")
    for reason in failed:
        print(f"{'FAILED' if args.check else 'over a limit'}: {reason}")
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
