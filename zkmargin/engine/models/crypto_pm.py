"""Deribit-style crypto portfolio margin: a spot × volatility grid, dampened tails, a contingency.

Formula: per underlying (per currency, as Deribit computes portfolio margin), its spot
moves to each of n evenly spaced points over [−r, +r] (r = 16%, n = 9 by default: steps
of 4%, the unchanged spot included) combined with volatility up, unchanged and down (relative shocks from the TOML); an extended table of
far moves (−66%, −33%, +50%, +100% … +500%) at volatility up is added, its P&L multiplied
by a dampening fraction so that far tails weigh in without dominating. The requirement is
the sum over underlyings of each one's worst scenario loss (floored at 0) plus a
contingency for every short option: a fraction of the underlying's price × the contract
size per contract, plus a contingency on offsetting futures: every expiry moves alike in
the scenarios, so a future held long against another expiry held short is charged
`offsetting_futures` × price per underlying unit so spread (min(long, short) over the
expiries' net positions, each perpetual in one more tier).

Source: Deribit support, "Portfolio Margin" (segregated PM: ±16% in 9 buckets, volatility
range up/same/down, extended table at vol up with a dampener; contingency per net short
option; 1% of underlying value on offsetting futures of different expiries, since
replaced by its roll shock); the numbers in the TOML are a venue's choice. Deribit scales its vol shocks with
time to expiry; here one relative shock per direction applies to every instrument.
Positions use the market's `quantity_decimals` (fractional contracts, e.g. 0.1 BTC).

Simplification: Deribit charges the contingency on the net short option position per
underlying; the generic form charges each instrument's short part, which is never less.

Reduction to the generic form: aggregation `max`, one scenario group per underlying of
3n + t scenarios in which only that underlying moves; add-on addon_short_i = contingency
on options; the proof writes the short part with a witness
u_i ≥ −q_i, u_i ≥ 0, each group's worst loss with a witness m_g ≥ 0, m_g ≥ loss_s (s ∈ g),
and requires E − λ·(Σ_g m_g + Σ_i addon_short_i·u_i) − X ≥ 0: larger witnesses only raise
the requirement, so the proof is sound. The offsetting futures contingency is span's
intra-commodity spread charge (`span.calendar_spreads`, tiers by expiry date), proved with
its side bit (proofs/intra_spread.py).
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
    Ranges,
    per_underlying_scenarios,
)
from zkmargin.engine.models.span import Tier, calendar_spreads

if TYPE_CHECKING:
    from zkmargin.engine.instruments import Instrument
    from zkmargin.engine.market import Market


class CryptoPmParameters(ParameterTable):
    """The `[crypto_pm]` table."""

    spot_range: float = Field(gt=0, lt=1)
    spot_points: int = Field(ge=3, le=101)
    vol_up: float = Field(ge=0)
    vol_down: float = Field(ge=0, lt=1)
    tail_moves: list[float]
    tail_dampener: float = Field(gt=0, le=1)
    short_option_contingency: float = Field(ge=0)
    offsetting_futures: float = Field(ge=0)

    @field_validator("spot_points")
    @classmethod
    def _odd(cls, points: int) -> int:
        if points % 2 == 0:
            raise ValueError("must be odd so that the grid contains the unchanged spot")
        return points

    @field_validator("tail_moves")
    @classmethod
    def _above_minus_one(cls, moves: list[float]) -> list[float]:
        for move in moves:
            if not -1 < move:
                raise ValueError(f"tail move {move} must be above -1 (−100%)")
        return moves


def grid_moves(parameters: CryptoPmParameters) -> list[Move]:
    """Spot points (as fractions of the ±range) × vol up / unchanged / down, then tails at vol up."""
    half = parameters.spot_points // 2
    moves = []
    for k in range(-half, half + 1):
        spot = k * parameters.spot_range / half
        for vol_name, vol in (("vol up", 1.0), ("vol unchanged", 0.0), ("vol down", -1.0)):
            moves.append(Move(f"spot {spot:+.2%}, {vol_name}", k / half, vol))
    for tail in parameters.tail_moves:
        moves.append(
            Move(f"tail {tail:+.0%}", tail / parameters.spot_range, 1.0, parameters.tail_dampener)
        )
    return moves


def from_market(market: Market, parameters: CryptoPmParameters) -> MarginTerms:
    moves = grid_moves(parameters)
    count_underlyings = len(market.underlying_ids())
    spot = np.full(count_underlyings, parameters.spot_range)
    grouped = per_underlying_scenarios(
        market, moves, Ranges(spot, spot, parameters.vol_up, parameters.vol_down)
    )
    contracts = Contracts.of(market)
    contingency = np.where(
        contracts.is_option,
        parameters.short_option_contingency * contracts.underlying_price * contracts.multiplier,
        0.0,
    )
    return grouped.terms(
        addon_short=contingency,
        intra_spreads=calendar_spreads(market, lambda _asset_class: parameters.offsetting_futures, expiry_tier),
    )


PERPETUAL: Tier = ()
"""The tier of every perpetual of an underlying: they never expire, so they net as one."""


def expiry_tier(future: Instrument) -> Tier:
    """Deribit's futures offset by expiry date, not month (its weeklies expire days
    apart); a perpetual is a future too, in a tier of its own."""
    return PERPETUAL if future.expiry is None else future.expiry.timetuple()[:3]
