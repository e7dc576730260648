"""Isolated buckets of a pinned (or attested) book: the buckets' commitments add up to the
one commitment per variable that the venue holds (docs/protocol.md §6a).

The book of tests/proofs/test_buckets.py: FUT alone needs 3,000 of cash, the short CALL
3,150; each bucket here holds 100 more, so each has 100 of excess.
"""

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.proofs.conftest import forge_proof, portfolio
from tests.proofs.test_buckets import CALL_CASH, FUT_CASH, book
from zkmargin.anchors.attestation import attest
from zkmargin.anchors.keys import Trust, new_key
from zkmargin.engine.buckets import BucketedPortfolio
from zkmargin.errors import InputError, InsufficientMargin, InvalidProof
from zkmargin.proofs import prover as prover_module
from zkmargin.proofs.account import open_account
from zkmargin.proofs.attested import require_commitments
from zkmargin.proofs.attested_book import attested_book
from zkmargin.proofs.pinned_buckets import fund_padding
from zkmargin.proofs.prover import prove
from zkmargin.proofs.stacked import stacked
from zkmargin.proofs.statement import Statement
from zkmargin.proofs.verifier import verify, verify_batch

RICH = book(FUT_CASH + 100, CALL_CASH + 100)


@pytest.fixture(scope="module")
def pinned(params):
    """The venue's commitments to the merged book, and the trader's openings."""
    return open_account(RICH.merged(), params)


@pytest.fixture(scope="module")
def pinned_proof(params, pinned):
    commitments, openings = pinned
    return prove(RICH, params, openings=openings, commitments=commitments, pad_to=4, min_excess=20)


def test_verify_accepts_a_pinned_bucket_proof_when_the_buckets_add_up_to_the_pinned_book(params, pinned, pinned_proof):
    commitments, _ = pinned
    statement = verify(pinned_proof, params, commitments=commitments)
    assert (statement.account, statement.buckets, statement.threshold) == ("alice", 4, Decimal(20))
    result = verify_batch([pinned_proof, pinned_proof], params, commitments={"alice": commitments})
    assert result.ok and [s.buckets for s in result.statements] == [4, 4]


@pytest.mark.parametrize("other, words, movement", [
    (book(FUT_CASH + 100, CALL_CASH + 101), "cash", "a deposit or withdrawal"),  # one more dollar in a bucket
    (portfolio(FUT_CASH + CALL_CASH + 200, FUT=2, CALL=-1), "position in 'FUT'", "a fill"),
])
def test_verify_rejects_a_bucket_proof_when_its_buckets_add_up_to_another_book(params, pinned, other, words, movement):
    commitments, openings = pinned
    # Without `commitments`, the prover cannot see that the book differs: the venue must.
    made = prove(other, params, openings=openings, pad_to=2)
    reason = (f"the 2 buckets' committed {words} does not add up to what the venue holds for 'alice': it moved "
              f"({movement}) since this proof was made, or the proof is about another book; prove again")
    with pytest.raises(InvalidProof) as refused:
        verify(made, params, commitments=commitments)
    assert str(refused.value) == reason
    assert [f.reason for f in verify_batch([made], params, commitments={"alice": commitments}).failures] == [reason]


@pytest.mark.parametrize("fut, call", [(FUT_CASH + 100, CALL_CASH + Decimal("100.01")), (FUT_CASH + 250, CALL_CASH)])
def test_prove_refuses_buckets_when_their_cash_split_does_not_add_up_to_the_pinned_book(params, pinned, fut, call):
    commitments, openings = pinned
    with pytest.raises(InputError, match=r"^prove: the buckets' cash c does not open the pinned commitments: .* add up\?\)$"):
        prove(book(fut, call), params, openings=openings, commitments=commitments, pad_to=4)


def test_prove_accepts_any_split_when_it_adds_up_to_the_pinned_book(params, pinned):
    commitments, openings = pinned
    moved = book(FUT_CASH + 150, CALL_CASH + 50)
    assert verify(prove(moved, params, openings=openings, commitments=commitments), params, commitments=commitments).buckets == 2


def test_prove_refuses_buckets_when_a_position_is_not_the_pinned_one(params, pinned):
    commitments, openings = pinned
    doubled = book(FUT_CASH + 100, CALL_CASH + 100).model_copy(deep=True)
    doubled.buckets[0].positions["FUT"] = Decimal(2)
    with pytest.raises(InputError, match=r"the buckets' quantity q\[FUT\] does not open the pinned commitments"):
        prove(doubled, params, openings=openings, commitments=commitments)


def test_verify_rejects_a_forged_pinned_bucket_proof_when_one_bucket_is_short_but_the_sums_match(params, pinned, monkeypatch):
    # The cheating prover moves 1,000 of cash from the call bucket to the fut bucket in its
    # witness: the call bucket is then short by 900, the sums still open the pinned book.
    commitments, openings = pinned
    calls = []

    def move_cash(circuit, values):
        cash = [i for i, v in enumerate(circuit.variables) if v.role == "collateral"][0]
        values[cash] += {0: 100_000, 1: -100_000}.get(len(calls), 0)
        calls.append(values[cash])

    forged = forge_proof(monkeypatch, lambda: prove(RICH, params, openings=openings, pad_to=2), move_cash)
    assert calls[:2] == [410_000, 225_000]
    circuit = stacked(Statement.for_params(params, "alice", "maintenance").compile(params), 2)
    require_commitments(forged, circuit, params, commitments, "the venue's", buckets=2)  # the sums match
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(forged, params, commitments=commitments)


