"""The range prover (`prove_range`) and its secret vectors at a share of the indices.

Bünz et al. 2018 §4.1–4.3 in this code's notation (docs/range-proof.md, section 2), for
the n·m indices i = j·n + k (party j, bit k):

    a_L,i = bit k of v_j          a_R,i = a_L,i − 1          s_L,i, s_R,i random
    l(X)_i = (a_L,i − z) + s_L,i·X
    r(X)_i = y^i·(a_R,i + z + s_R,i·X) + z^(2+j)·2^k
    t(X)   = <l(X), r(X)> = t_0 + t_1·X + t_2·X²

Everything the prover computes from these vectors before the inner-product argument is a
sum over i: the commitments' vector parts <a_L, G> + <a_R, H> and <s_L, G> + <s_R, H>,
t_1 = <l_0, r_1> + <s_L, r_0> and t_2 = <s_L, r_1> (l_0, r_0 the constant terms, r_1 =
y^i∘s_R the linear one), and t_x = <l(x), r(x)>. So a `ProverShare` holds the indices
i ≡ offset (mod step) — all of them (0, 1), or the even or odd class (0 or 1, 2) — and
computes its part of each sum; the parts of the two classes add up to the whole. The
second class lives in a `Partner` process (partner.py), which then starts the
inner-product argument on its own entries without any vector crossing the pipe.

The inner-product argument runs over bases G and H' = y^(−i)·H_i, kept as factors
(`inner_product.Folding`): the share knows y^(−i) and its inverse y^i without inverting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.groups import Point, msm
from zkmargin.hazmat.inner_product import Folding, InnerProductProof, inner_product
from zkmargin.hazmat.scalar import ORDER, random_scalar, random_scalars
from zkmargin.hazmat.transcript import (
    LABEL_A,
    LABEL_E_BLINDING,
    LABEL_S,
    LABEL_T_1,
    LABEL_T_2,
    LABEL_T_X,
    LABEL_TAU_X,
    LABEL_V,
    LABEL_W,
    LABEL_X,
    LABEL_Y,
    LABEL_Z,
    Transcript,
)

if TYPE_CHECKING:
    from zkmargin.hazmat.partner import Partner


def powers(base: int, count: int, first: int = 1, step: int = 1) -> list[int]:
    """[first, first·base^step, first·base^(2·step), …] with `count` entries, mod r."""
    ratio = pow(base, step, ORDER)
    result = [first % ORDER] * count
    for i in range(1, count):
        result[i] = result[i - 1] * ratio % ORDER
    return result


def z_and_2(z: int, n: int, m: int, offset: int = 0, step: int = 1) -> list[int]:
    """(z^(2+j)·2^k) at index i = j·n + k, for the i ≡ offset (mod step), n a multiple of step:
    the weights tying each party's bits to its value."""
    zz = z * z % ORDER
    return [zz * z_j * (1 << k) % ORDER for z_j in powers(z, m) for k in range(offset, n, step)]


class ProverShare:
    """a_L, s_L, s_R at the indices i ≡ offset (mod step) of an n-bit, m-party proof.

    Used in three steps, each returning this share's part of a sum:
    `commitments` (before y, z), `polynomial` (t_1, t_2, given y, z) and `evaluate`
    (t_x, given x); then `folding` hands the inner-product argument l(x), r(x) and the
    bases' factors.
    """

    __slots__ = ("n", "m", "offset", "step", "bits", "s_L", "s_R", "y", "l_0", "r_0", "r_1", "l_vec", "r_vec")

    def __init__(self, n: int, m: int, bits: Sequence[int], s_L: Sequence[int], s_R: Sequence[int], offset: int = 0, step: int = 1) -> None:
        self.n, self.m, self.offset, self.step = n, m, offset, step
        self.bits, self.s_L, self.s_R = list(bits), list(s_L), list(s_R)

    def commitments(self, G: Sequence[Point], H: Sequence[Point]) -> tuple[Point, Point]:
        """(<a_L, G> + <a_R, H>, <s_L, G> + <s_R, H>) over this share's bases.

        a_R = a_L − 1 is −1 exactly where a_L is 0, so the first is two MSMs with unit
        scalars (additions), a fraction of one full-width MSM.
        """
        set_bits = [G_i for G_i, bit in zip(G, self.bits) if bit]
        clear_bits = [H_i for H_i, bit in zip(H, self.bits) if not bit]
        A_part = msm([1] * len(set_bits), set_bits) - msm([1] * len(clear_bits), clear_bits)
        return A_part, msm(self.s_L + self.s_R, list(G) + list(H))

    def polynomial(self, y: int, z: int) -> tuple[int, int]:
        """This share's parts of t_1 and t_2; keeps l_0, r_0, r_1 for `evaluate`."""
        self.y = y
        y_powers = powers(y, len(self.bits), pow(y, self.offset, ORDER), self.step)
        weights = z_and_2(z, self.n, self.m, self.offset, self.step)
        self.l_0 = [(bit - z) % ORDER for bit in self.bits]
        self.r_0 = [(y_i * (bit - 1 + z) + zz2) % ORDER for y_i, bit, zz2 in zip(y_powers, self.bits, weights)]
        self.r_1 = [y_i * s % ORDER for y_i, s in zip(y_powers, self.s_R)]
        t_1 = (inner_product(self.l_0, self.r_1) + inner_product(self.s_L, self.r_0)) % ORDER
        return t_1, inner_product(self.s_L, self.r_1)

    def evaluate(self, x: int) -> int:
        """This share's part of t_x = <l(x), r(x)>; keeps l(x) and r(x) for `folding`."""
        self.l_vec = [(l + x * s) % ORDER for l, s in zip(self.l_0, self.s_L)]
        self.r_vec = [(r + x * s) % ORDER for r, s in zip(self.r_0, self.r_1)]
        return inner_product(self.l_vec, self.r_vec)

    def folding(self, G: Sequence[Point], H: Sequence[Point]) -> Folding:
        """The inner-product prover's state over this share's bases: factors 1 on G, y^(−i) on H."""
        count = len(self.bits)
        ones = [1] * count
        y_inv = pow(self.y, -1, ORDER)
        h_scales = powers(y_inv, count, pow(y_inv, self.offset, ORDER), self.step)
        h_inverse_scales = powers(self.y, count, pow(self.y, self.offset, ORDER), self.step)
        return Folding(list(G), list(H), ones, h_scales, list(ones), h_inverse_scales, self.l_vec, self.r_vec)


