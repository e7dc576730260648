"""Attack review of range proofs in three parts (branch three-parts: 41 = 32 + 8 + 1), as an outsider.

T1 is a finding, fixed here (d11e300): a value count below one reached `_halves` and raised
ValueError (m = 0, also from `create_range_proof([])`) or blamed the proof (m < 0). The other tests pin attacks that held; each names the check it
relies on. A cheating prover is `prove_range` called past `RangeProof.create`'s witness check.
"""

import base64
import json

import pytest

import zkmargin as zm
from tests.proofs.test_bits_used import demo_params  # noqa: F401  (the 41-limb universe)
from zkmargin.errors import InputError, InvalidProof
from zkmargin.hazmat import range_proof_parts
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.range_proof import RangeProof
from zkmargin.hazmat.range_proof_parts import (
    RangeProofParts,
    create_range_proof,
    decode_range_proof,
)
from zkmargin.hazmat.range_prover import prove_range
from zkmargin.hazmat.scalar import random_scalar
from zkmargin.hazmat.transcript import Transcript

LABEL = b"zkmargin three-parts attack"
N = 8


@pytest.fixture(scope="module")
def gens():
    return BulletproofGens(N, 64), PedersenGens()


def witness(pc_gens, m, top=1 << N):
    values = [random_scalar() % top for _ in range(m)]
    blindings = [random_scalar() for _ in range(m)]
    return values, blindings, [pc_gens.commit(v, b) for v, b in zip(values, blindings)]


def holds(gens, data, m, commitments):
    bp_gens, pc_gens = gens
    check = decode_range_proof(data, N, m).verification_check(bp_gens, pc_gens, Transcript(LABEL), N, m)
    return check.holds(bp_gens, pc_gens, commitments)


def cheating_parts(gens, values, blindings, sizes):
    """Parts over `sizes` on one transcript, as `create_range_proof` makes them, minus the range check."""
    bp_gens, pc_gens = gens
    transcript = Transcript(LABEL)
    transcript.range_proof_parts_domain_sep(N, sizes)
    parts, start = [], 0
    for size in sizes:
        padded = 1 << (size - 1).bit_length()
        fields = prove_range(bp_gens, pc_gens, transcript, values[start : start + size], blindings[start : start + size], N, padded, [], None)
        parts.append(RangeProof(*fields))
        start += size
    return RangeProofParts(parts, sizes)


@pytest.mark.parametrize("m", [0, -1])
def test_decode_range_proof_raises_input_error_when_the_value_count_is_not_positive(m):
    """T1: the caller's m is wrong, not the proof; before the fix m = 0 was a ValueError
    (`1 << -1` in `_halves`) and m = -1 an InvalidProof naming a length for -1 values."""
    with pytest.raises(InputError, match="at least one value"):
        decode_range_proof(bytes(1024), N, m)


def test_create_range_proof_raises_input_error_when_there_are_no_values(gens):
    """T1 on the prover's side: no values was a ValueError from `part_sizes`."""
    with pytest.raises(InputError, match="at least one value"):
        create_range_proof(*gens, Transcript(LABEL), [], [], N)


def test_range_proof_parts_fail_when_the_size_one_part_proves_a_value_out_of_range(gens):
    """Relies on every part's check being weighted into the sum: the 2^N in the 1-value part
    breaks only the third part's t_x equation (its bits say 0)."""
    values, blindings, _ = witness(gens[1], 41)
    values[40] = 1 << N
    commitments = [gens[1].commit(v, b) for v, b in zip(values, blindings)]
    proof = cheating_parts(gens, values, blindings, (32, 8, 1))
    assert not holds(gens, proof.to_bytes(), 41, commitments)


def test_range_proof_parts_fail_when_the_last_part_is_spliced_from_another_proof_of_the_same_values(gens):
    """Relies on the parts being replayed on ONE transcript in order: verified on forks of
    the transcript after the domain separator, B's third part would pass after A's first two."""
    bp_gens, pc_gens = gens
    values, blindings, commitments = witness(pc_gens, 41)
    a, b = (create_range_proof(bp_gens, pc_gens, Transcript(LABEL), values, blindings, N) for _ in range(2))
    assert a.sizes == b.sizes == (32, 8, 1) and holds(gens, b.to_bytes(), 41, commitments)
    spliced = a.parts[0].to_bytes() + a.parts[1].to_bytes() + b.parts[2].to_bytes()
    assert not holds(gens, spliced, 41, commitments)


