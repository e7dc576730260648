"""Plain scenario margin: the requirement is the worst scenario loss, nothing else.

Formula (SPAN "scan risk" without the add-ons): for a position vector q,

    requirement = Σ_g max(0, max_{s∈g} loss_s),   loss_s = −Σ_i q_i·pnl_is

over the scenarios the venue supplies (risk.json, e.g. SPAN risk arrays with the cover
fraction of the extreme moves already applied; the file's groups) or, from a market, a generated
grid per underlying: the unchanged price and ±1/n, ±2/n, …, ±n/n of the underlying's price
range (a fraction of its price, per asset class in the TOML), each with volatility up and
down by a relative vol range — 2 + 4n scenarios per underlying (14 for n = 3, the 14
non-extreme SPAN scenarios), in which only that underlying moves; each underlying is a
group.

Source: CME SPAN scan risk; McMillan, Options as a Strategic Investment, ch. 34.

Reduction to the generic form: aggregation `max`, no add-ons, no floors. The statement
E ≥ λ·Σ_g max(0, max_{s∈g} loss_s) + X holds iff there are witnesses m_g with m_g ≥ 0 and
m_g ≥ loss_s for every s ∈ g and E − λ·Σ_g m_g − X ≥ 0: each is linear in the committed q,
c and m, and a larger m_g only makes the last inequality harder. With one group this is
E − λ·loss_s − X ≥ 0 for every s and E − X ≥ 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from zkmargin.engine.models.base import (
    MarginTerms,
    Move,
    ParameterTable,
    PerAssetClass,
    Ranges,
    per_underlying_scenarios,
    supplied_scenarios,
)

if TYPE_CHECKING:
    from zkmargin.engine.market import Market
    from zkmargin.engine.risk_arrays import RiskArrays


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


def scan_ranges(market: Market, price_defaults: PerAssetClass, vol_range: float) -> Ranges:
    """The same range up and down: an underlying's own `scan_range` if the market gives one,
    else the default of its asset class; the volatility moves by ±`vol_range` (relative)."""
    price = []
    for underlying_id in market.underlying_ids():
        underlying = market.underlyings[underlying_id]
        own = underlying.scan_range
        price.append(price_defaults.of(underlying.asset_class) if own is None else own)
    return Ranges(np.array(price), np.array(price), vol_range, vol_range)


def from_market(market: Market, parameters: ScenarioParameters) -> MarginTerms:
    ranges = scan_ranges(market, parameters.price_range, parameters.vol_range)
    return per_underlying_scenarios(market, scan_moves(parameters.price_steps), ranges).terms()


def from_risk_arrays(arrays: RiskArrays, parameters: ScenarioParameters) -> MarginTerms:
    return supplied_scenarios(arrays)
