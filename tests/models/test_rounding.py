"""Per-side values and scenario P&L, each rounded against its holder (issue 12, item 2).

Before, `values` and `pnl` were rounded half-even to the cent and used with either sign, so
a book of sub-cent instruments could be stated richer, or its losses smaller, than they are.
"""

from decimal import Decimal

import pytest

from tests.models.conftest import account, market_of, model, one_underlying_market
from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.errors import InputError, InsufficientMargin
from zkmargin.proofs.prover import prove


def stock(underlying: str) -> dict:
    return {"kind": "stock", "underlying": underlying}


def test_portfolio_margin_charges_at_least_the_true_loss_when_units_are_worth_sub_cent():
    # 1,000,000 units at $0.0999: a 15% fall loses $14,985; half-even cents said $10,000.
    market = one_underlying_market(0.0999, PENNY={"kind": "stock"})
    report = assess(account(100_000, {"PENNY": 1_000_000}), build_params(market, model("portfolio_margin")))
    assert report.requirement >= Decimal("14985")
    assert report.requirement == Decimal("20000")  # 1.4985 cents of loss per unit, charged as 2
    assert report.equity == Decimal(100_000 + 90_000)  # 9.99 cents of value, counted as 9


def test_standard_equity_rounds_each_side_against_its_holder_when_values_are_sub_cent():
    market = one_underlying_market(0.025, PENNY={"kind": "stock"})
    params = build_params(market, model("standard"))
    assert (params.values, params.short_values) == ([2], [3])
    long_book = assess(account(0, {"PENNY": 1_000}), params)
    short_book = assess(account(100, {"PENNY": -1_000}), params)
    assert long_book.equity == Decimal("20")  # worth $25, counted $20
    assert short_book.equity == Decimal("70")  # owes $25, counted $30


def two_sub_cent_stocks():
    return market_of(
        {"A": {"price": 0.015}, "B": {"price": 0.025}},
        {"A": stock("A"), "B": stock("B")},
    )


def test_portfolio_margin_does_not_pass_a_short_book_when_two_sub_cent_instruments_round_its_way():
    # Long A at 1.5¢ (half-even 2¢) and short B at 2.5¢ (half-even 2¢): the old rounding gave
    # equity $0 against a requirement of $0 (each 15% move rounded to 0¢). True equity is
    # −$10,000 and the moves lose $2,250 + $3,750: the book is $16,000 short.
    params = build_params(two_sub_cent_stocks(), model("portfolio_margin"))
    book = account(0, {"A": 1_000_000, "B": -1_000_000})
    report = assess(book, params)
    assert not report.meets
    assert report.shortfall >= Decimal("16000")
    with pytest.raises(InsufficientMargin):
        prove(book, params)


def test_params_refuse_a_short_side_below_the_long_side_when_loaded():
    base = build_params(two_sub_cent_stocks(), model("portfolio_margin")).document()
    with pytest.raises(InputError, match=r"values_short\[0\]: 1 is below values\[0\] = 2"):
        RiskParams(**{**base, "values": [2, 2], "values_short": [1, 3]})
    lowered = [row[:] for row in base["pnl_short"]]
    lowered[1][0] = base["pnl"][1][0] - 1
    with pytest.raises(InputError, match=r"pnl_short\[1\]\[0\]"):
        RiskParams(**{**base, "pnl_short": lowered})


def test_params_use_one_number_for_both_sides_when_written_without_short_fields():
    base = build_params(two_sub_cent_stocks(), model("portfolio_margin")).document()
    del base["values_short"], base["pnl_short"]
    params = RiskParams(**base)
    assert params.short_values == params.values and params.short_pnl == params.pnl
