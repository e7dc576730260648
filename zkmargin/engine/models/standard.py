"""Strategy-based (Reg T style) requirements for naked positions: rates, no scenarios.

Formula, per whole unit (S underlying price, K strike, M multiplier, p = 20%, or 15% for
broad-based indexes; OTM = max(K − S, 0) for calls, max(S − K, 0) for puts; P the stock's
marked price per share):

    short option   M · max(p·S − OTM, 10%·S)  call,   M · max(p·S − OTM, 10%·K)  put
    long option    100% of its value (paid in full: no loan value)
    stock          maintenance: 25% of value long; short M·max($5, 30%·P), or
                   M·max($2.50, 100%·P) when P < $5 (FINRA 4210(c) per-share minimums)
                   initial (Reg T): max(50% of value, the maintenance rate), long or short
    future         a TOML fraction of S·M, long or short

The Cboe rule states the short option requirement as premium + the amount above; zkmargin
measures equity as net liquidation value (cash − the short option's value), which already
subtracts the premium, so the rate carries only the second part. An account holding
exactly premium + requirement in cash therefore has zero excess (worked-examples.md §3).

Source: Cboe Margin Manual (naked equity and index options, 20% / 15% rule with the 10%
minimum); FINRA Rule 4210(c) for equity maintenance and the short-stock per-share
minimums; Regulation T (12 CFR 220.12) for the 50% initial on stock; futures rate is the
venue's. Options carry the same rates at both levels (Reg T defers to the exchange rules).
The $2,000 minimum equity of Cboe Rule 12.3(i) / FINRA 4210(b)(1) is an account-level switch
on the private book, not a rate, so it is left out: a venue applies it as the threshold X of
initial proofs (docs/margin-models.md, "Where the models depart from their sources").

Strategies (spreads, butterflies, covered calls and puts, protective puts, straddles, iron
condors) are public templates with
their own rates (engine/models/strategies.py); the prover pairs its legs privately
(engine/strategies.py, proofs/pairing.py) and pays the template rate on pairs, the naked
rate on the rest.

Reduction to the generic form: no scenarios (core = 0), per-instrument rates as add-ons:
A = Σ_i addon_long_i·q_i⁺ + addon_short_i·q_i⁻. Each rate is a public number, so the
max(·,·) of the rule is evaluated by the venue, not proved. The proof writes q_i⁻ with a
witness u_i ≥ −q_i, u_i ≥ 0 and q_i⁺ as q_i + u_i; A is then
Σ_i addon_long_i·q_i + (addon_long_i + addon_short_i)·u_i, which only grows with u_i, so
a witness larger than q_i⁻ can only make E − λ·A − X ≥ 0 harder to satisfy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from zkmargin.engine.models.base import Contracts, MarginTerms, ParameterTable, market_values
from zkmargin.engine.models.strategies import FAMILIES, Book, templates

if TYPE_CHECKING:
    from zkmargin.engine.market import Market


class StandardParameters(ParameterTable):
    """The `[standard]` table."""

    short_option_rate: float = Field(ge=0)
    short_option_rate_broad_index: float = Field(ge=0)
    short_option_minimum_rate: float = Field(ge=0)
    long_option_rate: float = Field(ge=0)
    stock_long_rate: float = Field(ge=0)
    stock_short_rate: float = Field(ge=0)
    stock_short_minimum_per_share: float = Field(ge=0)
    stock_low_price: float = Field(ge=0)
    stock_short_rate_low_price: float = Field(ge=0)
    stock_short_minimum_per_share_low_price: float = Field(ge=0)
    stock_initial_rate: float = Field(ge=0)
    protective_put_strike_rate: float = Field(ge=0)
    future_rate: float = Field(ge=0)
    strategies: list[Literal[FAMILIES]]


def short_option_rates(contracts: Contracts, parameters: StandardParameters) -> np.ndarray:
    S, K, M = contracts.underlying_price, contracts.strike, contracts.multiplier
    out_of_the_money = np.maximum(np.where(contracts.is_call, K - S, S - K), 0.0)
    rate = np.where(
        contracts.asset_class == "broad_index",
        parameters.short_option_rate_broad_index,
        parameters.short_option_rate,
    )
    minimum = parameters.short_option_minimum_rate * np.where(contracts.is_call, S, K)
    return M * np.maximum(rate * S - out_of_the_money, minimum)


def short_stock_rates(values: np.ndarray, multiplier: np.ndarray, parameters: StandardParameters) -> np.ndarray:
    """FINRA 4210(c): per unit, max(per-share minimum, rate × value), with the low-price
    pair (100%, $2.50) below `stock_low_price` a share: 1,000 shares at $3 need $3,000."""
    per_share = values / multiplier
    low = per_share < parameters.stock_low_price
    rate = np.where(low, parameters.stock_short_rate_low_price, parameters.stock_short_rate)
    minimum = np.where(
        low, parameters.stock_short_minimum_per_share_low_price, parameters.stock_short_minimum_per_share
    )
    return multiplier * np.maximum(minimum, rate * per_share)


def from_market(market: Market, parameters: StandardParameters) -> MarginTerms:
    contracts = Contracts.of(market)
    values = market_values(market)
    notional = contracts.underlying_price * contracts.multiplier
    kind = contracts.kind
    option, stock, future = contracts.is_option, kind == "stock", kind == "future"
    addon_long = np.select(
        [option, stock, future],
        [parameters.long_option_rate * values, parameters.stock_long_rate * values,
         parameters.future_rate * notional],
    )
    addon_short = np.select(
        [option, stock, future],
        [np.where(option, short_option_rates(contracts, parameters), 0.0),
         short_stock_rates(values, contracts.multiplier, parameters), parameters.future_rate * notional],
    )
    initial = np.where(stock, parameters.stock_initial_rate * values, 0.0)
    book = Book(
        market, values, addon_long, addon_short, parameters.stock_long_rate, parameters.stock_initial_rate,
        parameters.protective_put_strike_rate,
    )
    return MarginTerms(
        scenarios=(),
        scenario_groups=(),
        pnl=np.zeros((len(values), 0)),
        addon_long=addon_long,
        addon_short=addon_short,
        level_addons={"initial": (np.maximum(addon_long, initial), np.maximum(addon_short, initial))},
        strategies=templates(book, tuple(parameters.strategies)),
    )
