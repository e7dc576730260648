import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zkmargin.hazmat.groups.py_ecc  # noqa: F401  (py_ecc raises the recursion limit on import; not mid-hypothesis)
from zkmargin.errors import InvalidEncoding
from zkmargin.hazmat.generators import PedersenGens
from zkmargin.hazmat.groups import Point, using
from zkmargin.hazmat.pedersen import Commitment, Opening
from zkmargin.hazmat.scalar import ORDER

PC = PedersenGens()
amounts = st.integers(min_value=-(2**70), max_value=2**70)
openings = st.builds(Opening, st.integers(min_value=0, max_value=2**64), st.integers(min_value=1, max_value=ORDER - 1))


@settings(max_examples=30, deadline=None)
@given(openings, openings, amounts)
def test_commitment_homomorphism_holds_when_combining_commitments(a, b, k):
    ca, cb = a.commit(PC), b.commit(PC)
    assert (ca + cb).opens_to(a + b, PC)
    assert (ca - cb).opens_to(a - b, PC)
    assert ca.scale(k).opens_to(a.scale(k), PC)


@settings(max_examples=30, deadline=None)
@given(openings, amounts)
def test_commitment_shift_opens_to_moved_value_when_public_amount_added(opening, amount):
    updated = opening.commit(PC).shift(amount, PC)
    assert updated.opens_to(Opening(opening.value + amount, opening.blinding), PC)
    assert updated.opens_to(opening.shift(amount), PC)
    assert not updated.opens_to(opening, PC) or amount % ORDER == 0


def test_deposit_then_withdrawal_returns_original_commitment_when_amounts_match():
    balance = Opening(1_000_00, 123456789)
    commitment = balance.commit(PC)
    after = commitment.shift(250_00, PC).shift(-250_00, PC)
    assert after == commitment
    assert commitment.shift(250_00, PC).opens_to(Opening(1_250_00, 123456789), PC)


def test_opening_does_not_match_when_value_or_blinding_differs():
    commitment = Opening(5, 9).commit(PC)
    assert not commitment.opens_to(Opening(6, 9), PC)
    assert not commitment.opens_to(Opening(5, 10), PC)


def test_commitment_bytes_round_trip_when_not_identity():
    commitment = Opening(42, 7).commit(PC)
    data = commitment.to_bytes()
    assert len(data) == 48
    assert Commitment.from_bytes(data) == commitment


def test_commitment_from_bytes_rejects_when_identity():
    with pytest.raises(InvalidEncoding, match="identity"):
        Commitment.from_bytes(Point.identity().to_bytes())


def test_commitment_to_bytes_refuses_when_identity():
    with pytest.raises(InvalidEncoding, match="identity"):
        Opening(0, 0).commit(PC).to_bytes()


def test_commitments_agree_when_backends_differ():
    opening = Opening(2**63 - 1, 2**200 + 12345)
    with using("arkworks"):
        ark = opening.commit(PC).to_bytes()
    with using("py_ecc"):
        assert opening.commit(PC).to_bytes() == ark
        assert Commitment.from_bytes(ark).opens_to(opening, PC)
