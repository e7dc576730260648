"""Fold engines: mcl's multiplication gives exactly the backend's points."""

import pytest

from tests.hazmat.test_inner_product import create, statement, verify
from zkmargin.errors import BackendError
from zkmargin.hazmat import fold
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.groups import msm
from zkmargin.hazmat.scalar import ORDER, random_scalar

needs_mcl = pytest.mark.skipif("mcl" not in fold.available_engines(), reason="pymcl is not installed")


@needs_mcl
def test_fold_pairs_match_the_backend_when_folded_twice_with_mcl():
    gens = BulletproofGens(8, 1)
    G = gens.G(8, 1)
    ks = [random_scalar() for _ in range(4)]
    with fold.using_engine("mcl"):
        once = fold.fold_pairs(G[:4], G[4:], ks)
        twice = fold.fold_pairs(once[:2], once[2:], ks[:2])  # inputs carry their mcl twins
    expected_once = [p + k * q for p, q, k in zip(G[:4], G[4:], ks)]
    assert once == expected_once
    assert twice == [p + k * q for p, q, k in zip(expected_once[:2], expected_once[2:], ks[:2])]


@needs_mcl
def test_inner_product_proof_is_identical_when_folded_with_mcl_or_the_backend():
    s = statement(32)
    with fold.using_engine("backend"):
        by_backend = create(s)
    with fold.using_engine("mcl"):
        by_mcl = create(s)
    assert by_mcl.to_bytes() == by_backend.to_bytes()
    verify(by_mcl, s)


@needs_mcl
@pytest.mark.parametrize("value, blinding", [(5, 7), (-3, ORDER - 1), (0, 0), (1 << 64, 1 << 300)])
def test_linear_combination_matches_the_backend_msm_when_commitments_are_made_with_mcl(value, blinding):
    pc_gens = PedersenGens()
    with fold.using_engine("mcl"):
        commitment = pc_gens.commit(value, blinding)
    expected = msm([value, blinding], [pc_gens.B, pc_gens.B_blinding])
    assert commitment == expected and commitment.to_bytes() == expected.to_bytes()


def test_fold_engine_choice_raises_backend_error_when_unknown():
    with pytest.raises(BackendError, match="fold engine 'gmp'"):
        with fold.using_engine("gmp"):
            pass
