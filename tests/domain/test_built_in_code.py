"""Models built with keywords refuse bad values as their files do: one `InputError` line
naming the class and the field, never pydantic's multi-line `ValidationError`."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

from tests.domain.test_market import BASE
from zkmargin.engine.buckets import Bucket, BucketedPortfolio
from zkmargin.engine.market import Market
from zkmargin.engine.portfolio import Portfolio
from zkmargin.errors import InputError, MalformedProof
from zkmargin.proofs.proof_file import MarginProof


def refusal(build) -> InputError:
    with pytest.raises(InputError) as caught:
        build()
    assert type(caught.value).__module__ == "zkmargin.errors"
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.mark.parametrize(
    ("keywords", "expected"),
    [
        ({"account": "q", "cash": "1000"}, "Portfolio: cash: expected a number (got '1000')"),
        ({"account": "q", "cash": 1, "positions": {"XYZ": float("nan")}}, 'Portfolio: positions["XYZ"]: expected a finite number (got nan)'),
        ({"account": "q", "cash": 1, "positions": {"XYZ": "10"}}, "Portfolio: positions[\"XYZ\"]: expected a number (got '10')"),
        ({"account": "", "cash": 1}, "Portfolio: account: String should have at least 1 character (got '')"),
        ({"account": "q", "cash": 1, "position": {}}, "Portfolio: position: Extra inputs are not permitted; did you mean 'positions'?"),
    ],
)
def test_portfolio_raises_one_line_input_error_when_built_with_bad_keywords(keywords, expected):
    assert str(refusal(lambda: Portfolio(**keywords))) == expected


def test_portfolio_refuses_a_string_amount_in_code_when_its_file_refuses_it_too():
    in_code = refusal(lambda: Portfolio(account="q", cash="1000"))
    in_file = refusal(lambda: Portfolio.from_json('{"account": "q", "cash": "1000"}'))
    assert str(in_code).removeprefix("Portfolio: ") == str(in_file).removeprefix("portfolio JSON: ")


def test_portfolio_keeps_a_float_as_its_json_digits_when_built_in_code():
    assert Portfolio(account="q", cash=0.1).cash == Portfolio.from_json('{"account": "q", "cash": 0.1}').cash == Decimal("0.1")


def test_bucketed_portfolio_raises_input_error_when_built_with_an_empty_bucket():
    empty = Bucket(name="idle", cash=5, positions={})
    message = str(refusal(lambda: BucketedPortfolio(account="a", buckets=[empty])))
    assert message == "BucketedPortfolio: buckets: bucket 'idle' holds no positions; put its cash in another bucket"


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("95.10", "Market: underlyings[\"XYZ\"].price: Input should be a valid number (got '95.10')"),
        (0, 'Market: underlyings["XYZ"].price: Input should be greater than 0 (got 0)'),
    ],
)
def test_market_raises_one_line_input_error_when_built_with_a_bad_price(price, expected):
    document = copy.deepcopy(BASE)
    document["underlyings"]["XYZ"]["price"] = price
    assert str(refusal(lambda: Market(**document))) == expected


def test_market_error_names_the_file_not_the_class_when_read_from_json():
    document = copy.deepcopy(BASE)
    document["underlyings"]["XYZ"]["price"] = 0
    message = str(refusal(lambda: Market.from_json(json.dumps(document), what="market.json")))
    assert message == 'market.json: underlyings["XYZ"].price: Input should be greater than 0 (got 0)'


def test_margin_proof_raises_its_own_error_class_when_built_with_bad_keywords():
    assert isinstance(refusal(lambda: MarginProof(version=2)), MalformedProof)
