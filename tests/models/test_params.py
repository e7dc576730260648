"""RiskParams: validation, digest, files, and the account-side conversions."""

import hashlib
import json
import time
from decimal import Decimal
from fractions import Fraction

import pytest

from tests.models.conftest import account, model
from zkmargin.errors import FixedPointOverflow, InputError, UnknownInstrument
from zkmargin.engine.market import Market
from zkmargin.engine.params import RiskParams, build_params


def fields(**changes):
    base = dict(
        model="scenario", currency="USD", as_of="2026-11-27", money_scale=100, quantity_scale=1,
        instruments=["A", "B"], values=[100, 0], scenarios=["up", "down"],
        pnl=[[10, -10], [500, -700]], aggregation="max", es_confidence=None,
        addon_long=[0, 0], addon_short=[5, 0],
        floors=[{"name": "minimum", "long": [0, 0], "short": [1, 1]}],
        levels={"maintenance": "1", "initial": "1.5"},
    )
    base.update(changes)
    base.setdefault("scenario_groups", ["all"] * len(base["scenarios"]))
    return base


@pytest.fixture
def params():
    return RiskParams(**fields())


def test_params_digest_is_stable_when_saved_and_loaded(params, tmp_path):
    path = tmp_path / "params.json"
    params.save(path)
    loaded = RiskParams.load(path)
    assert loaded == params and loaded.digest() == params.digest()
    assert RiskParams.from_json(params.to_json()).digest() == params.digest()


def test_params_digest_is_sha256_of_sorted_compact_json_when_computed(params):
    encoding = json.dumps(json.loads(params.to_json()), sort_keys=True, separators=(",", ":"))
    assert params.digest() == hashlib.sha256(encoding.encode()).hexdigest()


def test_params_digest_changes_when_one_pnl_number_changes(params):
    changed = RiskParams(**fields(pnl=[[10, -10], [500, -701]]))
    assert changed.digest() != params.digest()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"values": [100]}, "values: has 1 entries but there are 2 instruments"),
        ({"addon_short": [1, 2, 3]}, "addon_short: has 3 entries"),
        ({"pnl": [[1, 2], [3]]}, "pnl[1]: has 1 entries but there are 2 scenarios"),
        ({"pnl": [[1, 2]]}, "pnl: has 1 entries"),
        ({"floors": [{"name": "m", "long": [0], "short": [1, 1]}]}, "floors[m].long: has 1"),
        ({"addon_long": [0, -1]}, "addon_long[1]: rate -1 must be ≥ 0"),
        ({"instruments": ["B", "A"]}, "instruments: must be sorted"),
        ({"scenarios": ["up", "up"]}, "scenarios: duplicate"),
        ({"scenario_groups": ["all"]}, "scenario_groups: has 1 entries but there are 2 scenarios"),
        ({"aggregation": "expected_shortfall", "es_confidence": "0.5",
          "scenario_groups": ["X", "Y"]}, "scenario_groups: expected_shortfall is portfolio-level"),
        ({"levels": {"initial": "1.5"}}, "maintenance"),
        ({"levels": {"maintenance": "1", "initial": "0.5"}}, "level 'initial'"),
        ({"aggregation": "expected_shortfall"}, "es_confidence: required"),
        ({"aggregation": "expected_shortfall", "es_confidence": "1"}, "strictly between 0 and 1"),
        ({"es_confidence": "0.9"}, "es_confidence: only allowed"),
        ({"values": [100, 1.5]}, "values[1]"),
        ({"as_of": "27/11/2026"}, "as_of"),
        ({"values": [2**62, 0]}, "values: an entry does not fit"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"level_rates": {"weird": {"addon_long": [0, 0], "addon_short": [0, 0]}}}, "level_rates: 'weird'"),
        ({"level_rates": {"initial": {"addon_long": [0], "addon_short": [0, 0]}}},
         "level_rates[initial].addon_long: has 1 entries"),
        ({"level_rates": {"initial": {"addon_long": [0, -2], "addon_short": [0, 0]}}},
         "level_rates[initial].addon_long[1]: rate -2 must be ≥ 0"),
        ({"values_short": [100]}, "values_short: has 1 entries"),
        ({"strategies": [{"name": "v", "legs": {"C": 1}, "rate": 5}]}, "strategies[0].legs: unknown instrument 'C'"),
        ({"strategies": [{"name": "v", "legs": {"A": 0}, "rate": 5}]}, "units must be non-zero"),
        ({"strategies": [{"name": "v", "legs": {"A": 1, "B": -1}, "rate": -1}]}, "rate"),
        ({"strategies": [{"name": "v", "legs": {"A": 1}, "rate": 1, "level_rates": {"x": 1}}]},
         "strategies[0].level_rates: 'x' is not one of the levels"),
        ({"pnl_short": [[10, -10], [500]]}, "pnl_short[1]: has 1 entries but there are 2 scenarios"),
    ],
)
def test_params_error_names_the_field_when_constructed_badly(changes, message):
    with pytest.raises(InputError) as caught:
        RiskParams(**fields(**changes))
    assert message in str(caught.value)


def test_params_load_names_the_file_when_json_is_bad(tmp_path, params):
    path = tmp_path / "params.json"
    path.write_text(params.to_json().replace('"max"', '"mean"'))
    with pytest.raises(InputError, match=f"{path}: aggregation"):
        RiskParams.load(path)


def test_level_factor_is_exact_fraction_when_level_known(params):
    assert params.level_factor("initial") == Fraction(3, 2)
    with pytest.raises(InputError, match="unknown margin level 'variation'.*initial, maintenance"):
        params.level_factor("variation")


def test_position_vector_includes_zeros_when_instrument_not_held(params):
    assert params.position_vector(account(0, {"B": -3})) == [0, -3]


@pytest.mark.parametrize(
    ("positions", "error", "message"),
    [
        ({"C": 1}, UnknownInstrument, "'C'"),
        ({"A": Decimal("0.5")}, InputError, "positions"),
        ({"A": 2**31}, FixedPointOverflow, "positions"),
    ],
)
def test_position_vector_refuses_when_quantity_unusable(params, positions, error, message):
    with pytest.raises(error, match=message):
        params.position_vector(account(0, positions))


def test_cash_units_rounds_down_and_bounds_when_converting(params):
    assert params.cash_units(account(Decimal("10.019"), {})) == 1001
    assert params.cash_units(account(Decimal("-10.011"), {})) == -1002
    with pytest.raises(FixedPointOverflow):
        params.cash_units(account(2**62, {}))


def test_build_params_is_fast_when_500_instruments_by_16_scenarios():
    strikes = range(50, 300)
    market = Market.from_json(json.dumps({
        "as_of": "2026-11-27", "currency": "USD", "rate": 0.03,
        "underlyings": {"U": {"price": 175, "vol": 0.25, "asset_class": "equity"}},
        "instruments": {
            f"U {right} {strike}": {"kind": "option", "underlying": "U", "right": right,
                                    "strike": strike, "expiry": "2027-03-19", "multiplier": 100}
            for strike in strikes for right in ("call", "put")
        },
    }))
    spec = model("span")
    started = time.perf_counter()
    params = build_params(market, spec)
    elapsed = time.perf_counter() - started
    assert (len(params.instruments), len(params.scenarios)) == (500, 16)
    assert elapsed < 0.5
