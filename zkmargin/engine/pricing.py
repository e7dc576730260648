"""Vectorised European option prices and Greeks: Black-Scholes (spot) and Black-76 (futures),
and the exercise value that floors an American option's (`exercise_value`).

Every argument broadcasts with numpy rules, so one call prices a whole chain under a whole
scenario grid. Both models are the generalised Black-Scholes formula with a cost of carry b
and the rate r: b = r − q for a spot asset paying a continuous dividend yield q
(Black-Scholes-Merton), b = 0 for a futures price (Black-76). With A = X·e^{(b−r)T} (the
underlying discounted by its carry: S·e^{−qT} or F·e^{−rT}), B = K·e^{−rT},
d1 = ln(A/B)/(σ√T) + σ√T/2 and d2 = d1 − σ√T:

    C = A·N(d1) − B·N(d2)                   P = B·N(−d2) − A·N(−d1)
    Δ = e^{(b−r)T}·N(d1)  (call)            Δ = e^{(b−r)T}·(N(d1) − 1)  (put)       ∂V/∂X
    Γ = e^{(b−r)T}·n(d1) / (X·σ√T)                                                  ∂²V/∂X²
    ν = A·n(d1)·√T                                                                  ∂V/∂σ
    Θ = −A·n(d1)·σ/(2√T) + (r − b)·A·N(d1) − r·B·N(d2)                  (call)      ∂V/∂t
    Θ = −A·n(d1)·σ/(2√T) − (r − b)·A·N(−d1) + r·B·N(−d2)                (put)

(Haug, The Complete Guide to Option Pricing Formulas, §1.1 and §2.1; Hull, Options,
Futures, and Other Derivatives, ch. 19.) ν is per 1.00 of volatility and Θ per year of
calendar time (the option one year closer to expiry). At expiry (T = 0) or with zero
volatility a price is the intrinsic value of the forward payoff, max(±(A − B), 0), the
limit of the formulas; there Δ is that payoff's slope and Γ, ν are 0. N is
`scipy.special.ndtr`, imported by the functions that price: SciPy's special functions take
a fifth of a second to load, which reading or verifying params never needs.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


class Greeks(NamedTuple):
    """Price and sensitivities of one unit of an option, arrays of the broadcast shape."""

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray


def black_scholes(
    S: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike,
    q: ArrayLike = 0.0,
) -> FloatArray:
    """Black-Scholes(-Merton) price of a European option on a spot asset with dividend yield q."""
    S, K, T, r, q = _floats(S, K, T, r, q)
    return _black(S * np.exp(-q * T), K * np.exp(-r * T), T, sigma, is_call)


def black76(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """Black-76 price of a European option on a futures price."""
    F, K, T, r = _floats(F, K, T, r)
    discount = np.exp(-r * T)
    return _black(F * discount, K * discount, T, sigma, is_call)


def black_scholes_greeks(
    S: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike,
    q: ArrayLike = 0.0,
) -> Greeks:
    """Price, Δ, Γ, ν and Θ of Black-Scholes-Merton (carry b = r − q)."""
    S, K, T, r, q = _floats(S, K, T, r, q)
    return _greeks(S, K, T, r, q, sigma, is_call)


def black76_greeks(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> Greeks:
    """Price, Δ, Γ, ν and Θ of Black-76 (carry b = 0: the futures price "yields" r)."""
    F, K, T, r = _floats(F, K, T, r)
    return _greeks(F, K, T, r, r, sigma, is_call)


def _greeks(
    X: FloatArray, K: FloatArray, T: FloatArray, r: FloatArray, carry: FloatArray,
    sigma: ArrayLike, is_call: ArrayLike,
) -> Greeks:
    """The generalised formulas with `carry` = r − b (q for a spot asset, r for a future)."""
    from scipy.special import ndtr

    call = np.asarray(is_call, dtype=bool)
    sigma = np.asarray(sigma, dtype=np.float64)
    growth = np.exp(-carry * T)
    A, B = X * growth, K * np.exp(-r * T)
    d1, d2, alive = _d1_d2(A, B, T, sigma)
    # Where the option has no time value N(d1), N(d2) become the in-the-money indicator.
    in_the_money = (A > B).astype(np.float64)
    n1, n2 = np.where(alive, ndtr(d1), in_the_money), np.where(alive, ndtr(d2), in_the_money)
    m1, m2 = np.where(alive, ndtr(-d1), 1.0 - in_the_money), np.where(alive, ndtr(-d2), 1.0 - in_the_money)
    root_t = np.sqrt(np.maximum(T, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(alive, np.exp(-0.5 * d1 * d1) / math.sqrt(2.0 * math.pi), 0.0)
        gamma = np.where(alive, growth * density / (X * sigma * root_t), 0.0)
        decay = np.where(alive, -A * density * sigma / (2.0 * root_t), 0.0)
    call_price, put_price = A * n1 - B * n2, B * m2 - A * m1
    shape = np.broadcast(call, A, B, sigma).shape
    return Greeks(
        price=np.where(call, call_price, put_price),
        delta=np.where(call, growth * n1, -growth * m1),
        gamma=np.broadcast_to(gamma, shape),
        vega=np.broadcast_to(A * density * root_t, shape),
        theta=np.where(
            call,
            decay + carry * A * n1 - r * B * n2,
            decay - carry * A * m1 + r * B * m2,
        ),
    )


def exercise_value(X: ArrayLike, K: ArrayLike, is_call: ArrayLike) -> FloatArray:
    """What exercising one unit now pays: max(X − K, 0) for a call, max(K − X, 0) for a put,
    X the spot or futures price. An American option is worth at least this."""
    X, K = _floats(X, K)
    return np.where(np.asarray(is_call, dtype=bool), np.maximum(X - K, 0.0), np.maximum(K - X, 0.0))


def _floats(*arrays: ArrayLike) -> list[FloatArray]:
    return [np.asarray(array, dtype=np.float64) for array in arrays]


def _d1_d2(
    forward: FloatArray, strike: FloatArray, T: FloatArray, sigma: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """d1 and d2 written on the forward and the discounted strike (same value for both models).

    Returns also the mask of the options that still have time value (σ√T > 0); d1 and d2
    are meaningless elsewhere and the callers substitute the expiry payoff.
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    stdev = sigma * np.sqrt(np.maximum(T, 0.0))
    alive = stdev > 0.0
    safe_stdev = np.where(alive, stdev, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(forward / strike) + 0.5 * stdev * stdev) / safe_stdev
    return d1, d1 - stdev, alive


def _black(
    underlying: FloatArray, strike: FloatArray, T: FloatArray, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """A·N(d1) − B·N(d2) (call) with `underlying` = A and `strike` = B, both discounted."""
    from scipy.special import ndtr

    call = np.asarray(is_call, dtype=bool)
    d1, d2, alive = _d1_d2(underlying, strike, T, sigma)
    call_price = underlying * ndtr(d1) - strike * ndtr(d2)
    put_price = strike * ndtr(-d2) - underlying * ndtr(-d1)
    intrinsic = np.where(
        call, np.maximum(underlying - strike, 0.0), np.maximum(strike - underlying, 0.0)
    )
    return np.where(alive, np.where(call, call_price, put_price), intrinsic)
