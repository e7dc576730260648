"""A margin statement a few limbs past a power of two is proved in two parts and verified as before."""

import json

import pytest

import zkmargin as zm
from tests.proofs.conftest import ROOT, SMALL_RISK, portfolio
from zkmargin.demo import scenery
from zkmargin.hazmat import range_proof_parts
from zkmargin.hazmat.range_proof import proof_size
from zkmargin.proofs.statement import Statement, limb_count


@pytest.fixture(scope="module")
def five_scenarios():
    """SMALL_RISK plus two scenarios no others imply: 18 limbs (c has no range of its own),
    split as 16 + 2."""
    risk = json.loads(json.dumps(SMALL_RISK))
    risk["scenarios"] += ["gap", "spike"]
    risk["instruments"]["FUT"]["pnl"] += [-2_000.0, 4_000.0]
    risk["instruments"]["CALL"]["pnl"] += [-850.0, 2_500.0]
    arrays = zm.RiskArrays.from_json(json.dumps(risk))
    return zm.build_params(arrays, zm.MarginModel.load(ROOT / "circuits" / "scenario.toml"))


def limbs_of(params):
    return limb_count(Statement.for_params(params, "alice", "maintenance", 0).compile(params))


def test_margin_proof_is_split_in_two_parts_when_limbs_pass_a_power_of_two(five_scenarios):
    assert limbs_of(five_scenarios) == 18
    proof = zm.prove(portfolio(50_000, FUT=-2, CALL=1), five_scenarios)
    assert proof.size == proof_size(32, 16) + proof_size(32, 2)
    assert zm.verify(proof, five_scenarios).account == "alice"


def test_margin_proof_in_two_parts_fails_when_the_threshold_is_raised(five_scenarios):
    proof = zm.prove(portfolio(50_000, FUT=-2, CALL=1), five_scenarios)
    document = json.loads(proof.to_json())
    document["statement"]["threshold"] = "1000000"
    with pytest.raises(zm.InvalidProof):
        zm.verify(zm.MarginProof.from_json(json.dumps(document)), five_scenarios)


def test_single_part_margin_proof_still_verifies_when_its_limbs_would_now_split(five_scenarios, monkeypatch):
    with monkeypatch.context() as patched:  # the prover as it was before proofs were split
        patched.setattr(range_proof_parts, "part_sizes", lambda m: (m,))
        proof = zm.prove(portfolio(50_000, FUT=-2, CALL=1), five_scenarios)
    assert proof.size == proof_size(32, 18)
    assert zm.verify(proof, five_scenarios).account == "alice"


@pytest.fixture(scope="module")
def demo_params():
    """The demo's universe under portfolio_margin.toml: 41 limbs, proved as 32 + 8 + 1."""
    market = zm.Market.load(scenery.REPO_ROOT / scenery.MARKET_FILE).listing(scenery.DEMO_UNIVERSE)
    return zm.build_params(market, zm.MarginModel.load(scenery.REPO_ROOT / scenery.MODEL_FILE))


def test_margin_proof_is_split_in_three_parts_when_the_rest_would_pad_by_seven_limbs(demo_params, monkeypatch):
    assert limbs_of(demo_params) == 41
    book = zm.Portfolio.from_json(json.dumps({"account": "alice", "cash": 250_000, "positions": {"XYZ": 100, "ES 2026-12-18": -1}}))
    proof = zm.prove(book, demo_params)
    assert proof.size == proof_size(32, 32) + proof_size(32, 8) + proof_size(32, 1)
    assert zm.verify(proof, demo_params).account == "alice"
    with monkeypatch.context() as patched:  # the prover as it was before third parts
        patched.setattr(range_proof_parts, "part_sizes", range_proof_parts._halves)
        two_parts = zm.prove(book, demo_params)
    assert two_parts.size == proof_size(32, 32) + proof_size(32, 9)
    assert zm.verify(two_parts, demo_params).account == "alice"
