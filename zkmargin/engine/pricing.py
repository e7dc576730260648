"""Vectorised European option prices and deltas: Black-Scholes (spot) and Black-76 (futures).

Every argument broadcasts with numpy rules, so one call prices a whole chain under a whole
scenario grid. No dividends. With d1 = (ln(X/K) + (b + σ²/2)·T) / (σ√T), d2 = d1 − σ√T:

    Black-Scholes (X = S, b = r):   C = S·N(d1) − K·e^{−rT}·N(d2)
                                    P = K·e^{−rT}·N(−d2) − S·N(−d1)
    Black-76      (X = F, b = 0):   C = e^{−rT}·(F·N(d1) − K·N(d2))
                                    P = e^{−rT}·(K·N(−d2) − F·N(−d1))

At expiry (T = 0) or with zero volatility a price is the intrinsic value of the forward
payoff, max(±(X − K·e^{−rT}), 0) for Black-Scholes and e^{−rT}·max(±(F − K), 0) for
Black-76, which is also the limit of the formulas. N is `scipy.special.ndtr`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

FloatArray = NDArray[np.float64]


def black_scholes(
    S: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """Black-Scholes price of a European option on a spot asset without dividends."""
    S, K, T, r = _floats(S, K, T, r)
    discount = np.exp(-r * T)
    return _black(S, K * discount, T, sigma, is_call)


def black76(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """Black-76 price of a European option on a futures price."""
    F, K, T, r = _floats(F, K, T, r)
    discount = np.exp(-r * T)
    return discount * _black(F, K, T, sigma, is_call)


def black_scholes_delta(
    S: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """∂price/∂S for Black-Scholes: N(d1) for a call, N(d1) − 1 for a put."""
    S, K, T, r = _floats(S, K, T, r)
    return _delta(S, K * np.exp(-r * T), T, sigma, is_call)


def black76_delta(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """∂price/∂F for Black-76: e^{−rT}·N(d1) for a call, e^{−rT}·(N(d1) − 1) for a put."""
    F, K, T, r = _floats(F, K, T, r)
    return np.exp(-r * T) * _delta(F, K, T, sigma, is_call)


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
    """Undiscounted-form Black price, with `strike` already discounted to today for spot."""
    call = np.asarray(is_call, dtype=bool)
    d1, d2, alive = _d1_d2(underlying, strike, T, sigma)
    call_price = underlying * ndtr(d1) - strike * ndtr(d2)
    put_price = strike * ndtr(-d2) - underlying * ndtr(-d1)
    intrinsic = np.where(
        call, np.maximum(underlying - strike, 0.0), np.maximum(strike - underlying, 0.0)
    )
    return np.where(alive, np.where(call, call_price, put_price), intrinsic)


def _delta(
    underlying: FloatArray, strike: FloatArray, T: FloatArray, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    call = np.asarray(is_call, dtype=bool)
    d1, _, alive = _d1_d2(underlying, strike, T, sigma)
    in_the_money = np.where(call, underlying > strike, underlying < strike)
    expiry_delta = np.where(in_the_money, np.where(call, 1.0, -1.0), 0.0)
    live_delta = np.where(call, ndtr(d1), ndtr(d1) - 1.0)
    return np.where(alive, live_delta, expiry_delta)
