"""`scripts/hostile.py` (what `make hostile` and `make fuzz` run), at a tiny scale: a shape is
built once and kept, a partial build is never taken for a built shape, and the CSV check
fails when a scan reports fewer NHS numbers than the shape holds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests import hostile_gen

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "hostile.py"
SCALE = 0.0001  # a 2,000-byte patient CSV: about 20 rows


def _hostile(cache: Path, scale: float = SCALE) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--only", "CSV", "--scale", str(scale),
                           "--cache", str(cache), "--check"],
                          capture_output=True, text=True, timeout=300, check=False)


def _reported(stdout: str) -> tuple[int, int]:
    found = re.search(r"([\d,]+) of ([\d,]+) distinct NHS numbers reported", stdout)
    assert found, stdout
    got, want = (int(g.replace(",", "")) for g in found.groups())
    return got, want


def test_a_shape_is_built_once_and_the_csv_check_can_fail(tmp_path: Path) -> None:
    first = _hostile(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert " built " in first.stdout
    got, want = _reported(first.stdout)
    rows = hostile_gen.patient_rows(int(20_000_000 * SCALE))
    assert got == want == len(hostile_gen.distinct_numbers_in(rows)) > 10
    [kept] = tmp_path.iterdir()
    assert (kept / "csv.eml").read_bytes() == hostile_gen.csv_email_of(rows)

    again = _hostile(tmp_path)
    assert again.returncode == 0 and "cached" in again.stdout and " built " not in again.stdout
    assert _reported(again.stdout) == (got, want)

    (kept / "csv.eml.want").write_text(str(want + 1))  # the shape now holds one more number
    short = _hostile(tmp_path)
    assert short.returncode == 1
    assert "FAILED: 6 patient CSV (20 MB): 1 NHS numbers not reported" in short.stdout


def test_a_partial_build_is_built_again_and_other_scales_replace_the_kept_shapes(
        tmp_path: Path) -> None:
    assert _hostile(tmp_path).returncode == 0
    [kept] = tmp_path.iterdir()
    whole = (kept / "csv.eml").read_bytes()
    (kept / "csv.eml").unlink()
    (kept / "csv.eml.part").write_bytes(whole[:100])  # a build killed half-way
    rebuilt = _hostile(tmp_path)
    assert rebuilt.returncode == 0 and " built " in rebuilt.stdout
    assert (kept / "csv.eml").read_bytes() == whole

    (tmp_path / "notes").mkdir()  # not a kept shape's folder: left alone
    other = _hostile(tmp_path, scale=SCALE * 2)
    assert other.returncode == 0 and " built " in other.stdout
    assert not kept.exists() and (tmp_path / "notes").is_dir()
    assert len([p for p in tmp_path.iterdir() if p.name != "notes"]) == 1
