"""crypto_pm's contingency on offsetting futures of different expiries (Deribit's 1%)."""

from decimal import Decimal
from pathlib import Path

import pytest

from tests.models.conftest import account, market_of, model
from zkmargin.engine.assess import assess
from zkmargin.engine.market import Market
from zkmargin.engine.params import build_params

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INDEX = 100_000
CONTINGENCY = Decimal("0.01") * INDEX  # crypto_pm.toml's offsetting_futures per coin
EXAMPLE_DIGEST = "45b805fe6056b4b7c2f44480de710e050f50c785ac83a0b3e30aae9eb5fd3fb8"
"""examples/market_crypto.json under crypto_pm before the charge existed (main at 0fbb6c7)."""


def btc_futures(**futures):
    return market_of({"BTC": {"price": INDEX, "vol": 0.6, "asset_class": "crypto"}},
                     {name: {"kind": "future", "underlying": "BTC", **fields} for name, fields in futures.items()})


@pytest.fixture(scope="module")
def params():
    market = btc_futures(PERP={}, W1={"expiry": "2026-12-11"}, DEC={"expiry": "2026-12-25"},
                         MAR={"expiry": "2027-03-26"})
    return build_params(market, model("crypto_pm"))


def intra_term(params, positions):
    terms = assess(account(0, positions), params).terms
    return sum((term.amount for term in terms if term.kind == "intra_spread"), Decimal(0))


@pytest.mark.parametrize("positions, spread_coins", [
    ({"DEC": 100, "MAR": -100}, 100),  # Deribit's example: 1% × 100 BTC
    ({"PERP": 3, "DEC": -2}, 2),  # a perpetual against a dated future: the smaller leg
    ({"W1": 1, "DEC": -1}, 1),  # two expiries of one month offset too
    ({"PERP": 2, "W1": -1, "MAR": -1}, 2),
])
def test_crypto_pm_charges_the_smaller_leg_when_futures_of_two_expiries_offset(params, positions, spread_coins):
    assert intra_term(params, positions) == CONTINGENCY * spread_coins


@pytest.mark.parametrize("positions", [{"DEC": 5}, {"DEC": 2, "MAR": 3}, {"PERP": -1, "W1": -4}])
def test_crypto_pm_charges_no_contingency_when_no_futures_offset(params, positions):
    assert intra_term(params, positions) == 0


def test_crypto_pm_requirement_adds_the_contingency_to_the_scan_when_the_spread_is_unbalanced(params):
    alone = assess(account(0, {"PERP": 1}), params).requirement
    assert assess(account(0, {"PERP": 2, "DEC": -1}), params).requirement == alone + CONTINGENCY


def test_span_puts_two_expiries_of_one_month_in_one_tier_when_crypto_pm_separates_them():
    market = btc_futures(W1={"expiry": "2026-12-11"}, DEC={"expiry": "2026-12-25"}, MAR={"expiry": "2027-03-26"})
    span_tiers = build_params(market, model("span")).intra_spreads[0].tiers
    crypto_tiers = build_params(market, model("crypto_pm")).intra_spreads[0].tiers
    assert [sorted(tier) for tier in span_tiers] == [["DEC", "W1"], ["MAR"]]
    assert [sorted(tier) for tier in crypto_tiers] == [["W1"], ["DEC"], ["MAR"]]


def test_crypto_pm_params_keep_their_digest_when_no_underlying_has_futures_of_two_expiries():
    params = build_params(Market.load(EXAMPLES / "market_crypto.json"), model("crypto_pm"))
    assert params.intra_spreads == []
    assert params.digest() == EXAMPLE_DIGEST
