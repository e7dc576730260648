"""Per-level add-on rates (Reg T initial in `standard`) reach the circuit, not just assess."""

from decimal import Decimal

from tests.models.conftest import account, model, one_underlying_market
from zkmargin.engine.params import build_params
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
