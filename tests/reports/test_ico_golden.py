"""Golden ICO reports: the same case gives byte-identical Markdown and JSON, equal to the files
kept in tests/golden/ico/ (regenerate with UPDATE_GOLDEN=1 after a deliberate change, and read
the diff)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "case"))
from case_scenario import build_case  # noqa: E402

from tests.reports.golden import check_golden  # noqa: E402
from tracecheck.reports.ico import IcoConfig, IcoFormat, load_config, render  # noqa: E402

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "ico"


def check(name: str, text: str) -> None:
    check_golden(GOLDEN / name, text)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    base = tmp_path_factory.mktemp("golden")
    full = build_case(base / "full")
    nologs = build_case(base / "nologs", with_logs=False, decide=False)
    out = {"full": full.snapshot(), "nologs": nologs.snapshot()}
    full.close()
    nologs.close()
    return out


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_full_case_matches_golden(snapshots, fmt):
    cfg = load_config(GOLDEN / "tracecheck.toml")
    check(f"full.{fmt}", render(snapshots["full"], cfg, fmt))


def test_case_without_logs_or_settings_matches_golden(snapshots):
    check("nologs.md", render(snapshots["nologs"], IcoConfig(), "md"))


def test_a_rebuilt_case_renders_byte_identical(tmp_path, snapshots):
    cfg = load_config(GOLDEN / "tracecheck.toml")
    again = build_case(tmp_path / "again")
    for fmt in IcoFormat:
        assert render(again.snapshot(), cfg, fmt) == render(snapshots["full"], cfg, fmt)
    again.close()


def test_an_empty_case_still_renders_every_format(tmp_path):
    from tracecheck.case import CaseStore

    store = CaseStore.open(tmp_path / "empty")
    snap = store.snapshot()
    store.close()
    for fmt in IcoFormat:
        text = render(snap, IcoConfig(), fmt)
        assert "TO COMPLETE" in text or '"messages_flagged": 0' in text
    md = render(snap, IcoConfig(), "md")
    assert "no message carrying health data" in md
    assert "| 0 (0 confirmed, 0 unreviewed) |" in md
