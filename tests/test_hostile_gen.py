"""The hostile-shape generator (tests/hostile_gen.py) against plain definitions: its NHS
numbers, built from a table of the last three digits' sums, are the Modulus 11 ones."""

from __future__ import annotations

from itertools import islice

from hypothesis import given
from hypothesis import strategies as st

from tests.hostile_gen import nhs_numbers


def _plain(first: int, count: int) -> list[str]:
    """The NHS Modulus 11 check written out: weights 10..2, check 11 - sum mod 11, where 11
    gives 0 and 10 means the nine digits are never issued."""
    out: list[str] = []
    n = first
    while len(out) < count:
        digits = f"{n:09d}"
        check = 11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            out.append(digits + str(check % 11))
        n += 1
    return out


@given(st.integers(0, 999_990_000))
def test_nhs_numbers_are_the_modulus_11_numbers_in_order(first: int) -> None:
    assert list(islice(nhs_numbers(first), 1200)) == _plain(first, 1200)


def test_nhs_numbers_cross_a_thousand_and_skip_check_digit_ten() -> None:
    got = list(islice(nhs_numbers(401_000_990), 30))
    assert got == _plain(401_000_990, 30)
    assert any(n.startswith("401001") for n in got)  # past the table's end
    assert len(set(got)) == 30
    covered = {f"{n:09d}" for n in range(401_000_990, int(got[-1][:9]) + 1)}
    assert len(covered - {g[:9] for g in got}) == len(covered) - 30 > 0  # check 10: never issued
