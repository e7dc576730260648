"""Black-Scholes and Black-76 against the published vectors of worked-examples.md §1."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkmargin.engine.pricing import black76, black_scholes, black_scholes_greeks


def test_black_scholes_matches_hull_when_pricing_the_textbook_call_and_put():
    call, put = black_scholes(42, 40, 0.5, 0.10, 0.20, [True, False])
    assert call == pytest.approx(4.7594, abs=5e-5)
    assert put == pytest.approx(0.8086, abs=5e-5)


def test_black76_matches_haug_when_pricing_the_at_the_money_call_and_put():
    call, put = black76(19, 19, 0.75, 0.10, 0.28, [True, False])
    assert call == pytest.approx(1.70105, abs=5e-6)
    assert put == pytest.approx(1.70105, abs=5e-6)


def test_black_scholes_matches_vollib_when_pricing_the_documented_call():
    assert black_scholes(100, 90, 0.5, 0.01, 0.20, True) == pytest.approx(12.111581435, abs=1e-9)


def test_black_scholes_broadcasts_when_given_a_chain_and_a_scenario_grid():
    spots = np.array([[90.0, 100.0, 110.0]])
    strikes = np.array([[95.0], [105.0]])
    prices = black_scholes(spots, strikes, 0.25, 0.05, 0.3, True)
    assert prices.shape == (2, 3)
    assert prices[0, 2] == pytest.approx(black_scholes(110.0, 95.0, 0.25, 0.05, 0.3, True))
    assert np.all(np.diff(prices, axis=1) > 0)


def test_black_scholes_is_intrinsic_value_when_time_to_expiry_is_zero():
    prices = black_scholes([42, 38, 42, 38], 40, 0.0, 0.10, 0.2, [True, True, False, False])
    np.testing.assert_allclose(prices, [2.0, 0.0, 0.0, 2.0])


def test_black76_is_intrinsic_value_when_time_to_expiry_is_zero():
    np.testing.assert_allclose(black76([21, 17], 19, 0.0, 0.1, 0.28, [True, False]), [2.0, 2.0])


def test_black_scholes_is_discounted_forward_payoff_when_volatility_is_zero():
    # σ → 0: the call is worth max(S − K·e^{−rT}, 0).
    assert black_scholes(42, 40, 0.5, 0.1, 0.0, True) == pytest.approx(42 - 40 * math.exp(-0.05))


def test_black_scholes_prices_a_worthless_call_when_spot_is_zero():
    call, put = black_scholes(0.0, 40, 0.5, 0.1, 0.2, [True, False])
    assert call == 0.0
    assert put == pytest.approx(40 * math.exp(-0.05))


def test_deltas_are_zero_or_one_when_option_has_expired():
    np.testing.assert_allclose(
        black_scholes_greeks([42, 38, 42, 38], 40, 0.0, 0.1, 0.2, [True, True, False, False]).delta,
        [1.0, 0.0, 0.0, -1.0],
    )


positive = st.floats(min_value=1.0, max_value=1000.0)


@given(
    S=positive,
    K=positive,
    T=st.floats(min_value=0.0, max_value=5.0),
    r=st.floats(min_value=-0.02, max_value=0.15),
    sigma=st.floats(min_value=0.01, max_value=2.0),
)
def test_black_scholes_satisfies_put_call_parity_when_inputs_vary(S, K, T, r, sigma):
    call, put = black_scholes(S, K, T, r, sigma, [True, False])
    assert call - put == pytest.approx(S - K * math.exp(-r * T), abs=1e-9 * max(S, K))


@given(
    F=positive,
    K=positive,
    T=st.floats(min_value=0.0, max_value=5.0),
    r=st.floats(min_value=-0.02, max_value=0.15),
    sigma=st.floats(min_value=0.01, max_value=2.0),
)
def test_black76_satisfies_put_call_parity_when_inputs_vary(F, K, T, r, sigma):
    call, put = black76(F, K, T, r, sigma, [True, False])
    assert call - put == pytest.approx(math.exp(-r * T) * (F - K), abs=1e-9 * max(F, K))
