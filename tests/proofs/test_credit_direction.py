"""SPAN's inter-commodity credit needs opposite net deltas, in the clear and proved."""

import json
import math
from decimal import Decimal

import pytest

from tests.models.conftest import account, market_of, model, option
from tests.proofs.conftest import forge_proof
from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.errors import InsufficientMargin, InvalidProof
from zkmargin.proofs.circuit import LIMB_BITS
from zkmargin.proofs.prover import prove
from zkmargin.proofs.statement import Statement
from zkmargin.proofs.verifier import verify
from zkmargin.proofs.witness import assign

STRADDLES = {"SPX C": 6, "SPX P": 6}
CREDIT = "x[SPX|SOX]"
A_LONG = "x_a_long[SPX|SOX]"


def straddles_and_futures():
    """The audit's book (tests/review/test_rules_audit.py, finding 8): SPX straddles, whose
    delta is slightly long, beside a SOX future."""
    return market_of(
        {"SPX": {"price": 6000, "vol": 0.18, "asset_class": "broad_index"},
         "SOX": {"price": 5200, "vol": 0.32, "asset_class": "narrow_index"}},
        {"SPX C": {**option("call", 6000), "underlying": "SPX"},
         "SPX P": {**option("put", 6000), "underlying": "SPX"},
         "SOX F": {"kind": "future", "underlying": "SOX", "multiplier": 50, "expiry": "2026-12-18"}},
    )


@pytest.fixture(scope="module")
def params():
    return build_params(straddles_and_futures(), model("span"))


@pytest.fixture(scope="module")
def circuit(params):
    return Statement.for_params(params, "test", "maintenance").compile(params)


def cash_to_meet(params, positions, credit):
    """The cash at which the book's equity is its requirement less `credit`."""
    report = assess(account(0, positions), params)
    return report.requirement - credit - report.equity


def credit_of(params, positions):
    return dict(assess(account(0, positions), params).group_credits)["SPX|SOX"]


def test_span_publishes_each_group_delta_per_contract_when_a_credit_pair_is_held(params):
    (credit,) = params.group_credits
    # 10,000 × (multiplier × Black-Scholes delta): the call N(d1), the put N(d1) − 1
    d1 = 0.18 * math.sqrt(21 / 365) / 2
    call_delta = 0.5 * (1 + math.erf(d1 / math.sqrt(2)))
    assert credit.deltas == {"SPX": {"SPX C": round(1_000_000 * call_delta), "SPX P": round(1_000_000 * (call_delta - 1))},
                             "SOX": {"SOX F": 500_000}}


@pytest.mark.parametrize("futures, credit", [
    (1, Decimal(0)),  # both groups net long: no spread
    (-1, Decimal("10849.48")),  # the straddles' long delta against a short future: 35% of their scan risk
])
def test_span_credits_the_pair_only_when_net_deltas_are_opposite(params, futures, credit):
    assert credit_of(params, STRADDLES | {"SOX F": futures}) == credit


@pytest.mark.parametrize("positions", [{"SOX F": -1}, {"SPX C": 1, "SPX P": 1, "SOX F": -1} | {"SPX P": 2}])
def test_span_grants_no_credit_when_one_group_is_flat_or_on_the_same_side(params, positions):
    # only SOX held: SPX's net delta is 0; 1 call + 2 puts is net short, like the short future
    assert credit_of(params, positions) == 0


def test_circuit_refuses_a_credit_when_both_groups_are_net_long(params, circuit):
    honest = assign(circuit, params, account(100_000, STRADDLES | {"SOX F": 1}))
    names = [variable.name for variable in circuit.variables]
    assert circuit.unsatisfied(honest) == [] and honest[names.index(CREDIT)] == 0
    claimed = list(honest)
    claimed[names.index(CREDIT)] = 1_084_948
    assert circuit.unsatisfied(claimed) == ["credit_direction(SPX|SOX)"]
    claimed[names.index(A_LONG)] = 1  # "SPX long, SOX short": SOX is long
    assert circuit.unsatisfied(claimed) == ["credit_delta(SPX|SOX, a_long, SOX)"]


@pytest.mark.parametrize("lean, limbs", [(True, 12), (False, 14)])
def test_circuit_adds_twelve_limbs_per_credit_when_a_spread_needs_opposite_deltas(params, lean, limbs):
    # two bit anchors (one limb each), four sign constraints and the direction bound (two
    # each); the circuit with every item stated also ranges the two bits
    circuit = Statement.for_params(params, "test", "maintenance").compile(params, lean=lean)
    direction = ("credit_side(", "credit_delta(", "credit_direction(", "range(x_a_")
    added = [item for item in circuit.range_items if item.name.startswith(direction)]
    assert sum(item.bits // LIMB_BITS for item in added) == limbs


@pytest.mark.parametrize("futures", [1, -1])
def test_prove_and_verify_state_the_credit_when_the_book_is_exactly_funded(params, futures):
    positions = STRADDLES | {"SOX F": futures}
    book = account(cash_to_meet(params, positions, Decimal(0)), positions)
    assert verify(prove(book, params), params).account == "test"
    with pytest.raises(InsufficientMargin):
        prove(book.model_copy(update={"cash": book.cash - Decimal("0.01")}), params)


def test_verify_refuses_a_proof_when_a_book_long_both_groups_claims_the_credit(params, monkeypatch):
    positions = STRADDLES | {"SOX F": 1}
    # the cash the old credit let this book prove with
    book = account(cash_to_meet(params, positions, Decimal("10849.48")), positions)

    def claim_the_credit(circuit, values):
        names = [variable.name for variable in circuit.variables]
        values[names.index(CREDIT)] = 1_084_948
        values[names.index(A_LONG)] = 1

    forged = forge_proof(monkeypatch, lambda: prove(book, params), claim_the_credit)
    with pytest.raises(InvalidProof):
        verify(forged, params)


@pytest.fixture(scope="module")
def legacy(params):
    """The same params as a venue built them before credits carried deltas."""
    document = params.document()
    for credit in document["group_credits"]:
        del credit["deltas"]
    return RiskParams.from_json(json.dumps(document))


def test_params_keep_their_digest_and_credit_when_made_before_credit_deltas(params, legacy):
    (credit,) = legacy.group_credits
    assert credit.deltas is None
    assert b"deltas" not in legacy.canonical_bytes()  # no `"deltas": null` to move the digest
    assert RiskParams.from_json(legacy.to_json()).digest() == legacy.digest() != params.digest()
    # as stated then: the credit whatever the deltas' signs, where today's params grant none
    both_long = STRADDLES | {"SOX F": 1}
    assert credit_of(params, both_long) == 0
    assert credit_of(legacy, both_long) == credit_of(params, STRADDLES | {"SOX F": -1}) > 0


def test_proof_verifies_under_params_made_before_credit_deltas_when_the_circuit_has_no_direction_items(legacy):
    circuit = Statement.for_params(legacy, "test", "maintenance").compile(legacy)
    assert not [variable.name for variable in circuit.variables if variable.name.startswith("x_a_")]
    book = STRADDLES | {"SOX F": 1}
    proof = prove(account(cash_to_meet(legacy, book, 0), book), legacy)
    assert verify(proof, legacy).params_digest == legacy.digest()
