import pytest

from zkmargin.errors import InvalidProof
from zkmargin.hazmat import range_proof_check as range_proof_check_module
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.range_proof import RangeProof
from zkmargin.hazmat.scalar import ORDER, random_scalar
from zkmargin.hazmat.transcript import Transcript

LABEL = b"zkmargin batch test"
SHAPES = [(8, 1), (64, 1), (16, 3), (32, 2), (64, 1)]


@pytest.fixture(scope="module")
def bp_gens():
    return BulletproofGens(64, 4)


@pytest.fixture(scope="module")
def pc_gens():
    return PedersenGens()


@pytest.fixture(scope="module")
def proofs(bp_gens, pc_gens):
    """Valid (proof, label, commitments, n) of mixed sizes, each under its own transcript label."""
    made = []
    for index, (n, m) in enumerate(SHAPES):
        label = LABEL + bytes([index])
        values = [(2**n - 1 - j) for j in range(m)]
        proof, commitments = RangeProof.prove_multiple(
            bp_gens, pc_gens, Transcript(label), values, [random_scalar() for _ in values], n
        )
        made.append((proof, label, commitments, n))
    return made


def batch_of(proofs):
    return [(proof, Transcript(label), commitments, n) for proof, label, commitments, n in proofs]


def tampered(proof, **changes):
    fields = {name: getattr(proof, name) for name in RangeProof.__slots__}
    return RangeProof(**{**fields, **changes})


def test_range_proof_verify_batch_accepts_when_every_proof_is_valid(bp_gens, pc_gens, proofs):
    RangeProof.verify_batch(batch_of(proofs), bp_gens, pc_gens)


def test_range_proof_verify_batch_runs_one_msm_when_every_proof_is_valid(bp_gens, pc_gens, proofs, monkeypatch):
    sizes = []
    real_msm = range_proof_check_module.msm

    def counting_msm(scalars, points):
        sizes.append(len(points))
        return real_msm(scalars, points)

    monkeypatch.setattr(range_proof_check_module, "msm", counting_msm)
    RangeProof.verify_batch(batch_of(proofs), bp_gens, pc_gens)
    longest = max(n * (1 << (m - 1).bit_length()) for n, m in SHAPES)
    own_points = sum(4 + 2 * (n * (1 << (m - 1).bit_length())).bit_length() - 2 + m for n, m in SHAPES)
    assert sizes == [2 * longest + 2 + own_points]


def test_range_proof_verify_batch_accepts_when_batch_is_empty(bp_gens, pc_gens):
    assert RangeProof.verify_batch([], bp_gens, pc_gens) is None


def test_range_proof_verify_batch_names_the_bad_proof_when_one_fails(bp_gens, pc_gens, proofs):
    batch = batch_of(proofs)
    proof, _, commitments, n = batch[3]
    batch[3] = (proof, Transcript(b"wrong label"), commitments, n)
    with pytest.raises(InvalidProof, match=r"1 of 5 range proofs failed \(#3: range proof does not verify\)") as raised:
        RangeProof.verify_batch(batch, bp_gens, pc_gens)
    assert raised.value.failures == [3]


def test_range_proof_verify_batch_names_every_bad_proof_when_failures_are_of_different_kinds(bp_gens, pc_gens, proofs):
    batch = batch_of(proofs)
    proof, transcript, commitments, n = batch[1]
    batch[1] = (proof, transcript, [commitments[0][:47]], n)  # undecodable commitment
    proof, transcript, commitments, n = batch[4]
    batch[4] = (tampered(proof, tau_x=(proof.tau_x + 1) % ORDER), transcript, commitments, n)
    with pytest.raises(InvalidProof) as raised:
        RangeProof.verify_batch(batch, bp_gens, pc_gens)
    assert raised.value.failures == [1, 4]
    assert "#1: value commitment #0 is invalid" in raised.value.reason
    assert "#4: range proof does not verify" in raised.value.reason


def test_range_proof_verify_batch_rejects_when_errors_of_two_proofs_would_cancel_without_weights(
    bp_gens, pc_gens, proofs, monkeypatch
):
    real_check = RangeProof._verification_check
    offsets = iter([1, ORDER - 1])

    def skewed_check(self, *args):
        check = real_check(self, *args)
        check.b = (check.b + next(offsets)) % ORDER
        return check

    monkeypatch.setattr(RangeProof, "_verification_check", skewed_check)
    with pytest.raises(InvalidProof) as raised:
        RangeProof.verify_batch(batch_of(proofs[:2]), bp_gens, pc_gens)
    assert raised.value.failures == [0, 1]


def test_range_proof_verify_batch_agrees_with_one_by_one_when_each_proof_is_checked_alone(bp_gens, pc_gens, proofs):
    for proof, label, commitments, n in proofs:
        RangeProof.verify_multiple(proof, bp_gens, pc_gens, Transcript(label), commitments, n)
        RangeProof.verify_batch([(proof, Transcript(label), commitments, n)], bp_gens, pc_gens)
