"""SPAN intra-commodity (calendar) spread charges: tiers of futures expiries, in the clear."""

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.models.conftest import account, model, one_underlying_market, option
from zkmargin.engine.assess import assess
from zkmargin.engine.market import Market
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DECEMBER, MARCH, JUNE = "CL 2026-12", "CL 2027-03", "CL 2027-06"
SPREAD_CHARGE = Decimal(700)
"""span.toml's commodity rate 1% × price $70 × 1,000 barrels per contract, one spread."""


def crude(**extra) -> Market:
    return one_underlying_market(
        70.0, "commodity",
        **{DECEMBER: {"kind": "future", "expiry": "2026-12-18", "multiplier": 1000},
           MARCH: {"kind": "future", "expiry": "2027-03-19", "multiplier": 1000},
           JUNE: {"kind": "future", "expiry": "2027-06-18", "multiplier": 1000}},
        **extra,
    )


@pytest.fixture(scope="module")
def params():
    return build_params(crude(), model("span"))


def test_span_charges_rate_times_price_times_multiplier_when_long_front_month_short_back_month(params):
    report = assess(account(0, {DECEMBER: 1, MARCH: -1}), params)
    # the scan moves both months together: only the short side's rounding up is lost
    assert dict(report.group_losses) == {"U": Decimal("0.01")}
    charged = [(t.kind, t.name, t.amount) for t in report.terms if t.kind == "intra_spread"]
    assert charged == [("intra_spread", "U intra-commodity spread", SPREAD_CHARGE)]
    assert report.requirement == Decimal("0.01") + SPREAD_CHARGE


@pytest.mark.parametrize("positions, spreads", [
    ({DECEMBER: 2, MARCH: -1}, 1),             # short side smaller
    ({DECEMBER: 1, MARCH: -3}, 1),             # long side smaller
    ({DECEMBER: 1, MARCH: -2, JUNE: 1}, 2),    # a butterfly: two spreads
    ({DECEMBER: 1, MARCH: 1}, 0),              # no offset between months
])
def test_span_charges_the_smaller_side_of_the_tiers_when_they_are_unbalanced(params, positions, spreads):
    report = assess(account(0, positions), params)
    charged = sum((t.amount for t in report.terms if t.kind == "intra_spread"), Decimal(0))
    assert charged == spreads * SPREAD_CHARGE
    assert report.requirement == sum(loss for _, loss in report.group_losses) + charged


def test_span_names_the_charge_as_binding_when_no_scenario_loses(params):
    assert assess(account(0, {DECEMBER: 1, JUNE: -1}), params).binding == "U intra-commodity spread"


def test_span_params_weigh_each_future_by_its_spread_charge_when_multipliers_differ():
    # the mini expires a day before the full-size contract: one contract month, one tier
    market = crude(**{"QM 2026-12": {"kind": "future", "expiry": "2026-12-17", "multiplier": 500},
                      "MCL 2027-03": {"kind": "future", "expiry": "2027-03-19", "multiplier": 100}})
    (spread,) = build_params(market, model("span")).intra_spreads
    assert spread.group == "U"
    # 1% × $70 × multiplier, in cents
    assert spread.tiers == [{DECEMBER: 70000, "QM 2026-12": 35000}, {MARCH: 70000, "MCL 2027-03": 7000}, {JUNE: 70000}]
    params = build_params(market, model("span"))
    report = assess(account(0, {"QM 2026-12": 2, "MCL 2027-03": -10}), params)
    assert [t.amount for t in report.terms if t.kind == "intra_spread"] == [SPREAD_CHARGE]
    flat = assess(account(0, {DECEMBER: 1, "QM 2026-12": -2}), params)
    assert not [t for t in flat.terms if t.kind == "intra_spread"]


def test_span_rounds_each_spread_charge_up_to_the_cent_when_a_multiplier_has_a_long_decimal_spelling():
    third = 0.3333333333333333
    market = one_underlying_market(70.0, "commodity",
                                   F={"kind": "future", "expiry": "2026-12-18", "multiplier": third},
                                   G={"kind": "future", "expiry": "2027-03-19", "multiplier": third})
    (spread,) = build_params(market, model("span")).intra_spreads
    assert spread.tiers == [{"F": 24}, {"G": 24}]  # 1% × $70 / 3 = 23.33… cents, rounded up


def canonical_digest(document: dict) -> str:
    """The params digest of `document`, as docs/margin-models.md states it."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_span_has_no_intra_spread_when_a_commodity_has_one_futures_expiry():
    # CL's options expire on other dates than its future: options form no tiers
    params = build_params(Market.load(EXAMPLES / "market.json"), model("span"))
    assert params.intra_spreads == []
    assert b"intra_spreads" not in params.canonical_bytes()
    # main at d6cf7b2 gave e12c75c8…; two rule changes since, neither about calendar spreads: a
    # short "XYZ 80 C" loses its mark's 0.7 cents below the no-arbitrage bound, XYZ and CL options
    # are American (floored), and the SPX–SOX credit carries its delta weights
    assert params.digest() == "24615381bf76ed30192100234520d67ba893544beda2b8d7dc4f30ba78d50011"


def test_span_has_no_intra_spread_when_only_options_span_two_expiries():
    market = one_underlying_market(70.0, "commodity", F={"kind": "future", "expiry": "2026-12-18", "multiplier": 1000},
                                   P=option("put", 65, expiry="2027-03-19"))
    assert build_params(market, model("span")).intra_spreads == []


def test_params_keep_intra_spreads_when_saved_and_loaded(params, tmp_path):
    params.save(tmp_path / "params.json")
    loaded = RiskParams.load(tmp_path / "params.json")
    assert loaded.intra_spreads == params.intra_spreads and loaded.digest() == params.digest()


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update(group="X"), "'X' must be a scenario group"),
    (lambda s: s["tiers"][1].update({DECEMBER: 1000}), "'CL 2026-12' must be a known instrument in one tier only"),
    (lambda s: s["tiers"][1].update({"nope": 1}), "'nope' must be a known instrument"),
    (lambda s: s["tiers"][0].update({DECEMBER: 0}), "must not be 0"),
    (lambda s: s["tiers"][0].update({DECEMBER: 1 << 62}), "less than"),
    (lambda s: s["tiers"][0].update({DECEMBER: -(1 << 62)}), "greater than"),
    (lambda s: s.update(tiers=s["tiers"][:1]), "at least 2"),
])
def test_params_refuse_an_intra_spread_when_it_is_malformed(params, change, message):
    data = params.document()
    change(data["intra_spreads"][0])
    with pytest.raises(InputError, match=message):
        RiskParams(**data)


def test_params_refuse_an_intra_spread_when_a_group_has_two(params):
    data = params.document()
    data["intra_spreads"] = data["intra_spreads"] * 2
    with pytest.raises(InputError, match="with one intra spread only"):
        RiskParams(**data)


def test_params_refuse_an_intra_spread_when_aggregation_is_expected_shortfall(params):
    data = params.document() | {"aggregation": "expected_shortfall", "es_confidence": "0.975"}
    with pytest.raises(InputError, match="intra_spreads: only with aggregation max"):
        RiskParams(**data)
    assert RiskParams(**data | {"intra_spreads": []}).aggregation == "expected_shortfall"
