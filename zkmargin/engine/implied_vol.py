"""Implied volatility: the σ at which Black-Scholes (or Black-76) reproduces a marked price.

A scenario must stress the value an account is credited with, which is the venue's mark,
not the model price at the underlying's quoted volatility. Solving σ_i per option so that
price(σ_i) = mark_i and shocking σ_i (relatively) makes every scenario's P&L measured from
the mark: the unchanged scenario then loses nothing, and a rich mark is stressed as hard
as its premium deserves (ten long puts marked at $15 against a model $5.06 no longer keep
$10,000 that no scenario touches).

The price is strictly increasing in σ for an option with time value, so the root is found
by bisection over [VOL_FLOOR, VOL_CAP], vectorised over a whole chain. A mark below the
price at VOL_FLOOR or above the price at VOL_CAP has no implied volatility (it breaks a
no-arbitrage bound, or needs a volatility beyond 1000%); such an option gets the nearest
end of the bracket, and `unreachable` says which options did.

An American option's model price is the European one floored at its exercise value
(`american`), which is still non-decreasing in σ: a mark at the exercise value, where a
deep in-the-money American put trades, is reproduced by every σ up to the one where the
European price reaches it, and gets VOL_FLOOR (the mark is reached: not `unreachable`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from zkmargin.engine.pricing import black76, black_scholes, exercise_value

VOL_FLOOR = 1e-4
"""Smallest volatility solved for (an annualised fraction), the market's scenario floor too."""
VOL_CAP = 10.0
"""Largest volatility solved for: market.json accepts vols up to 10 (1000%)."""
ITERATIONS = 100
"""Bisection halvings: the bracket shrinks to 10·2⁻¹⁰⁰, far below float resolution."""


class ImpliedVols(NamedTuple):
    vol: NDArray[np.float64]
    unreachable: NDArray[np.bool_]


def implied_vols(
    price: ArrayLike, underlying: ArrayLike, strike: ArrayLike, years: ArrayLike, rate: float,
    is_call: ArrayLike, on_future: ArrayLike, q: ArrayLike = 0.0, american: ArrayLike = False,
) -> ImpliedVols:
    """σ per option such that its model price per unit equals `price` (both per one unit).

    Black-76 where `on_future`, Black-Scholes with the continuous yield `q` elsewhere,
    floored at the exercise value where `american` (the model the scenarios reprice with,
    so a marked option's base value is its mark); arrays broadcast together.
    """
    price, underlying, strike, years = (np.asarray(a, dtype=np.float64) for a in (price, underlying, strike, years))
    is_call = np.asarray(is_call, dtype=bool)
    on_future = np.asarray(on_future, dtype=bool)
    floor = np.where(np.asarray(american, dtype=bool), exercise_value(underlying, strike, is_call), -np.inf)

    def model(sigma: NDArray[np.float64]) -> NDArray[np.float64]:
        spot = black_scholes(underlying, strike, years, rate, sigma, is_call, q=q)
        futures = black76(underlying, strike, years, rate, sigma, is_call)
        return np.maximum(np.where(on_future, futures, spot), floor)

    shape = np.broadcast(price, underlying, strike, years, is_call, on_future, floor).shape
    low = np.full(shape, VOL_FLOOR)
    high = np.full(shape, VOL_CAP)
    too_low, too_high = price <= model(low), price >= model(high)
    for _ in range(ITERATIONS):
        middle = 0.5 * (low + high)
        above = model(middle) > price
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
    vol = np.where(too_low, VOL_FLOOR, np.where(too_high, VOL_CAP, 0.5 * (low + high)))
    exact = np.isclose(model(vol), price, rtol=0, atol=1e-9 * np.maximum(1.0, np.abs(price)))
    return ImpliedVols(vol, (too_low | too_high) & ~exact)
