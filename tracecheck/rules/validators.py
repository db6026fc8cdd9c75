"""Named validators for identifier detectors (NHS, CHI, H&C) in one registry.

A validator takes the normalised value (digits only) and returns a `Verdict`: reject it, or
accept it (possibly as reserved test data). Packs refer to validators by name; an unknown
name is a pack error. Pure functions, no I/O; facts and sources in ../shared/research/dlp.md.
"""

from __future__ import annotations

import datetime as _dt
import enum
import operator
from collections.abc import Callable


class Verdict(enum.Enum):
    """Outcome of validating one value."""

    VALID = "valid"
    INVALID = "invalid"
    TEST = "test"
    """Structurally valid but from a reserved test range (reported as test data)."""
    UNISSUED = "unissued"
    """Check digit valid but outside the issued ranges: kept with reduced confidence."""


UNISSUED_FACTOR = 0.7
"""Confidence multiplier for check-valid identifiers outside the issued ranges (a typo, an
old or foreign range, or a coincidence); with context they still clear the 0.5 threshold."""


Validator = Callable[[str], Verdict]
REGISTRY: dict[str, Validator] = {}
MIN_DIGITS: dict[str, int] = {}
"""Validators that reject (INVALID) every value shorter than this many digits. A detector
with `value: digits` and such a validator cannot hit a text with fewer digit characters,
so the matcher skips its pattern there (tests/rules hold each validator to its number)."""


def validator(name: str, *, min_digits: int = 0) -> Callable[[Validator], Validator]:
    """Register a validator under `name`; `min_digits`: it rejects every shorter value."""

    def deco(fn: Validator) -> Validator:
        REGISTRY[name] = fn
        if min_digits:
            MIN_DIGITS[name] = min_digits
        return fn

    return deco


_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_check_digit(nine: str) -> int | None:
    """Modulus 11 check digit for the first nine digits; None when the check would be 10."""
    if len(nine) != 9:
        raise ValueError(f"nine digits expected, got {len(nine)}")
    total: int = sum(map(operator.mul, map(int, nine), _WEIGHTS))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def mod11_valid(digits: str) -> bool:
    """True when a 10-digit string passes the NHS/CHI/H&C Modulus 11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    check = nhs_check_digit(digits[:9])
    return check is not None and check == int(digits[9])


def is_placeholder(digits: str) -> bool:
    """Repeated digits (0000000000, 9999999999) and simple runs used for "unknown"."""
    return len(set(digits)) == 1 or digits in ("0123456789", "1234567890", "9876543210")


NHS_ISSUED = ((400_000_000, 499_999_999), (600_000_000, 799_999_999))
"""First-nine-digit ranges issued as NHS numbers in England, Wales and the Isle of Man
(research/dlp.md §NHS). 320–399 million is Northern Ireland's H&C range and 010–311 million
with a real date is Scotland's CHI range; both have validators of their own."""


@validator("nhs_mod11", min_digits=10)
def nhs_mod11(digits: str) -> Verdict:
    """NHS number: Modulus 11 in an issued range; placeholders rejected; 999 is test data."""
    if len(digits) != 10 or not digits.isdigit():
        return Verdict.INVALID
    first = int(digits[:9])
    if 320_000_001 <= first <= 399_999_999 or first <= 311_299_999:
        return Verdict.INVALID  # H&C and CHI territory: their own detectors decide
    if is_placeholder(digits) or not mod11_valid(digits):
        return Verdict.INVALID
    if digits.startswith("999"):
        return Verdict.TEST
    if any(lo <= first <= hi for lo, hi in NHS_ISSUED):
        return Verdict.VALID
    return Verdict.UNISSUED


@validator("not_placeholder")
def not_placeholder(digits: str) -> Verdict:
    """Reject repeated-digit placeholders."""
    return Verdict.INVALID if is_placeholder(digits) else Verdict.VALID


def valid_ddmmyy(digits: str) -> bool:
    """True when the first six digits are a real calendar date (DDMMYY, any century)."""
    head = digits[0:4]
    if head.isascii() and not ("01" <= head[0:2] <= "31" and "01" <= head[2:4] <= "12"):
        return False  # most ten-digit numbers (every NHS number): no date, no exception
    try:
        day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
        _dt.date(2000 + year, month, day)
        return True
    except ValueError:
        # 29 February in a year that is leap in 1900s but not 2000s cannot occur (2000 is leap)
        return False


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check over all digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@validator("chi", min_digits=10)
def chi(digits: str) -> Verdict:
    """Scottish CHI: a real DDMMYY date, then Modulus 11 or (from 2026) a Modulus 10 check."""
    if len(digits) != 10 or is_placeholder(digits) or not valid_ddmmyy(digits):
        return Verdict.INVALID
    if mod11_valid(digits) or luhn_valid(digits):
        return Verdict.VALID
    return Verdict.INVALID


@validator("hc_range", min_digits=10)
def hc_range(digits: str) -> Verdict:
    """Northern Ireland H&C number: Modulus 11 within 320 000 001 – 399 999 999 (first nine)."""
    if len(digits) != 10 or not digits.isdigit():
        return Verdict.INVALID
    if not 320_000_001 <= int(digits[:9]) <= 399_999_999:
        return Verdict.INVALID
    if is_placeholder(digits) or not mod11_valid(digits):
        return Verdict.INVALID
    return Verdict.VALID
