"""Organisation config: the [scan] table of tracecheck.toml or [tool.tracecheck]."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracecheck.api import ScanOptions
from tracecheck.config import load_scan_settings
from tracecheck.errors import ConfigError


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
