"""Fixed-point integers with an explicit scale: the only numbers that enter a proof.

An amount `a` at scale `s` is the integer `x` with x / s ≈ a (cents: s = 100; contracts with
four decimals: s = 10_000). Rounding is chosen by the caller and must go against the prover:

- equity, collateral, position values: `rounding="down"` (floor, towards −∞), so the account
  is never credited more than it holds;
- requirements, add-ons, losses: `rounding="up"` (ceiling, towards +∞), so the requirement
  is never understated;
- quantities: `rounding="exact"`, because a position that does not fit the quantity scale
  (0.5 contracts at scale 1) is a wrong file, not something to round.

Floats are converted through `repr`, which is the shortest decimal that reads back as the
same float, so `0.1` means exactly one tenth and no binary noise reaches the integers.
"""

from __future__ import annotations

import math
import re
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_CEILING,
    ROUND_FLOOR,
    Decimal,
    localcontext,
)
from typing import Literal

from zkmargin.errors import FixedPointOverflow, InputError

Number = int | Decimal | str | float
Rounding = Literal["down", "up", "exact"]

_ROUNDING_MODES = {"down": ROUND_FLOOR, "up": ROUND_CEILING}
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""What a number written as text may look like. Narrower than `Decimal()`, which also reads
other scripts' digits ("١٠٠"), full-width ones ("１００") and underscores ("1_000"): one
amount has one spelling, as in JSON, and a pasted look-alike is an error, not a value."""
_TINY_EXPONENT = 10**6


def parse_decimal(text: str, what: str = "amount") -> Decimal:
    """The Decimal a text spells in ASCII digits (sign, point and exponent optional, spaces
    around ignored); anything else, NaN and infinities included, is an `InputError`."""
    stripped = text.strip()
    if stripped.lower().lstrip("+-") in ("inf", "infinity", "nan", "snan"):
        raise InputError(f"{what}: {text!r} is not a finite number")
    if not _DECIMAL_TEXT.fullmatch(stripped):
        raise InputError(f"{what}: {text!r} is not a number (write digits 0-9, an optional sign, point and exponent)")
    return Decimal(stripped)


def plain(amount: Decimal) -> Decimal:
    """`amount` without an exponent, as people write it (1E+3 → 1000), every digit written
    out: for amounts already bounded, such as ones that fit a fixed-point integer."""
    return Decimal(f"{amount:f}")


def to_decimal(amount: Number, what: str = "amount") -> Decimal:
    """The exact decimal value of `amount`; NaN, infinities, booleans and junk are errors."""
    if isinstance(amount, bool):
        raise InputError(f"{what}: expected a number, got {amount!r}")
    if isinstance(amount, float):
        if not math.isfinite(amount):
            raise InputError(f"{what}: {amount!r} is not a finite number")
        return Decimal(repr(amount))
    if isinstance(amount, int):
        return Decimal(amount)
    if isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, str):
        value = parse_decimal(amount, what)
    else:
        raise InputError(f"{what}: expected a number, got {type(amount).__name__}")
    if not value.is_finite():
        raise InputError(f"{what}: {amount!r} is not a finite number")
    return value


def number_argument(amount: object, what: str) -> Decimal:
    """An amount passed to the library in Python (`min_excess`, `threshold`, a deposit): a
    number (`to_decimal`), never text. zkmargin's JSON files refuse "1000" for an amount, and
    so does a keyword argument; text is parsed where it is read (`parse_decimal`)."""
    if isinstance(amount, str):
        try:
            hint = f"; pass Decimal({str(parse_decimal(amount))!r})"
        except InputError:
            hint = ""
        raise InputError(f"{what}: expected a number, got the text {amount!r}{hint}")
    return to_decimal(amount, what)


def to_fixed(
    amount: Number,
    scale: int,
    rounding: Rounding = "down",
    bits: int = 63,
    what: str = "amount",
) -> int:
    """`amount × scale` as an integer in [−2^bits, 2^bits).

    `rounding` is "down" (floor), "up" (ceiling) or "exact" (an `InputError` when the
    product is not an integer). A result outside the range is `FixedPointOverflow`, naming
    the range as amounts (`between -2,147,483,648 and 2,147,483,647` for 31 bits at scale 1).
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale <= 0:
        raise InputError(f"{what}: scale must be a positive integer, got {scale!r}")
    value = to_decimal(amount, what)
    limit = 1 << bits
    if value and value.adjusted() > len(str(limit)):
        raise _overflow(what, value, scale, limit)  # |value| ≥ 10^adjusted > 2^bits ≥ anything in range, scale ≥ 1
    if value and value.adjusted() < -_TINY_EXPONENT:
        # Below any scale's resolution: only the sign matters for the rounding, and this
        # keeps the product inside the decimal module's exponent limits.
        stand_in = Decimal(1).copy_sign(value).scaleb(-_TINY_EXPONENT)
    else:
        stand_in = value
    with localcontext() as context:
        # Enough digits that no product of a finite decimal and an int scale is rounded.
        context.prec = max(28, len(stand_in.as_tuple().digits) + len(str(scale)) + 2)
        context.Emax = MAX_EMAX
        context.Emin = MIN_EMIN
        scaled = stand_in * scale
        if abs(scaled) >= limit + 1:
            raise _overflow(what, value, scale, limit)
        if rounding == "exact":
            integral = scaled.to_integral_value()
            if integral != scaled:
                step = "a whole number" if scale == 1 else f"a multiple of 1/{scale}"
                raise InputError(f"{what}: {value} is not {step} (no rounding allowed)")
        elif rounding in _ROUNDING_MODES:
            integral = scaled.to_integral_value(rounding=_ROUNDING_MODES[rounding])
        else:
            raise InputError(f"rounding must be 'down', 'up' or 'exact', got {rounding!r}")
    result = int(integral)
    if not -limit <= result < limit:
        raise _overflow(what, value, scale, limit)
    return result


def _overflow(what: str, value: Decimal, scale: int, limit: int) -> FixedPointOverflow:
    """The range [−limit, limit) named in the caller's own units (contracts, dollars), not
    as bits at some scale."""
    lowest, highest = (format(from_fixed(end, scale), ",") for end in (-limit, limit - 1))
    return FixedPointOverflow(f"{what}: {value} does not fit: it must lie between {lowest} and {highest}")


def from_fixed(x: int, scale: int) -> Decimal:
    """The decimal amount `x / scale`, exact (scales are powers of ten in practice)."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale <= 0:
        raise InputError(f"scale must be a positive integer, got {scale!r}")
    if isinstance(x, bool) or not isinstance(x, int):
        raise InputError(f"fixed-point value must be an integer, got {x!r}")
    with localcontext() as context:
        context.prec = len(str(abs(x))) + len(str(scale)) + 30
        return Decimal(x) / Decimal(scale)


def decimal_scale(decimals: int) -> int:
    """10^decimals: the scale of a quantity or amount with that many decimal places."""
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 18:
        raise InputError(f"decimals must be an integer in 0..18, got {decimals!r}")
    return 10**decimals
