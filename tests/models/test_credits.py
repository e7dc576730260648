"""SPAN-style inter-commodity spread credits: a public table, a linear witness (issue 12)."""

from decimal import Decimal

import pytest

from tests.models.conftest import account, market_of, model
from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams, build_params
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
    assert failing and all(name.startswith(("credit(", "joint(")) for name in failing)


def test_params_refuse_a_group_in_two_credits_when_loaded(params):
    data = params.document()
    data["group_credits"] = [{"groups": ["SPX", "SOX"], "rate": "0.3"}, {"groups": ["SOX", "SPX"], "rate": "0.3"}]
    with pytest.raises(InputError, match="one credit only"):
        RiskParams(**data)
    data["group_credits"] = [{"groups": ["SPX", "SOX"], "rate": "1.5"}]
    with pytest.raises(InputError, match=r"rate 1.5 must be in \[0, 1\]"):
        RiskParams(**data)
    data["group_credits"] = [{"groups": ["SPX", "CL"], "rate": "0.5"}]
    with pytest.raises(InputError, match="two distinct scenario groups"):
        RiskParams(**data)
