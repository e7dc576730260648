"""Outside attacks on isolated-bucket proofs of pinned and attested books (docs/protocol.md §6a).

A trader cheating the venue, or a venue learning too much from the bucket commitments. The
book is tests/proofs/test_pinned_buckets.py's: FUT and a short CALL in two buckets, 100 of
excess each. Failing tests are findings; passing ones pin what held.
"""

import json
from datetime import datetime, timezone
from decimal import Decimal
from functools import reduce
from itertools import combinations
from operator import add

import pytest

from tests.proofs.conftest import forge_proof, params, small_params  # noqa: F401 (params: the fixture)
from tests.proofs.test_buckets import CALL_CASH, FUT_CASH
from tests.proofs.test_buckets import book as book_of
from tests.proofs.test_pinned_buckets import RICH, pinned, pinned_proof  # noqa: F401 (the fixtures)
from tests.venue.test_anchoring import AT_A, AT_B, NOW
from zkmargin.anchors.attestation import attest
from zkmargin.anchors.keys import Trust, new_key
from zkmargin.engine.bucket_count import MAX_BUCKETS
from zkmargin.errors import InsufficientMargin, InvalidProof
from zkmargin.hazmat.generators import PedersenGens
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.scalar import ORDER
from zkmargin.proofs.account import open_account
from zkmargin.proofs.attested_book import attested_book
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.prover import prove
from zkmargin.proofs.statement import Statement
from zkmargin.proofs.verifier import verify, verify_batch
from zkmargin.venue.anchoring import open_attested
from zkmargin.venue.intake import submit


def edited(proof, change):
    data = json.loads(proof.to_json())
    change(data)
    return MarginProof.from_json(json.dumps(data))


@pytest.fixture(scope="module")
def attested_two(params):
    """RICH attested by one custodian, proved as 2 buckets, and the trust that accepts it."""
    custodian = new_key("custodian-a", "custody")
    pair = attest(custodian, params, RICH.merged(), sequence=1, time=datetime.now(timezone.utc))
    book = attested_book([pair], params)
    proof = prove(RICH, params, openings=book.openings, attestations=book.attestations)
    return proof, Trust([custodian.public()])


def dave_attested_at(ledger):
    """dave's account opened at the ledger on custodians A's and B's attestations."""
    params = small_params()
    keys = [new_key(f"custodian-{name}", "custody") for name in "ab"]
    pairs = [attest(key, params, book, sequence=1, time=NOW) for key, book in zip(keys, (AT_A, AT_B))]
    trust = Trust([key.public() for key in keys])
    assert open_attested(ledger, [attestation for attestation, _ in pairs], trust)
    return params, attested_book(pairs, params), trust


# --- finding (fixed on main by b4e79ff while this review ran; these fail without it) ---------------------------------------------------------------------------------


def test_verify_batch_names_a_short_attested_bucket_proof_when_an_equal_count_proof_came_first(params, attested_two):
    # FINDING (medium, DoS): `_Circuits` checks the commitment count only when it first
    # stacks (digest, B); `require_attested` runs before `_equation`'s length check, so a
    # second attested B-bucket proof with two commitments fewer reaches
    # `require_commitments`, which indexes past the list: IndexError, not InvalidProof —
    # the whole batch (a ledger submit of every account) dies with a traceback.
    # Fix (b4e79ff): statement_and_circuit checks the commitment count for every proof.
    proof, trust = attested_two
    short = edited(proof, lambda data: data["commitments"].__delitem__(slice(-2, None)))  # bucket 1's c gone
    result = verify_batch([proof, short], params, trust=trust)
    assert result.statements[0] is not None and result.statements[0].buckets == 2
    assert [f.index for f in result.failures] == [1]
    assert "the proof has 6 commitments" in result.failures[0].reason


def test_ledger_submit_refuses_a_short_attested_bucket_proof_when_the_account_sent_a_good_one_too(venue):
    # FINDING (medium, DoS at the venue): the same IndexError through `ledger submit`: one
    # trader's file aborts the intake of every account's proof. Fixed with the above.
    ledger, inbox = venue
    params, dave, trust = dave_attested_at(ledger)
    good = prove(dave.portfolio, params, openings=dave.openings, attestations=dave.attestations, pad_to=2)
    good.save(inbox / "a.proof.json")
    edited(good, lambda data: data["commitments"].__delitem__(slice(-2, None))).save(inbox / "b.proof.json")
    report = submit(ledger, [inbox], trust=trust)
    assert [(row.file.rsplit("/", 1)[-1], row.status) for row in report.rows] == [
        ("a.proof.json", "valid"), ("b.proof.json", "invalid")
    ]


# --- what held ---------------------------------------------------------------------------------


