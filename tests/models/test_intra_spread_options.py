"""SPAN intra-commodity spreads with options on futures: each joins its future's tier at its
Black-76 delta. The expected weights are computed here from the formula, not by the engine."""

import json
import math
from decimal import Decimal
from statistics import NormalDist

import pytest

import zkmargin as zm
from tests.models.conftest import account, model
from tests.models.test_intra_spread import DECEMBER, JUNE, MARCH, SPREAD_CHARGE, crude
from zkmargin.engine.assess import assess
from zkmargin.engine.models import span as span_model
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.errors import InputError
from zkmargin.hazmat.scalar import ORDER
from zkmargin.proofs.statement import Statement

PRICE, VOL, RATE = 70.0, 0.3, 0.01
"""crude()'s futures price and volatility (rate 0), span.toml's commodity spread rate."""
MARCH_CALL, MARCH_PUT = "CL 2027-03 68 C", "CL 2027-03 66 P"
OPTION_EXPIRY = "2027-03-12"
"""A week before the March future: by the serial and quarterly convention, on March."""
YEARS = 105 / 365  # 2026-11-27 to 2027-03-12


def on_future(right: str, strike: float, expiry: str = OPTION_EXPIRY, **extra) -> dict:
    return {"kind": "option", "right": right, "strike": strike, "expiry": expiry, "multiplier": 1000,
            "on_future": True, **extra}


def black76_delta(right: str, strike: float, vol: float = VOL) -> float:
    """e^(−rT)·N(±d1) at rate 0: N(d1) for a call, N(d1) − 1 for a put."""
    stdev = vol * math.sqrt(YEARS)
    d1 = math.log(PRICE / strike) / stdev + stdev / 2
    return NormalDist().cdf(d1) - (right == "put")


def cents(right: str, strike: float, vol: float = VOL) -> int:
    """The option's spread weight: 1% × $70 × δ × 1,000 barrels, its size rounded up, in cents."""
    weight = RATE * PRICE * black76_delta(right, strike, vol) * 1000 * 100
    return int(math.copysign(math.ceil(abs(weight)), weight))


def charged(report) -> Decimal:
    return sum((term.amount for term in report.terms if term.kind == "intra_spread"), Decimal(0))


@pytest.fixture(scope="module")
def params():
    return build_params(crude(**{MARCH_CALL: on_future("call", 68), MARCH_PUT: on_future("put", 66)}),
                        model("span"))


def test_span_weighs_an_option_on_the_march_future_by_its_delta_when_it_expires_before_it(params):
    call, put = cents("call", 68), cents("put", 66)
    assert 0.55 < black76_delta("call", 68) < 0.65 and -0.35 < black76_delta("put", 66) < -0.25
    (spread,) = params.intra_spreads
    assert spread.tiers == [{DECEMBER: 70000}, {MARCH: 70000, MARCH_CALL: call, MARCH_PUT: put}, {JUNE: 70000}]


def test_span_charges_the_short_call_leg_when_a_december_future_is_long_against_a_short_march_call(params):
    positions = {DECEMBER: 1, MARCH_CALL: -1}
    report = assess(account(0, positions), params)
    # min(w_future, w_call): the call's delta ≈ 0.6 of a future is the smaller leg
    assert charged(report) == min(SPREAD_CHARGE, Decimal(cents("call", 68)) / 100) == Decimal("421.97")
    book = account(report.requirement - report.equity, positions)
    assert zm.verify(zm.prove(book, params, workers=1), params).account == "test"
    with pytest.raises(zm.InsufficientMargin):
        zm.prove(account(book.cash - Decimal("0.01"), positions), params, workers=1)


def test_span_nets_a_long_put_against_long_futures_of_its_tier_when_the_put_is_on_march(params):
    put = cents("put", 66)
    assert put < 0
    positions = {DECEMBER: -1, MARCH: 1, MARCH_PUT: 1}
    report = assess(account(0, positions), params)
    # March nets to 70000 + put cents (the put's negative delta), December is −70000
    assert charged(report) == (SPREAD_CHARGE * 100 + put) / 100
    book = account(report.requirement - report.equity, positions)
    assert zm.verify(zm.prove(book, params, workers=1), params).account == "test"


def test_circuit_budgets_a_negative_weight_as_its_size_when_every_weight_is_largest(params):
    largest = (1 << 62) - 1
    budgets = []
    for sign in (1, -1):
        document = params.document()
        spread = document["intra_spreads"][0]
        spread["tiers"] = [{name: sign * largest for name in tier} for tier in spread["tiers"]]
        extreme = RiskParams(**document)
        # compiling checks the soundness budget (Circuit.check_soundness)
        budgets.append(Statement.for_params(extreme, "test", "maintenance").compile(extreme).soundness_budget())
    assert budgets[0] == budgets[1] < ORDER // 2


def test_span_weighs_an_option_at_its_implied_volatility_when_it_is_marked():
    high_vol = 0.6
    stdev = high_vol * math.sqrt(YEARS)
    d1 = math.log(PRICE / 68) / stdev + stdev / 2
    mark = PRICE * NormalDist().cdf(d1) - 68 * NormalDist().cdf(d1 - stdev)  # Black-76 at rate 0
    market = crude(**{MARCH_CALL: on_future("call", 68, mark=mark)})
    (spread,) = build_params(market, model("span")).intra_spreads
    assert spread.tiers[1][MARCH_CALL] == cents("call", 68, high_vol) != cents("call", 68)


def test_span_leaves_an_option_out_of_its_tier_when_it_weighs_less_than_a_dollar_a_contract(monkeypatch):
    # rounded up to a cent and netted, a nil weight would let free options cancel a future
    market = crude(**{"far put": on_future("put", 1), "far call": on_future("call", 10000),
                      "near call": on_future("call", 70)})
    (spread,) = build_params(market, model("span")).intra_spreads
    assert set(spread.tiers[1]) == {MARCH, "near call"} and spread.tiers[1]["near call"] >= 100
    monkeypatch.setattr(span_model, "OPTION_WEIGHT_FLOOR", 0.0)
    (unfloored,) = build_params(market, model("span")).intra_spreads
    assert unfloored.tiers[1]["far call"] == 1 and unfloored.tiers[1]["far put"] == -1


def test_span_puts_options_in_their_futures_tier_only_when_they_are_on_a_future_expiring_later():
    market = crude(**{
        "January serial": on_future("call", 70, expiry="2027-01-15"),     # on March
        "December": on_future("call", 70, expiry="2026-12-18"),           # same day as December
        "after June": on_future("call", 70, expiry="2027-09-17"),          # outlives every future
        "on the spot": {**on_future("call", 70), "on_future": False},
    })
    (spread,) = build_params(market, model("span")).intra_spreads
    assert [sorted(tier) for tier in spread.tiers] == [
        [DECEMBER, "December"], [MARCH, "January serial"], [JUNE],
    ]


def test_span_has_no_intra_spread_when_options_on_futures_span_two_months_but_futures_one():
    market = crude(**{"January serial": on_future("call", 70, expiry="2027-01-15")})
    single = market.listing([DECEMBER, "January serial"])
    assert build_params(single, model("span")).intra_spreads == []


def test_params_refuse_a_zero_spread_charge_naming_it_when_a_params_file_has_one(params, tmp_path):
    document = params.document()
    document["intra_spreads"][0]["tiers"][1][MARCH_PUT] = 0
    path = tmp_path / "params.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InputError, match=r'intra_spreads\[0\]\.tiers\[1\]\["CL 2027-03 66 P"\]: a spread charge '
                                         r"must not be 0 .*\(got 0\)"):
        RiskParams.load(path)
