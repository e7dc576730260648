"""Custodian attestations: cross-venue sums, signatures, universe, policy and provenance."""

import json
import stat
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import zkmargin as zm
from tests.proofs.conftest import portfolio
from zkmargin.proofs import attested_book as attested_book_module, prover
from zkmargin.proofs.attested import summed_commitments

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
# Custodian A holds the short call and 1,000.00 of cash, custodian B the long future and
# 2,500.00. The requirement of the two together is 3,250.00 of cash (tests/proofs): A's book
# alone is short, the sum of both books meets it.
BOOK_A = portfolio(1000, CALL=-1)
BOOK_B = portfolio(2500, FUT=1)


@pytest.fixture(scope="module")
def custodians():
    return zm.new_key("custodian-a", "custody"), zm.new_key("custodian-b", "custody")


@pytest.fixture(scope="module")
def trust(custodians):
    return zm.Trust([key.public() for key in custodians])


@pytest.fixture(scope="module")
def attested(params, custodians):
    a, b = custodians
    return [
        zm.attest(a, params, BOOK_A, sequence=4, time=NOW - timedelta(hours=1)),
        zm.attest(b, params, BOOK_B, sequence=9, time=NOW - timedelta(hours=2)),
    ]


@pytest.fixture(scope="module")
def proof(params, attested):
    book = zm.attested_book(attested, params)
    return zm.prove(book.portfolio, params, openings=book.openings, attestations=book.attestations)


def _reloaded(proof, change=None):
    data = json.loads(proof.to_json())
    if change:
        change(data)
    return zm.MarginProof.from_json(json.dumps(data))


def test_book_at_custodian_a_alone_is_short_when_its_hedge_is_held_at_b(params, attested):
    alone = zm.attested_book(attested[:1], params)
    with pytest.raises(zm.InsufficientMargin):
        zm.prove(alone.portfolio, params, openings=alone.openings, attestations=alone.attestations)


def test_two_attestations_summed_verify_when_verifier_holds_neither_book(proof, params, trust):
    text = proof.to_json()
    assert "openings" not in text and '"value"' not in text and "FUT\": 1" not in text
    verified = zm.verify(_reloaded(proof), params, policy=zm.Policy(trust=trust, allow_unsigned_params=True), now=NOW)
    assert [(a.custodian, a.sequence) for a in verified.attestations] == [("custodian-a", 4), ("custodian-b", 9)]
    assert not verified.self_declared
    assert verified.provenance.startswith("attested by custodian-a (sequence 4, 2026-12-02T05:00:00Z); custodian-b")


def test_verify_refuses_attestation_when_custodian_key_is_not_trusted(proof, params, custodians):
    only_a = zm.Trust([custodians[0].public()])
    with pytest.raises(zm.UntrustedSignature, match="custodian-b"):
        zm.verify(proof, params, policy=zm.Policy(trust=only_a, allow_unsigned_params=True))


@pytest.mark.parametrize(
    "field, value",
    [("sequence", 10), ("time", "2026-12-02T05:30:00Z"), ("account", "bob"), ("custodian", "custodian-a")],
)
def test_verify_refuses_attestation_when_a_signed_field_is_changed(proof, params, trust, field, value):
    def change(data):
        data["attestations"][1][field] = value

    with pytest.raises((zm.UntrustedSignature, zm.InvalidProof)):
        zm.verify(_reloaded(proof, change), params, policy=zm.Policy(trust=trust, allow_unsigned_params=True))


def test_verify_refuses_proof_when_commitments_are_not_the_sum_of_the_attestations(params, attested, trust, monkeypatch):
    book = zm.attested_book(attested, params)
    # The same book under other blindings: every value right, no commitment the attested one.
    other = zm.open_account(book.portfolio, params)[1]
    with pytest.raises(zm.InputError, match="the book's cash c does not open the sum of the attestations"):
        zm.prove(book.portfolio, params, openings=other, attestations=book.attestations)
    monkeypatch.setattr(prover, "require_opens", lambda *args: None)  # a prover skipping its own check
    forged = zm.prove(book.portfolio, params, openings=other, attestations=book.attestations)
    with pytest.raises(zm.InvalidProof, match="differs from the sum of the attestations"):
        zm.verify(forged, params, policy=zm.Policy(trust=trust, allow_unsigned_params=True))


def test_verify_refuses_proof_when_an_attestation_is_dropped_or_replaced(proof, params, trust, custodians):
    policy = zm.Policy(trust=trust, allow_unsigned_params=True)
    dropped = _reloaded(proof, lambda d: d["attestations"].pop())
    with pytest.raises(zm.InvalidProof, match="statement names"):
        zm.verify(dropped, params, policy=policy)
    # A newer attestation of B's book (other blindings) does not fit the proof's commitments.
    newer, _ = zm.attest(custodians[1], params, BOOK_B, sequence=10, time=NOW)
    replaced = _reloaded(proof, lambda d: d["attestations"].__setitem__(1, json.loads(newer.to_json())))
    with pytest.raises(zm.InvalidProof):
        zm.verify(replaced, params, policy=policy)


