"""Scenario groups carried by risk.json: unrelated products no longer net perfectly."""

import json
from decimal import Decimal

import pytest

from tests.models.conftest import MCMILLAN_SCENARIOS, account, model
from zkmargin.engine.assess import assess
from zkmargin.engine.params import build_params
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.errors import InputError

SP_RANGE, NQ_RANGE = 22_500.0, 20_500.0
"""Scan ranges of one SP and one NQ future, dollars per contract."""


def future_profit(scan_range: float) -> list[float]:
    """Profit of one long future in CME's 16 scenarios: ±k/3 of the range, extremes 2× at 35%."""
    moves = [0, 0, 1, 1, -1, -1, 2, 2, -2, -2, 3, 3, -3, -3]
    return [scan_range * k / 3 for k in moves] + [0.35 * 2 * scan_range, -0.35 * 2 * scan_range]


def sp_nq_arrays(grouped: bool) -> RiskArrays:
    """Long SP / short NQ risk arrays: joint columns (old layout) or one block per group."""
    if not grouped:
        return RiskArrays.from_json(json.dumps({
            "currency": "USD", "scenarios": MCMILLAN_SCENARIOS,
            "instruments": {"SP": {"mark": 0, "pnl": future_profit(SP_RANGE)},
                            "NQ": {"mark": 0, "pnl": future_profit(NQ_RANGE)}},
        }))
    zeros = [0.0] * 16
    return RiskArrays.from_json(json.dumps({
        "currency": "USD",
        "scenarios": [f"{group} {name}" for group in ("SP", "NQ") for name in MCMILLAN_SCENARIOS],
        "scenario_groups": ["SP"] * 16 + ["NQ"] * 16,
        "instruments": {"SP": {"mark": 0, "pnl": future_profit(SP_RANGE) + zeros},
                        "NQ": {"mark": 0, "pnl": zeros + future_profit(NQ_RANGE)}},
    }))


def test_span_charges_both_legs_when_long_sp_short_nq_in_grouped_risk_file():
    params = build_params(sp_nq_arrays(grouped=True), model("span"))
    report = assess(account(100_000, {"SP": 1, "NQ": -1}), params)
    # each combined commodity's worst case: SP falls its range, NQ rises its range
    assert report.requirement == Decimal(43_000)
    assert dict(report.group_losses) == {"SP": Decimal(22_500), "NQ": Decimal(20_500)}
    assert report.binding == "SP down 3/3, vol up"


def test_span_nets_the_legs_when_risk_file_has_no_groups():
    # the old layout stays valid and means what it meant: one joint group "all"
    params = build_params(sp_nq_arrays(grouped=False), model("span"))
    assert set(params.scenario_groups) == {"all"}
    report = assess(account(100_000, {"SP": 1, "NQ": -1}), params)
    assert report.requirement == Decimal(2_000)


def test_build_params_keeps_file_groups_when_risk_arrays_grouped():
    params = build_params(sp_nq_arrays(grouped=True), model("scenario"))
    assert params.scenario_groups == ["SP"] * 16 + ["NQ"] * 16
    assert params.scenarios[16] == "NQ unchanged, vol up"


def test_expected_shortfall_refuses_risk_file_when_scenarios_grouped():
    with pytest.raises(InputError, match="expected_shortfall is portfolio-level"):
        build_params(sp_nq_arrays(grouped=True), model("expected_shortfall"))
