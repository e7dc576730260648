"""FINRA Rule 4210(g) portfolio margin (Cboe / OCC TIMS style): price points and a per-contract floor.

Formula: each underlying is revalued at 10 equidistant price points spanning its range,
five up and five down: ±15% for equities and narrow-based indexes, ±10% for broad-based
indexes that are not high-capitalization, +6%/−8% for high-capitalization broad-based
indexes (the market's `high_cap` flag). Volatility is not shifted. Each underlying is a
class group (all positions on it), revalued alone; each group needs the greater of its
greatest loss over its points (floored at 0) and $0.375 × multiplier for each of its option
or futures contracts, long or short, "not to exceed the market value in the case of long
positions" (a long option's at most its mark × multiplier); the requirement is the sum
over groups.

Source: FINRA Rule 4210(g), portfolio margin (valuation points, ranges by product group and
the $.375-per-contract minimum); Cboe portfolio margin rules; worked figure in
worked-examples.md §3 (long 100 calls + 100 puts, each worth more than $37.50 → 200 ×
$37.50 = $7,500).

Simplification: a class group here is one underlying; the rule also puts related
underlyings (an index and its ETF, say) in one group and offsets them partially, which
this model does not credit (never understating). Asset classes the rule does not cover
(crypto, commodity) get the TOML's ranges.

Reduction to the generic form: aggregation `max`, one scenario group of `points`
scenarios per underlying (the proof's witness m_g ≥ 0, m_g ≥ loss_s for s ∈ g, summed over
groups, can only overstate), no add-ons, and per underlying with options or futures a
floor "<underlying> per_contract_minimum" of its group, short rate s_i = 0.375 × multiplier
on its options and futures, long rate l_i = s_i (futures) or min(s_i, the option's value):
m_g ≥ Σ l_i·(q_i + u_i) + s_i·u_i, with q_i⁺ = q_i + u_i and q_i⁻ = u_i through a
short-part witness u_i ≥ −q_i, u_i ≥ 0; the floor only grows with u_i, so no witness
understates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from zkmargin.engine.models.base import (
    Contracts,
    MarginTerms,
    Move,
    ParameterTable,
    PerAssetClass,
    Ranges,
    group_floors,
    market_values,
    per_underlying_scenarios,
)

if TYPE_CHECKING:
    from zkmargin.engine.market import Market


class PortfolioMarginParameters(ParameterTable):
    """The `[portfolio_margin]` table."""

    price_range: PerAssetClass
    high_capitalization_up: float = Field(gt=0, lt=1)
    high_capitalization_down: float = Field(gt=0, lt=1)
    points: int = Field(ge=2, le=40)
    per_contract_minimum: float = Field(ge=0)

    @field_validator("points")
    @classmethod
    def _even(cls, points: int) -> int:
        if points % 2:
            raise ValueError("must be even: half the points are up moves, half down")
        return points


def valuation_moves(points: int) -> list[Move]:
    """The equidistant points: ±k/(points/2) of the range, k = 1 … points/2."""
    half = points // 2
    moves = []
    for k in range(1, half + 1):
        moves.append(Move(f"up {k}/{half}", k / half))
        moves.append(Move(f"down {k}/{half}", -k / half))
    return moves


def point_ranges(market: Market, parameters: PortfolioMarginParameters) -> Ranges:
    up, down = [], []
    for underlying_id in market.underlying_ids():
        asset_class = market.underlyings[underlying_id].asset_class
        if market.underlyings[underlying_id].high_cap:
            up.append(parameters.high_capitalization_up)
            down.append(parameters.high_capitalization_down)
        else:
            up.append(parameters.price_range.of(asset_class))
            down.append(parameters.price_range.of(asset_class))
    return Ranges(np.array(up), np.array(down), 0.0, 0.0)


def from_market(market: Market, parameters: PortfolioMarginParameters) -> MarginTerms:
    moves = valuation_moves(parameters.points)
    grouped = per_underlying_scenarios(market, moves, point_ranges(market, parameters))
    contracts = Contracts.of(market)
    # 4210(g) sets the minimum per option and per security futures contract; every future
    # is charged it here, never less than the rule.
    contracts_with_minimum = contracts.is_option | (contracts.kind == "future")
    minimum = np.where(
        contracts_with_minimum, parameters.per_contract_minimum * contracts.multiplier, 0.0
    )
    # "not to exceed the market value in the case of long positions": a long option can
    # lose no more than it is worth. A future's market value under the rule is its
    # contract value, not the 0 that equity counts, so futures keep the full minimum.
    long_minimum = np.where(contracts.is_option, np.minimum(minimum, market_values(market)), minimum)
    return grouped.terms(floors=group_floors(market, "per_contract_minimum", long_minimum, minimum))
