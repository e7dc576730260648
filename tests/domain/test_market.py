"""market.json: validation with the field named, pricing rules, vectorised revaluation."""

from __future__ import annotations

import copy
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from zkmargin.errors import InputError
from zkmargin.engine.market import VOL_FLOOR, Market
from zkmargin.engine.pricing import black76, black_scholes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PUT = "XYZ 2026-12-18 80 P"
BASE = {
    "as_of": "2026-11-27",
    "currency": "USD",
    "rate": 0.05,
    "underlyings": {"XYZ": {"price": 95.0, "vol": 0.30, "asset_class": "equity"}},
    "instruments": {
        "XYZ": {"kind": "stock", "underlying": "XYZ"},
        PUT: {
            "kind": "option",
            "underlying": "XYZ",
            "right": "put",
            "strike": 80,
            "expiry": "2026-12-18",
            "multiplier": 100,
            "mark": 2.0,
        },
    },
}


def market_with(change) -> dict:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def load_error(data: dict) -> str:
    with pytest.raises(InputError) as caught:
        Market.from_json(json.dumps(data), what="market.json")
    return str(caught.value)


def test_market_loads_the_design_example_when_it_is_valid():
    market = Market.from_json(json.dumps(BASE))
    assert market.instrument_ids() == ["XYZ", PUT]
    assert market.underlying_ids() == ["XYZ"]
    assert market.instruments[PUT].multiplier == 100.0
    assert market.instruments["XYZ"].multiplier == 1.0
    assert market.quantity_decimals == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["instruments"][PUT].update(colour="red"),
            f'market.json: instruments["{PUT}"].colour: Extra inputs are not permitted (got \'red\')',
        ),
        (
            lambda d: d.update(venue="X"),
            "market.json: venue: Extra inputs are not permitted (got 'X')",
        ),
        (
            lambda d: d["underlyings"]["XYZ"].update(price=-95),
            'market.json: underlyings["XYZ"].price: Input should be greater than 0 (got -95)',
        ),
        (
            lambda d: d["underlyings"]["XYZ"].update(price=0),
            'market.json: underlyings["XYZ"].price: Input should be greater than 0 (got 0)',
        ),
        (
            lambda d: d["underlyings"]["XYZ"].update(vol=0),
            'market.json: underlyings["XYZ"].vol: Input should be greater than 0 (got 0)',
        ),
        (
            lambda d: d["instruments"][PUT].update(strike=0),
            f'market.json: instruments["{PUT}"].strike: Input should be greater than 0 (got 0)',
        ),
        (
            lambda d: d["instruments"][PUT].update(multiplier=-100),
            f'market.json: instruments["{PUT}"].multiplier: Input should be greater than 0 (got -100)',
        ),
        (
            lambda d: d["instruments"][PUT].update(mark=-2.0),
            f'market.json: instruments["{PUT}"].mark: Input should be greater than or equal to 0 (got -2.0)',
        ),
        (
            lambda d: d["instruments"][PUT].pop("strike"),
            f'market.json: instruments["{PUT}"].strike: required for an option',
        ),
        (
            lambda d: d["instruments"][PUT].pop("expiry"),
            f'market.json: instruments["{PUT}"].expiry: required for an option',
        ),
        (
            lambda d: d["instruments"][PUT].update(expiry="2026-11-20"),
            f'market.json: instruments["{PUT}"].expiry: 2026-11-20 is not after as_of 2026-11-27 (expired)',
        ),
        (
            lambda d: d["instruments"][PUT].update(expiry="2026-11-27"),
            f'market.json: instruments["{PUT}"].expiry: 2026-11-27 is not after as_of 2026-11-27 (expired)',
        ),
        (
            lambda d: d["instruments"][PUT].update(expiry="18/12/2026"),
            f'market.json: instruments["{PUT}"].expiry: expected a date written YYYY-MM-DD (got \'18/12/2026\')',
        ),
        (
            lambda d: d["instruments"][PUT].update(right="straddle"),
            f"market.json: instruments[\"{PUT}\"].right: Input should be 'call' or 'put' (got 'straddle')",
        ),
        (
            lambda d: d["instruments"]["XYZ"].update(strike=90),
            'market.json: instruments["XYZ"].strike: only an option has a strike (got 90.0, kind is \'stock\')',
        ),
        (
            lambda d: d["instruments"]["XYZ"].update(expiry="2027-01-01"),
            'market.json: instruments["XYZ"].expiry: a stock has no expiry',
        ),
        (
            lambda d: d["instruments"]["XYZ"].update(on_future=True),
            'market.json: instruments["XYZ"].on_future: only an option can be on a future (kind is \'stock\')',
        ),
        (
            lambda d: d["instruments"]["XYZ"].update(underlying="ABC"),
            "market.json: instruments[\"XYZ\"].underlying: unknown underlying 'ABC' (known: XYZ)",
        ),
        (
            lambda d: d.update(currency="usd"),
            "market.json: currency: String should match pattern '^[A-Z]{3}$' (got 'usd')",
        ),
        (
            lambda d: d.update(quantity_decimals=9),
            "market.json: quantity_decimals: Input should be less than or equal to 8 (got 9)",
        ),
        (
            lambda d: d["underlyings"]["XYZ"].update(high_cap=True),
            "market.json: underlyings[\"XYZ\"].high_cap: only a broad_index can be high-cap (asset_class is 'equity')",
        ),
        (
            lambda d: d["underlyings"]["XYZ"].update(scan_range=1.5),
            'market.json: underlyings["XYZ"].scan_range: Input should be less than or equal to 1 (got 1.5)',
        ),
        (
            lambda d: d["instruments"][PUT].update(mark="2.0"),
            f'market.json: instruments["{PUT}"].mark: Input should be a valid number (got \'2.0\')',
        ),
        (
            lambda d: d["instruments"][PUT].update(multiplier=True),
            f'market.json: instruments["{PUT}"].multiplier: Input should be a valid number (got True)',
        ),
        (
            lambda d: d.update(instruments={}),
            "market.json: instruments: Dictionary should have at least 1 item after validation, not 0",
        ),
    ],
)
def test_market_names_field_and_value_when_input_is_bad(change, expected):
    assert load_error(market_with(change)) == expected


