"""Where the shipped rule packs and domain lists live (source checkout or installed wheel)."""

from __future__ import annotations

from pathlib import Path


def packs_dir() -> Path:
    """Folder holding the shipped `rules/` (repo root in a checkout, `_packs` in a wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_packs", here.parent / "rules"):
        if (candidate / "domains" / "consumer.yaml").is_file():
            return candidate
    raise FileNotFoundError("tracecheck's shipped rules/ folder is missing from this install")


def default_pack_paths() -> list[Path]:
    """The shipped detector packs, in load order."""
    return sorted(p for p in packs_dir().glob("*.yaml") if p.is_file())


def consumer_list_path() -> Path:
    """The shipped consumer-domain list."""
    return packs_dir() / "domains" / "consumer.yaml"
