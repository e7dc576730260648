"""Plain scenario margin: the requirement is the worst scenario loss, nothing else.

Formula (SPAN "scan risk" without the add-ons): for a position vector q,

    requirement = max(0, max_s loss_s),   loss_s = −Σ_i q_i·pnl_is

over the scenarios the venue supplies (risk.json, e.g. SPAN risk arrays with the cover
fraction of the extreme moves already applied) or, from a market, a generated grid: the
unchanged price and ±1/n, ±2/n, …, ±n/n of each underlying's price range (a fraction of
its price, per asset class in the TOML), each with volatility up and down by a relative
vol range — 2 + 4n scenarios (14 for n = 3, the 14 non-extreme SPAN scenarios).

Source: CME SPAN scan risk; McMillan, Options as a Strategic Investment, ch. 34.

Reduction to the generic form: aggregation `max`, no add-ons, no floors. The statement
E ≥ λ·max(0, max_s loss_s) + X is the conjunction of E − λ·loss_s − X ≥ 0 for every s and
E − X ≥ 0 (the zero scenario); each is linear in the committed q and c, so the proof needs
no auxiliary witness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from zkmargin.models.base import (
    MarginTerms,
    Move,
    ParameterTable,
    PerAssetClass,
    Ranges,
    move_pnl,
    no_addons,
    supplied_scenarios,
)

if TYPE_CHECKING:
    from zkmargin.market import Market
    from zkmargin.risk_arrays import RiskArrays


class ScenarioParameters(ParameterTable):
    """The `[scenario]` table: the generated grid used when the source is a market."""

    price_range: PerAssetClass
    price_steps: int = Field(ge=1, le=20)
    vol_range: float = Field(ge=0, lt=1)


def scan_moves(steps: int) -> list[Move]:
    """Unchanged and ±k/steps of the price range (k = 1…steps), each with vol up then down.

    The order is CME SPAN's: unchanged, up 1/3, down 1/3, up 2/3, … for steps = 3.
    """
    moves = [Move("unchanged, vol up", 0.0, +1.0), Move("unchanged, vol down", 0.0, -1.0)]
    for k in range(1, steps + 1):
        fraction = f"{k}/{steps}"
        for direction, sign in (("up", 1.0), ("down", -1.0)):
            for vol_name, vol in (("vol up", 1.0), ("vol down", -1.0)):
                moves.append(Move(f"{direction} {fraction}, {vol_name}", sign * k / steps, vol))
    return moves


def price_ranges(market: Market, defaults: PerAssetClass) -> np.ndarray:
    """Each underlying's price range: its own `scan_range` if the market gives one."""
    ranges = []
    for underlying_id in market.underlying_ids():
        underlying = market.underlyings[underlying_id]
        own = underlying.scan_range
        ranges.append(defaults.of(underlying.asset_class) if own is None else own)
    return np.array(ranges)


def from_market(market: Market, parameters: ScenarioParameters) -> MarginTerms:
    moves = scan_moves(parameters.price_steps)
    price = price_ranges(market, parameters.price_range)
    ranges = Ranges(price, price, parameters.vol_range, parameters.vol_range)
    pnl = move_pnl(market, moves, ranges)
    return MarginTerms(
        scenarios=tuple(move.name for move in moves),
        pnl=pnl,
        addon_long=no_addons(pnl.shape[0]),
        addon_short=no_addons(pnl.shape[0]),
    )


def from_risk_arrays(arrays: RiskArrays, parameters: ScenarioParameters) -> MarginTerms:
    return supplied_scenarios(arrays)
