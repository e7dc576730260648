"""Failing tests for the review of strategy pairing with anchored variables (session 2).

Each test names its finding (P1 …) and states the property the code should have: it fails
on branch `strategies` and should pass once the finding is fixed. Dishonest provers are
simulated as in tests/proofs/conftest.py (`forge_proof`): the honest prover's witness is
rewritten and its own satisfiability checks are switched off.

What was tried and held (β ∉ {0, 1}, u_i ≠ q_i⁻, anchor chains and cycles, legs shared
between templates, condor bonus witnesses) is listed in the review report and covered by
tests/proofs/test_pairing.py and test_circuit.py; the one test here that passes is the
field-level sign-bit attack at the end, which those tests (over the integers) lack.
"""

import dataclasses
from decimal import Decimal

import pytest

from tests.models.conftest import account, model, one_underlying_market, option
from tests.proofs.conftest import forge_proof
from zkmargin.engine.assess import assess
from zkmargin.engine.params import build_params
from zkmargin.errors import InvalidProof
from zkmargin.proofs import statement as statement_module
from zkmargin.proofs.circuit import Circuit
from zkmargin.proofs.prover import prove
from zkmargin.proofs.verifier import verify


def counter(params, prefix):
    """Index of the first template whose name starts with `prefix`."""
    return next(j for j, s in enumerate(params.strategies) if s.name.startswith(prefix))


def position(circuit, name):
    return [v.name for v in circuit.variables].index(name)


# P1 (high) — proofs/pairing.py, engine/strategies.py: a strategy count n_j is in quantity
# units, so with `quantity_decimals` > 0 (fractional shares) it counts hundredths of a
# strategy, and a 100-share covered call or put is "paired" pro rata on 99 shares: 0.99 of
# the short option is charged the covered rate and only 0.01 of it the naked rate. Cboe
# and FINRA cover a short option only with the full deliverable (100 shares a contract):
# 99 shares leave the whole option naked and the shares at the stock's own rate.
@pytest.fixture(scope="module")
def fractional_shares():
    """Stock at 50 with the 50 call and the 50 put at 2.50, positions to 0.01 of a unit."""
    market = one_underlying_market(
        50, market_fields={"quantity_decimals": 2}, S={"kind": "stock"},
        C=option("call", 50, mark=2.5), P=option("put", 50, mark=2.5),
    )
    return build_params(market, model("standard"))


@pytest.mark.parametrize("positions, rule", [
    # 99 long shares: 25% × 4,950 = 1,237.50; the 50 call naked, at the money:
    # 20% × 50 × 100 = 1,000 (the premium is already out of net liquidation value)
    ({"S": 99, "C": -1}, "2237.50"),
    # 99 short shares: 30% × 4,950 = 1,485; the 50 put naked: 1,000
    ({"S": -99, "P": -1}, "2485"),
    # 150 shares, 2 calls: one covered call (25% × 5,000 − 250 = 1,000), 50 shares at
    # 25% (625) and one naked call (1,000)
    ({"S": 150, "C": -2}, "2625"),
])
def test_assess_charges_the_uncovered_option_naked_when_fractional_shares_fall_short_of_a_lot(
    fractional_shares, positions, rule
):
    report = assess(account(Decimal(0), positions), fractional_shares)
    assert report.requirement == Decimal(rule)


def test_verify_rejects_a_forged_proof_when_ninety_nine_shares_cover_a_call_pro_rata(fractional_shares, monkeypatch):
    # equity 1,000.00 (cash −3,700 + 4,950 of stock − the call's 250): the pro-rata covered
    # call's requirement, 1,237.50 below the rule's 2,237.50
    book = account(Decimal(-3700), {"S": 99, "C": -1})
    covered_call = counter(fractional_shares, "covered call")

    def pair_pro_rata(circuit, values):
        values[position(circuit, f"n[{covered_call}]")] = 99

    forged = forge_proof(monkeypatch, lambda: prove(book, fractional_shares), pair_pro_rata)
    with pytest.raises(InvalidProof):
        verify(forged, fractional_shares)


