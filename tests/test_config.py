"""Organisation config: one reader of tracecheck.toml / [tool.tracecheck] for `scan` and
`report`, and the [scan] table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracecheck.api import ScanOptions
from tracecheck.config import ScanSettings, load_scan_settings
from tracecheck.errors import ConfigError
from tracecheck.reports.ico.config import IcoConfig, load_config


def test_tracecheck_toml(tmp_path: Path) -> None:
    (tmp_path / "tracecheck.toml").write_text(
        '[organisation]\nname = "Tracecall Ltd"\n\n[scan]\norg_domains = ["tracecall.co.uk"]\n'
        'consumer_domains = ["isp.example"]\ncase_reference = "TC-\\\\d{6}"\n'
        'allow_addresses = ["DPO@Gmail.com"]\ndisable = ["vaccination"]\nmin_confidence = 0.6\n'
    )
    s = load_scan_settings(cwd=tmp_path)
    assert s.org_domains == ("tracecall.co.uk",)
    assert s.case_reference == "TC-\\d{6}"
    assert s.allow_addresses == ("dpo@gmail.com",)
    opts = ScanOptions.from_settings(s, org_domains=("extra.co.uk",), min_confidence=None)
    assert opts.org_domains == ("tracecall.co.uk", "extra.co.uk")
    assert opts.min_confidence == 0.6 and opts.disabled == ("vaccination",)


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.tracecheck.scan]\norg_domains = ["a.co.uk"]\n')
    assert load_scan_settings(cwd=tmp_path).org_domains == ("a.co.uk",)


def test_no_config_is_empty(tmp_path: Path) -> None:
    assert load_scan_settings(cwd=tmp_path).source == ""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[scan]\norg_domain = ['x']\n", "scan.org_domain: unknown key"),
        ("[scan]\ncase_reference = '(unclosed'\n", "does not compile"),
        ("[scan]\nmin_confidence = 2\n", "from 0 to 1"),
        ("[scan\n", "not valid TOML"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, body: str, message: str) -> None:
    p = tmp_path / "tracecheck.toml"
    p.write_text(body)
    with pytest.raises(ConfigError, match=message):
        load_scan_settings(p)


NOT_UTF8 = b"[organisation]\nname = \"Caf\xe9 Ltd\"\n"
"""A TOML file saved in Latin-1: `\xe9` is not UTF-8 (the bug report's file)."""


@pytest.mark.parametrize("command", ["scan", "report"])
def test_a_config_that_is_not_utf8_is_one_error_line_and_exit_2(
    tmp_path: Path, command: str
) -> None:
    """Regression (issue 13): `report` gave a traceback and exit 1 where `scan` gave exit 2."""
    import subprocess
    import sys

    from tracecheck.case import CaseStore

    bad = tmp_path / "bad.toml"
    bad.write_bytes(NOT_UTF8)
    (tmp_path / "a.eml").write_bytes(b"From: a@tracecall.co.uk\nTo: b@gmail.com\n\nhi\n")
    CaseStore.open(tmp_path / "case").close()
    args = {"scan": ["scan", str(tmp_path / "a.eml")],
            "report": ["report", "--case", str(tmp_path / "case")]}[command]
    proc = subprocess.run([sys.executable, "-m", "tracecheck", *args, "--config", str(bad)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tracecheck: error: "), proc.stderr
    assert "bad.toml" in lines[0] and "UTF-8" in lines[0]
    assert proc.stdout == ""


def _both(cwd: Path) -> tuple[ScanSettings, IcoConfig]:
    """The scan settings and the report settings found in `cwd`."""
    return load_scan_settings(cwd=cwd), load_config(cwd=cwd)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (NOT_UTF8, r"not UTF-8 text \(byte 0xe9 at offset 26\)"),
        (b"[organisation\n", "not valid TOML"),
        (b"\xef\xbb\xbf[scan]\n", "not valid TOML"),  # a byte-order mark is not TOML either
    ],
)
@pytest.mark.parametrize("loader", ["scan", "report"])
def test_scan_and_report_settings_fail_the_same_way(
    tmp_path: Path, raw: bytes, message: str, loader: str
) -> None:
    p = tmp_path / "tracecheck.toml"
    p.write_bytes(raw)
    load = load_scan_settings if loader == "scan" else load_config
    with pytest.raises(ConfigError, match=message):
        load(p)
    with pytest.raises(ConfigError, match=message):
        load(cwd=tmp_path)  # found rather than named: the same reader, the same error


def test_a_folder_named_as_the_config_is_not_a_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "tracecheck.toml"
    folder.mkdir()  # a folder named like the file: not a config file
    for load in (load_scan_settings, load_config):
        with pytest.raises(ConfigError, match="config file not found"):
            load(folder)


def test_a_broken_pyproject_is_an_error_not_an_empty_config(tmp_path: Path) -> None:
    """Both commands refuse it: it may hold [tool.tracecheck], and scanning without the
    organisation's domains would silently give other flows (scan used to ignore it)."""
    (tmp_path / "pyproject.toml").write_text("[tool.tracecheck.scan\n")
    for load in (load_scan_settings, load_config):
        with pytest.raises(ConfigError, match="pyproject.toml: not valid TOML"):
            load(cwd=tmp_path)


def test_a_pyproject_without_the_table_is_no_config_for_either(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    scan, report = _both(cwd=tmp_path)
    assert scan == load_scan_settings(cwd=tmp_path / "nothing-here")
    assert report == IcoConfig()
    with pytest.raises(ConfigError, match=r"no \[tool.tracecheck\] table"):
        load_scan_settings(tmp_path / "pyproject.toml")


def test_both_read_one_file_found_the_same_way(tmp_path: Path) -> None:
    """tracecheck.toml wins over pyproject.toml for both commands."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tracecheck.organisation]\nname = "Py Ltd"\n'
        '[tool.tracecheck.scan]\norg_domains = ["py.example"]\n')
    scan, report = _both(cwd=tmp_path)
    assert scan.org_domains == ("py.example",)
    assert report.organisation == "Py Ltd"
    (tmp_path / "tracecheck.toml").write_text(
        '[organisation]\nname = "Toml Ltd"\n[scan]\norg_domains = ["toml.example"]\n')
    scan, report = _both(cwd=tmp_path)
    assert scan.org_domains == ("toml.example",)
    assert report.organisation == "Toml Ltd"


def test_only_the_config_module_parses_toml() -> None:
    """One owner for config loading: no other module of the package reads TOML itself."""
    package = Path(__file__).resolve().parents[1] / "tracecheck"
    readers = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                     if "tomllib" in p.read_text(encoding="utf-8"))
    assert readers == ["config.py"]