def prove_range(
    bp_gens: BulletproofGens,
    pc_gens: PedersenGens,
    transcript: Transcript,
    values: Sequence[int],
    blindings: Sequence[int],
    n: int,
    m: int,
    commitments: Sequence[Point],
    partner: Partner | None,
) -> tuple[Point, Point, Point, Point, int, int, int, InnerProductProof]:
    """The prover of docs/range-proof.md (sections 2–3), for values already checked to be in range:
    A, S, T_1, T_2, t_x, tau_x, e_blinding and the inner-product proof, in `RangeProof` order.

    The vector work is a `ProverShare` over all indices or, with a partner (holding the
    odd-indexed G_i, H_i), over the even ones while the partner does the odd ones in its
    own process; each sum below is then this share's part plus the partner's.
    """
    nm = n * m
    G, H = bp_gens.G(n, m), bp_gens.H(n, m)
    B, B_blinding = pc_gens.B, pc_gens.B_blinding
    padding = m - len(values)
    padded_values = [value % ORDER for value in values] + [0] * padding
    padded_blindings = [blinding % ORDER for blinding in blindings] + [0] * padding

    transcript.range_proof_domain_sep(n, len(values))
    for V in commitments:
        transcript.append_point(LABEL_V, V)

    a_L = [(value >> k) & 1 for value in padded_values for k in range(n)]
    s_L, s_R = random_scalars(nm), random_scalars(nm)
    rho, alpha = random_scalar(), random_scalar()
    if partner is None:
        share = ProverShare(n, m, a_L, s_L, s_R)
    else:
        partner.begin_share(n, m, a_L[1::2], s_L[1::2], s_R[1::2])
        share = ProverShare(n, m, a_L[0::2], s_L[0::2], s_R[0::2], offset=0, step=2)
        G, H = G[0::2], H[0::2]
    # A = α·B_blinding + <a_L, G> + <a_R, H>,  S = ρ·B_blinding + <s_L, G> + <s_R, H>.
    A, S = share.commitments(G, H)
    if partner is not None:
        A_odd, S_odd = partner.share_commitments()
        A, S = A + A_odd, S + S_odd
    A, S = A + alpha * B_blinding, S + rho * B_blinding
    transcript.append_point(LABEL_A, A)
    transcript.append_point(LABEL_S, S)
    y = transcript.challenge_scalar(LABEL_Y)
    z = transcript.challenge_scalar(LABEL_Z)

    if partner is not None:
        partner.request_polynomial(y, z)
    t_1, t_2 = share.polynomial(y, z)
    if partner is not None:
        t_1_odd, t_2_odd = partner.polynomial()
        t_1, t_2 = (t_1 + t_1_odd) % ORDER, (t_2 + t_2_odd) % ORDER
    tau_1, tau_2 = random_scalar(), random_scalar()
    T_1 = msm([t_1, tau_1], [B, B_blinding])
    T_2 = msm([t_2, tau_2], [B, B_blinding])
    transcript.append_point(LABEL_T_1, T_1)
    transcript.append_point(LABEL_T_2, T_2)
    x = transcript.challenge_scalar(LABEL_X)

    if partner is not None:
        partner.request_evaluation(x)
    t_x = share.evaluate(x)
    if partner is not None:
        t_x = (t_x + partner.evaluation()) % ORDER
    tau_x = (tau_2 * x * x + tau_1 * x + z * z * inner_product(powers(z, m), padded_blindings)) % ORDER
    e_blinding = (alpha + rho * x) % ORDER
    transcript.append_scalar(LABEL_T_X, t_x)
    transcript.append_scalar(LABEL_TAU_X, tau_x)
    transcript.append_scalar(LABEL_E_BLINDING, e_blinding)
    w = transcript.challenge_scalar(LABEL_W)

    ipp = InnerProductProof.prove_folded(transcript, w * B, share.folding(G, H), partner)
    return A, S, T_1, T_2, t_x, tau_x, e_blinding, ipp
