#!/usr/bin/env python3
"""How fast tests/mime_gen.py builds messages, and how many are nested; exits 1 below its
stated minimum rate (`mime_gen.MIN_RATE`). Run by `make fuzz` before the differential tests."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import mime_gen  # noqa: E402


def main() -> int:
    n = 5000
    start = time.perf_counter()
    built = [mime_gen.build(seed) for seed in range(n)]
    rate = n / (time.perf_counter() - start)
    multipart = sum(b"multipart/" in m for m in built)
    nested = sum(m.count(b"multipart/") >= 2 or b"message/rfc822" in m for m in built)
    print(f"generator: {rate:,.0f} messages/s (minimum {mime_gen.MIN_RATE:,}); "
          f"{multipart / n:.0%} multipart, {nested / n:.0%} nested")
    return 0 if rate >= mime_gen.MIN_RATE else 1


if __name__ == "__main__":
    sys.exit(main())
