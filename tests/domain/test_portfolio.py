"""portfolio.json: exact numbers, field-named errors, conversion to quantity units."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from zkmargin.errors import FixedPointOverflow, InputError, UnknownInstrument
from zkmargin.engine.market import Market
from zkmargin.engine.portfolio import Portfolio

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def portfolio_error(text: str) -> str:
    with pytest.raises(InputError) as caught:
        Portfolio.from_json(text, what="portfolio.json")
    return str(caught.value)


def test_portfolio_keeps_decimal_digits_when_loading_json():
    portfolio = Portfolio.from_json(
        '{"account": "alice", "cash": 1000.10, "positions": {"BTC": 0.1, "XYZ": -3, "ETH": 0}}'
    )
    assert portfolio.cash == Decimal("1000.10")
    assert portfolio.positions == {"BTC": Decimal("0.1"), "XYZ": Decimal(-3), "ETH": Decimal(0)}


def test_portfolio_accepts_negative_cash_when_account_has_a_debit_balance():
    assert Portfolio.from_json('{"account": "a", "cash": -250.5, "positions": {}}').cash == Decimal("-250.5")


def test_portfolio_positions_default_to_empty_when_omitted():
    assert Portfolio.from_json('{"account": "a", "cash": 0}').positions == {}


def test_portfolio_converts_python_numbers_exactly_when_built_with_keywords():
    portfolio = Portfolio(account="bob", cash=0.1, positions={"XYZ": 2, "BTC": Decimal("0.0001")})
    assert portfolio.cash == Decimal("0.1")
    assert portfolio.positions == {"XYZ": Decimal(2), "BTC": Decimal("0.0001")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"account": "a", "cash": 1, "positions": {"XYZ": "ten"}}',
            "portfolio.json: positions[\"XYZ\"]: expected a number (got 'ten')",
        ),
        (
            '{"account": "a", "cash": "1000"}',
            "portfolio.json: cash: expected a number (got '1000')",
        ),
        (
            '{"account": "a", "cash": true}',
            "portfolio.json: cash: expected a number (got True)",
        ),
        (
            '{"account": "a", "cash": 1, "leverage": 2}',
            "portfolio.json: leverage: Extra inputs are not permitted (got Decimal('2'))",
        ),
        (
            '{"account": "", "cash": 1}',
            "portfolio.json: account: String should have at least 1 character (got '')",
        ),
        (
            '{"account": "%s", "cash": 1}' % ("x" * 65),
            "portfolio.json: account: String should have at most 64 characters (got '%s...)" % ("x" * 56),
        ),
        (
            '{"account": "tab\\there", "cash": 1}',
            "portfolio.json: account: must contain printable characters only (no control, format or bidi characters) (got 'tab\\there')",
        ),
        (
            '{"account": "a", "positions": {}}',
            "portfolio.json: cash: Field required",
        ),
        (
            '{"account": "a", "cash": 1, "positions": {"XYZ": 1, "XYZ": 2}}',
            "portfolio.json: duplicate key 'XYZ' in a JSON object",
        ),
        (
            '{"account": "a", "cash": NaN}',
            "portfolio.json: NaN is not a valid number (JSON has no NaN or Infinity)",
        ),
        (
            '{"account": "a", "cash": 1, "positions": {"XYZ": -Infinity}}',
            "portfolio.json: -Infinity is not a valid number (JSON has no NaN or Infinity)",
        ),
        (
            '{"account": "a", "cash": 1, "positions": ["XYZ", 1]}',
            "portfolio.json: positions: Input should be a valid dictionary",
        ),
    ],
)
def test_portfolio_names_field_and_value_when_input_is_bad(text: str, expected: str):
    assert portfolio_error(text) == expected


def test_portfolio_rejects_non_finite_cash_when_built_in_python():
    with pytest.raises(ValueError, match="cash"):
        Portfolio(account="a", cash=float("inf"))


def test_portfolio_round_trips_exactly_when_saved_and_loaded(tmp_path: Path):
    original = Portfolio.from_json(
        '{"account": "crypto", "cash": 20000.00, "positions": {"BTC": 0.5000, "ETH-PERP": -2.5}}'
    )
    path = tmp_path / "p.json"
    original.save(path)
    again = Portfolio.load(path)
    assert again == original
    assert again.cash.as_tuple() == Decimal("20000.00").as_tuple()
    assert '"BTC": 0.5000' in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600


def test_portfolio_json_schema_lists_the_three_fields_when_exported():
    schema = Portfolio.json_schema()
    assert set(schema["properties"]) == {"account", "cash", "positions"}
    assert set(schema["required"]) == {"account", "cash"}
    assert schema["properties"]["cash"]["type"] == "number"
    assert schema["properties"]["positions"]["additionalProperties"]["type"] == "number"
    assert schema["additionalProperties"] is False
    json.dumps(schema)


def test_quantity_vector_scales_and_fills_zeros_when_universe_is_larger():
    portfolio = Portfolio(account="a", cash=0, positions={"BTC": Decimal("0.1234"), "ETH": -2})
    assert portfolio.quantity_vector(["BTC", "ETH", "SOL"], 10_000) == [1234, -20_000, 0]


def test_quantity_vector_raises_unknown_instrument_when_position_is_outside_the_universe():
    portfolio = Portfolio(account="a", cash=0, positions={"XYZ": 1, "ABC 2027 C": 1})
    with pytest.raises(UnknownInstrument, match=r'positions\["ABC 2027 C"\]: unknown instrument'):
        portfolio.quantity_vector(["XYZ"], 1)


UNIVERSE = ["XYZ", "XYZ 2026-12-18 100 C", "XYZ 2026-12-18 95 P", "MES 2026-12-18", "ES 2026-12-18"]


@pytest.mark.parametrize(
    ("typed", "guess"),
    [
        ("XYX", "did you mean 'XYZ'?"),
        ("xyz", "did you mean 'XYZ'?"),
        ("XYZ 2026-12-18 100C", "did you mean 'XYZ 2026-12-18 100 C'?"),
        ("MES", "did you mean 'MES 2026-12-18'?"),
    ],
)
def test_check_universe_suggests_the_listed_name_when_an_instrument_is_misspelt(typed: str, guess: str):
    portfolio = Portfolio(account="a", cash=0, positions={typed: 1})
    with pytest.raises(UnknownInstrument) as caught:
        portfolio.check_universe(UNIVERSE)
    assert str(caught.value).endswith(guess)


def test_check_universe_lists_what_a_root_symbol_starts_when_several_instruments_share_it():
    portfolio = Portfolio(account="a", cash=0, positions={"XYZ 2026-12-18": 1})
    with pytest.raises(UnknownInstrument) as caught:
        portfolio.check_universe(UNIVERSE)
    assert str(caught.value).endswith("did you mean one of 'XYZ 2026-12-18 100 C', 'XYZ 2026-12-18 95 P'?")


def test_check_universe_guesses_nothing_when_no_listed_name_is_close():
    portfolio = Portfolio(account="a", cash=0, positions={"QQQQQQ": 1})
    with pytest.raises(UnknownInstrument) as caught:
        portfolio.check_universe(UNIVERSE)
    assert "did you mean" not in str(caught.value)


def test_check_universe_guesses_nothing_when_only_the_expiry_and_type_of_another_root_match():
    portfolio = Portfolio(account="a", cash=0, positions={"ABC 2026-12-18 50 C": 1})
    with pytest.raises(UnknownInstrument) as caught:
        portfolio.check_universe([*UNIVERSE, "SOX 2026-12-18 5600 C"])
    assert str(caught.value).endswith("'ABC 2026-12-18 50 C' (not in the market / risk parameters)")


def test_portfolio_suggests_the_field_when_a_field_name_is_misspelt():
    with pytest.raises(InputError) as caught:
        Portfolio.from_json('{"account": "a", "cash": 0, "postions": {"XYZ": 1}}', what="typo.json")
    assert str(caught.value) == "typo.json: postions: Extra inputs are not permitted; did you mean 'positions'?"


def test_quantity_vector_names_the_limit_in_contracts_when_a_quantity_is_oversize_at_scale_1():
    portfolio = Portfolio.from_json('{"account": "a", "cash": 0, "positions": {"XYZ": 1e20}}')
    with pytest.raises(FixedPointOverflow) as caught:
        portfolio.quantity_vector(["XYZ"], 1, bits=31)  # the bits a proof gives a position
    assert str(caught.value) == (
        'positions["XYZ"]: 1E+20 does not fit: it must lie between -2,147,483,648 and 2,147,483,647'
    )


def test_quantity_vector_raises_when_quantity_is_finer_than_the_scale():
    portfolio = Portfolio(account="a", cash=0, positions={"XYZ": 0.5})
    with pytest.raises(InputError, match=r'positions\["XYZ"\]: 0\.5 is not a whole number'):
        portfolio.quantity_vector(["XYZ"], 1)


def test_quantity_vector_raises_overflow_when_quantity_is_oversize():
    portfolio = Portfolio.from_json('{"account": "a", "cash": 0, "positions": {"XYZ": 1e18}}')
    # the limit in contracts, not in units of 1/10,000 of one
    with pytest.raises(FixedPointOverflow, match=r'positions\["XYZ"\]: 1E\+18 does not fit: it must lie between '
                                                 r'-922,337,203,685,477.5808 and 922,337,203,685,477.5807$'):
        portfolio.quantity_vector(["XYZ"], 10_000)


def test_cash_fixed_rounds_down_when_cash_has_sub_cent_digits():
    assert Portfolio(account="a", cash=Decimal("10.019")).cash_fixed(100) == 1001
    assert Portfolio(account="a", cash=Decimal("-10.011")).cash_fixed(100) == -1002


@pytest.mark.parametrize(
    ("name", "market_file"),
    [
        ("portfolio.json", "market.json"),
        ("portfolio_covered_call.json", "market.json"),
        ("portfolio_short_strangle.json", "market.json"),
        ("portfolio_hedged.json", "market.json"),
        ("portfolio_crash_fails.json", "market.json"),
        ("portfolio_crypto.json", "market_crypto.json"),
    ],
)
def test_example_portfolio_fits_its_market_when_shipped(name: str, market_file: str):
    market = Market.load(EXAMPLES / market_file)
    portfolio = Portfolio.load(EXAMPLES / name)
    quantities = portfolio.quantity_vector(market.instrument_ids(), 10**market.quantity_decimals)
    assert any(quantities)


CIRCUITS = EXAMPLES.parent / "circuits"


@pytest.mark.parametrize("model_name", ["standard", "span", "portfolio_margin", "scenario", "expected_shortfall"])
def test_example_books_behave_as_named_when_the_market_falls_20_percent(model_name: str):
    # The examples promise: the hedged book survives the crash, the put seller meets its
    # margin today and does not after every underlying falls 20% (options re-marked).
    from zkmargin.engine.assess import assess
    from zkmargin.engine.models.spec import MarginModel
    from zkmargin.engine.params import build_params

    model = MarginModel.load(CIRCUITS / f"{model_name}.toml")
    market = Market.load(EXAMPLES / "market.json")
    today, crashed = build_params(market, model), build_params(market.shocked(0.8), model)
    put_seller = Portfolio.load(EXAMPLES / "portfolio_crash_fails.json")
    hedged = Portfolio.load(EXAMPLES / "portfolio_hedged.json")
    assert assess(put_seller, today).meets
    assert not assess(put_seller, crashed).meets
    assert assess(hedged, today).meets and assess(hedged, crashed).meets