def test_range_proof_parts_fail_when_a_proof_of_43_values_is_verified_as_44(gens):
    """(32, 8, 3) and (32, 8, 4) have the same length (3 pads to 4): a man in the middle can
    claim the 43-value proof covers a 44th value, the padding one (the identity, opening 0,
    weighed like any value). Relies on the transcript binding the sizes (the parts' domain
    separator and each part's m): without both, the equation is the same and holds."""
    bp_gens, pc_gens = gens
    values, blindings, commitments = witness(pc_gens, 43)
    proof = create_range_proof(bp_gens, pc_gens, Transcript(LABEL), values, blindings, N)
    assert proof.sizes == (32, 8, 3) and holds(gens, proof.to_bytes(), 43, commitments)
    as_44 = decode_range_proof(proof.to_bytes(), N, 44)
    assert as_44.sizes == (32, 8, 4)
    assert not holds(gens, proof.to_bytes(), 44, commitments + [pc_gens.commit(0, 0)])


@pytest.mark.parametrize(("m", "sizes"), [(35, (32, 2, 1)), (43, (32, 8, 2, 1)), (41, (16, 16, 8, 1))])
def test_decode_range_proof_refuses_a_layout_when_the_verifier_does_not_accept_it(gens, m, sizes):
    """A 3-part layout for an m that splits in two, and 4 parts (≡ 64 mod 96, one proof's
    residue): each an honest proof of in-range values. Relies on `decode_range_proof`
    reading only the lengths of `accepted_layouts(m)`."""
    values, blindings, _ = witness(gens[1], m)
    proof = cheating_parts(gens, values, blindings, sizes)
    with pytest.raises(InvalidProof, match="bytes, got"):
        decode_range_proof(proof.to_bytes(), N, m)


def test_accepted_layouts_have_distinct_lengths_when_m_and_n_vary():
    """No length decodes two ways: the layouts of one m differ in part count (≡ 64·p mod 96)."""
    for n in (8, 16, 32, 64):
        for m in range(1, 1025):
            layouts = range_proof_parts.accepted_layouts(m)
            lengths = {sum(range_proof_parts.proof_size(n, s) for s in sizes) for sizes in layouts}
            assert len(lengths) == len(layouts) and len({len(sizes) for sizes in layouts}) == len(layouts)
            assert all(sum(sizes) == m and min(sizes) >= 1 for sizes in layouts)


def test_verify_batch_names_only_the_spliced_proof_when_one_two_and_three_part_proofs_are_mixed(demo_params, monkeypatch):  # noqa: F811
    """One batch (one circuit, 41 limbs) of a three-part proof, a legacy two-part and a legacy
    single proof of the same account (64 parties: the longest G, H the others' are prefixes
    of), and a three-part proof whose 1-limb part is lifted from the first: only the last
    fails. Relies on the last part's check being weighted into each proof's equation (with
    weight 0 the forged proof passes) and on bisection naming it."""
    book = zm.Portfolio.from_json(json.dumps({"account": "alice", "cash": 250_000, "positions": {"XYZ": 100, "ES 2026-12-18": -1}}))
    three, other = zm.prove(book, demo_params), zm.prove(book, demo_params)
    legacy = []
    for sizes in (range_proof_parts._halves, lambda m: (m,)):  # the prover before third parts, before splits
        with monkeypatch.context() as patched:
            patched.setattr(range_proof_parts, "part_sizes", sizes)
            legacy.append(zm.prove(book, demo_params))
    tail = len(decode_range_proof(three.range_proof_bytes, 32, 41).parts[2].to_bytes())
    document = json.loads(other.to_json())
    document["range_proof"] = base64.b64encode(other.range_proof_bytes[:-tail] + three.range_proof_bytes[-tail:]).decode()
    forged = zm.MarginProof.from_json(json.dumps(document))
    result = zm.verify_batch([three, *legacy, forged], demo_params)
    assert [failure.index for failure in result.failures] == [3]
    assert [s is not None for s in result.statements] == [True, True, True, False]
