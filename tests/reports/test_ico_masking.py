"""No identifier, consumer address or evidence snippet leaves in a report unless --reveal."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "case"))
import case_scenario as sc  # noqa: E402

from tracecheck.reports.ico import IcoConfig, IcoFormat, render  # noqa: E402
from tracecheck.rules.mask import mask_address, mask_identifier  # noqa: E402

SECRETS = (sc.NHS1, sc.NHS2, "943 476 5919", sc.JANE, sc.BOB, "kim.b@yahoo.co.uk",
           "loss of taste", "case 943 *** **** tested")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    store = sc.build_case(tmp_path_factory.mktemp("mask") / "case")
    snap = store.snapshot()
    store.close()
    return snap


@pytest.mark.parametrize("fmt", list(IcoFormat))
def test_reports_are_data_minimised_by_default(snapshot, fmt):
    text = render(snapshot, IcoConfig(), fmt)
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into the {fmt} report"
    # no 10-digit run that passes the NHS check appears anywhere (charts included)
    for digits in re.findall(r"(?<!\d)\d{10}(?!\d)", text):
        assert not _nhs_valid(digits), f"NHS-valid number {digits} in the {fmt} report"
    assert "j***@gmail.com" in text


@pytest.mark.parametrize("fmt", list(IcoFormat))
def test_reveal_shows_values_and_warns(snapshot, fmt):
    text = render(snapshot, IcoConfig(), fmt, reveal=True)
    assert sc.NHS1 in text and sc.JANE in text
    if fmt != IcoFormat.JSON:
        assert "REVEALED" in text


def _nhs_valid(d: str) -> bool:
    total = sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return (0 if check == 11 else check) == int(d[9]) and check != 10


def test_masks():
    assert mask_address("jane.manager@gmail.com") == "j***@gmail.com"
    assert mask_address("@gmail.com") == "***@gmail.com"
    assert mask_address("not-an-address") == "***"
    assert mask_address("jane@gmail.com", reveal=True) == "jane@gmail.com"
    assert mask_address('"a@b"@gmail.com') == '"***@gmail.com'  # the domain follows the last @
    # one identifier rule everywhere: first three digits and every separator kept
    assert mask_identifier("943 476 5919") == "943 *** ****"
    assert mask_identifier("9434765919") == "943*******"
