"""A proof states the per-side P&L of marks no volatility reproduces, as `assess` charges it."""

from decimal import Decimal

import pytest

import zkmargin as zm
from tests.models.conftest import account, market_of, model, option


def test_proof_charges_each_side_from_the_mark_when_marks_are_outside_the_no_arbitrage_bounds():
    # short a call K=50 on A=100 marked at 0 (below its bound of 50) and long a call K=90 on
    # B=100 marked at 120 (above its stock): FINRA 4210(g) from the market value, each at ±15%
    market = market_of(
        {"A": {"price": 100.0}, "B": {"price": 100.0}},
        {"C": {**option("call", 50, mark=0.0), "underlying": "A"},
         "L": {**option("call", 90, mark=120.0), "underlying": "B"}},
    )
    params = zm.build_params(market, model("portfolio_margin"))
    book = account(0, {"C": -1, "L": 1})
    report = zm.assess(book, params)
    assert report.requirement >= Decimal(6_500 + 3_500)  # (115 − 50 − 0) and (120 − 85) per unit, × 100
    funded = book.model_copy(update={"cash": book.cash - report.excess})
    statement = zm.verify(zm.prove(funded, params), params)
    assert (statement.account, statement.model) == ("test", "portfolio_margin")
    with pytest.raises(zm.InsufficientMargin):
        zm.prove(funded.model_copy(update={"cash": funded.cash - Decimal("0.01")}), params)