def test_verify_refuses_two_attestations_when_both_are_by_one_custodian(params, custodians, trust, monkeypatch):
    a = custodians[0]
    first = zm.attest(a, params, portfolio(3000, FUT=1), sequence=1, time=NOW)
    second = zm.attest(a, params, portfolio(3000, FUT=1), sequence=2, time=NOW)
    # A dishonest prover drops the honest prover's refusal (tests/cli/test_bad_input_sweep.py).
    monkeypatch.setattr(attested_book_module, "_require_one_per_custodian", lambda pairs: None)
    book = zm.attested_book([first, second], params)
    doubled = zm.prove(book.portfolio, params, openings=book.openings, attestations=book.attestations)
    with pytest.raises(zm.InvalidProof, match="counted twice"):
        zm.verify(doubled, params, policy=zm.Policy(trust=trust, allow_unsigned_params=True))


def test_attest_refuses_book_when_a_position_lies_outside_the_universe(params, custodians):
    with pytest.raises(zm.UnknownInstrument, match="whole book"):
        zm.attest(custodians[0], params, portfolio(1000, CALL=-1, PUT=-5), sequence=1, time=NOW)


def test_verify_refuses_attestation_when_it_covers_another_universe(params, custodians, trust):
    from tests.proofs.conftest import SMALL_RISK, ROOT
    risk = json.loads(json.dumps(SMALL_RISK))
    risk["instruments"]["PUT"] = {"mark": 1, "multiplier": 100, "pnl": [-900.0, 300.0, 5_000.0, -100.0]}
    wider = zm.build_params(zm.RiskArrays.from_json(json.dumps(risk)), zm.MarginModel.load(ROOT / "circuits" / "scenario.toml"))
    outside = zm.attest(custodians[1], wider, portfolio(5000, FUT=1, PUT=-5), sequence=3, time=NOW)
    assert outside[0].universe_digest != zm.attest(custodians[1], params, portfolio(1), sequence=1, time=NOW)[0].universe_digest
    with pytest.raises(zm.UnknownInstrument, match="another instrument universe"):
        outside[0].check(params, trust)


def test_policy_requires_each_named_custodian_when_only_one_attested(params, custodians, trust):
    alone = zm.attest(custodians[1], params, portfolio(4000, FUT=1), sequence=11, time=NOW)
    richer = zm.attested_book([alone], params)  # this book at B alone meets the requirement
    proof_b = zm.prove(richer.portfolio, params, openings=richer.openings, attestations=richer.attestations)
    policy = zm.Policy(trust=trust, allow_unsigned_params=True, required_custodians={"custodian-a", "custodian-b"})
    with pytest.raises(zm.PolicyViolation, match="custodian-a"):
        zm.verify(proof_b, params, policy=policy)
    assert zm.verify(proof_b, params, policy=zm.Policy(trust=trust, allow_unsigned_params=True, required_custodians={"custodian-b"}))


def test_policy_refuses_attestation_when_older_than_the_maximum_age(proof, params, trust):
    policy = zm.Policy(trust=trust, allow_unsigned_params=True, max_attestation_age=timedelta(minutes=90))
    with pytest.raises(zm.PolicyViolation, match="custodian-b"):
        zm.verify(proof, params, policy=policy, now=NOW)


def test_attested_book_refuses_openings_when_they_do_not_open_the_attestation(params, attested):
    (a, a_open), (b, b_open) = attested
    with pytest.raises(zm.InputError, match="not for the attestation"):
        zm.attested_book([(a, b_open)], params)
    tampered = a_open.model_copy(update={"collateral": a_open.collateral.model_copy(update={"value": 10**9})})
    with pytest.raises(zm.InputError, match="do not open"):
        zm.attested_book([(a, tampered)], params)


def test_attestation_openings_are_written_owner_only_when_saved(attested, tmp_path):
    attestation, openings = attested[0]
    openings.save(tmp_path / "oa.json")
    attestation.save(tmp_path / "a.json")
    assert stat.S_IMODE((tmp_path / "oa.json").stat().st_mode) == 0o600
    assert zm.AttestationOpenings.load(tmp_path / "oa.json") == openings
    assert zm.Attestation.load(tmp_path / "a.json").digest() == attestation.digest()


def test_summed_commitments_equal_commitments_of_the_summed_book_when_added(params, attested):
    book = zm.attested_book(attested, params)
    summed = summed_commitments([a for a, _ in attested], params)
    assert book.portfolio.cash == Decimal("3500") and book.portfolio.positions == {"CALL": -1, "FUT": 1}
    assert set(summed.positions) == set(params.instruments)


def test_verify_refuses_attestation_when_it_is_for_another_account(params, custodians, trust):
    bobs = zm.attest(custodians[1], params, portfolio(9000, account="bob", FUT=1), sequence=1, time=NOW)
    book = zm.attested_book([bobs], params)
    as_alice = {"update": {"account": "alice"}}
    borrowed = zm.prove(book.portfolio.model_copy(**as_alice), params, openings=book.openings.model_copy(**as_alice),
                        attestations=book.attestations)
    with pytest.raises(zm.InvalidProof, match="for account 'bob'"):
        zm.verify(borrowed, params, policy=zm.Policy(trust=trust, allow_unsigned_params=True))
