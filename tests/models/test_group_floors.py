"""Per-group minimums: SPAN's short option minimum and FINRA 4210(g)'s per-contract minimum
apply to each combined commodity / class group, not to the account as a whole.

CME SPAN computes, per combined commodity, max(scan risk + intra-commodity charge −
inter-commodity credit, short option minimum) and adds the combined commodities; OCC's
portfolio margin (FINRA 4210(g)) takes, per class group, the greater of the largest
theoretical loss and $.375 × multiplier per contract. A floor compared with the *sum* of
the groups' losses lets one group's loss hide another group's minimum.
"""

from decimal import Decimal

import pytest

from tests.models.conftest import account, market_of, model
from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.errors import InputError
from zkmargin.proofs.statement import Statement
from zkmargin.proofs.witness import assign


def future_and_far_calls():
    """A future on AAA and calls 100% out of the money on BBB, both at 100, scan range 10%."""
    return market_of(
        {"AAA": {"price": 100, "asset_class": "commodity", "scan_range": 0.10},
         "BBB": {"price": 100, "asset_class": "equity", "scan_range": 0.10}},
        {"AF": {"kind": "future", "underlying": "AAA", "multiplier": 100, "expiry": "2026-12-18"},
         "BC200": {"kind": "option", "underlying": "BBB", "right": "call", "strike": 200,
                   "expiry": "2026-12-18", "multiplier": 100}},
    )


def test_span_short_option_minimum_adds_to_other_commodities_scan_risk_when_it_binds_in_its_own():
    # AAA, long 1 future: scan risk 10% × 100 × 100 = $1,000 (down 3/3; the extreme move
    # 2 × 10% at 35% cover is $700). BBB, short 10 calls struck at 200 with BBB at 100: no
    # scenario (BBB at most +20%) brings them near the money, scan risk $0; short option
    # minimum 1% × 100 × 100 = $100 a contract, $1,000. SPAN, per combined commodity:
    # $1,000 + max($0, $1,000) = $2,000 (max of the sums would be $1,000).
    params = build_params(future_and_far_calls(), model("span"))
    report = assess(account(10_000, {"AF": 1, "BC200": -10}), params)
    assert dict(report.group_losses) == {"AAA": Decimal(1000), "BBB": Decimal(1000)}
    assert report.requirement == Decimal(2000)
    assert report.binding == "AAA down 3/3, vol up"


def test_portfolio_margin_per_contract_minimum_adds_to_other_class_groups_when_it_binds_in_its_own():
    # FINRA 4210(g), per class group. XYZ, long 100 shares at $100: largest loss at −15%,
    # $1,500. ABC, long 10 calls + 10 puts struck at the money: a long straddle gains at
    # every one of the ten points (no volatility shift), so its group needs the minimum,
    # 20 contracts × $.375 × 100 = $750. Requirement $1,500 + $750 = $2,250.
    market = market_of(
        {"XYZ": {"price": 100}, "ABC": {"price": 50}},
        {"XYZ": {"kind": "stock", "underlying": "XYZ"},
         "ABC C": {"kind": "option", "underlying": "ABC", "right": "call", "strike": 50,
                   "expiry": "2026-12-18", "multiplier": 100},
         "ABC P": {"kind": "option", "underlying": "ABC", "right": "put", "strike": 50,
                   "expiry": "2026-12-18", "multiplier": 100}},
    )
    params = build_params(market, model("portfolio_margin"))
    report = assess(account(100_000, {"XYZ": 100, "ABC C": 10, "ABC P": 10}), params)
    assert dict(report.group_losses) == {"ABC": Decimal(750), "XYZ": Decimal(1500)}
    assert report.requirement == Decimal(2250)
    assert max(-pnl for name, pnl in report.scenario_pnl if name.startswith("ABC")) < 0


def long_and_short_cheap_options():
    """On XYZ at 100: a 130 call marked at $0.05 and a 70 put at $0.12345 a share."""
    return market_of(
        {"XYZ": {"price": 100}},
        {"C": {"kind": "option", "underlying": "XYZ", "right": "call", "strike": 130,
               "expiry": "2026-12-18", "multiplier": 100, "mark": 0.05},
         "P": {"kind": "option", "underlying": "XYZ", "right": "put", "strike": 70,
               "expiry": "2026-12-18", "multiplier": 100, "mark": 0.12345}},
    )


def test_portfolio_margin_caps_a_long_options_minimum_at_its_value_rounded_up_when_it_is_worth_less():
    # 4210(g): $.375 × 100 "not to exceed the market value in the case of long positions":
    # the call's $5 a contract; the put's $12.345 rounded up to the cent, as equity rounds
    # it down, against the holder both ways; a short contract keeps the full $37.50
    params = build_params(long_and_short_cheap_options(), model("portfolio_margin"))
    (floor,) = params.floors
    assert (floor.name, floor.long, floor.short) == ("XYZ per_contract_minimum", [500, 1235], [3750, 3750])
    assert params.values == [500, 1234]


