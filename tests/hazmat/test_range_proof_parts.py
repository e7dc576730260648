"""Range proofs split at a power of two: cheaper, one equation, and old single proofs still verify."""

import pytest

from zkmargin.errors import InvalidProof
from zkmargin.hazmat import range_proof_parts
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.range_proof import RangeProof, proof_size
from zkmargin.hazmat.range_proof_parts import (
    RangeProofParts,
    create_range_proof,
    decode_range_proof,
    part_sizes,
)
from zkmargin.hazmat.scalar import random_scalar
from zkmargin.hazmat.transcript import Transcript

LABEL = b"zkmargin parts test"
N, M = 8, 10  # 10 values split as 8 + 2: 10 parties' bits instead of 16


@pytest.fixture(scope="module")
def setup():
    bp_gens, pc_gens = BulletproofGens(N, 16), PedersenGens()
    values = [random_scalar() % (1 << N) for _ in range(M)]
    blindings = [random_scalar() for _ in range(M)]
    commitments = [pc_gens.commit(v, b) for v, b in zip(values, blindings)]
    proof = create_range_proof(bp_gens, pc_gens, Transcript(LABEL), values, blindings, N)
    return bp_gens, pc_gens, values, blindings, commitments, proof


def holds(setup, data, commitments=None, label=LABEL):
    bp_gens, pc_gens, _, _, expected, _ = setup
    proof = decode_range_proof(data, N, M)
    check = proof.verification_check(bp_gens, pc_gens, Transcript(label), N, M)
    return check.holds(bp_gens, pc_gens, expected if commitments is None else commitments)


@pytest.mark.parametrize(
    ("m", "sizes"),
    [(1, (1,)), (8, (8,)), (10, (8, 2)), (66, (64, 2)), (96, (64, 32)), (100, (100,)),
     (35, (32, 3)), (39, (32, 7)), (37, (32, 4, 1)), (41, (32, 8, 1)), (150, (128, 16, 6))],
)
def test_part_sizes_split_only_when_the_rest_pads_below_the_power_of_two(m, sizes):
    """A third part only where it saves THIRD_PART_SAVING padded values: 35 = 32 + 3 pads
    the 3 to 4 (one value), 41 = 32 + 9 would pad the 9 to 16 (seven)."""
    assert part_sizes(m) == sizes


def test_range_proof_parts_verify_in_one_equation_when_values_are_in_range(setup):
    proof = setup[5]
    assert isinstance(proof, RangeProofParts) and len(proof.parts) == 2
    data = proof.to_bytes()
    assert len(data) == proof_size(N, 8) + proof_size(N, 2) and len(data) % 96 == 32
    assert holds(setup, data)


def test_range_proof_parts_fail_when_a_commitment_of_the_second_part_changes(setup):
    bp_gens, pc_gens, values, blindings, commitments, proof = setup
    changed = list(commitments)
    changed[-1] = pc_gens.commit(values[-1] + 1, blindings[-1])
    assert not holds(setup, proof.to_bytes(), changed)


def test_range_proof_parts_fail_when_the_transcript_differs(setup):
    assert not holds(setup, setup[5].to_bytes(), label=b"another statement")


def test_range_proof_parts_fail_when_the_parts_are_swapped_or_cut(setup):
    first, second = (part.to_bytes() for part in setup[5].parts)
    with pytest.raises(InvalidProof):
        holds(setup, second + first)
    with pytest.raises(InvalidProof, match="bytes"):
        decode_range_proof(first, N, M)


@pytest.mark.parametrize("position", [0, 200, 500, 700, 900])
def test_range_proof_parts_fail_when_any_byte_is_flipped(setup, position):
    data = bytearray(setup[5].to_bytes())
    data[position] ^= 0x01
    try:
        assert not holds(setup, bytes(data))
    except InvalidProof:
        pass


def test_single_range_proof_still_verifies_when_its_size_would_now_split(setup):
    bp_gens, pc_gens, values, blindings, _, _ = setup
    single = RangeProof.create(bp_gens, pc_gens, Transcript(LABEL), values, blindings, N)
    assert isinstance(decode_range_proof(single.to_bytes(), N, M), RangeProof)
    assert holds(setup, single.to_bytes())


