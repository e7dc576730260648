"""Each family's generated scenarios and rates, checked against the rule computed by hand."""

import pytest

from tests.models.conftest import MCMILLAN_SCENARIOS, account, model, one_underlying_market, option
from zkmargin.engine.assess import assess
from zkmargin.errors import InputError
from zkmargin.engine.params import build_params

FUTURE = {"kind": "future", "multiplier": 50}


def pnl_of(params, instrument):
    row = params.pnl[params.instruments.index(instrument)]
    return dict(zip(params.scenarios, row))


def test_span_generates_cme_scenarios_with_covered_extremes_when_built_from_market():
    params = build_params(one_underlying_market(100, F=FUTURE), model("span"))
    # one group: the market's only underlying, "U"
    assert params.scenarios == [f"U {name}" for name in MCMILLAN_SCENARIOS]
    assert params.scenario_groups == ["U"] * 16
    pnl = pnl_of(params, "F")
    # scan range 15% (equity default of span.toml) of 100 × multiplier 50, in cents
    assert pnl["U up 1/3, vol up"] == 25000
    assert pnl["U down 3/3, vol down"] == -75000
    # extreme: 2 × range at 35% cover
    assert pnl["U extreme down"] == -52500
    assert params.values == [0]


def test_span_uses_market_scan_range_when_underlying_gives_one():
    market = one_underlying_market(100, underlying_fields={"scan_range": 0.04}, F=FUTURE)
    assert pnl_of(build_params(market, model("span")), "F")["U up 3/3, vol up"] == 20000


def test_span_short_option_minimum_binds_when_options_far_out_of_the_money():
    market = one_underlying_market(100, P=option("put", 40, mark=0.01))
    params = build_params(market, model("span"))
    report = assess(account(1000, {"P": -3}), params)
    # 1% of 100 × 100 per short contract, the minimum of U's combined commodity
    assert report.binding == "U short_option_minimum"
    assert report.requirement == 300
    # long, there is no minimum; the scenarios (from the 1¢ mark) can lose the whole $3 premium
    assert assess(account(1000, {"P": 3}), params).requirement == 3


def test_scenario_family_long_option_gains_when_vol_up():
    market = one_underlying_market(100, C=option("call", 100))
    params = build_params(market, model("scenario"))
    assert len(params.scenarios) == 14
    pnl = pnl_of(params, "C")
    assert pnl["U unchanged, vol up"] > 0 > pnl["U unchanged, vol down"]
    assert pnl["U up 3/3, vol down"] > pnl["U up 2/3, vol down"] > pnl["U up 1/3, vol down"] > 0


def test_portfolio_margin_moves_plus_six_minus_eight_when_high_cap_index():
    market = one_underlying_market(
        1000, asset_class="broad_index", underlying_fields={"high_cap": True}, F=FUTURE
    )
    params = build_params(market, model("portfolio_margin"))
    pnl = pnl_of(params, "F")
    assert len(params.scenarios) == 10
    assert pnl["U up 5/5"] == 6 * 50 * 100 * 10 and pnl["U down 5/5"] == -8 * 50 * 100 * 10
    assert pnl["U down 1/5"] == -round(1.6 * 50 * 100 * 10)


def test_portfolio_margin_moves_ten_percent_when_broad_index_not_high_cap():
    market = one_underlying_market(1000, asset_class="broad_index", F=FUTURE)
    pnl = pnl_of(build_params(market, model("portfolio_margin")), "F")
    assert pnl["U up 5/5"] == -pnl["U down 5/5"] == 10 * 50 * 100 * 10


def test_crypto_pm_counts_tails_dampened_and_short_option_contingency_when_built():
    market = one_underlying_market(
        50000, asset_class="crypto", market_fields={"quantity_decimals": 1},
        F={"kind": "future"}, C={**option("call", 60000, mark=900.0), "multiplier": 1},
    )
    params = build_params(market, model("crypto_pm"))
    assert params.quantity_scale == 10
    assert len(params.scenarios) == 9 * 3 + 8
    pnl = pnl_of(params, "F")
    assert pnl["U spot -16.00%, vol up"] == pnl["U spot -16.00%, vol down"] == -800000
    assert pnl["U spot -4.00%, vol unchanged"] == -200000
    assert pnl["U tail -66%"] == -round(0.66 * 50000 * 100 * 0.33)
    assert pnl["U tail +500%"] == round(5 * 50000 * 100 * 0.33)
    call = params.instruments.index("C")
    # 1% of the underlying price per short contract, in cents
    assert params.addon_short[call] == 50000 and params.addon_long[call] == 0
    assert params.addon_short[params.instruments.index("F")] == 0


def test_standard_rates_stock_and_future_by_side_when_built_from_market():
    market = one_underlying_market(80, S={"kind": "stock"}, F=FUTURE)
    params = build_params(market, model("standard"))
    stock, future = params.instruments.index("S"), params.instruments.index("F")
    assert (params.addon_long[stock], params.addon_short[stock]) == (2000, 2400)
    assert (params.addon_long[future], params.addon_short[future]) == (40000, 40000)
    assert params.scenarios == [] and params.values == [0, 8000]


def test_standard_long_option_is_paid_in_full_when_bought():
    market = one_underlying_market(100, C=option("call", 110, mark=1.25))
    # bought with all the cash: equity is the option's value, which is also the requirement
    report = assess(account(0, {"C": 1}), build_params(market, model("standard")))
    assert report.requirement == 125 and report.equity == 125 and report.excess == 0


def test_expected_shortfall_simulation_is_deterministic_when_built_twice():
    market = one_underlying_market(100, F=FUTURE)
    spec = model("expected_shortfall")
    first, second = build_params(market, spec), build_params(market, spec)
    assert first.digest() == second.digest()
    assert len(first.scenarios) == 250
    assert (first.aggregation, first.es_confidence) == ("expected_shortfall", "0.975")
    reseeded = spec.model_copy(
        update={"expected_shortfall": spec.expected_shortfall.model_copy(update={"seed": 1})}
    )
    assert build_params(market, reseeded).digest() != first.digest()


def test_expected_shortfall_of_long_future_near_normal_tail_when_simulated():
    # one-underlying lognormal, 2 days at 30% vol: ES_97.5 ≈ 2.34·σ√h of the notional
    market = one_underlying_market(100, F=FUTURE)
    report = assess(account(0, {"F": 1}), build_params(market, model("expected_shortfall")))
    sigma_h = 0.3 * (2 / 252) ** 0.5
    assert report.binding == "expected_shortfall"
    assert 0.8 < float(report.requirement) / (2.338 * sigma_h * 5000) < 1.2


@pytest.mark.parametrize("name", ["portfolio_margin", "standard", "crypto_pm"])
def test_build_params_refuses_risk_arrays_when_family_needs_a_market(mcmillan, name):
    with pytest.raises(InputError, match="needs a market"):
        build_params(mcmillan, model(name))


@pytest.mark.parametrize("name", ["scenario", "span", "expected_shortfall"])
def test_build_params_uses_supplied_scenarios_when_given_risk_arrays(mcmillan, name):
    params = build_params(mcmillan, model(name))
    assert params.scenarios == MCMILLAN_SCENARIOS
    assert params.scenario_groups == ["all"] * 16
    assert pnl_of(params, "SP DEC")["extreme up"] == 700000
    assert params.values == [0, 500000]


def test_build_params_refuses_other_sources_when_not_market_or_arrays():
    with pytest.raises(InputError, match="Market or RiskArrays"):
        build_params({"currency": "USD"}, model("scenario"))
