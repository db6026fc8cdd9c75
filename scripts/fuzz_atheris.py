"""Coverage-guided fuzzing of the message pipeline with atheris (run by `make fuzz`).

Feeds mutated bytes, as one raw message, through header triage, the full MIME walk, the
extractors and the matcher; any exception other than those the pipeline turns into skips is a
crash that atheris reports with the input that caused it. `-runs=N` bounds the run.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from tracecheck.content.extract import ExtractLimits
    from tracecheck.content.mime import Walker, message_info, parse_full
    from tracecheck.header_block import fast_headers
    from tracecheck.model import RawMessage, TextUnit
    from tracecheck.rules.matcher import Matcher
    from tracecheck.rules.pack import load_packs
    from tracecheck.shipped_rules import default_pack_paths

MATCHER = Matcher(load_packs(default_pack_paths()), timeout=1.0)
LIMITS = ExtractLimits(max_depth=3)


def one_input(data: bytes) -> None:
    fast_headers(data)
    raw = RawMessage(source="fuzz", locator="fuzz", raw=data, sha256="")
    msg = parse_full(raw)
    message_info(raw, msg, hops=True)
    for unit in Walker(LIMITS).units(msg):
        if isinstance(unit, TextUnit):
            MATCHER.scan(unit)


SEEDS = [
    b"From: a@x.com\nTo: b@gmail.com\nSubject: s\n\nNHS no 401 023 2137 PCR positive\n",
    b"From: a@x.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html"
    b"\n\n<p>she is 20 weeks pregnant</p>\n--b--\n",
]


def main() -> None:
    import os

    dirs = [a for a in sys.argv[1:] if not a.startswith("-") and os.path.isdir(a)]
    for d in dirs:  # seed an empty corpus folder with two small messages
        if not os.listdir(d):
            for i, seed in enumerate(SEEDS):
                with open(os.path.join(d, f"seed{i}"), "wb") as f:
                    f.write(seed)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