def test_market_rejects_the_key_when_an_instrument_name_is_blank():
    message = load_error(market_with(lambda d: d["instruments"].update({" XYZ": d["instruments"]["XYZ"]})))
    assert message.startswith('market.json: instruments[" XYZ"] (the key): ')


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_market_rejects_non_finite_price_when_json_spells_it(literal: str):
    text = json.dumps(BASE).replace('"price": 95.0', f'"price": {literal}')
    with pytest.raises(InputError, match=f"market JSON: {literal} is not a valid number"):
        Market.from_json(text)


def test_market_rejects_duplicate_instrument_when_json_repeats_its_key():
    text = json.dumps(BASE).replace('"instruments": {', '"instruments": {"XYZ": {"kind": "stock", "underlying": "XYZ"}, ')
    with pytest.raises(InputError, match=r"duplicate key 'XYZ'"):
        Market.from_json(text)


def test_market_load_names_file_and_position_when_json_is_malformed(tmp_path: Path):
    path = tmp_path / "market.json"
    path.write_text('{"as_of": "2026-11-27",\n "rate": 0.05,,\n}')
    with pytest.raises(InputError, match=r"market\.json: malformed JSON at line 2, column 15"):
        Market.load(path)


def test_market_load_names_the_path_when_file_is_missing(tmp_path: Path):
    with pytest.raises(InputError, match="no such file: .*absent.json"):
        Market.load(tmp_path / "absent.json")


@pytest.mark.parametrize("name", ["market.json", "market_crypto.json"])
def test_market_round_trips_when_saved_and_loaded(tmp_path: Path, name: str):
    original = Market.load(EXAMPLES / name)
    path = tmp_path / "copy.json"
    original.save(path)
    assert Market.load(path) == original
    assert path.read_text() == (EXAMPLES / name).read_text()


def test_market_save_refuses_when_overwrite_is_false(tmp_path: Path):
    path = tmp_path / "m.json"
    path.write_text("{}")
    with pytest.raises(InputError, match="refusing to overwrite"):
        Market.from_json(json.dumps(BASE)).save(path, overwrite=False)


def test_market_json_schema_describes_fields_when_exported():
    schema = Market.json_schema()
    assert set(schema["required"]) == {"as_of", "currency", "rate", "underlyings", "instruments"}
    assert schema["additionalProperties"] is False
    instrument = schema["$defs"]["Instrument"]
    assert instrument["properties"]["kind"]["enum"] == ["stock", "future", "option"]
    json.dumps(schema)


