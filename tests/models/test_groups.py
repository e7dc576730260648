"""Scenario groups: each underlying's worst loss counts on its own and the groups add up."""

import time
from decimal import Decimal

import pytest

from tests.models.conftest import account, market_of, model, option
from tests.models.test_params import fields
from zkmargin.engine.assess import assess
from zkmargin.errors import InputError
from zkmargin.engine.params import RiskParams, build_params

XYZ_PRICE, ABC_PRICE = 120.0, 80.0
SHARES = 100


@pytest.fixture(scope="module")
def two_stocks():
    return market_of(
        {"XYZ": {"price": XYZ_PRICE}, "ABC": {"price": ABC_PRICE}},
        {"XYZ": {"kind": "stock", "underlying": "XYZ"}, "ABC": {"kind": "stock", "underlying": "ABC"}},
    )


def test_portfolio_margin_adds_each_leg_worst_loss_when_hedged_across_underlyings(two_stocks):
    spec = model("portfolio_margin")
    equity_range = spec.portfolio_margin.price_range.equity
    params = build_params(two_stocks, spec)
    report = assess(account(100_000, {"XYZ": SHARES, "ABC": -SHARES}), params)
    # the long loses its range when XYZ falls, the short its range when ABC rises
    long_worst = SHARES * XYZ_PRICE * equity_range
    short_worst = SHARES * ABC_PRICE * equity_range
    assert report.requirement == Decimal(str(long_worst + short_worst)) == Decimal(3000)
    assert dict(report.group_losses) == {"ABC": Decimal(1200), "XYZ": Decimal(1800)}
    assert report.binding == "XYZ down 5/5"
    # one maximum over comonotone moves (both fall together) nets the legs
    comonotone = SHARES * abs(XYZ_PRICE - ABC_PRICE) * equity_range
    assert comonotone == pytest.approx(600) and report.requirement > Decimal(comonotone)


def test_builders_zero_other_underlyings_pnl_when_grouped_per_underlying(two_stocks):
    for name, per_underlying in (("portfolio_margin", 10), ("span", 16), ("scenario", 14),
                                 ("crypto_pm", 9 * 3 + 8)):
        params = build_params(two_stocks, model(name))
        assert params.scenario_groups == ["ABC"] * per_underlying + ["XYZ"] * per_underlying
        assert all(scenario.startswith(group + " ")
                   for scenario, group in zip(params.scenarios, params.scenario_groups))
        abc, xyz = (params.pnl[params.instruments.index(i)] for i in ("ABC", "XYZ"))
        assert not any(abc[per_underlying:]) and not any(xyz[:per_underlying])
        assert abc[:per_underlying] != [0] * per_underlying


def test_builders_skip_underlyings_without_instruments_when_grouping():
    market = market_of(
        {"XYZ": {"price": 50.0}, "IDLE": {"price": 10.0}},
        {"XYZ": {"kind": "stock", "underlying": "XYZ"}},
    )
    assert set(build_params(market, model("span")).scenario_groups) == {"XYZ"}


def test_expected_shortfall_keeps_one_group_when_built_from_market(two_stocks):
    params = build_params(two_stocks, model("expected_shortfall"))
    assert set(params.scenario_groups) == {"all"}


def test_params_refuse_expected_shortfall_when_scenarios_in_several_groups():
    with pytest.raises(InputError, match="scenario_groups: expected_shortfall is portfolio-level.*2: 'X', 'Y'"):
        RiskParams(**fields(aggregation="expected_shortfall", es_confidence="0.5",
                            scenario_groups=["X", "Y"]))


def grouped_fields(**changes):
    # A moves only in X's scenarios, B only in Y's
    grouped = dict(
        scenarios=["X up", "X down", "Y up", "Y down"], scenario_groups=["X", "X", "Y", "Y"],
        pnl=[[10, -10, 0, 0], [0, 0, 500, -700]], floors=[], addon_short=[0, 0],
    )
    return fields(**{**grouped, **changes})


def test_assess_names_worst_scenario_of_largest_group_when_groups_add():
    params = RiskParams(**grouped_fields())
    report = assess(account(0, {"A": -2, "B": 1}), params)
    # X: losses 20, −20 → 20; Y: −500, 700 → 700
    assert report.required_fine == 20 + 700
    assert report.binding == "Y down"
    assert report.group_losses == (("X", Decimal("0.20")), ("Y", Decimal("7.00")))


def test_assess_group_counts_zero_when_all_its_scenarios_gain():
    params = RiskParams(**grouped_fields(pnl=[[10, -10, 0, 0], [0, 0, 500, 700]]))
    report = assess(account(0, {"A": -2, "B": 1}), params)
    assert report.required_fine == 20 and report.binding == "X up"
    assert dict(report.group_losses) == {"X": Decimal("0.20"), "Y": Decimal(0)}


def test_assess_groups_in_order_of_first_appearance_when_interleaved():
    params = RiskParams(**grouped_fields(
        scenarios=["Y up", "X up", "Y down", "X down"], scenario_groups=["Y", "X", "Y", "X"],
        pnl=[[0, 10, 0, -10], [500, 0, -700, 0]],
    ))
    report = assess(account(0, {"A": -2, "B": 1}), params)
    assert [group for group, _ in report.group_losses] == ["Y", "X"]
    assert report.required_fine == 720


def test_build_params_is_fast_when_500_options_on_25_underlyings():
    names = [f"U{u:02d}" for u in range(25)]
    market = market_of(
        {name: {"price": 100.0 + u} for u, name in enumerate(names)},
        {f"{name} {right} {strike}": {**option(right, strike, expiry="2027-03-19"), "underlying": name}
         for name in names for strike in range(80, 130, 5) for right in ("call", "put")},
    )
    spec = model("span")
    started = time.perf_counter()
    params = build_params(market, spec)
    elapsed = time.perf_counter() - started
    assert (len(params.instruments), len(params.scenarios)) == (500, 25 * 16)
    assert elapsed < 1.0
