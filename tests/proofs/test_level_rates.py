"""Per-level add-on rates (Reg T initial in `standard`) reach the circuit, not just assess."""

from decimal import Decimal
from fractions import Fraction

import pytest

import zkmargin as zm
from tests.models.conftest import account, model, one_underlying_market, option
from tests.proofs.conftest import portfolio, small_params
from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.proofs.statement import Statement
from zkmargin.proofs.witness import assign


def test_circuit_charges_reg_t_initial_when_the_statement_is_at_the_initial_level():
    params = build_params(one_underlying_market(100, S={"kind": "stock"}), model("standard"))
    book = account(-6_000, {"S": 100})  # equity $4,000: meets 25% ($2,500), not 50% ($5,000)
    unmet = {}
    for level in ("maintenance", "initial"):
        circuit = Statement.for_params(params, "test", level).compile(params)
        unmet[level] = circuit.unsatisfied(assign(circuit, params, book))
    assert unmet == {"maintenance": [], "initial": ["scenarios"]}


def test_circuit_meets_initial_when_equity_covers_reg_t_exactly():
    params = build_params(one_underlying_market(100, S={"kind": "stock"}), model("standard"))
    book = account(Decimal(-5_000), {"S": 100})
    circuit = Statement.for_params(params, "test", "initial").compile(params)
    assert circuit.unsatisfied(assign(circuit, params, book)) == []


def _with_rates(params, **level_rates):
    """`params` with per-level add-on rates {level: (addon_long, addon_short)}."""
    rates = {level: {"addon_long": long, "addon_short": short} for level, (long, short) in level_rates.items()}
    return RiskParams(**{**params.document(), "level_rates": rates})


def test_policy_refuses_maintenance_proof_when_initial_required_under_standard_params():
    params = build_params(one_underlying_market(100, S={"kind": "stock"}), model("standard"))
    book = account(Decimal(-7_000), {"S": 100})  # equity $3,000: meets 25% ($2,500), not Reg T's 50% ($5,000)
    proof = zm.prove(book, params, level="maintenance")
    assert params.level_factor("maintenance") == params.level_factor("initial") == 1
    with pytest.raises(zm.PolicyViolation, match="maintenance level, which does not cover initial"):
        zm.verify(proof, params, policy=zm.Policy(level="initial", allow_unsigned_params=True))


def test_level_covers_neither_standard_level_when_a_deep_in_the_money_covered_call_costs_more_at_maintenance():
    params = build_params(one_underlying_market(100, S={"kind": "stock"}, C=option("call", 50)), model("standard"))
    book = account(0, {"S": 100, "C": -1})
    assert assess(book, params, level="maintenance").requirement == Decimal(1_250)
    assert assess(book, params, level="initial").requirement == Decimal(0)
    assert not params.level_covers("initial", "maintenance")
    assert not params.level_covers("maintenance", "initial")
    assert params.level_covers("initial", "initial")


def test_policy_accepts_initial_proof_when_maintenance_required_and_initial_factor_is_higher():
    params = small_params()
    assert params.level_factor("initial") == Fraction(11, 10)
    proof = zm.prove(portfolio(10_000, FUT=1), params, level="initial")
    policy = zm.Policy(level="maintenance", allow_unsigned_params=True)
    assert zm.verify(proof, params, policy=policy).level == "initial"
    with pytest.raises(zm.PolicyViolation, match="does not cover initial"):
        zm.verify(zm.prove(portfolio(10_000, FUT=1), params), params, policy=zm.Policy(level="initial", allow_unsigned_params=True))


def test_policy_refuses_initial_proof_when_an_initial_rate_is_below_maintenance():
    params = _with_rates(small_params(), maintenance=([0, 500], [0, 500]), initial=([0, 400], [0, 600]))
    assert params.level_factor("initial") > params.level_factor("maintenance")
    proof = zm.prove(portfolio(10_000, FUT=1), params, level="initial")
    with pytest.raises(zm.PolicyViolation, match="initial level, which does not cover maintenance"):
        zm.verify(proof, params, policy=zm.Policy(level="maintenance", allow_unsigned_params=True))


def test_level_covers_refuses_when_a_strategy_rate_is_lower_at_the_proved_level():
    params = build_params(one_underlying_market(100, S={"kind": "stock"}, C=option("call", 50)), model("standard"))
    raised = _with_rates(params, initial=([500_000, 5_000], [200_000, 5_000]))
    assert raised.strategies[0].level_rates == {"initial": 0}
    assert not raised.level_covers("initial", "maintenance")
    document = raised.document()
    document["strategies"][0]["level_rates"] = {"initial": 125_000}
    assert RiskParams(**document).level_covers("initial", "maintenance")
