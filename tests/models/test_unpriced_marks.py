"""A mark no volatility reproduces is measured both ways, per side (models/base.py scenario_pnl)."""

import numpy as np
import pytest

from tests.models.conftest import model, one_underlying_market, option
from zkmargin.engine.models.base import scenario_pnl
from zkmargin.engine.params import build_params
from zkmargin.engine.pricing import black_scholes

YEARS = 21 / 365  # 2026-11-27 → 2026-12-18
FACTORS = np.array([[1.0, 1.15, 0.85]])


def unit_pnl(market):
    return scenario_pnl(market, FACTORS, np.zeros_like(FACTORS))


def test_scenario_pnl_charges_a_short_from_the_mark_when_the_mark_is_below_the_no_arbitrage_bound():
    # a call K=50 on S=100 is worth at least 50 (rate 0): marked at 0, the model value is 50
    pnl = unit_pnl(one_underlying_market(100, C=option("call", 50, mark=0.0)))
    np.testing.assert_allclose(pnl.short[0], [5000.0, 6500.0, 3500.0], atol=1e-6)  # V_s − mark
    np.testing.assert_allclose(pnl.long[0], [0.0, 1500.0, -1500.0], atol=1e-6)  # V_s − model value


def test_scenario_pnl_charges_a_long_from_the_mark_when_the_mark_is_above_every_model_value():
    # a call is worth less than its stock: marked at 120 on S=100, the model at 1000% vol is below 100
    pnl = unit_pnl(one_underlying_market(100, C=option("call", 90, mark=120.0)))
    model_value = black_scholes(100.0 * FACTORS[0], 90.0, YEARS, 0.0, 10.0, True) * 100
    np.testing.assert_allclose(pnl.long[0], model_value - 12_000, rtol=1e-9)
    np.testing.assert_allclose(pnl.short[0], model_value - model_value[0], rtol=1e-9, atol=1e-6)
    assert pnl.long[0, 2] < -3500  # worth at most 85 after −15%, against 120 counted in equity


def test_scenario_pnl_is_the_same_for_both_sides_when_the_mark_has_an_implied_vol():
    pnl = unit_pnl(one_underlying_market(100, C=option("call", 100, mark=3.5), P=option("put", 100, mark=3.4)))
    assert np.array_equal(pnl.long, pnl.short)
    assert pnl.long[0, 0] == pytest.approx(0.0, abs=1e-6)


# SPAN's extreme moves and crypto_pm's tail moves count at a fraction, the gap with them
@pytest.mark.parametrize("model_name, weights", [
    ("portfolio_margin", {1}), ("scenario", {1}), ("span", {1, 0.35}), ("crypto_pm", {1, 0.33}),
])
def test_build_params_publishes_the_short_side_from_the_mark_when_a_call_is_marked_below_its_bound(model_name, weights):
    params = build_params(one_underlying_market(100, C=option("call", 50, mark=0.0)), model(model_name))
    gap = 5_000 * params.money_scale  # model value 50 × 100 less the mark 0, in money units
    differences = {short - long for long, short in zip(params.pnl[0], params.pnl_short[0])}
    # each weighted gap, and a cent of rounding against each side
    assert {round(weight * gap) for weight in weights} <= differences <= {
        round(weight * gap) + cents for weight in weights for cents in (0, 1)}
    assert params.values == params.values_short == [0]


def test_expected_shortfall_publishes_the_short_side_from_the_mark_when_a_call_is_marked_below_its_bound():
    params = build_params(one_underlying_market(100, C=option("call", 50, mark=0.0)), model("expected_shortfall"))
    gap = 5_000 * params.money_scale
    assert {short - long for long, short in zip(params.pnl[0], params.pnl_short[0])} <= {gap, gap + 1}