# P2 (low) — proofs/statement.py, proofs/verifier.py: nothing a verifier checks names the
# circuit. `Circuit.digest()` marks anchored variables, but no statement, transcript or
# verifier uses it (only tests/proofs/test_circuit.py calls it), so a proof made by a
# prover whose compiler gives u_i and β_i their own ranges (branch `main`) is refused by an
# anchored verifier for the proof's byte length, or, when both limb counts pad alike, as
# "the committed account does not meet the statement": a version skew reads as a margin
# shortfall. It is refused either way (no cross-verification: the range-proved
# commitments differ), so this is about the refusal naming its cause.
@pytest.fixture(scope="module")
def vertical_params():
    market = one_underlying_market(48, L=option("call", 50, mark=4.0), S=option("call", 45, mark=6.5))
    return build_params(market, model("standard"))


def with_own_ranges(compile_circuit):
    """The compiler as a version without anchors would run it: every variable ranged."""
    def compile(*args, **kwargs):
        anchored = compile_circuit(*args, **kwargs)
        ranged = tuple(dataclasses.replace(variable, own_range=True) for variable in anchored.variables)
        return Circuit(ranged, anchored.constraints)
    return compile


def padded_alike():
    """The vertical's market with three futures: 25 limbs anchored, 29 with own ranges, both
    one range proof padded to 32, so the proof's length is no clue."""
    futures = {f"F{k}": {"kind": "future", "expiry": f"2026-12-1{k}"} for k in range(3)}
    market = one_underlying_market(48, L=option("call", 50, mark=4.0), S=option("call", 45, mark=6.5), **futures)
    return build_params(market, model("standard"))


@pytest.mark.parametrize("which", ["limb counts pad apart", "limb counts pad alike"])
def test_verify_names_the_circuit_when_the_proof_was_made_for_one_with_own_ranges(vertical_params, which, monkeypatch):
    params = vertical_params if which == "limb counts pad apart" else padded_alike()
    book = account(Decimal(500), {"L": 1, "S": -1})  # the vertical's $250 and $250 spare
    with monkeypatch.context() as patched:
        patched.setattr(statement_module, "compile_circuit", with_own_ranges(statement_module.compile_circuit))
        proof = prove(book, params)
    # today: "a range proof is 352 + 96·k bytes, got 2240", or, padded alike, "the committed
    # account does not meet the statement" for a book $250 above its requirement
    with pytest.raises(InvalidProof, match="circuit"):
        verify(proof, params)


# Held (coverage the suite lacks: tests/proofs check witnesses over the integers only).
# In the field, β_L = 1/2 = (r + 1)/2 meets both sign items (2^31·β_L = 2^30) and would
# leave u_L = 0 for a claimed vertical; only long_cover(L), where β_L has coefficient 1 and
# so is pinned to an integer, refuses it.
def test_circuit_refuses_only_at_the_long_cover_when_the_sign_bit_is_one_half_in_the_field(vertical_params):
    from zkmargin.hazmat.scalar import ORDER
    from zkmargin.proofs.statement import Statement
    from zkmargin.proofs.witness import assign

    circuit = Statement.for_params(vertical_params, "test", "maintenance").compile(vertical_params)
    # naked short S, cash that funds only the vertical's $250: 250 + the call's 650
    witness = assign(circuit, vertical_params, account(Decimal(900), {"S": -1}))
    witness[position(circuit, f"n[{counter(vertical_params, 'vertical: +1 L')}]")] = 1
    witness[position(circuit, "b[L]")] = (ORDER + 1) // 2
    outside = [
        item.name for item, value in zip(circuit.range_items, circuit.evaluate(witness))
        if not 0 <= value % ORDER < 1 << item.bits
    ]
    assert outside == ["long_cover(L)"]