def test_verify_rejects_a_short_attested_bucket_proof_when_it_comes_alone(params, attested_two):
    proof, trust = attested_two
    assert verify_batch([proof], params, trust=trust).ok
    short = edited(proof, lambda data: data["commitments"].pop())
    assert [f.reason for f in verify_batch([short], params, trust=trust).failures] == [
        "the proof has 7 commitments; 2 buckets of 4 variables need 8"
    ]


@pytest.mark.parametrize("shift", [10**6, 2**100, ORDER // 2, ORDER - 10**6])
def test_verify_rejects_a_cash_split_whose_sums_match_when_one_bucket_holds_a_huge_or_negative_field_element(
    params, pinned, monkeypatch, shift
):
    # c has no range of its own in the lean circuit (anchored, §2a): bucket 0 claims c + s,
    # bucket 1 c − s (mod r); the points add up to the pinned cash, bucket 1 cannot meet.
    commitments, openings = pinned
    calls = []

    def move_cash(circuit, values):
        cash = circuit.indices("collateral")[0]
        values[cash] = (values[cash] + {0: shift, 1: -shift}.get(len(calls), 0)) % ORDER
        calls.append(values[cash])

    forged = forge_proof(monkeypatch, lambda: prove(RICH, params, openings=openings, pad_to=2), move_cash)
    assert len(calls) == 2
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(forged, params, commitments=commitments)


@pytest.mark.parametrize("role, amount", [("witness", -(10**8)), ("position", 3)])
def test_verify_rejects_value_moved_through_a_witness_or_position_when_the_pinned_sums_still_match(
    params, pinned, monkeypatch, role, amount
):
    # m[all] is not pinned: lowering bucket 0's worst loss and raising bucket 1's keeps every
    # sum; q[FUT] is pinned: 3 more in bucket 0, 3 fewer in bucket 1 keeps the sum.
    commitments, openings = pinned
    calls = []

    def move(circuit, values):
        index = circuit.indices(role)[-1]
        values[index] = (values[index] + {0: amount, 1: -amount}.get(len(calls), 0)) % ORDER
        calls.append(index)

    forged = forge_proof(monkeypatch, lambda: prove(RICH, params, openings=openings, pad_to=2), move)
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(forged, params, commitments=commitments)


@pytest.mark.parametrize("claimed", [None, 2, 8, 65, 2**62])
def test_verify_rejects_a_pinned_bucket_proof_when_relabelled_with_another_bucket_count(params, pinned, pinned_proof, claimed):
    commitments, _ = pinned

    def relabel(data):
        data["statement"].pop("buckets")
        if claimed is not None:
            data["statement"]["buckets"] = claimed

    with pytest.raises(InvalidProof):
        verify(edited(pinned_proof, relabel), params, commitments=commitments)


def test_verify_rejects_a_pinned_bucket_proof_when_replayed_under_another_account_or_after_a_deposit(
    params, pinned, pinned_proof
):
    commitments, _ = pinned
    assert verify(pinned_proof, params, commitments=commitments).buckets == 4
    bob = commitments.model_copy(update={"account": "bob"})  # even if the venue held alice's points for bob
    moved = edited(pinned_proof, lambda data: data["statement"].update(account="bob"))
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(moved, params, commitments=bob)
    with pytest.raises(InvalidProof, match=r"the 4 buckets' committed cash does not add up to what the venue holds for 'alice': it moved \(a deposit or withdrawal\)"):
        verify(pinned_proof, params, commitments=commitments.deposit(1))
    with pytest.raises(InvalidProof, match=r"the 4 buckets' committed cash does not add up to what the venue holds for 'alice': it moved \(a deposit or withdrawal\)"):
        verify(pinned_proof, params, commitments=commitments.withdraw(Decimal("0.01")))


def test_bucket_commitments_hide_the_padding_when_the_venue_tries_subset_sums(params, pinned, pinned_proof):
    # The venue knows the held W per variable and that padding holds no position and X = 20
    # of cash. If any proper subset of buckets added up to W (padding blinding 0), or a
    # padding commitment were X·B or 0·B, the real buckets would show.
    commitments, openings = pinned
    again = prove(RICH, params, openings=openings, commitments=commitments, pad_to=4, min_excess=20)
    width = len(pinned_proof.commitments) // 4
    circuit = Statement.for_params(params, "alice", "maintenance", 20).compile(params)
    names = [v.name for v in circuit.variables]
    held = commitments.committed()
    threshold_cash = 20 * params.money_scale * PedersenGens().B
    assert not set(pinned_proof.commitments) & set(again.commitments)
    for name, raw in held.items():
        parts = [Point.from_bytes(pinned_proof.commitment_bytes[k * width + names.index(name)]) for k in range(4)]
        assert reduce(add, parts).to_bytes() == raw
        for size in (1, 2, 3):
            for subset in combinations(parts, size):
                assert reduce(add, subset).to_bytes() != raw
        assert threshold_cash.to_bytes() not in {p.to_bytes() for p in parts}


def test_verify_batch_sorts_mixed_bucket_counts_when_one_of_them_is_tampered(params, pinned, pinned_proof):
    commitments, openings = pinned
    one = prove(RICH.merged(), params, openings=openings, commitments=commitments)
    two = prove(RICH, params, openings=openings, commitments=commitments)
    bad = edited(two, lambda data: data["statement"].update(threshold="1"))
    result = verify_batch([one, pinned_proof, two, bad, pinned_proof], params, commitments={"alice": commitments})
    assert [s.buckets if s else None for s in result.statements] == [1, 4, 2, None, 4]
    assert [f.index for f in result.failures] == [3]


def test_verify_accepts_one_custodians_cash_split_across_buckets_when_two_custodians_attest(params):
    # FUT and its cash at custodian A, the short CALL and its cash at B; the trader's buckets
    # cut A's cash in two: allowed (the attestations vouch for the sum, the split is the
    # trader's), and every bucket still meets the statement on its own.
    a, b = new_key("custodian-a", "custody"), new_key("custodian-b", "custody")
    now = datetime.now(timezone.utc)
    fut, call = RICH.portfolios()
    pairs = [attest(a, params, fut, sequence=1, time=now), attest(b, params, call, sequence=1, time=now)]
    attested = attested_book(pairs, params)
    moved = book_of(FUT_CASH + 50, CALL_CASH + 150)  # 50 of A's cash now backs B's CALL
    proof = prove(moved, params, openings=attested.openings, attestations=attested.attestations, pad_to=4)
    verified = verify_batch([proof], params, trust=Trust([a.public(), b.public()]))
    assert verified.ok and verified.statements[0].buckets == 4
    assert sorted(x.custodian for x in verified.statements[0].attestations) == ["custodian-a", "custodian-b"]
    assert not verify_batch([proof], params, trust=Trust([a.public()])).ok


def test_pinned_variable_bounds_cannot_wrap_the_bucket_sum_when_params_use_the_largest_amounts():
    # Σ_k W^(k) = W holds mod r only; it is Σ v^(k) = v over the integers only while the B
    # buckets' bounds (own range or anchor, §4) add up to less than r/2.
    biggest = small_params(FUT=[9e15, -9e15, -9e15, 9e15])
    circuit = Statement.for_params(biggest, "alice", "maintenance", Decimal(1_000_000)).compile(biggest)
    bounds = circuit.bounds()
    pinned = [i for i, v in enumerate(circuit.variables) if v.role in ("collateral", "position")]
    assert max(bounds[i] for i in pinned).bit_length() < 80
    assert all(MAX_BUCKETS * bounds[i] < ORDER // 2 for i in pinned)


def test_ledger_submit_refuses_a_bucket_proof_of_an_attested_account_when_it_names_no_attestations(venue):
    # The sums match the ledger's commitments (the attested sum), but a bucket proof that
    # leaves the attestations out would pass a self-declared book off as the attested one.
    ledger, inbox = venue
    params, dave, trust = dave_attested_at(ledger)
    bare = prove(dave.portfolio, params, openings=dave.openings, pad_to=2)
    bare.save(inbox / "bare.proof.json")
    (row,) = submit(ledger, [inbox], trust=trust).rows
    assert (row.status, row.buckets) == ("invalid", 2)
    assert "proof rests on other attestations" in row.reason


def test_prove_rests_on_the_traders_split_when_the_venues_own_bucket_assignment_would_fail(params):
    # OBSERVATION (informational, by design §6a): only the sum is pinned, so "B buckets each
    # meet" is about a split the trader picks. A FUT bucket 100 short with a rich CALL bucket
    # is refused as filed, and the same pinned book re-split (cash moved) proves 2 buckets.
    # Harmless while every requirement is sublinear (then any split is at least as strict as
    # cross margin); a future concentration/tier charge (max(0, rate·|q| − allowance)) would
    # be evaded by spreading a position over buckets.
    filed = book_of(FUT_CASH - 100, CALL_CASH + 300)
    commitments, openings = open_account(filed.merged(), params)
    with pytest.raises(InsufficientMargin, match=r"^bucket 'fut': .* short by 100\.00 USD"):
        prove(filed, params, openings=openings, commitments=commitments)
    resplit = book_of(FUT_CASH + 100, CALL_CASH + 100)
    proof = prove(resplit, params, openings=openings, commitments=commitments)
    assert verify(proof, params, commitments=commitments).buckets == 2
