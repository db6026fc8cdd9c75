"""The hostile-shape generator (tests/hostile_gen.py): its NHS numbers, built from a table of
the last three digits' sums, are every number the validator accepts, in order."""

from __future__ import annotations

from itertools import islice

from hypothesis import given
from hypothesis import strategies as st

from tests.hostile_gen import nhs_numbers
from tracecheck.rules.validators import mod11_valid


def _valid_from(first: int, count: int) -> list[str]:
    """The first `count` ten-digit numbers from `first` (nine digits) with a valid check
    digit, as the validator has it: the numbers a generator of valid ones must give."""
    out: list[str] = []
    nine = first
    while len(out) < count:
        out += [f"{nine:09d}{d}" for d in range(10) if mod11_valid(f"{nine:09d}{d}")]
        nine += 1
    return out[:count]


@given(st.integers(0, 999_990_000))
def test_nhs_numbers_are_every_valid_number_in_order(first: int) -> None:
    assert list(islice(nhs_numbers(first), 300)) == _valid_from(first, 300)


def test_nhs_numbers_cross_a_thousand_and_skip_nine_digits_without_a_check_digit() -> None:
    got = list(islice(nhs_numbers(401_000_990), 30))
    assert got == _valid_from(401_000_990, 30)
    assert any(n.startswith("401001") for n in got)  # past the table's end
    covered = range(401_000_990, int(got[-1][:9]) + 1)
    assert len(covered) > 30  # some nine digits have no valid check digit (remainder 10)
