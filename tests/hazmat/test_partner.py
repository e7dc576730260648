"""The second prover process: same proofs, half the work, failures reported."""

import multiprocessing
import random
from contextlib import nullcontext

import pytest

from tests.hazmat.test_inner_product import LABEL, create, statement, verify
from zkmargin.hazmat import groups
from zkmargin.hazmat import range_prover as range_prover_module
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.inner_product import Folding, InnerProductProof
from zkmargin.hazmat.partner import Partner, PartnerFailed
from zkmargin.hazmat.range_proof import RangeProof
from zkmargin.hazmat.range_proof_parts import create_range_proof
from zkmargin.hazmat.range_prover import ProverShare
from zkmargin.hazmat.scalar import ORDER, random_scalar, random_scalars
from zkmargin.hazmat.transcript import Transcript


@pytest.fixture(scope="module")
def statement_64():
    return statement(64)


def create_with_partner(s, partner):
    return InnerProductProof.create(
        Transcript(LABEL), s["Q"], s["G_factors"], s["H_factors"], s["G"], s["H"], s["a"], s["b"], partner
    )


def test_inner_product_proof_is_identical_when_a_partner_process_folds_the_odd_half(statement_64):
    alone = create(statement_64)
    with Partner(statement_64["G"], statement_64["H"]) as partner:
        shared = create_with_partner(statement_64, partner)
    assert shared.to_bytes() == alone.to_bytes()
    verify(shared, statement_64)


def test_partner_share_adds_up_to_the_whole_when_given_the_odd_class_of_the_vectors():
    n, m = 32, 2
    gens = BulletproofGens(n, m)
    G, H = gens.G(n, m), gens.H(n, m)
    bits = [random_scalar() & 1 for _ in range(n * m)]
    s_L, s_R = random_scalars(n * m), random_scalars(n * m)
    y, z, x = random_scalar(), random_scalar(), random_scalar()
    whole = ProverShare(n, m, bits, s_L, s_R)
    even = ProverShare(n, m, bits[0::2], s_L[0::2], s_R[0::2], offset=0, step=2)
    with Partner(G, H) as partner:
        partner.begin_share(n, m, bits[1::2], s_L[1::2], s_R[1::2])
        odd_commitments = partner.share_commitments()
        partner.request_polynomial(y, z)
        odd_polynomial = partner.polynomial()
        partner.request_evaluation(x)
        odd_t_x = partner.evaluation()
    assert [p + q for p, q in zip(even.commitments(G[0::2], H[0::2]), odd_commitments)] == list(whole.commitments(G, H))
    assert [(p + q) % ORDER for p, q in zip(even.polynomial(y, z), odd_polynomial)] == list(whole.polynomial(y, z))
    assert (even.evaluate(x) + odd_t_x) % ORDER == whole.evaluate(x)


def seed_prover_draws(monkeypatch, seed):
    """The same draws for every prover: a seeded stream in place of the CSPRNG."""
    stream = random.Random(seed)
    monkeypatch.setattr(range_prover_module, "random_scalar", lambda: 1 + stream.randrange(ORDER - 1))
    monkeypatch.setattr(range_prover_module, "random_scalars", lambda count: [1 + stream.randrange(ORDER - 1) for _ in range(count)])


def test_range_proof_is_identical_when_proved_with_one_or_two_workers(monkeypatch):
    n, m = 64, 8
    bp_gens, pc_gens = BulletproofGens(n, m), PedersenGens()
    values = [random_scalar() % (1 << n) for _ in range(m)]
    blindings = [random_scalar() for _ in range(m)]
    made = []
    for workers in (1, 2):
        seed_prover_draws(monkeypatch, 2026)
        proof, _ = RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(LABEL), values, blindings, n, workers=workers)
        made.append(proof.to_bytes())
    assert made[0] == made[1]


