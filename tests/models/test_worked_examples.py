"""worked-examples.md §2–§4, to the cent, through the shipped TOML models."""

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from tests.models.conftest import account, model, one_underlying_market, option
from zkmargin.engine.assess import assess, expected_shortfall
from zkmargin.engine.params import build_params
from zkmargin.engine.risk_arrays import RiskArrays


@pytest.mark.parametrize(
    ("positions", "requirement", "binding"),
    [
        ({"SP DEC": 1}, "10000", "down 3/3, vol up"),
        ({"SP DEC 410 C": 1}, "3990", "down 3/3, vol down"),
        ({"SP DEC": 1, "SP DEC 410 C": -1}, "6620", "down 3/3, vol up"),
    ],
)
def test_scenario_requirement_matches_mcmillan_when_built_from_risk_arrays(
    mcmillan, positions, requirement, binding
):
    params = build_params(mcmillan, model("scenario"))
    report = assess(account(0, positions), params)
    assert report.requirement == Decimal(requirement)
    assert report.binding == binding


def test_scenario_report_lists_portfolio_pnl_when_covered_write(mcmillan):
    params = build_params(mcmillan, model("scenario"))
    report = assess(account(20000, {"SP DEC": 1, "SP DEC 410 C": -1}), params)
    table = dict(report.scenario_pnl)
    assert table["down 3/3, vol up"] == Decimal(-10000 + 3380)
    assert table["unchanged, vol down"] == Decimal(610)
    # equity = cash + value of the short call (mark 10 × 500), futures count 0
    assert report.equity == Decimal(20000 - 5000)
    assert report.excess == Decimal(15000 - 6620)


@pytest.mark.parametrize(
    ("underlying", "instrument", "cash", "requirement"),
    [
        # eDeltaPro: short 1 put K=200 @1.20, stock 209 → $3,400 including the $120 premium
        (209, option("put", 200, mark=1.20), "3400", "3280"),
        # tastyware: short 1 call K=30 @0.05, S=26.38 → $268.80 including the $5 premium
        (26.38, option("call", 30, mark=0.05), "268.80", "263.80"),
    ],
)
def test_standard_short_option_has_zero_excess_when_cash_is_premium_plus_requirement(
    underlying, instrument, cash, requirement
):
    params = build_params(one_underlying_market(underlying, O=instrument), model("standard"))
    report = assess(account(Decimal(cash), {"O": -1}), params)
    assert report.requirement == Decimal(requirement)
    assert report.excess == 0
    assert report.meets
    assert report.binding == "addons"
    short_by_a_cent = assess(account(Decimal(cash) - Decimal("0.01"), {"O": -1}), params)
    assert not short_by_a_cent.meets
    assert short_by_a_cent.excess == Decimal("-0.01")


def test_standard_uses_fifteen_percent_when_broad_index():
    # 15%·S − OTM = 750 − 200 = 550 beats 10%·K = 480 → 550 × 100 per contract
    market = one_underlying_market(5000, asset_class="broad_index", P=option("put", 4800, mark=20))
    report = assess(account(0, {"P": -2}), build_params(market, model("standard")))
    assert report.requirement == Decimal(2 * 55000)


def test_portfolio_margin_long_straddle_needs_per_contract_floor_when_scenarios_gain():
    market = one_underlying_market(
        100, C=option("call", 100, mark=4.0), P=option("put", 100, mark=3.6)
    )
    params = build_params(market, model("portfolio_margin"))
    report = assess(account(100_000, {"C": 100, "P": 100}), params)
    assert report.requirement == Decimal("7500")
    assert report.binding == "U per_contract_minimum"
    assert max(-pnl for _, pnl in report.scenario_pnl) < 7500


@pytest.mark.parametrize(
    ("confidence", "es", "var"),
    [("0.5", Fraction(15, 2), 5), ("0.6", Fraction(65, 8), 5), ("0.75", 10, 10), ("0.9", 10, 10)],
)
def test_expected_shortfall_matches_rockafellar_uryasev_when_losses_equiprobable(confidence, es, var):
    assert expected_shortfall([-1, 2, 5, 10], confidence) == (es, var)


def test_expected_shortfall_threshold_is_optimal_when_tail_count_not_integer():
    losses = [7, -3, 12, 0, 4, 4, 9]
    alpha = Fraction(6, 10)
    tail = len(losses) * (1 - alpha)  # 2.8

    def objective(t):
        return t + sum(max(loss - t, 0) for loss in losses) / tail

    es, t = expected_shortfall(losses, "0.6")
    assert es == objective(t) == min(objective(candidate) for candidate in range(-5, 15))


def test_shipped_mcmillan_risk_arrays_match_the_table_when_built(mcmillan):
    shipped = RiskArrays.load(Path(__file__).resolve().parents[2] / "examples" / "risk_spx.json")
    spec = model("scenario")
    assert build_params(shipped, spec).pnl == build_params(mcmillan, spec).pnl
