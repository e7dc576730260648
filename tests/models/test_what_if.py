"""What-if changes and per-position marginal requirements, against assess on hand-built books."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import zkmargin as zm
from zkmargin.errors import InputError, UnknownInstrument

ROOT = Path(__file__).resolve().parents[2]
CALL = "XYZ 2026-12-18 100 C"


@pytest.fixture(scope="module")
def params() -> zm.RiskParams:
    return zm.build_params(zm.Market.load(ROOT / "examples" / "market.json"),
                           zm.MarginModel.load(ROOT / "circuits" / "span.toml"))


@pytest.fixture
def book() -> zm.Portfolio:
    return zm.Portfolio.load(ROOT / "examples" / "portfolio_covered_call.json")


def value(params, instrument) -> Decimal:
    return Decimal(params.values[params.instruments.index(instrument)]) / params.money_scale


def test_what_if_close_trades_at_the_mark_and_frees_the_difference_when_position_held(params, book):
    result = zm.what_if(book, params, f"close {CALL}")
    by_hand = zm.Portfolio(account=book.account, cash=book.cash - value(params, CALL),
                           positions={k: v for k, v in book.positions.items() if k != CALL})
    assert result.portfolio == by_hand
    assert result.after.requirement == zm.assess(by_hand, params).requirement
    assert result.after.equity == result.before.equity
    assert result.freed == result.before.requirement - result.after.requirement


def test_what_if_applies_trades_and_cash_in_order_when_several_changes(params, book):
    result = zm.what_if(book, params, ["+2 XYZ 2026-12-18 90 P", "-1   XYZ 2026-12-18 90 P", "withdraw 250.5"])
    assert result.portfolio.positions["XYZ 2026-12-18 90 P"] == 1
    assert result.portfolio.cash == book.cash - value(params, "XYZ 2026-12-18 90 P") - Decimal("250.5")
    assert result.after.equity == result.before.equity - Decimal("250.50")


def test_what_if_deposit_of_the_shortfall_meets_when_account_is_short(params):
    short = zm.Portfolio(account="s", cash=0, positions={CALL: -10})
    before = zm.assess(short, params)
    assert not before.meets
    assert zm.what_if(short, params, f"deposit {before.shortfall}").after.meets
    assert not zm.what_if(short, params, f"deposit {before.shortfall - Decimal('0.01')}").after.meets


@pytest.mark.parametrize("change,error,message", [
    ("sell everything", InputError, "'sell everything': expected 'close <instrument>'"),
    ("+5 NOPE", UnknownInstrument, "unknown instrument 'NOPE'"),
    ("close XYZ 2026-12-18 80 P", InputError, "no position in 'XYZ 2026-12-18 80 P'"),
    ("+0 XYZ", InputError, "'0' is not a positive number"),
    ("+x XYZ", InputError, "'x' is not a positive number"),
    ("deposit -5", InputError, "'-5' is not a positive number"),
    ("+inf XYZ", InputError, "'inf' is not a positive number"),
])
def test_what_if_refuses_naming_the_change_when_text_is_bad(params, book, change, error, message):
    with pytest.raises(error, match=message.replace("+", r"\+")):
        zm.what_if(book, params, change)


def test_marginal_requirements_match_assess_without_each_position_when_book_has_three(params, book):
    marginals = zm.marginal_requirements(book, params)
    requirement = zm.assess(book, params).requirement
    assert [m.instrument for m in marginals] == list(book.positions)
    for m in marginals:
        rest = {k: v for k, v in book.positions.items() if k != m.instrument}
        without = zm.assess(zm.Portfolio(account="x", cash=0, positions=rest), params).requirement
        assert (m.requirement_without, m.freed) == (without, requirement - without)
    call = next(m for m in marginals if m.instrument == CALL)
    assert call.freed < 0  # the short call covers the stock: closing it raises the requirement