def test_range_proof_parts_share_one_partner_and_are_identical_when_proved_with_two_workers(monkeypatch):
    n, m = 64, 41  # parts of 32, 8 and 1 values: 2,048 and 512 bits are split, 64 are not
    bp_gens, pc_gens = BulletproofGens(n, 64), PedersenGens()
    values = [random_scalar() % (1 << n) for _ in range(m)]
    blindings = [random_scalar() for _ in range(m)]
    started, start = [], Partner.__init__

    def counted_start(self, G, H):
        started.append(len(G))
        start(self, G, H)

    shares, share = [], Partner.begin_share

    def counted_share(self, n, m, *vectors):
        shares.append(n * m)
        share(self, n, m, *vectors)

    monkeypatch.setattr(Partner, "__init__", counted_start)
    monkeypatch.setattr(Partner, "begin_share", counted_share)
    made = []
    for workers in (1, 2):
        seed_prover_draws(monkeypatch, 41)
        proof = create_range_proof(bp_gens, pc_gens, Transcript(LABEL), values, blindings, n, workers=workers)
        assert proof.sizes == (32, 8, 1)
        made.append(proof.to_bytes())
    assert made[0] == made[1]
    assert started == [64 * 32]  # one process, for the largest part
    assert shares == [64 * 32, 64 * 8]  # and both split parts on it


def test_partner_refuses_a_share_when_its_vectors_are_longer_than_the_bases_it_holds():
    n = 32
    gens = BulletproofGens(n, 2)
    with Partner(gens.G(n, 1), gens.H(n, 1)) as partner:
        with pytest.raises(ValueError, match="holding 32 bases cannot share a vector of 64"):
            partner.begin_share(n, 2, [0] * n, random_scalars(n), random_scalars(n))


def whole_folding(s):
    return Folding(list(s["G"]), list(s["H"]), *(list(v) for v in (s["G_factors"], s["H_factors"], s["a"], s["b"], s["a"], s["b"])))


def test_folding_interleave_restores_the_vectors_when_split_by_parity(statement_64):
    whole = whole_folding(statement_64)
    merged = Folding.interleave(whole.parity(0), whole.parity(1))
    assert merged.G == whole.G and merged.H == whole.H and merged.scalars() == whole.scalars()


def test_partner_failure_raises_partner_failed_when_the_process_dies(statement_64):
    partner = Partner(statement_64["G"], statement_64["H"])
    try:
        partner._process.kill()
        partner._process.join()
        with pytest.raises(PartnerFailed, match="exited"):
            partner.cross_terms(whole_folding(statement_64).parity(0), statement_64["Q"])
    finally:
        partner.close()


def test_partner_failure_raises_partner_failed_when_a_command_errs(statement_64):
    with Partner(statement_64["G"], statement_64["H"]) as partner:
        with pytest.raises(PartnerFailed, match="failed"):  # no argument begun: the partner reports it
            partner.cross_terms(whole_folding(statement_64).parity(0), statement_64["Q"])


def test_range_proof_verifies_when_proved_with_two_workers():
    n, m = 64, 8  # 512 bits: just large enough to be split
    assert Partner.worth_it(n * m, workers=2) and not Partner.worth_it(n * m, workers=1)
    bp_gens, pc_gens = BulletproofGens(n, m), PedersenGens()
    values = [random_scalar() % (1 << n) for _ in range(m)]
    blindings = [random_scalar() for _ in range(m)]
    proof, commitments = RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(LABEL), values, blindings, n, workers=2)
    decoded = RangeProof.from_bytes(proof.to_bytes())
    RangeProof.verify_multiple(decoded, bp_gens, pc_gens, Transcript(LABEL), commitments, n)


def test_inner_product_proof_is_identical_when_split_on_py_ecc_and_made_whole_on_arkworks():
    n = 32
    G_factors, H_factors, a, b = ([random_scalar() for _ in range(n)] for _ in range(4))
    made = {}
    for name in ("arkworks", "py_ecc"):
        with groups.using(name):
            gens = BulletproofGens(n, 1)
            G, H, Q = gens.G(n, 1), gens.H(n, 1), PedersenGens().B
            with Partner(G, H) if name == "py_ecc" else nullcontext() as partner:
                made[name] = InnerProductProof.create(Transcript(LABEL), Q, G_factors, H_factors, G, H, a, b, partner).to_bytes()
    assert made["py_ecc"] == made["arkworks"]


def _split_in_worker(_):
    return Partner.worth_it(4096, workers=2)


def test_partner_is_not_used_when_running_inside_a_daemonic_pool_worker():
    assert Partner.worth_it(4096, workers=2)
    with multiprocessing.Pool(1) as pool:
        assert pool.map(_split_in_worker, [0]) == [False]