def test_marks_uses_the_mark_when_given_and_the_model_otherwise():
    data = market_with(lambda d: d["instruments"][PUT].pop("mark"))
    model_price = black_scholes(95.0, 80.0, 21 / 365, 0.05, 0.30, False)
    assert Market.from_json(json.dumps(data)).marks()[PUT] == pytest.approx(model_price, rel=1e-12)
    assert Market.from_json(json.dumps(BASE)).marks() == {"XYZ": 95.0, PUT: 2.0}


def test_values_counts_futures_as_zero_when_computing_equity():
    market = Market.load(EXAMPLES / "market.json")
    values = market.values()
    assert values["ES 2026-12-18"] == 0.0
    assert values["XYZ"] == 95.0
    assert values["XYZ 2026-12-18 85 P"] == pytest.approx(0.15 * 100)


def test_revalue_is_the_model_value_when_nothing_moves():
    market = Market.from_json(json.dumps(BASE))
    values = market.revalue(np.ones((1, 1)), np.zeros((1, 1)))[:, 0]
    put = black_scholes(95.0, 80.0, 21 / 365, 0.05, 0.30, False) * 100
    np.testing.assert_allclose(values, [95.0, put], rtol=1e-12)


def test_revalue_moves_price_and_vol_when_scenarios_shift_them():
    market = Market.from_json(json.dumps(BASE))
    factors = np.array([[0.8, 1.0, 1.15]])
    shifts = np.array([[0.0, 0.10, -0.05]])
    values = market.revalue(factors, shifts)
    assert values.shape == (2, 3)
    np.testing.assert_allclose(values[0], [76.0, 95.0, 109.25])
    expected_put = black_scholes(95.0 * factors[0], 80.0, 21 / 365, 0.05, 0.30 + shifts[0], False) * 100
    np.testing.assert_allclose(values[1], expected_put, rtol=1e-12)


def test_revalue_floors_the_volatility_when_a_shift_would_make_it_negative():
    market = Market.from_json(json.dumps(BASE))
    value = market.revalue(np.ones((1, 1)), np.full((1, 1), -1.0))[1, 0]
    assert value == pytest.approx(black_scholes(95.0, 80.0, 21 / 365, 0.05, VOL_FLOOR, False) * 100)


def test_revalue_prices_options_on_futures_with_black76_when_on_future_is_set():
    market = Market.load(EXAMPLES / "market.json")
    ids = market.instrument_ids()
    row = ids.index("CL 2027-02 75 C")
    values = market.revalue(np.ones((4, 1)), np.zeros((4, 1)))[:, 0]
    years = 48 / 365
    assert values[row] == pytest.approx(black76(70.0, 75.0, years, 0.045, 0.35, True) * 1000)
    assert values[ids.index("CL 2027-02")] == pytest.approx(70_000.0)


def test_revalue_rows_follow_instrument_ids_when_the_file_order_differs():
    market = Market.load(EXAMPLES / "market.json")
    ids = market.instrument_ids()
    assert ids == sorted(ids) and list(market.instruments) != ids
    underlyings = market.underlying_ids()
    factors = np.ones((len(underlyings), 1))
    factors[underlyings.index("SPX")] = 1.1
    moved = market.revalue(factors, np.zeros_like(factors))[:, 0]
    assert moved[ids.index("MES 2026-12-18")] == pytest.approx(6600 * 5)
    assert moved[ids.index("XYZ")] == pytest.approx(95.0)


@pytest.mark.parametrize(
    ("factors", "shifts", "message"),
    [
        (np.ones(1), np.zeros(1), r"price_factors must have shape \(1, scenarios\)"),
        (np.ones((2, 3)), np.zeros((2, 3)), r"price_factors must have shape \(1, scenarios\)"),
        (np.ones((1, 3)), np.zeros((1, 2)), "differ"),
        (np.full((1, 1), np.nan), np.zeros((1, 1)), "price_factors contains NaN"),
        (np.ones((1, 1)), np.full((1, 1), np.inf), "vol_shifts contains NaN"),
        (np.full((1, 1), -0.1), np.zeros((1, 1)), "must be >= 0"),
    ],
)
def test_revalue_raises_input_error_when_scenario_arrays_are_bad(factors, shifts, message):
    with pytest.raises(InputError, match=message):
        Market.from_json(json.dumps(BASE)).revalue(factors, shifts)


