"""The statement names the circuit it was proved for (`circuit_digest`), optionally.

data/vertical-proof-before-circuit-digest.json was made by branch main at 925dd95 (before
the field existed) over data/vertical-params.json: a long 50 call and a short 45 call
paired as one vertical, cash 600 (equity 350, requirement 250), threshold 100.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.models.conftest import account, model, one_underlying_market, option
from tests.proofs.conftest import portfolio, small_params
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.errors import InvalidProof, MalformedProof
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.prover import prove
from zkmargin.proofs.statement import Statement
from zkmargin.proofs.verifier import verify, verify_batch

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def params():
    market = one_underlying_market(48, L=option("call", 50, mark=4.0), S=option("call", 45, mark=6.5))
    return build_params(market, model("standard"))


@pytest.fixture(scope="module")
def proof(params):
    return prove(account(Decimal(600), {"L": 1, "S": -1}), params, min_excess=Decimal("100"))


def test_verify_accepts_a_proof_file_when_it_was_made_before_statements_named_the_circuit():
    params = RiskParams.load(DATA / "vertical-params.json")
    old = MarginProof.load(DATA / "vertical-proof-before-circuit-digest.json")
    assert old.statement.circuit_digest is None
    statement = verify(old, params)
    assert (statement.account, statement.threshold, statement.circuit_digest) == ("test", Decimal(100), None)
    assert verify_batch([old], params).ok


def test_prove_names_the_circuit_it_proved_when_it_writes_the_statement(params, proof):
    circuit = Statement.for_params(params, "test", "maintenance", Decimal(100)).compile(params)
    assert proof.statement.circuit_digest == circuit.digest()
    assert json.loads(proof.to_json())["statement"]["circuit_digest"] == circuit.digest()
    assert verify(MarginProof.from_json(proof.to_json()), params).circuit_digest == circuit.digest()


def test_verify_names_both_circuits_when_the_statement_names_another(params, proof):
    other = "ab" * 32
    relabelled = proof.model_copy(update={"statement": proof.statement.model_copy(update={"circuit_digest": other})})
    names = f"made for circuit {other[:16]}…, these params compile to {proof.statement.circuit_digest[:16]}…"
    with pytest.raises(InvalidProof, match=names):
        verify(relabelled, params)
    assert "made for circuit" in verify_batch([relabelled], params).failures[0].reason


def test_verify_rejects_a_proof_when_its_circuit_digest_is_removed():
    # A proof without a digest is checked on the circuit with every item stated. At the
    # initial level (λ = 11/10, so c keeps its range) of params where no item is implied,
    # that is the lean circuit itself: only the transcript, which absorbed the digest, differs.
    params = small_params()
    statement = Statement.for_params(params, "alice", "initial")
    assert statement.compile(params).digest() == statement.compile(params, lean=False).digest()
    proof = prove(portfolio(50_000, FUT=-2, CALL=1), params, level="initial")
    stripped = proof.model_copy(update={"statement": proof.statement.model_copy(update={"circuit_digest": None})})
    assert verify(proof, params).account == "alice"
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(stripped, params)


def test_verify_accepts_a_proof_when_it_names_the_circuit_with_every_item_stated(params, monkeypatch):
    # proofs made before implied items were left out name that circuit; it is sound too
    from zkmargin.proofs import statement as statement_module

    full_compile = statement_module.Statement.compile
    with monkeypatch.context() as patched:
        patched.setattr(statement_module.Statement, "compile", lambda self, p, lean=True: full_compile(self, p, lean=False))
        old = prove(account(Decimal(600), {"L": 1, "S": -1}), params, min_excess=Decimal("100"))
    statement = Statement.for_params(params, "test", "maintenance", Decimal(100))
    assert old.statement.circuit_digest == statement.compile(params, lean=False).digest()
    assert old.statement.circuit_digest != statement.compile(params).digest()
    assert verify(old, params).circuit_digest == old.statement.circuit_digest
    assert verify_batch([old], params).ok


@pytest.mark.parametrize("digest", ["", "AB" * 32, "ab" * 31, None])
def test_proof_load_reports_malformed_when_the_circuit_digest_is_not_64_hex_digits(proof, digest):
    data = json.loads(proof.to_json())
    data["statement"]["circuit_digest"] = digest
    with pytest.raises(MalformedProof):
        MarginProof.from_json(json.dumps(data))
