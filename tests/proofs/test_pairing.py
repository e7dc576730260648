"""Pairing witnesses: an honest pairing proves, a dishonest one cannot lower the requirement."""

from decimal import Decimal

import pytest

from tests.models.conftest import account, model, one_underlying_market, option
from zkmargin.engine.params import build_params
from zkmargin.errors import InvalidProof
from tests.proofs.conftest import forge_proof
from zkmargin.proofs.prover import prove
from zkmargin.proofs.statement import Statement
from zkmargin.proofs.verifier import verify
from zkmargin.proofs.witness import assign


@pytest.fixture(scope="module")
def params():
    market = one_underlying_market(48, L=option("call", 50, mark=4.0), S=option("call", 45, mark=6.5))
    return build_params(market, model("standard"))


def circuit_and_witness(params, positions, cash):
    circuit = Statement.for_params(params, "test", "maintenance").compile(params)
    return circuit, assign(circuit, params, account(Decimal(cash), positions))


def position(circuit, name):
    return [v.name for v in circuit.variables].index(name)


def vertical(params):
    return next(j for j, s in enumerate(params.strategies) if s.name == "vertical: +1 L, −1 S")


def test_circuit_accepts_the_cheapest_pairing_when_the_vertical_is_held(params):
    circuit, witness = circuit_and_witness(params, {"L": 1, "S": -1}, 250 - 400 + 650)
    assert circuit.unsatisfied(witness) == []
    assert witness[position(circuit, f"n[{vertical(params)}]")] == 1


def test_circuit_refuses_a_pairing_when_its_long_leg_is_not_held(params):
    # naked short call: $960; a claimed vertical would make it $250
    circuit, witness = circuit_and_witness(params, {"S": -1}, 960 + 650)
    assert circuit.unsatisfied(witness) == []
    witness[position(circuit, f"n[{vertical(params)}]")] = 1
    assert "long_cover(L)" in circuit.unsatisfied(witness)


def test_circuit_refuses_a_phantom_long_unit_when_the_short_part_is_overstated(params):
    # u = q⁻ + 1 on L would add a phantom long and short L; the sign bit forbids it
    circuit, witness = circuit_and_witness(params, {"S": -1}, 960 + 650)
    witness[position(circuit, "u[L]")] = 1
    witness[position(circuit, f"n[{vertical(params)}]")] = 1
    for bit in (0, 1):
        witness[position(circuit, "b[L]")] = bit
        assert {"sign_short(L)", "sign_long(L)"} & set(circuit.unsatisfied(witness))


def test_circuit_refuses_legs_counted_twice_when_one_short_is_claimed_by_two_strategies(params):
    circuit, witness = circuit_and_witness(params, {"L": 1, "S": -1}, 250 - 400 + 650)
    witness[position(circuit, f"n[{vertical(params)}]")] = 2
    assert {"long_cover(L)", "short_cover(S)"} <= set(circuit.unsatisfied(witness))


def test_verify_rejects_a_forged_proof_when_the_prover_claims_an_unheld_vertical(params, monkeypatch):
    book = account(Decimal(250 + 650), {"S": -1})  # covers the vertical's $250, not $960

    def claim_vertical(circuit, values):
        values[position(circuit, f"n[{vertical(params)}]")] = 1

    forged = forge_proof(monkeypatch, lambda: prove(book, params), claim_vertical)
    with pytest.raises(InvalidProof):
        verify(forged, params)


def test_prove_and_verify_a_paired_book_when_funded_exactly(params):
    proof = prove(account(Decimal(250 - 400 + 650), {"L": 1, "S": -1}), params)
    verify(proof, params)