def test_revalue_handles_500_instruments_by_16_scenarios_when_timed():
    underlyings = {f"U{u:02d}": {"price": 50.0 + u, "vol": 0.25, "asset_class": "equity"} for u in range(25)}
    instruments = {
        f"I{i:03d}": {
            "kind": "option",
            "underlying": f"U{i % 25:02d}",
            "right": "call" if i % 2 else "put",
            "strike": 40 + i % 30,
            "expiry": "2027-06-18",
            "multiplier": 100,
            "on_future": i % 5 == 0,
        }
        for i in range(500)
    }
    market = Market.from_json(
        json.dumps({"as_of": "2026-11-27", "currency": "USD", "rate": 0.03,
                    "underlyings": underlyings, "instruments": instruments})
    )
    rng = np.random.default_rng(7)
    factors = rng.uniform(0.7, 1.3, (25, 16))
    shifts = rng.uniform(-0.1, 0.1, (25, 16))
    market.revalue(factors, shifts)
    start = time.perf_counter()
    values = market.revalue(factors, shifts)
    elapsed = time.perf_counter() - start
    assert values.shape == (500, 16) and np.all(np.isfinite(values))
    assert elapsed < 0.1


def test_example_markets_load_when_shipped():
    market = Market.load(EXAMPLES / "market.json")
    assert market.as_of.isoformat() == "2026-11-27"
    classes = {u.asset_class for u in market.underlyings.values()}
    assert classes == {"equity", "broad_index", "narrow_index", "commodity"}
    assert market.underlyings["SPX"].high_cap
    crypto = Market.load(EXAMPLES / "market_crypto.json")
    assert crypto.quantity_decimals == 4
    assert {u.asset_class for u in crypto.underlyings.values()} == {"crypto"}
    assert all(math.isfinite(v) for v in crypto.marks().values())


def test_market_equality_and_copies_ignore_computed_arrays_when_marks_were_computed():
    first = Market.load(EXAMPLES / "market.json")
    second = Market.load(EXAMPLES / "market.json")
    first.marks()
    assert first == second
    lower_rate = first.model_copy(update={"rate": 0.0})
    option = "XYZ 2027-03-19 90 C"
    assert lower_rate.marks()[option] < first.marks()[option]


def test_shocked_moves_every_underlying_and_remarks_options_when_the_market_crashes():
    market = Market.load(EXAMPLES / "market.json")
    crashed = market.shocked(0.8, vol_shift=0.1)
    assert crashed.underlyings["XYZ"].price == pytest.approx(76.0)
    assert crashed.underlyings["SPX"].vol == pytest.approx(0.28)
    put = "XYZ 2026-12-18 85 P"
    assert market.marks()[put] == 0.15
    assert crashed.marks()[put] == pytest.approx(black_scholes(76.0, 85.0, 21 / 365, 0.045, 0.4, False))
    assert crashed.values()["ES 2026-12-18"] == 0.0


@pytest.mark.parametrize(("factor", "shift"), [(0.0, 0.0), (-1.0, 0.0), (float("nan"), 0.0), (1.0, float("inf")), (True, 0.0)])
def test_shocked_raises_input_error_when_the_shock_is_not_a_usable_number(factor, shift):
    with pytest.raises(InputError, match="shocked: price_factor"):
        Market.from_json(json.dumps(BASE)).shocked(factor, shift)


def test_revalue_is_monotone_in_price_and_vol_when_the_example_market_moves():
    market = Market.load(EXAMPLES / "market.json")
    ids = market.instrument_ids()
    count = len(market.underlying_ids())
    factors = np.tile(np.linspace(0.6, 1.4, 9), (count, 1))
    by_price = market.revalue(factors, np.zeros_like(factors))
    by_vol = market.revalue(np.ones((count, 5)), np.tile(np.linspace(-0.1, 0.3, 5), (count, 1)))
    for row, instrument_id in enumerate(ids):
        instrument = market.instruments[instrument_id]
        steps = np.diff(by_price[row])
        if instrument.right == "put":
            assert np.all(steps <= 1e-9), instrument_id
        else:
            assert np.all(steps >= -1e-9), instrument_id
        if instrument.kind == "option":
            assert np.all(np.diff(by_vol[row]) > 0), instrument_id
        else:
            assert np.all(np.diff(by_vol[row]) == 0), instrument_id
