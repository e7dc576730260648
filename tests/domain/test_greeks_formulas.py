"""Dividend yield and Greeks of the pricing formulas against published and independent values.

The independent reference is an arbitrary-precision (mpmath, 40 digits) implementation of
the two prices only; its Greeks are mpmath's numerical derivatives of those prices, so
nothing of our closed forms is shared with it.
"""

from __future__ import annotations

import math

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkmargin.engine.pricing import black76, black76_greeks, black_scholes, black_scholes_greeks

mpmath.mp.dps = 40


def reference_price(X, K, T, r, q, sigma, call):
    """Generalised Black-Scholes in mpmath: q is the dividend yield, or r for Black-76."""
    X, K, T, r, q, sigma = map(mpmath.mpf, (X, K, T, r, q, sigma))
    A, B = X * mpmath.exp(-q * T), K * mpmath.exp(-r * T)
    d1 = mpmath.log(A / B) / (sigma * mpmath.sqrt(T)) + sigma * mpmath.sqrt(T) / 2
    d2 = d1 - sigma * mpmath.sqrt(T)
    if call:
        return A * mpmath.ncdf(d1) - B * mpmath.ncdf(d2)
    return B * mpmath.ncdf(-d2) - A * mpmath.ncdf(-d1)


def reference_greeks(X, K, T, r, q, sigma, call, futures=False):
    def price(x=X, t=T, s=sigma):
        return reference_price(x, K, t, r, r if futures else q, s, call)

    return {
        "price": price(),
        "delta": mpmath.diff(lambda x: price(x=x), X),
        "gamma": mpmath.diff(lambda x: price(x=x), X, 2),
        "vega": mpmath.diff(lambda s: price(s=s), sigma),
        "theta": -mpmath.diff(lambda t: price(t=t), T),
    }


def test_black_scholes_matches_haug_merton_when_the_stock_pays_a_dividend_yield():
    # Haug, Complete Guide (2nd ed.) §1.1.2: S 100, X 95, T 0.5, r 10%, q 5%, σ 20% → put 2.4648
    assert black_scholes(100, 95, 0.5, 0.10, 0.20, False, q=0.05) == pytest.approx(2.4648, abs=5e-5)
    # §1.1.6 generalised BS, b = 5% (q = r − b = 5%): S 75, X 70, T 0.5, r 10%, σ 35% → put 4.0870
    assert black_scholes(75, 70, 0.5, 0.10, 0.35, False, q=0.05) == pytest.approx(4.0870, abs=5e-5)


def test_black_scholes_with_yield_satisfies_dividend_put_call_parity_when_q_is_positive():
    call, put = black_scholes(100, 95, 0.5, 0.10, 0.20, [True, False], q=0.05)
    assert call - put == pytest.approx(100 * math.exp(-0.025) - 95 * math.exp(-0.05), abs=1e-12)


def test_greeks_match_hull_when_pricing_the_textbook_call():
    # Hull, Options, Futures, and Other Derivatives, ch. 19 (Examples 19.1, 19.2, 19.4, 19.6):
    # S 49, K 50, r 5%, σ 20%, T 20 weeks → Δ 0.522, Θ −4.31 per year, Γ 0.066, ν 12.1
    greeks = black_scholes_greeks(49, 50, 20 / 52, 0.05, 0.20, True)
    assert greeks.delta == pytest.approx(0.522, abs=5e-4)
    assert greeks.theta == pytest.approx(-4.31, abs=5e-3)
    assert greeks.gamma == pytest.approx(0.066, abs=5e-4)
    assert greeks.vega == pytest.approx(12.1, abs=5e-2)


CASES = [
    # X, K, T, r, q, sigma
    (49, 50, 20 / 52, 0.05, 0.0, 0.20),
    (100, 95, 0.5, 0.10, 0.05, 0.20),
    (6000, 5800, 21 / 365, 0.045, 0.013, 0.18),
    (95, 130, 2.0, 0.01, 0.03, 0.55),
    (60000, 110000, 0.08, 0.04, 0.0, 0.9),
]


@pytest.mark.parametrize("call", [True, False])
@pytest.mark.parametrize("X,K,T,r,q,sigma", CASES)
def test_black_scholes_greeks_match_independent_reference_to_1e9_when_inputs_vary(X, K, T, r, q, sigma, call):
    ours = black_scholes_greeks(X, K, T, r, sigma, call, q=q)._asdict()
    for name, expected in reference_greeks(X, K, T, r, q, sigma, call).items():
        assert float(ours[name]) == pytest.approx(float(expected), rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("call", [True, False])
@pytest.mark.parametrize("F,K,T,r,sigma", [(19, 19, 0.75, 0.10, 0.28), (70, 75, 0.2, 0.045, 0.35)])
def test_black76_greeks_match_independent_reference_to_1e9_when_inputs_vary(F, K, T, r, sigma, call):
    ours = black76_greeks(F, K, T, r, sigma, call)._asdict()
    assert float(ours["price"]) == pytest.approx(float(black76(F, K, T, r, sigma, call)), rel=1e-14)
    for name, expected in reference_greeks(F, K, T, r, 0, sigma, call, futures=True).items():
        assert float(ours[name]) == pytest.approx(float(expected), rel=1e-9, abs=1e-12), name


@settings(max_examples=60, deadline=None)
@given(
    S=st.floats(min_value=20, max_value=200), K=st.floats(min_value=20, max_value=200),
    T=st.floats(min_value=0.02, max_value=3), q=st.floats(min_value=0, max_value=0.1),
    sigma=st.floats(min_value=0.05, max_value=1.5),
)
def test_black_scholes_greeks_match_central_differences_of_our_price_when_inputs_vary(S, K, T, q, sigma):
    greeks = black_scholes_greeks(S, K, T, 0.03, sigma, [True, False], q=q)
    h = 1e-4 * S

    def price(s=S, t=T, v=sigma):
        return black_scholes(s, K, t, 0.03, v, [True, False], q=q)

    for ours, slope in (
        (greeks.delta, (price(s=S + h) - price(s=S - h)) / (2 * h)),
        (greeks.gamma, (price(s=S + h) - 2 * price() + price(s=S - h)) / (h * h)),
        (greeks.vega, (price(v=sigma + 1e-5) - price(v=sigma - 1e-5)) / 2e-5),
        (greeks.theta, -(price(t=T + 1e-6) - price(t=T - 1e-6)) / 2e-6),
    ):
        scale = max(1.0, float(max(abs(ours))))
        assert ours == pytest.approx(slope, abs=2e-4 * scale)
