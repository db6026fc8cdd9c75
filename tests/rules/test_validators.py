"""Identifier validators against published examples and the check-digit rule."""

from __future__ import annotations

import datetime
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracecheck.rules.validators import (
    NHS_ISSUED,
    Verdict,
    chi,
    hc_range,
    is_placeholder,
    mod11_valid,
    nhs_check_digit,
    nhs_mod11,
    valid_ddmmyy,
)


def test_published_nhs_example() -> None:
    # NHS Digital's example: 943 476 5919 (sum 299, remainder 2, check 9).
    assert nhs_check_digit("943476591") == 9
    # 943... passes the check but is outside the issued 400-499 / 600-799 million ranges.
    assert nhs_mod11("9434765919") is Verdict.UNISSUED
    assert nhs_mod11("9434765918") is Verdict.INVALID
    assert nhs_mod11("4010232137") is Verdict.VALID


def test_check_of_ten_is_invalid_and_eleven_is_zero() -> None:
    for _ in range(2000):
        nine = f"{random.randrange(10**9):09d}"
        check = nhs_check_digit(nine)
        total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
        if 11 - total % 11 == 10:
            assert check is None
            assert not any(mod11_valid(nine + str(d)) for d in range(10))
        elif 11 - total % 11 == 11:
            assert check == 0


@pytest.mark.parametrize("digits", ["0000000000", "9999999999", "1111111111"])
def test_placeholders_rejected(digits: str) -> None:
    assert nhs_mod11(digits) is Verdict.INVALID


def test_999_range_is_test_data() -> None:
    nine = "999123457"
    check = nhs_check_digit(nine)
    assert check is not None
    assert nhs_mod11(nine + str(check)) is Verdict.TEST


def test_random_ten_digit_numbers_pass_about_one_in_eleven() -> None:
    rng = random.Random(7)
    n = 20000
    passed = sum(mod11_valid(f"{rng.randrange(10**10):010d}") for _ in range(n))
    assert 0.08 < passed / n < 0.10


def test_chi_needs_a_real_date() -> None:
    # 0101800000..: build a valid mod-11 CHI on 01/01/80 and check date rules.
    nine = "010180123"
    check = nhs_check_digit(nine)
    assert check is not None
    assert chi(nine + str(check)) is Verdict.VALID
    bad_date = "310280123"  # 31 February
    c2 = nhs_check_digit(bad_date)
    if c2 is not None:
        assert chi(bad_date + str(c2)) is Verdict.INVALID


def test_hc_range() -> None:
    nine = "320000123"
    check = nhs_check_digit(nine)
    assert check is not None
    assert hc_range(nine + str(check)) is Verdict.VALID
    assert hc_range("9434765919") is Verdict.INVALID


@settings(max_examples=5000, deadline=None)
@given(st.one_of(st.text(alphabet="0123456789", min_size=9, max_size=11),
                 st.integers(0, 9_999_999_999).map(lambda n: f"{n:010d}"),
                 st.sampled_from(["0101990000", "3112991234", "3201234567", "9990000000"]),
                 st.text(alphabet="0123456789\u0663\u0660 +", min_size=10, max_size=10)))
def test_the_identifier_validators_keep_their_stated_rules(digits: str) -> None:
    """Each validator answers by the rule its docstring states, whatever order it checks in
    (the cheap range and date tests come first, so most numbers skip the checksum)."""
    ok = len(digits) == 10 and digits.isdigit() and mod11_valid(digits) \
        and not is_placeholder(digits)
    first = int(digits[:9]) if len(digits) == 10 and digits.isdigit() else -1
    hc = ok and 320_000_001 <= first <= 399_999_999
    assert (hc_range(digits) is Verdict.VALID) == hc
    nhs = nhs_mod11(digits)
    if not ok or 320_000_001 <= first <= 399_999_999 or first <= 311_299_999:
        assert nhs is Verdict.INVALID
    elif digits.startswith("999"):
        assert nhs is Verdict.TEST
    else:
        issued = any(lo <= first <= hi for lo, hi in NHS_ISSUED)
        assert nhs is (Verdict.VALID if issued else Verdict.UNISSUED)
    try:
        dated = len(digits) >= 6 and bool(
            datetime.date(2000 + int(digits[4:6]), int(digits[2:4]), int(digits[0:2])))
    except ValueError:
        dated = False
    if digits[:6].isdigit():  # what the detectors give it: digits only
        assert valid_ddmmyy(digits) == dated