def test_fund_padding_takes_the_padding_cash_from_the_largest_excess_first_when_pinned(params):
    statement = Statement.for_params(params, "alice", "maintenance", 60, buckets=4)
    books = book(FUT_CASH + 110, CALL_CASH + 140).portfolios()  # excess 50 and 80 over the threshold
    funded = fund_padding(books, 2, Decimal(60), params, statement)
    assert [b.cash for b in funded] == [FUT_CASH + 110 - 40, CALL_CASH + 140 - 80]
    assert sum(b.cash for b in funded) + 2 * 60 == sum(b.cash for b in books)
    with pytest.raises(InsufficientMargin, match="the 2 padding buckets need 70 USD of cash each") as refused:
        fund_padding(books, 2, Decimal(70), params, Statement.for_params(params, "alice", "maintenance", 70, buckets=4))
    assert refused.value.shortfall == Decimal(30)  # 140 needed, 40 + 70 of room over the threshold


def test_prove_funds_padding_from_the_real_buckets_when_pinned_with_a_threshold(params, pinned, pinned_proof):
    commitments, openings = pinned
    # 2 padding buckets × 20 come out of 2 × 80 of room; with 60 each, 2 × 40 cannot fund 120.
    assert verify(pinned_proof, params, commitments=commitments).buckets == 4
    with pytest.raises(InsufficientMargin, match="padding buckets need 60 USD"):
        prove(RICH, params, openings=openings, commitments=commitments, pad_to=4, min_excess=60)
    assert verify(prove(RICH, params, min_excess=60, pad_to=4), params).buckets == 4  # unpinned: padding is free


def test_pinned_bucket_proof_shows_the_padded_count_only_when_the_real_counts_differ(params, pinned, pinned_proof):
    commitments, openings = pinned
    one = prove(
        portfolio(FUT_CASH + CALL_CASH + 200, FUT=1, CALL=-1), params, openings=openings, commitments=commitments,
        pad_to=4, min_excess=20,
    )
    shown = [json.loads(p.to_json()) for p in (one, pinned_proof)]
    assert [s["statement"] for s in shown][0] == [s["statement"] for s in shown][1]
    assert [len(s["commitments"]) for s in shown] == [4 * 4, 4 * 4]
    assert [verify(p, params, commitments=commitments).buckets for p in (one, pinned_proof)] == [4, 4]


def test_verify_accepts_attested_buckets_when_they_add_up_to_the_attested_book(params, monkeypatch):
    custodian = new_key("custodian-a", "custody")
    pair = attest(custodian, params, RICH.merged(), sequence=1, time=datetime.now(timezone.utc))
    attested = attested_book([pair], params)
    trust = Trust([custodian.public()])
    proof = prove(RICH, params, openings=attested.openings, attestations=attested.attestations, pad_to=4)
    verified = verify_batch([proof], params, trust=trust)
    assert verified.ok and verified.statements[0].buckets == 4
    assert [a.custodian for a in verified.statements[0].attestations] == ["custodian-a"]

    other = book(FUT_CASH + 100, CALL_CASH + 99)
    with pytest.raises(InputError, match="the buckets' cash c does not open the sum of the attestations"):
        prove(other, params, openings=attested.openings, attestations=attested.attestations, pad_to=4)
    monkeypatch.setattr(prover_module, "require_opens", lambda *args: None)
    made = prove(other, params, openings=attested.openings, attestations=attested.attestations, pad_to=4)
    assert [f.reason for f in verify_batch([made], params, trust=trust).failures] == [
        "the 4 buckets' committed cash does not add up to the sum of the attestations"
    ]


def test_verify_batch_marks_a_failure_bad_input_when_verify_would_raise_input_error(params, monkeypatch):
    custodian = new_key("custodian-a", "custody")
    pair = attest(custodian, params, RICH.merged(), sequence=1, time=datetime.now(timezone.utc))
    attested = attested_book([pair], params)
    proof = prove(RICH, params, openings=attested.openings, attestations=attested.attestations)
    monkeypatch.setattr(prover_module, "require_opens", lambda *args: None)
    unopened = prove(book(FUT_CASH + 100, CALL_CASH + 99), params, openings=attested.openings, attestations=attested.attestations)
    trust = Trust([custodian.public()])
    with pytest.raises(InputError, match="custodian-a"):
        verify(proof, params)  # no key trusted: the question was wrong, not the proof
    untrusted = verify_batch([proof], params).failures[0]
    assert (untrusted.bad_input, "custodian-a" in untrusted.reason) == (True, True)
    mismatched = verify_batch([unopened], params, trust=trust).failures[0]
    assert (mismatched.bad_input, "does not add up" in mismatched.reason) == (False, True)  # an InvalidProof


@pytest.mark.parametrize("call_cash, meets", [(-200, True), (-300, False)])
def test_prove_takes_a_bucket_with_negative_cash_only_when_that_bucket_meets_its_own_statement(params, call_cash, meets):
    # A long CALL is worth 1,250 and loses 1,000 in the crash: with −200 of cash its bucket
    # still meets (1,050 ≥ 1,000), with −300 it is 50 short. The sum is pinned either way.
    split = BucketedPortfolio.model_validate({"account": "alice", "buckets": [
        {"name": "fut", "cash": FUT_CASH - call_cash, "positions": {"FUT": 1}},
        {"name": "call", "cash": call_cash, "positions": {"CALL": 1}},
    ]})
    commitments, openings = open_account(split.merged(), params)
    if meets:
        proof = prove(split, params, openings=openings, commitments=commitments)
        assert verify(proof, params, commitments=commitments).buckets == 2
    else:
        with pytest.raises(InsufficientMargin, match=r"^bucket 'call': .* short by 50\.00 USD") as refused:
            prove(split, params, openings=openings, commitments=commitments)
        assert refused.value.shortfall == 50