def test_circuit_counts_two_short_units_per_butterfly_when_the_middle_is_short_only_once():
    market = one_underlying_market(
        50, L=option("call", 45, mark=6.0), M=option("call", 50, mark=2.5), H=option("call", 55, mark=0.75)
    )
    params = build_params(market, model("standard"))
    butterfly = next(j for j, s in enumerate(params.strategies) if s.name.startswith("long butterfly"))
    circuit, witness = circuit_and_witness(params, {"L": 1, "M": -2, "H": 1}, 0)
    assert circuit.unsatisfied(witness) == [] and witness[position(circuit, f"n[{butterfly}]")] == 1
    circuit, witness = circuit_and_witness(params, {"L": 1, "M": -1, "H": 1}, 10_000)
    witness[position(circuit, f"n[{butterfly}]")] = 1
    assert "short_cover(M)" in circuit.unsatisfied(witness)


def test_circuit_refuses_a_sign_of_two_when_it_would_hide_one_extra_long_leg(params):
    # long_cover reads 2·(q + u − Σ a·n) + β: β = 2 would let one unit more than held
    # pass it; sign_long then needs q + u ≤ −2^31, which no position meets
    circuit, witness = circuit_and_witness(params, {"S": -1}, 960 + 650)
    witness[position(circuit, f"n[{vertical(params)}]")] = 1
    witness[position(circuit, "b[L]")] = 2
    failing = circuit.unsatisfied(witness)
    assert "long_cover(L)" not in failing and "sign_long(L)" in failing


def test_circuit_proves_each_leg_in_two_more_limbs_when_its_short_part_and_sign_are_anchored(params):
    from zkmargin.proofs.statement import limb_count

    # every item stated (lean=False), so only the pairing's own anchoring differs
    paired = Statement.for_params(params, "test", "maintenance").compile(params, lean=False)
    naked_params = params.model_copy(update={"strategies": []})
    naked = Statement.for_params(naked_params, "test", "maintenance").compile(naked_params, lean=False)
    legs = 2  # L and S
    assert limb_count(paired) == limb_count(naked) + len(params.strategies) + 2 * legs
    unranged = {v.name for v in paired.variables if not v.own_range}
    assert unranged == {"u[L]", "u[S]", "b[L]", "b[S]"}


def test_stacked_buckets_keep_each_legs_anchored_variables_when_the_circuit_pairs_strategies(params):
    from zkmargin.proofs.stacked import stacked
    from zkmargin.proofs.statement import limb_count

    single = Statement.for_params(params, "test", "maintenance").compile(params)
    stack = stacked(single, 2)
    assert {v.name for v in stack.variables if not v.own_range} == {
        f"bucket {k}: {name}" for k in range(2) for name in ("u[L]", "u[S]", "b[L]", "b[S]", "c")
    }
    assert limb_count(stack) == 2 * limb_count(single)
    assert stack.soundness_budget() == single.soundness_budget()


def test_prove_pairs_a_vertical_inside_a_bucket_but_not_across_buckets_when_isolated(params):
    from zkmargin.engine.assess import assess
    from zkmargin.engine.buckets import BucketedPortfolio
    from zkmargin.errors import InsufficientMargin

    def needs(positions):
        report = assess(account(Decimal(0), positions), params)
        return report.requirement - report.equity

    spread, naked_short, long_call = needs({"L": 1, "S": -1}), needs({"S": -1}), needs({"L": 1})
    assert spread < naked_short + long_call  # the pairing helps

    def buckets(*items):
        return BucketedPortfolio.model_validate({"account": "test", "buckets": [
            {"name": name, "cash": cash, "positions": positions} for name, cash, positions in items
        ]})

    together = buckets(("spread", spread, {"L": 1, "S": -1}))
    assert verify(prove(together, params, pad_to=2), params).buckets == 2
    split = buckets(("long", long_call, {"L": 1}), ("short", spread - long_call, {"S": -1}))
    with pytest.raises(InsufficientMargin, match="short"):
        prove(split, params)
    funded = buckets(("long", long_call, {"L": 1}), ("short", naked_short, {"S": -1}))
    assert verify(prove(funded, params), params).buckets == 2