def test_portfolio_margin_charges_the_full_minimum_on_a_cheap_option_when_it_is_short():
    # 10 calls worth $5 each: the minimum is 10 × $37.50 written, 10 × $5 bought
    params = build_params(long_and_short_cheap_options(), model("portfolio_margin"))
    floors = {side: assess(account(0, {"C": 10 * side}), params).floors for side in (-1, 1)}
    assert [(term.name, term.amount) for term in floors[-1]] == [("XYZ per_contract_minimum", Decimal(375))]
    assert [(term.name, term.amount) for term in floors[1]] == [("XYZ per_contract_minimum", Decimal(50))]


def credit_market():
    """SPX and SOX at 1,000 (scan range 10%), futures on both, far calls on SPX."""
    return market_of(
        {"SPX": {"price": 1000, "asset_class": "broad_index", "scan_range": 0.10},
         "SOX": {"price": 1000, "asset_class": "narrow_index", "scan_range": 0.10}},
        {"ES": {"kind": "future", "underlying": "SPX", "multiplier": 1, "expiry": "2026-12-18"},
         "SOXF": {"kind": "future", "underlying": "SOX", "multiplier": 1, "expiry": "2026-12-18"},
         "SPX C2000": {"kind": "option", "underlying": "SPX", "right": "call", "strike": 2000,
                       "expiry": "2026-12-18", "multiplier": 1}},
    )


CREDIT_BOOK = {"ES": 1, "SPX C2000": -50, "SOXF": -10}


def test_span_grants_no_credit_on_a_commodity_whose_short_option_minimum_binds():
    # SPX: long 1 future, scan risk $100; short 50 calls struck at 2,000, minimum
    # 50 × 1% × 1,000 = $500 > $100. SOX: short 10 futures, scan risk $1,000. SPAN:
    # SPX max($100 − credit, $500) = $500, SOX $1,000 − 35% × min($100, $1,000) = $965:
    # $1,465. A credit of 35% × min($500, $1,000) = $175 off $1,500 would give $1,325,
    # below SPAN; the credit may only come out of the scan risk above the minimum, here 0.
    params = build_params(credit_market(), model("span"))
    report = assess(account(10_000, CREDIT_BOOK), params)
    assert dict(report.group_losses) == {"SOX": Decimal(1000), "SPX": Decimal(500)}
    assert report.group_credits == (("SPX|SOX", Decimal(0)),)
    assert report.requirement == Decimal(1500)


def test_span_credits_scan_risk_when_short_option_minimum_does_not_bind():
    # 5 short calls: minimum $50 < scan risk $100; credit 35% × min($100, $1,000) = $35,
    # at most $100 − $50 above the minimum: $1,100 − $35 = $1,065.
    params = build_params(credit_market(), model("span"))
    report = assess(account(10_000, {**CREDIT_BOOK, "SPX C2000": -5}), params)
    assert report.group_credits == (("SPX|SOX", Decimal(35)),)
    assert report.requirement == Decimal(1065)


@pytest.mark.parametrize("positions", [CREDIT_BOOK, {**CREDIT_BOOK, "SPX C2000": -5}])
def test_circuit_refuses_a_group_below_its_minimum_or_a_credit_into_it_when_the_prover_claims_one(positions):
    params = build_params(credit_market(), model("span"))
    circuit = Statement.for_params(params, "test", "maintenance").compile(params)
    honest = assign(circuit, params, account(10_000, positions))
    assert circuit.unsatisfied(honest) == []
    names = [v.name for v in circuit.variables]
    below = list(honest)
    below[names.index("m[SPX]")] = int(dict(assess(account(0, positions), params).group_losses)["SPX"] * 100) - 1
    assert any(name.startswith(("floor(", "credit(")) for name in circuit.unsatisfied(below))
    greedy = list(honest)
    greedy[names.index("x[SPX|SOX]")] += 1
    assert any(name.startswith(("floor_credit(", "credit(")) for name in circuit.unsatisfied(greedy))


def test_params_refuse_a_floor_group_that_is_not_a_scenario_group_when_loaded():
    data = build_params(credit_market(), model("span")).document()
    data["floors"][0]["group"] = "CL"
    with pytest.raises(InputError, match="not a scenario group"):
        RiskParams(**data)


def test_params_document_names_a_floors_group_only_when_it_has_one():
    # params with account-wide floors keep the bytes, hence the digest, they had before
    # floors could belong to a group; a group's floor round-trips with its group
    params = build_params(credit_market(), model("span"))
    grouped = params.document()
    assert [floor["group"] for floor in grouped["floors"]] == ["SPX"]
    account_wide = {**grouped, "floors": [{key: value for key, value in floor.items() if key != "group"}
                                          for floor in grouped["floors"]]}
    assert RiskParams(**account_wide).document() == account_wide
    assert RiskParams(**grouped).digest() == params.digest() != RiskParams(**account_wide).digest()
