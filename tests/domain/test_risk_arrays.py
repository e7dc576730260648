"""risk.json: a rectangular scenario P&L table, validated with the field named."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from zkmargin.errors import InputError
from zkmargin.engine.risk_arrays import RiskArrays

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

BASE = {
    "currency": "USD",
    "scenarios": ["s1", "s2"],
    "instruments": {"ES DEC": {"mark": 0, "multiplier": 500, "pnl": [3330.0, -3330.0]}},
}


SPREAD = {"priority": 1, "credit_rate": 0.5,
          "legs": [{"group": "ES", "ratio": 1, "side": "A"}, {"group": "NQ", "ratio": 2, "side": "B"}]}


def arrays_error(change) -> str:
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(InputError) as caught:
        RiskArrays.from_json(json.dumps(data), what="risk.json")
    return str(caught.value)


def test_risk_arrays_load_the_design_example_when_valid():
    arrays = RiskArrays.from_json(json.dumps(BASE))
    assert arrays.instrument_ids() == ["ES DEC"]
    np.testing.assert_array_equal(arrays.pnl_matrix(), [[3330.0, -3330.0]])
    assert arrays.values() == {"ES DEC": 0.0}
    assert arrays.quantity_decimals == 0 and arrays.as_of is None


def test_risk_arrays_default_multiplier_to_one_when_omitted():
    data = copy.deepcopy(BASE)
    del data["instruments"]["ES DEC"]["multiplier"]
    assert RiskArrays.from_json(json.dumps(data)).instruments["ES DEC"].multiplier == 1.0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["instruments"]["ES DEC"].update(pnl=[1.0]),
            'risk.json: instruments["ES DEC"].pnl: has 1 values but there are 2 scenarios',
        ),
        (
            lambda d: d.update(scenarios=["s1", "s1"]),
            "risk.json: scenarios: duplicate scenario name 's1'",
        ),
        (
            lambda d: d.update(scenarios=[]),
            "risk.json: scenarios: List should have at least 1 item after validation, not 0",
        ),
        (
            lambda d: d["instruments"]["ES DEC"].update(mark=-1),
            'risk.json: instruments["ES DEC"].mark: Input should be greater than or equal to 0 (got -1)',
        ),
        (
            lambda d: d["instruments"]["ES DEC"].update(multiplier=0),
            'risk.json: instruments["ES DEC"].multiplier: Input should be greater than 0 (got 0)',
        ),
        (
            lambda d: d["instruments"]["ES DEC"].update(pnl=[1.0, "x"]),
            'risk.json: instruments["ES DEC"].pnl[1]: Input should be a valid number (got \'x\')',
        ),
        (
            lambda d: d["instruments"]["ES DEC"].update(gamma=0.5),
            'risk.json: instruments["ES DEC"].gamma: Extra inputs are not permitted (got 0.5)',
        ),
        (
            lambda d: d.update(as_of="yesterday"),
            "risk.json: as_of: expected a date written YYYY-MM-DD (got 'yesterday')",
        ),
        (
            lambda d: d.update(quantity_decimals=-1),
            "risk.json: quantity_decimals: Input should be greater than or equal to 0 (got -1)",
        ),
        (
            lambda d: d.update(scenario_groups=["ES"]),
            "risk.json: scenario_groups: has 1 entries but there are 2 scenarios",
        ),
        (
            lambda d: d.update(scenario_groups=["ES", " ES"]),
            "risk.json: scenario_groups[1]: must not start or end with whitespace (got ' ES')",
        ),
        (
            lambda d: d.update(scan_ranges={"NQ": {"price": 1.0}}),
            "risk.json: scan_ranges[\"NQ\"]: no scenario is in group 'NQ'",
        ),
        (
            lambda d: d.update(scenario_groups=["ES", "ES"], inter_commodity_spreads=[SPREAD]),
            "risk.json: inter_commodity_spreads[0].legs[1].group: no scenario is in group 'NQ'",
        ),
        (
            lambda d: d.update(scenario_groups=["ES", "NQ"],
                               inter_commodity_spreads=[{**SPREAD, "credit_rate": 45}]),
            "risk.json: inter_commodity_spreads[0].credit_rate: Input should be less than or equal to 1 (got 45)",
        ),
        (
            lambda d: d.update(scenario_groups=["ES", "NQ"],
                               inter_commodity_spreads=[{**SPREAD, "legs": SPREAD["legs"][:1]}]),
            "risk.json: inter_commodity_spreads[0].legs: List should have at least 2 items after validation, not 1",
        ),
    ],
)
def test_risk_arrays_name_field_and_value_when_input_is_bad(change, expected):
    assert arrays_error(change) == expected


def test_risk_arrays_reject_non_finite_pnl_when_json_spells_it():
    text = json.dumps(BASE).replace("-3330.0", "-Infinity")
    with pytest.raises(InputError, match="-Infinity is not a valid number"):
        RiskArrays.from_json(text)


def test_risk_spx_example_holds_the_mcmillan_table_when_loaded():
    # examples/risk_spx.json is worked-examples.md §2 in table order (16 scenarios). Marks:
    # the future 0 (its gains and losses are settled into cash daily); the call 9.00 points
    # ($4,500), an assumption since the book gives no premium: just above the largest loss
    # the table shows for it (extreme down, 1,500 / 0.35 cover = $4,286 = 8.57 points),
    # which a long call cannot exceed.
    arrays = RiskArrays.load(EXAMPLES / "risk_spx.json")
    assert len(arrays.scenarios) == 16
    assert arrays.scenarios[12] == "down 3/3, vol up"
    future, call = arrays.pnl_matrix()
    assert arrays.instrument_ids() == ["ES DEC", "ES DEC 410 C"]
    assert arrays.values() == {"ES DEC": 0.0, "ES DEC 410 C": 4_500.0}
    assert arrays.scenarios[-1] == "extreme down"
    assert -call[-1] / 0.35 < arrays.values()["ES DEC 410 C"]
    # Requirements of worked-examples.md §2: worst loss of each position.
    assert -future.min() == 10_000
    assert -call.min() == 3_990
    covered_write = future - call
    assert -covered_write.min() == 6_620
    assert arrays.scenarios[int(covered_write.argmin())] == "down 3/3, vol up"


def test_risk_arrays_round_trip_when_saved_and_loaded(tmp_path: Path):
    original = RiskArrays.load(EXAMPLES / "risk_spx.json")
    path = tmp_path / "risk.json"
    original.save(path)
    assert RiskArrays.load(path) == original


def test_risk_arrays_json_schema_requires_the_table_when_exported():
    schema = RiskArrays.json_schema()
    assert set(schema["required"]) == {"currency", "scenarios", "instruments"}
    assert schema["$defs"]["RiskInstrument"]["required"] == ["mark", "pnl"]
    assert "all" in schema["properties"]["scenario_groups"]["description"]
    assert schema["$defs"]["InterCommoditySpread"]["required"] == ["priority", "credit_rate", "legs"]
    json.dumps(schema)


def test_risk_arrays_put_every_scenario_in_group_all_when_file_has_no_groups():
    arrays = RiskArrays.from_json(json.dumps(BASE))
    assert arrays.groups() == ["all", "all"]
    assert "scenario_groups" not in json.loads(arrays.to_json())


def test_risk_arrays_round_trip_groups_and_spread_table_when_given():
    data = {**copy.deepcopy(BASE), "scenario_groups": ["ES", "NQ"],
            "scan_ranges": {"ES": {"price": 3330.0, "vol": 0.04}}, "inter_commodity_spreads": [SPREAD]}
    arrays = RiskArrays.from_json(json.dumps(data))
    assert arrays.groups() == ["ES", "NQ"]
    assert arrays.inter_commodity_spreads[0].legs[1].ratio == 2
    assert RiskArrays.from_json(arrays.to_json()) == arrays