def test_prove_and_verify_covered_and_protective_puts_when_funded_exactly():
    from tests.models.conftest import one_underlying_market as market_of
    from zkmargin.engine.assess import assess

    market = market_of(50, S={"kind": "stock"}, P=option("put", 45, mark=1.0), Q=option("put", 55, mark=6.0))
    params = build_params(market, model("standard"))
    for positions in ({"S": 100, "P": 1}, {"S": -100, "Q": -1}):
        book = account(Decimal(0), positions)
        report = assess(book, params)
        funded = account(report.requirement - report.equity, positions)
        assert assess(funded, params).excess == 0 and len(report.pairing) == 1
        verify(prove(funded, params), params)


def condor_market(puts, calls):
    legs = {f"P{k}": option("put", k, mark=max(0.5, (k - 80) / 4)) for k in puts}
    legs |= {f"C{k}": option("call", k, mark=max(0.5, (120 - k) / 4)) for k in calls}
    return build_params(one_underlying_market(100, **legs), model("standard"))


def test_circuit_states_an_iron_condor_as_its_two_spreads_and_a_bonus_when_its_block_is_complete():
    from tests.models.conftest import account as book_of
    from zkmargin.engine.assess import assess

    params = condor_market((85, 90), (110, 115))
    condor = next(j for j, s in enumerate(params.strategies) if s.name.startswith("iron condor"))
    positions = {"P85": 3, "P90": -3, "C110": -3, "C115": 3}
    report = assess(book_of(Decimal(0), positions), params)
    funded = book_of(report.requirement - report.equity, positions)
    circuit, witness = circuit_and_witness(params, positions, report.requirement - report.equity)
    names = [v.name for v in circuit.variables]
    assert f"n[{condor}]" not in names and witness[names.index("z[0]")] == 3
    assert circuit.unsatisfied(witness) == [] and report.pairing[0][0].startswith("iron condor")
    verify(prove(funded, params), params)


def test_circuit_refuses_a_condor_bonus_when_only_the_put_spread_is_held():
    # the put credit spread alone, and a bonus claimed as if the call spread were held too
    params = condor_market((85, 90), (110, 115))
    circuit, witness = circuit_and_witness(params, {"P85": 1, "P90": -1}, 10_000)
    witness[position(circuit, "z[0]")] = 1
    assert circuit.unsatisfied(witness) == ["bonus_right(0)"]


def test_circuit_keeps_a_count_per_condor_when_one_pair_of_spreads_is_not_a_condor():
    # put spreads 80/85 and 85/90, call spreads 85/90 and 90/95: 85/90 P with 85/90 C has its
    # short put above its short call, so three of the four pairs are condors: no block
    params = condor_market((80, 85, 90), (85, 90, 95))
    condors = [j for j, s in enumerate(params.strategies) if s.name.startswith("iron condor")]
    circuit = Statement.for_params(params, "test", "maintenance").compile(params)
    names = {v.name for v in circuit.variables}
    assert len(condors) == 3 and {f"n[{j}]" for j in condors} <= names
    assert not any(name.startswith("z[") for name in names)


def test_prove_and_verify_a_covered_call_in_whole_strategies_when_shares_have_fractions():
    from zkmargin.engine.assess import assess

    market = one_underlying_market(
        50, market_fields={"quantity_decimals": 2}, S={"kind": "stock"}, C=option("call", 50, mark=2.5),
    )
    params = build_params(market, model("standard"))
    positions = {"S": Decimal("150.5"), "C": -1}
    report = assess(account(Decimal(0), positions), params)
    funded = account(report.requirement - report.equity, positions)
    circuit = Statement.for_params(params, "test", "maintenance").compile(params)
    witness = assign(circuit, params, funded)
    covered_call = next(j for j, s in enumerate(params.strategies) if s.name.startswith("covered call"))
    assert witness[position(circuit, f"n[{covered_call}]")] == 1
    assert circuit.unsatisfied(witness) == []
    verify(prove(funded, params), params)
