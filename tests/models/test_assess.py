"""assess over hand-built params: every term of the generic form, levels and thresholds."""

from decimal import Decimal
from fractions import Fraction

import pytest

from tests.models.conftest import account
from tests.models.test_params import fields
from zkmargin.engine.assess import assess, scenario_losses
from zkmargin.errors import InputError
from zkmargin.engine.params import RiskParams


@pytest.fixture
def params():
    return RiskParams(**fields())


def test_assess_adds_short_addon_to_worst_scenario_when_short(params):
    # losses: up −(−2·10) = 20, down −20; add-on 5 per short unit → 20 + 10 (cents)
    report = assess(account(1, {"A": -2}), params)
    assert scenario_losses(params, params.position_vector(account(1, {"A": -2}))) == [20, -20]
    assert report.required_fine == 30 and report.binding == "up"
    assert report.requirement == Decimal("0.30")
    assert report.equity == Decimal("1") - Decimal("2.00")
    assert dict(report.scenario_pnl) == {"up": Decimal("-0.20"), "down": Decimal("0.20")}


def test_assess_scales_by_level_factor_when_initial(params):
    report = assess(account(1, {"A": -2}), params, level="initial")
    assert report.required_fine == 45 and report.level == "initial"


def test_assess_binding_is_addons_when_no_scenario_loses():
    params = RiskParams(**fields(pnl=[[10, 0], [500, -700]], addon_long=[7, 0]))
    report = assess(account(0, {"A": 3}), params)
    assert (report.binding, report.required_fine) == ("addons", 21)
    flat = assess(account(0, {}), params)
    assert (flat.binding, flat.required_fine, flat.meets) == ("addons", 0, True)


def test_assess_binding_is_floor_when_floor_exceeds_scenarios():
    params = RiskParams(**fields(pnl=[[0, 0], [0, 0]], floors=[
        {"name": "minimum", "long": [0, 0], "short": [0, 300]}]))
    report = assess(account(10, {"B": -1}), params)
    assert (report.binding, report.requirement) == ("minimum", Decimal("3"))


def test_assess_rounds_threshold_up_to_the_cent_when_fractional(params):
    report = assess(account(Decimal("2.31"), {"A": -2}), params, threshold=Decimal("0.001"))
    # equity: cash 2.31 − the short's value 2.00; requirement 0.30; threshold 0.01
    assert report.threshold == Decimal("0.01")
    assert report.excess == 0 and report.meets and report.shortfall == 0
    missing = assess(account(Decimal("2.30"), {"A": -2}), params, threshold=Decimal("0.001"))
    assert not missing.meets and missing.shortfall == Decimal("0.01")


def test_assess_refuses_negative_threshold_when_given(params):
    with pytest.raises(InputError, match="threshold"):
        assess(account(0, {}), params, threshold=-1)


def test_assess_uses_expected_shortfall_when_aggregation_says_so():
    params = RiskParams(**fields(
        scenarios=["a", "b", "c", "d"], pnl=[[1, -2, -5, -10], [0, 0, 0, 0]],
        aggregation="expected_shortfall", es_confidence="0.6", addon_short=[0, 0],
        floors=[],
    ))
    report = assess(account(0, {"A": 1}), params)
    # losses [−1, 2, 5, 10] at 60% → 8.125 cents; requirement rounded up to 0.09
    assert report.required_fine == Fraction(65, 8)
    assert report.binding == "expected_shortfall"
    assert report.requirement == Decimal("0.09")
