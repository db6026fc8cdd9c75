"""Damaged and hostile archives and TNEF files never stop a scan: every mutation of a small
export (bytes changed, cut short, bytes inserted) is read as far as it can be, in strict mode,
where an error in tracecheck itself would raise. Seeded, so a failure reproduces."""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import pytest

from tests.conftest import eml, mbox_of
from tests.sources import tnefkit
from tests.sources.archivekit import make_tar, make_zip
from tests.sources.msgkit import msg_bytes
from tracecheck import api

MEMBERS = [
    ("a.eml", eml(to="pat@gmail.com", body="NHS 943 476 5919")),
    ("box.txt", mbox_of(eml(), eml(subject="second"))),
    ("item.msg", msg_bytes()),
    ("winmail.dat", tnefkit.tnef(attachments=[("a.csv", b"x,y\n")],
                                 embedded=[("fwd", tnefkit.tnef())])),
    ("nested.tgz", make_tar([("x/b.eml", eml())], gz=True)),
    ("nested.zip", make_zip([("c.eml", eml())])),
    ("old.mbox.gz", gzip.compress(mbox_of(eml()))),
]
SEEDS = {
    "zip": make_zip(MEMBERS),
    "stored-zip": make_zip(MEMBERS, method=0),
    "tar": make_tar(MEMBERS),
    "tgz": make_tar(MEMBERS, gz=True),
    "tnef": tnefkit.tnef(attachments=[("a.csv", b"x,y\n")], embedded=[("fwd", tnefkit.tnef())]),
}


def _mutated(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    op = rng.random()
    if op < 0.4:
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif op < 0.7:
        out = out[: rng.randrange(1, len(out))]
    else:
        at = rng.randrange(len(out))
        out[at:at] = rng.randbytes(rng.randint(1, 64))
    return bytes(out)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_exports_never_stop_a_scan(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    readable = tmp_path / "other.eml"  # so that the scan always has something to read
    readable.write_bytes(eml())
    for n in range(40):
        name, data = rng.choice(sorted(SEEDS.items()))
        path = tmp_path / f"{name}-{n}"
        path.write_bytes(_mutated(rng, data))
        result = api.scan([str(path), str(readable)], api.ScanOptions(all_messages=True))
        # the file is a source or is listed; what it held is scanned or listed under it
        assert str(path) in ({s.path for s in result.sources}
                             | {s.locator.path for s in result.skipped}), name
        assert result.messages_found >= result.messages_scanned >= 1
        os.unlink(path)