def test_first_part_does_not_verify_alone_when_lifted_out_of_a_split_proof(setup):
    bp_gens, pc_gens, _, _, commitments, proof = setup
    first = proof.parts[0]  # bound to the parts domain separator, so not a proof of 8 values on its own
    check = first.verification_check(bp_gens, pc_gens, Transcript(LABEL), N, 8)
    assert not check.holds(bp_gens, pc_gens, commitments[:8])


def test_range_proof_parts_raise_invalid_proof_when_the_layout_is_not_accepted(setup):
    bp_gens, pc_gens, _, _, _, proof = setup
    with pytest.raises(InvalidProof, match="not made in parts of 8 values"):
        RangeProofParts(proof.parts[:1], proof.sizes[:1]).verification_check(bp_gens, pc_gens, Transcript(LABEL), N, M)
    with pytest.raises(InvalidProof, match="parts of 8, 2 values"):
        RangeProofParts(proof.parts[:1], proof.sizes).verification_check(bp_gens, pc_gens, Transcript(LABEL), N, M)


M3 = 41  # 32 + 8 + 1: 41 parties' bits instead of 48 (two parts) or 64 (one proof)


@pytest.fixture(scope="module")
def three(setup):
    bp_gens, pc_gens = BulletproofGens(N, 64), PedersenGens()
    values = [random_scalar() % (1 << N) for _ in range(M3)]
    blindings = [random_scalar() for _ in range(M3)]
    commitments = [pc_gens.commit(v, b) for v, b in zip(values, blindings)]
    return bp_gens, pc_gens, values, blindings, commitments


def holds_three(three, data, label=LABEL):
    bp_gens, pc_gens, _, _, commitments = three
    proof = decode_range_proof(data, N, M3)
    return proof.verification_check(bp_gens, pc_gens, Transcript(label), N, M3).holds(bp_gens, pc_gens, commitments)


def test_range_proof_in_three_parts_verifies_in_one_equation_when_values_are_in_range(three):
    bp_gens, pc_gens, values, blindings, _ = three
    proof = create_range_proof(bp_gens, pc_gens, Transcript(LABEL), values, blindings, N)
    assert proof.sizes == (32, 8, 1)
    data = proof.to_bytes()
    assert len(data) == proof_size(N, 32) + proof_size(N, 8) + proof_size(N, 1) and len(data) % 96 == 0
    assert holds_three(three, data)
    assert not holds_three(three, data, label=b"another statement")
    first, second, third = (part.to_bytes() for part in proof.parts)
    with pytest.raises(InvalidProof):
        holds_three(three, first + third + second)  # same length, parts out of order


@pytest.mark.parametrize("position", [0, 700, 1300, 1700, 2100, 2600, -1])
def test_range_proof_in_three_parts_fails_when_any_byte_is_flipped(three, position):
    bp_gens, pc_gens, values, blindings, _ = three
    data = bytearray(create_range_proof(bp_gens, pc_gens, Transcript(LABEL), values, blindings, N).to_bytes())
    data[position] ^= 0x01
    try:
        assert not holds_three(three, bytes(data))
    except InvalidProof:
        pass


def test_two_part_range_proof_still_verifies_when_its_size_now_splits_in_three(three, monkeypatch):
    bp_gens, pc_gens, values, blindings, _ = three
    with monkeypatch.context() as patched:  # the prover as it was before third parts
        patched.setattr(range_proof_parts, "part_sizes", range_proof_parts._halves)
        legacy = create_range_proof(bp_gens, pc_gens, Transcript(LABEL), values, blindings, N)
    assert legacy.sizes == (32, 9)
    assert isinstance(decode_range_proof(legacy.to_bytes(), N, M3), RangeProofParts)
    assert holds_three(three, legacy.to_bytes())


def test_decode_range_proof_refuses_a_layout_no_prover_makes_when_lengths_add_up_otherwise(three):
    bp_gens, pc_gens, values, blindings, _ = three
    transcript = Transcript(LABEL)
    transcript.range_proof_parts_domain_sep(N, (16, 16, 9))
    parts = [RangeProof.create(bp_gens, pc_gens, transcript, values[a:b], blindings[a:b], N) for a, b in ((0, 16), (16, 32), (32, 41))]
    with pytest.raises(InvalidProof, match="bytes, got"):
        decode_range_proof(b"".join(part.to_bytes() for part in parts), N, M3)
