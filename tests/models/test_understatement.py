"""Each understatement of issue 12 (item 2), with its concrete book: failed before, passes now."""

from decimal import Decimal

import pytest
from scipy.optimize import brentq

from tests.models.conftest import account, model, one_underlying_market, option
from zkmargin.engine.assess import assess
from zkmargin.engine.params import build_params
from zkmargin.engine.pricing import black_scholes

YEARS = 21 / 365  # 2026-11-27 → 2026-12-18


def test_scenario_pnl_is_measured_from_the_mark_when_a_put_is_marked_far_above_the_model():
    # Ten long puts marked at $15 against a model $5.06: before, every scenario moved the
    # model value (at most $5,060 to lose) while equity counted $15,000.
    strike = 103.6
    assert black_scholes(100, strike, YEARS, 0.0, 0.3, False) == pytest.approx(5.06, abs=0.01)
    market = one_underlying_market(100, P=option("put", strike, mark=15.0))
    report = assess(account(0, {"P": 10}), build_params(market, model("scenario")))
    implied = brentq(lambda s: black_scholes(100, strike, YEARS, 0.0, s, False) - 15.0, 0.01, 5.0)
    worst = 1000 * (black_scholes(115, strike, YEARS, 0.0, implied * 0.75, False) - 15.0)
    pnl = dict(report.scenario_pnl)
    assert report.binding == "U up 3/3, vol down"
    assert pnl["U up 3/3, vol down"] == pytest.approx(Decimal(worst), abs=Decimal(10))
    assert abs(pnl["U unchanged, vol up"] + pnl["U unchanged, vol down"]) < 1_000  # moved from 15, not 5.06
    assert report.requirement > Decimal(9_000)


def test_scenario_pnl_of_a_marked_stock_moves_with_the_mark_when_mark_differs_from_price():
    market = one_underlying_market(100, S={"kind": "stock", "mark": 120.0})
    report = assess(account(0, {"S": -10}), build_params(market, model("portfolio_margin")))
    assert report.requirement == Decimal(10 * 120 * 15) / 100  # 15% of the marked $1,200


def test_standard_initial_charges_reg_t_fifty_percent_when_long_stock():
    market = one_underlying_market(100, S={"kind": "stock"}, C=option("call", 120))
    params = build_params(market, model("standard"))
    book = account(0, {"S": 100})
    assert assess(book, params, level="maintenance").requirement == Decimal(2_500)
    assert assess(book, params, level="initial").requirement == Decimal(5_000)


def test_standard_initial_keeps_option_rates_when_naked_short_call():
    market = one_underlying_market(100, C=option("call", 120, mark=0.5))
    params = build_params(market, model("standard"))
    book = account(0, {"C": -1})
    # max(20%·100 − 20, 10%·100) × 100 at both levels (Reg T defers to the Cboe rule)
    assert assess(book, params, level="initial").requirement == Decimal(1_000)
    assert assess(book, params, level="maintenance").requirement == Decimal(1_000)


@pytest.mark.parametrize(
    ("price", "shares", "maintenance", "initial"),
    [
        (3, 1_000, 3_000, 3_000),      # < $5: max($2.50, 100%) a share — was 30% = $900
        (1, 1_000, 2_500, 2_500),      # $2.50 a share beats 100% of $1
        (8, 1_000, 5_000, 5_000),      # ≥ $5: $5 a share beats 30% of $8
        (50, 100, 1_500, 2_500),       # 30% of $5,000 beats $5 a share; Reg T 50% initial
    ],
)
def test_standard_short_stock_meets_finra_per_share_minimums_when_priced_low(price, shares, maintenance, initial):
    params = build_params(one_underlying_market(price, S={"kind": "stock"}), model("standard"))
    book = account(0, {"S": -shares})
    assert assess(book, params).requirement == Decimal(maintenance)
    assert assess(book, params, level="initial").requirement == Decimal(initial)


def test_portfolio_margin_charges_the_per_contract_minimum_when_futures_are_hedged():
    # long and short the same future: scenarios net to 0; 4210(g) still wants $0.375 × 50 each
    market = one_underlying_market(
        5_000, "broad_index", F1={"kind": "future", "multiplier": 50, "expiry": "2026-12-18"},
        F2={"kind": "future", "multiplier": 50, "expiry": "2027-03-19"},
    )
    report = assess(account(0, {"F1": 4, "F2": -4}), build_params(market, model("portfolio_margin")))
    assert report.binding == "U per_contract_minimum"
    assert report.requirement == Decimal("150")  # 8 contracts × $0.375 × 50
