"""Exercise style: an American option is worth at least its exercise value (market.json `exercise`)."""

import json

import numpy as np
import pytest

from zkmargin.engine.implied_vol import VOL_FLOOR, implied_vols
from zkmargin.engine.instruments import default_exercise
from zkmargin.engine.market import Market
from zkmargin.engine.pricing import black_scholes
from zkmargin.errors import InputError

RATE, YEARS = 0.05, 1.0  # 2026-11-27 → 2027-11-27 is 365 days, ACT/365
DEEP_PUT = {"kind": "option", "underlying": "U", "right": "put", "strike": 130.0,
            "expiry": "2027-11-27", "multiplier": 100}


def put_market(exercise: str | None = None, asset_class: str = "equity", **fields) -> Market:
    """Underlying U at 100 with one deep in-the-money put P (strike 130, one year)."""
    put = {**DEEP_PUT, **fields} if exercise is None else {**DEEP_PUT, **fields, "exercise": exercise}
    return Market.from_json(json.dumps({
        "as_of": "2026-11-27", "currency": "USD", "rate": RATE,
        "underlyings": {"U": {"price": 100.0, "vol": 0.3, "asset_class": asset_class}},
        "instruments": {"P": put},
    }))


@pytest.mark.parametrize("asset_class, on_future, style", [
    ("equity", False, "american"),
    ("commodity", True, "american"),
    ("broad_index", True, "american"),
    ("broad_index", False, "european"),
    ("narrow_index", False, "european"),
    ("commodity", False, "european"),
    ("crypto", True, "european"),
    ("crypto", False, "european"),
])
def test_default_exercise_follows_what_is_listed_when_the_file_names_no_style(asset_class, on_future, style):
    assert default_exercise(asset_class, on_future) == style


def test_market_rejects_exercise_when_the_instrument_is_not_an_option():
    data = {"as_of": "2026-11-27", "currency": "USD", "rate": 0.0,
            "underlyings": {"U": {"price": 100.0, "vol": 0.3, "asset_class": "equity"}},
            "instruments": {"S": {"kind": "stock", "underlying": "U", "exercise": "american"}}}
    with pytest.raises(InputError, match="exercise: only an option has an exercise style"):
        Market.from_json(json.dumps(data))


def test_revalue_floors_an_american_put_at_its_exercise_value_when_it_is_deep_in_the_money():
    factors = np.array([[1.0, 0.85, 1.3]])
    european_put = black_scholes(100.0 * factors[0], 130.0, YEARS, RATE, 0.3, False) * 100
    assert european_put[0] < 30 * 100  # below K − S: the early exercise premium is the difference
    american = put_market().revalue(factors, np.zeros_like(factors))[0]
    np.testing.assert_allclose(american, np.maximum(european_put, [3000.0, 4500.0, 0.0]), rtol=1e-12)
    assert american[:2].tolist() == [3000.0, 4500.0]
    assert put_market().marks() == {"P": 30.0}  # unmarked: the floored model price is its mark
    european = put_market("european").revalue(factors, np.zeros_like(factors))[0]
    np.testing.assert_allclose(european, european_put, rtol=1e-12)


def test_revalue_prices_an_index_option_european_when_the_file_names_no_exercise_style():
    values = put_market(asset_class="broad_index").revalue(np.ones((1, 1)), np.zeros((1, 1)))[0]
    assert values[0] == pytest.approx(black_scholes(100.0, 130.0, YEARS, RATE, 0.3, False) * 100, rel=1e-12)
    assert values[0] < 3000.0


def test_implied_vol_is_the_vol_floor_when_an_american_put_is_marked_at_its_exercise_value():
    american = implied_vols([30.0], 100.0, 130.0, YEARS, RATE, False, False, american=True)
    european = implied_vols([30.0], 100.0, 130.0, YEARS, RATE, False, False)
    assert (american.vol[0], american.unreachable[0]) == (VOL_FLOOR, False)
    assert european.vol[0] > 0.2  # the European price reaches K − S only with much time value
    assert not european.unreachable[0]


def test_unit_greeks_are_the_exercise_payoffs_when_an_american_put_is_worth_its_exercise_value():
    market = put_market(mark=30.0)
    greeks = market.unit_greeks(market.instrument_vols())
    assert {name: float(values[0]) for name, values in greeks.items()} == {
        "delta": -100.0, "gamma": 0.0, "vega": 0.0, "theta": 0.0}
    european = put_market("european", mark=30.0)
    assert european.unit_greeks(european.instrument_vols())["delta"][0] > -100.0 * 0.9


def test_market_file_keeps_the_exercise_style_when_saved_and_loaded_again():
    market = put_market("european")
    assert json.loads(market.to_json())["instruments"]["P"]["exercise"] == "european"
    assert "exercise" not in json.loads(put_market().to_json())["instruments"]["P"]
    assert Market.from_json(market.to_json()) == market
