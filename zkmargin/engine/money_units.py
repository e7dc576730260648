"""Currency amounts to money units (`MONEY_SCALE` per currency unit), rounded against the
holder, and the range of a position in quantity units (`POSITION_BITS`).

After float noise below 10⁻⁶ of a money unit is snapped away, `build_params` rounds:
- `values` and `pnl`, the long side's value and profit per unit: down; `values_short` and
  `pnl_short`, the same numbers for the short side: up (a short position owes the value and
  loses the profit);
- `addon_long`, `addon_short`, floor and strategy rates (they multiply q⁺ or q⁻ ≥ 0): up.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from zkmargin.errors import FixedPointOverflow, InputError
from zkmargin.engine.param_tables import COEFFICIENT_BITS

POSITION_BITS = 31
"""A position in quantity units lies in [−2^31, 2^31)."""
MONEY_SCALE = 100
"""Money units per currency unit: cents."""
NOISE_DECIMALS = 6
"""Float noise below 10⁻⁶ of a money unit is rounded away before a directed rounding."""


def money_up(amount: float) -> int:
    """One currency amount in money units, rounded up after float noise is snapped away."""
    return to_money_units(np.array([amount]), "up", "strategy rate", ["strategy"])[0]


def to_money_units(
    amounts: np.ndarray, rounding: Literal["down", "up"], field: str, instruments: list[str]
) -> list:
    """Currency amounts (first axis over instruments) as money-unit ints, nested lists,
    rounded in the direction that is against whoever the amount counts for."""
    with np.errstate(over="ignore", invalid="ignore"):  # refused just below, by name
        scaled = np.round(np.asarray(amounts, dtype=np.float64) * MONEY_SCALE, NOISE_DECIMALS)
    bad = np.argwhere(~np.isfinite(scaled) | (np.abs(scaled) >= 2.0**COEFFICIENT_BITS))
    if bad.size:
        row = bad[0][0]
        problem = "is not finite" if not np.isfinite(scaled[tuple(bad[0])]) else "overflows"
        error = InputError if problem == "is not finite" else FixedPointOverflow
        raise error(f"{field}: the amount for instrument {instruments[row]!r} {problem}")
    rounded = np.ceil(scaled) if rounding == "up" else np.floor(scaled)
    return rounded.astype(np.int64).tolist()
