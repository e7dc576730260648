"""A book's Greeks and the dividend yield, against our own repricing and the pricing formulas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import zkmargin as zm
from tests.models.conftest import account
from zkmargin.engine.greeks import book_greeks
from zkmargin.engine.pricing import black76_greeks, black_scholes, black_scholes_greeks
from zkmargin.errors import UnknownInstrument

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def market() -> zm.Market:
    return zm.Market.load(EXAMPLES / "market.json")


def test_book_greeks_match_central_differences_of_revalue_when_book_is_hedged(market):
    book = zm.Portfolio.load(EXAMPLES / "portfolio_hedged.json")
    greeks = book_greeks(book, market)
    ids = market.instrument_ids()
    q = np.array([float(book.positions.get(i, 0)) for i in ids])
    count = len(market.underlying_ids())
    for held in greeks.underlyings:
        row = market.underlying_ids().index(held.underlying)
        h = 1e-4

        def value(factor=1.0, shift=0.0):
            factors, shifts = np.ones((count, 1)), np.zeros((count, 1))
            factors[row], shifts[row] = factor, shift
            return float(q @ market.revalue(factors, shifts)[:, 0])

        S = held.price
        d = 1e-6
        assert held.delta == pytest.approx((value(1 + d) - value(1 - d)) / (2 * d * S), rel=1e-6)
        assert held.gamma == pytest.approx(
            (value(1 + h) - 2 * value() + value(1 - h)) / (h * S) ** 2, rel=1e-4, abs=1e-6)
        assert held.vega == pytest.approx((value(shift=1e-5) - value(shift=-1e-5)) / 2e-5, rel=1e-6)
    assert greeks.delta_value == pytest.approx(sum(u.delta * u.price for u in greeks.underlyings))


def test_position_greeks_are_quantity_times_multiplier_times_formula_when_option(market):
    greeks = book_greeks(account(0, {"XYZ 2026-12-18 80 P": -3, "CL 2027-02 75 C": 2}), market)
    put, call = sorted(greeks.positions, key=lambda p: p.instrument, reverse=True)
    formula = black_scholes_greeks(95.0, 80.0, 21 / 365, market.rate, 0.30, False)
    assert put.instrument == "XYZ 2026-12-18 80 P"
    for name in ("delta", "gamma", "vega", "theta"):
        assert getattr(put, name) == pytest.approx(-3 * 100 * float(getattr(formula, name)), rel=1e-12)
    cl = market.underlyings["CL"]
    futures = black76_greeks(cl.price, 75.0, market.years_to_expiry(market.instruments["CL 2027-02 75 C"].expiry),
                             market.rate, cl.vol, True)
    assert call.theta == pytest.approx(2 * 1000 * float(futures.theta), rel=1e-12)


def test_book_greeks_refuse_a_position_outside_the_market_when_unknown(market):
    with pytest.raises(UnknownInstrument, match="NOPE"):
        book_greeks(account(0, {"NOPE": 1}), market)


def test_assess_carries_greeks_only_when_given_the_market(market):
    params = zm.build_params(market, zm.MarginModel.load(EXAMPLES.parent / "circuits" / "span.toml"))
    book = zm.Portfolio.load(EXAMPLES / "portfolio_covered_call.json")
    assert zm.assess(book, params).greeks is None
    greeks = zm.assess(book, params, market=market).greeks
    assert [u.underlying for u in greeks.underlyings] == ["SPX", "XYZ"]


def test_market_prices_options_with_the_dividend_yield_when_underlying_has_one(market):
    data = json.loads((EXAMPLES / "market.json").read_text())
    data["underlyings"]["XYZ"]["dividend_yield"] = 0.05
    paying = zm.Market.model_validate(data)
    row = paying.instrument_ids().index("XYZ 2026-12-18 80 P")
    value = paying.revalue(np.ones((len(paying.underlyings), 1)), np.zeros((len(paying.underlyings), 1)))[row, 0]
    assert value == pytest.approx(100 * float(black_scholes(95.0, 80.0, 21 / 365, paying.rate, 0.30, False, q=0.05)))
    assert value > 100 * float(black_scholes(95.0, 80.0, 21 / 365, paying.rate, 0.30, False))
    assert "dividend_yield" not in market.to_json()  # the default stays out of the file
    assert paying.unit_greeks()["delta"][paying.instrument_ids().index("XYZ")] == 1.0


def test_market_refuses_dividend_yield_when_not_finite_or_out_of_range():
    data = json.loads((EXAMPLES / "market.json").read_text())
    data["underlyings"]["XYZ"]["dividend_yield"] = 2
    with pytest.raises(zm.InputError, match="dividend_yield"):
        zm.Market.from_json(json.dumps(data))
