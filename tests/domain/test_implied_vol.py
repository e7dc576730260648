"""Implied volatility from a marked price (zkmargin.engine.implied_vol)."""

import numpy as np
import pytest

from zkmargin.engine.implied_vol import VOL_CAP, VOL_FLOOR, implied_vols
from zkmargin.engine.pricing import black76, black_scholes


def test_implied_vol_recovers_hulls_twenty_percent_when_given_the_black_scholes_price():
    price = black_scholes(42, 40, 0.5, 0.10, 0.20, True)
    assert price == pytest.approx(4.7594, abs=5e-5)
    solved = implied_vols([price], 42, 40, 0.5, 0.10, True, False)
    assert solved.vol[0] == pytest.approx(0.20, abs=1e-10)
    assert not solved.unreachable[0]


def test_implied_vol_uses_black76_when_the_option_is_on_a_future():
    price = black76(19, 19, 0.75, 0.10, 0.28, False)
    assert price == pytest.approx(1.70105, abs=5e-6)
    solved = implied_vols([price, price], 19, 19, 0.75, 0.10, [False, False], [True, False])
    assert solved.vol[0] == pytest.approx(0.28, abs=1e-10)
    assert solved.vol[1] != pytest.approx(0.28, abs=1e-3)  # Black-Scholes reads it differently


def test_implied_vol_clamps_and_flags_when_the_mark_breaks_a_bound():
    # a put K=100 on S=90 is worth between 10 and 100 (r = 0): 9 and 101 have no implied vol
    solved = implied_vols([9.0, 101.0], 90, 100, 0.25, 0.0, False, False)
    assert solved.vol.tolist() == [VOL_FLOOR, VOL_CAP]
    assert solved.unreachable.tolist() == [True, True]


def test_implied_vol_solves_a_chain_at_once_when_given_arrays():
    strikes = np.array([80.0, 95.0, 110.0])
    vols = np.array([0.45, 0.30, 0.25])
    prices = black_scholes(95.0, strikes, 0.1, 0.045, vols, [False, True, True])
    solved = implied_vols(prices, 95.0, strikes, 0.1, 0.045, [False, True, True], False)
    assert solved.vol == pytest.approx(vols, abs=1e-9)
