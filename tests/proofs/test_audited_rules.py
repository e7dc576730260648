"""Proofs agree with the rules fixed after the December 2026 audit (tests/review/test_rules_audit.py):
a long option's 4210(g) minimum capped at its market value (finding 3), and a stock that is not
the option's deliverable covering nothing (finding 7). Each book proves and verifies funded at
the fixed requirement, and a cent less cannot be proved."""

from decimal import Decimal

import pytest

import zkmargin as zm
from tests.models.conftest import (
    account,
    market_of,
    model,
    one_underlying_market,
    option,
)
from zkmargin.engine.assess import assess
from zkmargin.engine.params import build_params


def prove_at_requirement(params, positions, requirement):
    """Fund the book so that its excess is 0, check assess's requirement, prove and verify,
    and show that one cent less does not prove."""
    book = account(0, positions)
    report = assess(book, params)
    assert report.requirement == requirement
    funded = account(-report.excess, positions)
    assert assess(funded, params).excess == 0
    statement = zm.verify(zm.prove(funded, params), params)
    assert statement.model == params.model
    with pytest.raises(zm.InsufficientMargin):
        zm.prove(account(-report.excess - Decimal("0.01"), positions), params)


def test_portfolio_margin_proof_charges_a_cheap_long_strangle_its_value_when_the_minimum_is_capped():
    # 10 + 10 wings worth $5 a contract: 4210(g)'s minimum is 20 × $5, not 20 × $37.50
    market = one_underlying_market(100, C=option("call", 130, mark=0.05), P=option("put", 70, mark=0.05))
    params = build_params(market, model("portfolio_margin"))
    prove_at_requirement(params, {"C": 10, "P": 10}, Decimal(100))


def test_standard_proof_charges_the_call_naked_when_the_stock_is_not_its_deliverable():
    # 100 SPY at 600 do not cover an SPX 6,100 call: the call is naked, max(15% × 6,000 −
    # 100, 10% × 6,000) × 100 = $80,000, and the ETF at 25% × $60,000 = $15,000; the params
    # publish no template that would pair them
    market = market_of(
        {"SPX": {"price": 6000, "vol": 0.18, "asset_class": "broad_index"}},
        {"SPY": {"kind": "stock", "underlying": "SPX", "mark": 600.0},
         "SPX C": {**option("call", 6100, mark=50.0), "underlying": "SPX"}},
    )
    params = build_params(market, model("standard"))
    assert params.strategies == []
    prove_at_requirement(params, {"SPY": 100, "SPX C": -1}, Decimal(95_000))
