"""Expected Shortfall over equiprobable scenarios, in Rockafellar–Uryasev form.

Formula: with N equiprobable scenario losses L_s and confidence α (0.975 by default),

    ES_α(L) = min_t  t + Σ_s max(L_s − t, 0) / (N·(1 − α))

The minimum is reached at t = VaR_α, the ⌈N(1−α)⌉-th largest loss, and the formula is exact
when N(1−α) is not an integer (the mean of the worst k losses is not). The requirement is
max(0, ES_α).

Scenarios: the venue's historical or filtered-historical P&L (risk.json), or, from a
market, a deterministic simulated set: N draws of a one-factor Gaussian shock per
underlying, z_us = β·Z_s + √(1 − β²)·ε_us, price factor exp(σ_u·√h·z_us − σ_u²·h/2)
with h the horizon in years; volatility unchanged. The generator is numpy's PCG64 seeded
from the TOML, so the same TOML and market give the same params digest.

Source: Rockafellar & Uryasev, "Optimization of conditional value-at-risk" (2000) and
"Conditional value-at-risk for general loss distributions" (2002); ES at 97.5% as in
Eurex Prisma and OCC STANS (filtered historical / Monte Carlo scenario sets).

Reduction to the generic form: aggregation `expected_shortfall`, no add-ons, every
scenario in one group (ES is a portfolio-level measure: the scenarios move all underlyings
jointly, and ES of a sum is not a sum of ES). With
K = N(1−α) (a rational) the proof uses witnesses t (signed) and u_s with u_s ≥ 0 and
u_s ≥ loss_s − t, and requires K·(E − X) − λ·(K·t + Σ_s u_s) ≥ 0 (scaled to integers by
K's denominator) and E − X ≥ 0. For every t and every admissible u_s,
t + Σ u_s / K ≥ ES_α, so no choice of witnesses proves less than the true requirement;
the prover's best choice, t = VaR and u_s = max(L_s − t, 0), proves exactly it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from zkmargin.errors import InputError
from zkmargin.units import parse_decimal
from zkmargin.engine.models.base import (
    MarginTerms,
    ParameterTable,
    one_group,
    scenario_pnl,
    supplied_scenarios,
)

if TYPE_CHECKING:
    from zkmargin.engine.market import Market
    from zkmargin.engine.risk_arrays import RiskArrays

DAYS_PER_YEAR = 252


def parse_confidence(confidence: str | Decimal | Fraction) -> Fraction:
    """α as an exact fraction; a decimal string in (0, 1)."""
    try:
        alpha = Fraction(parse_decimal(confidence) if isinstance(confidence, str) else confidence)
    except (InputError, TypeError, ValueError):
        raise InputError(f"es_confidence: {confidence!r} is not a decimal number") from None
    if not 0 < alpha < 1:
        raise InputError(f"es_confidence: {confidence} must be strictly between 0 and 1")
    return alpha


def expected_shortfall(
    losses: list[int], confidence: str | Decimal | Fraction
) -> tuple[Fraction, int]:
    """(ES_α of equiprobable `losses`, an optimal Rockafellar–Uryasev threshold t).

    t is the ⌈N(1−α)⌉-th largest loss (VaR_α), one of the losses, so it is an integer
    whenever the losses are. ES is exact (a Fraction) and is not floored at zero here.
    """
    if not losses:
        raise InputError("expected shortfall needs at least one scenario")
    tail = len(losses) * (1 - parse_confidence(confidence))
    descending = sorted(losses, reverse=True)
    threshold = descending[math.ceil(tail) - 1]
    excess = sum(loss - threshold for loss in descending if loss > threshold)
    return threshold + Fraction(excess) / tail, threshold


class ExpectedShortfallParameters(ParameterTable):
    """The `[expected_shortfall]` table."""

    confidence: str
    simulated_scenarios: int = Field(ge=1, le=100_000)
    seed: int = Field(ge=0)
    horizon_days: float = Field(gt=0)
    factor_loading: float = Field(ge=0, le=1)

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, confidence: str) -> str:
        try:
            parse_confidence(confidence)
        except InputError as error:
            raise ValueError(str(error).removeprefix("es_confidence: ")) from None
        return confidence


def simulated_factors(market: Market, parameters: ExpectedShortfallParameters) -> np.ndarray:
    """(underlyings, N) lognormal price factors from the seeded one-factor model."""
    underlyings = market.underlying_ids()
    count = parameters.simulated_scenarios
    generator = np.random.Generator(np.random.PCG64(parameters.seed))
    common = generator.standard_normal(count)
    own = generator.standard_normal((len(underlyings), count))
    beta = parameters.factor_loading
    z = beta * common[None, :] + math.sqrt(1.0 - beta * beta) * own
    vols = np.array([market.underlyings[u].vol for u in underlyings])[:, None]
    horizon = parameters.horizon_days / DAYS_PER_YEAR
    return np.exp(vols * math.sqrt(horizon) * z - 0.5 * vols**2 * horizon)


def from_market(market: Market, parameters: ExpectedShortfallParameters) -> MarginTerms:
    factors = simulated_factors(market, parameters)
    pnl = scenario_pnl(market, factors, np.zeros_like(factors))
    width = len(str(parameters.simulated_scenarios))
    return MarginTerms(
        scenarios=tuple(f"sim {s + 1:0{width}d}" for s in range(parameters.simulated_scenarios)),
        scenario_groups=one_group(parameters.simulated_scenarios),
        pnl=pnl.long,
        pnl_short=pnl.short,
        aggregation="expected_shortfall",
        es_confidence=parameters.confidence,
    )


def from_risk_arrays(arrays: RiskArrays, parameters: ExpectedShortfallParameters) -> MarginTerms:
    return replace(
        supplied_scenarios(arrays),
        aggregation="expected_shortfall",
        es_confidence=parameters.confidence,
    )
