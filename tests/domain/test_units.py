"""Fixed-point conversion: exact decimals, conservative rounding, loud overflow."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkmargin.errors import FixedPointOverflow, InputError
from zkmargin.units import decimal_scale, from_fixed, to_decimal, to_fixed


def test_to_fixed_reads_float_through_repr_when_binary_value_is_inexact():
    # Decimal(0.1) would be 0.1000000000000000055511151231257827...; repr gives 0.1.
    assert to_fixed(0.1, 10, rounding="exact") == 1
    assert to_fixed(1.1, 100, rounding="exact") == 110
    assert to_fixed(0.29, 100, rounding="exact") == 29


@pytest.mark.parametrize("amount", [12, Decimal("12"), "12", 12.0, " 12.000 "])
def test_to_fixed_accepts_every_number_type_when_value_is_the_same(amount):
    assert to_fixed(amount, 100) == 1200


def test_to_fixed_floors_when_rounding_down_for_equity():
    assert to_fixed("10.019", 100, rounding="down") == 1001
    assert to_fixed("-10.011", 100, rounding="down") == -1002


def test_to_fixed_ceils_when_rounding_up_for_requirements():
    assert to_fixed("10.011", 100, rounding="up") == 1002
    assert to_fixed("-10.019", 100, rounding="up") == -1001


def test_to_fixed_raises_when_exact_value_is_not_representable():
    with pytest.raises(InputError, match=r"0\.00005 is not a multiple of 1/10000"):
        to_fixed("0.00005", 10_000, rounding="exact", what="positions")
    assert to_fixed("0.5000", 10_000, rounding="exact") == 5000


def test_to_fixed_says_whole_number_when_the_scale_is_one():
    with pytest.raises(InputError, match=r"^positions: 0\.5 is not a whole number \(no rounding allowed\)$"):
        to_fixed(0.5, 1, rounding="exact", what="positions")


def test_to_fixed_accepts_the_edges_of_the_signed_range():
    assert to_fixed(2**63 - 1, 1) == 2**63 - 1
    assert to_fixed(-(2**63), 1) == -(2**63)
    assert to_fixed(255, 1, bits=8) == 255


@pytest.mark.parametrize("amount", [2**63, -(2**63) - 1, "1e30", Decimal("-9.3e18")])
def test_to_fixed_raises_overflow_when_value_is_outside_the_range(amount):
    with pytest.raises(FixedPointOverflow, match=r"quantity: .* does not fit: it must lie between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807$"):
        to_fixed(amount, 1, what="quantity")


def test_to_fixed_raises_overflow_when_scale_pushes_value_out_of_range():
    with pytest.raises(FixedPointOverflow):
        to_fixed("100000000000", 10**8)  # 1e19 > 2^63


@pytest.mark.parametrize("amount", ["1e1000000", "1e999999999", "-1e999999999999999999"])
def test_to_fixed_raises_overflow_when_exponent_is_huge_without_building_the_integer(amount):
    with pytest.raises(FixedPointOverflow):
        to_fixed(Decimal(amount), 100)


@pytest.mark.parametrize(
    ("amount", "rounding", "expected"),
    [("1e-999999999", "up", 1), ("-1e-999999999", "down", -1), ("1e-99999999999999", "up", 1),
     ("1e-99999999999999", "down", 0), ("-1e-99999999999999", "up", 0)],
)
def test_to_fixed_rounds_against_the_prover_when_amount_is_vanishingly_small(amount, rounding, expected):
    assert to_fixed(Decimal(amount), 100, rounding=rounding) == expected


def test_to_fixed_reports_the_original_amount_when_a_tiny_amount_is_not_exact():
    with pytest.raises(InputError, match=r"1E-99999999999999 is not a multiple of 1/100"):
        to_fixed(Decimal("1e-99999999999999"), 100, rounding="exact")


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), "NaN", "-Infinity", Decimal("sNaN")])
def test_to_fixed_raises_input_error_when_amount_is_not_finite(amount):
    with pytest.raises(InputError, match="not a finite number"):
        to_fixed(amount, 100, what="cash")


@pytest.mark.parametrize("amount", [True, None, "12 apples", [1]])
def test_to_decimal_raises_input_error_when_amount_is_not_a_number(amount):
    with pytest.raises(InputError, match="cash"):
        to_decimal(amount, "cash")


@pytest.mark.parametrize("scale", [0, -100, 1.5, True])
def test_to_fixed_raises_when_scale_is_not_a_positive_integer(scale):
    with pytest.raises(InputError, match="scale must be a positive integer"):
        to_fixed(1, scale)


def test_to_fixed_raises_when_rounding_mode_is_unknown():
    with pytest.raises(InputError, match="rounding must be"):
        to_fixed(1, 100, rounding="nearest")


def test_from_fixed_returns_exact_decimal_when_converting_back():
    assert from_fixed(1001, 100) == Decimal("10.01")
    assert from_fixed(-5, 10_000) == Decimal("-0.0005")
    assert from_fixed(2**63 - 1, 1) == Decimal(2**63 - 1)


def test_decimal_scale_is_a_power_of_ten_when_decimals_are_valid():
    assert decimal_scale(0) == 1
    assert decimal_scale(4) == 10_000
    with pytest.raises(InputError):
        decimal_scale(19)


@given(st.decimals(min_value=-10**12, max_value=10**12, places=6, allow_nan=False))
def test_to_fixed_brackets_the_amount_when_rounding_down_and_up(amount: Decimal):
    down = to_fixed(amount, 100, rounding="down")
    up = to_fixed(amount, 100, rounding="up")
    assert from_fixed(down, 100) <= amount <= from_fixed(up, 100)
    assert up - down in (0, 1)


@given(st.integers(min_value=-(2**62), max_value=2**62), st.sampled_from([1, 100, 10**4, 10**8]))
def test_to_fixed_inverts_from_fixed_when_value_is_representable(x: int, scale: int):
    assert to_fixed(from_fixed(x, scale), scale, rounding="exact") == x


@pytest.mark.parametrize("text", ["١٠٠", "１００", "1_000", "1e", "", "+", "0x10", "1,5"])
def test_to_decimal_raises_input_error_when_text_is_not_ascii_decimal(text):
    with pytest.raises(InputError, match=r"cash: .* is not a number \(write digits 0-9"):
        to_decimal(text, "cash")


@pytest.mark.parametrize(("text", "expected"), [(" 100 ", "100"), ("1e3", "1000"), ("-.5", "-0.5"), ("5.", "5"), ("+2E-2", "0.02")])
def test_to_decimal_reads_the_value_when_text_has_sign_point_or_exponent(text, expected):
    assert to_decimal(text, "cash") == Decimal(expected)
