"""SPAN-style inter-commodity spread credits: a public table, a linear witness (issue 12)."""

import json
from decimal import Decimal

import pytest

from tests.models.conftest import account, market_of, model
from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.errors import InputError
from zkmargin.proofs.statement import Statement
from zkmargin.proofs.witness import assign


def index_futures():
    return market_of(
        {"SPX": {"price": 6000, "asset_class": "broad_index"},
         "SOX": {"price": 5200, "asset_class": "narrow_index"}},
        {"ES": {"kind": "future", "underlying": "SPX", "multiplier": 50, "expiry": "2026-12-18"},
         "SOXF": {"kind": "future", "underlying": "SOX", "multiplier": 50, "expiry": "2026-12-18"}},
    )


@pytest.fixture(scope="module")
def params():
    return build_params(index_futures(), model("span"))


def test_span_credits_a_spread_at_the_public_rate_when_long_one_index_short_the_other(params):
    # scan risks: SPX 8% × 6000 × 50 = 24,000; SOX 12% × 5200 × 50 = 31,200;
    # credit 35% × min = 8,400 (their joint moves net, so the joint bound does not bind)
    report = assess(account(0, {"ES": 1, "SOXF": -1}), params)
    assert dict(report.group_losses) == {"SOX": Decimal(31_200), "SPX": Decimal(24_000)}
    assert report.group_credits == (("SPX|SOX", Decimal(8_400)),)
    assert report.requirement == Decimal(55_200 - 8_400)


def test_span_grants_no_credit_when_both_legs_lose_in_the_same_joint_move(params):
    report = assess(account(0, {"ES": 1, "SOXF": 1}), params)
    assert report.group_credits == (("SPX|SOX", Decimal(0)),)
    assert report.requirement == Decimal(55_200)


@pytest.mark.parametrize("positions", [{"ES": 1, "SOXF": -1}, {"ES": 1, "SOXF": 1}, {"ES": -2, "SOXF": 1}])
def test_circuit_refuses_a_credit_above_its_bounds_when_the_prover_claims_one_more_cent(params, positions):
    circuit = Statement.for_params(params, "test", "maintenance").compile(params)
    book = account(100_000, positions)
    honest = assign(circuit, params, book)
    assert circuit.unsatisfied(honest) == []
    greedy = list(honest)
    greedy[[v.name for v in circuit.variables].index("x[SPX|SOX]")] += 1
    failing = circuit.unsatisfied(greedy)
    assert failing and all(name.startswith(("credit(", "credit_direction(", "joint(")) for name in failing)


def test_params_refuse_a_group_in_two_credits_when_loaded(params):
    data = params.document()
    deltas = {"SPX": {"ES": 500_000}, "SOX": {"SOXF": 500_000}}
    data["group_credits"] = [{"groups": ["SPX", "SOX"], "rate": "0.3", "deltas": deltas},
                             {"groups": ["SOX", "SPX"], "rate": "0.3", "deltas": deltas}]
    with pytest.raises(InputError, match="one credit only"):
        RiskParams(**data)
    data["group_credits"] = [{"groups": ["SPX", "SOX"], "rate": "1.5", "deltas": deltas}]
    with pytest.raises(InputError, match=r"rate 1.5 must be in \[0, 1\]"):
        RiskParams(**data)
    data["group_credits"] = [{"groups": ["SPX", "CL"], "rate": "0.5", "deltas": deltas}]
    with pytest.raises(InputError, match="two distinct scenario groups"):
        RiskParams(**data)


def two_futures_file(deltas):
    """A risk file of one A future and one B future (scan risk 1,000 each) with a 50% A/B
    spread; `deltas` gives each future's `delta`, None leaves it out."""
    def future(pnl, delta):
        return {"mark": 0, "pnl": pnl} | ({} if delta is None else {"delta": delta})
    return RiskArrays.from_json(json.dumps({
        "currency": "USD", "scenarios": ["A up", "A down", "B up", "B down"],
        "scenario_groups": ["A", "A", "B", "B"],
        "instruments": {"A FUT": future([1000, -1000, 0, 0], deltas[0]),
                        "B FUT": future([0, 0, 1000, -1000], deltas[1])},
        "inter_commodity_spreads": [{"priority": 1, "credit_rate": 0.5, "legs": [
            {"group": "A", "ratio": 1, "side": "A"}, {"group": "B", "ratio": 1, "side": "B"}]}],
    }))


@pytest.mark.parametrize("deltas, credit", [
    ((1.0, 1.0), Decimal(500)),  # long A against short B: 50% of 1,000
    ((1.0, None), None),  # B's delta is unknown: the spread is left out
    ((None, None), None),
])
def test_span_takes_a_file_credit_only_when_every_instrument_of_both_groups_has_a_delta(deltas, credit):
    params = build_params(two_futures_file(deltas), model("span"))
    credits = dict(assess(account(0, {"A FUT": 1, "B FUT": -1}), params).group_credits)
    assert credits.get("A|B") == credit
    if credit is not None:
        assert params.group_credits[0].deltas == {"A": {"A FUT": 10_000}, "B": {"B FUT": 10_000}}


def test_span_grants_no_file_credit_when_both_groups_are_held_long():
    params = build_params(two_futures_file((1.0, 1.0)), model("span"))
    assert dict(assess(account(0, {"A FUT": 1, "B FUT": 1}), params).group_credits) == {"A|B": Decimal(0)}


@pytest.mark.parametrize("deltas, message", [
    ({"SPX": {"ES": 1}}, r"deltas: must give the deltas of groups 'SPX' and 'SOX', got \['SPX'\]"),
    ({"SPX": {"ES": 1}, "SOX": {"CL": 1}}, r"deltas\['SOX'\]: unknown instrument 'CL'"),
    ({"SPX": {"ES": 1}, "SOX": {"ES": -1}}, "an instrument may weigh in one group only"),
    ({"SPX": {"ES": 1 << 40}, "SOX": {"SOXF": 1}}, "less than 1099511627776"),
])
def test_params_refuse_credit_deltas_when_they_do_not_weigh_the_two_groups(params, deltas, message):
    data = params.document() | {"group_credits": [{"groups": ["SPX", "SOX"], "rate": "0.35", "deltas": deltas}]}
    with pytest.raises(InputError, match=message):
        RiskParams(**data)
