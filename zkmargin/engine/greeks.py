"""A book's Greeks: per position, per underlying and for the whole book, from the market's models.

A position's Greek is quantity × the Greek of one whole unit (`Market.unit_greeks`: the
same Black-Scholes-Merton and Black-76 code that prices the scenarios). Per underlying
they add up as they are (Δ in units of the underlying, Γ per unit of its price squared, ν
per 1.00 of volatility, Θ per year, all in currency). Across underlyings Δ and Γ are in
different units, so the book adds their money forms instead:

    delta_value = Σ_u Δ_u·S_u      (P&L of a +100% move of every underlying, to first order)
    gamma_value = Σ_u Γ_u·S_u²     (its second derivative in the relative move)

and ν and Θ as they are. A 1% move of every underlying changes the book by about
delta_value/100 + gamma_value/20000.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from zkmargin.engine.market import Market
from zkmargin.engine.portfolio import Portfolio

GREEKS = ("delta", "gamma", "vega", "theta")


@dataclass(frozen=True)
class PositionGreeks:
    instrument: str
    underlying: str
    quantity: Decimal
    delta: float
    gamma: float
    vega: float
    theta: float


@dataclass(frozen=True)
class UnderlyingGreeks:
    underlying: str
    price: float
    delta: float
    gamma: float
    vega: float
    theta: float

    @property
    def delta_value(self) -> float:
        return self.delta * self.price

    @property
    def gamma_value(self) -> float:
        return self.gamma * self.price * self.price


@dataclass(frozen=True)
class BookGreeks:
    """The Greeks of a portfolio's positions (cash has none), as of the market's date."""

    positions: tuple[PositionGreeks, ...]
    underlyings: tuple[UnderlyingGreeks, ...]

    @property
    def delta_value(self) -> float:
        return sum(u.delta_value for u in self.underlyings)

    @property
    def gamma_value(self) -> float:
        return sum(u.gamma_value for u in self.underlyings)

    @property
    def vega(self) -> float:
        return sum(u.vega for u in self.underlyings)

    @property
    def theta(self) -> float:
        return sum(u.theta for u in self.underlyings)


def book_greeks(portfolio: Portfolio, market: Market) -> BookGreeks:
    """Greeks of every non-zero position, then summed per underlying (in `underlying_ids()` order)."""
    ids = market.instrument_ids()
    portfolio.check_universe(ids)
    unit = market.unit_greeks()
    positions = []
    for row, instrument in enumerate(ids):
        quantity = portfolio.positions.get(instrument, Decimal(0))
        if quantity:
            positions.append(PositionGreeks(
                instrument, market.instruments[instrument].underlying, quantity,
                *(float(quantity) * float(unit[name][row]) for name in GREEKS),
            ))
    underlyings = []
    for underlying in market.underlying_ids():
        held = [p for p in positions if p.underlying == underlying]
        if held:
            underlyings.append(UnderlyingGreeks(
                underlying, market.underlyings[underlying].price,
                *(sum(getattr(p, name) for p in held) for name in GREEKS),
            ))
    return BookGreeks(tuple(positions), tuple(underlyings))
