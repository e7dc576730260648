"""The verification equation of a range proof, and how several of them become one MSM.

`RangeProof.verification_check` (range_proof.py) replays a proof's transcript and returns
a `RangeProofCheck`: every term of the single equation that holds iff the t_x equation and
the inner-product equation both hold (docs/range-proof.md, section 3). Checks of many
proofs, or of the parts of a split proof (range_proof_parts.py), add up with
independent random weights, so the shared bases G, H, B and B_blinding appear once and a
whole batch is one multi-scalar multiplication.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from zkmargin.errors import InputError
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.groups import Point, msm
from zkmargin.hazmat.scalar import ORDER

BATCH_WEIGHT_BITS = 128
"""A bad proof survives a random-weight batch with probability about 2^-128."""


def batch_weight() -> int:
    """A fresh random nonzero weight for one check of a batch (unknown to every prover)."""
    return 1 + secrets.randbits(BATCH_WEIGHT_BITS)


@dataclass
class RangeProofCheck:
    """The terms of a range proof's single verification equation.

    The proof is valid iff

        Σ_i g_i·G_i + Σ_i h_i·H_i + b·B + b_blinding·B_blinding
          + Σ_k scalars_k·points_k + Σ_j value_weights_j·V_j  =  identity,

    with G, H = bp_gens.G(n, m), bp_gens.H(n, m) (m the padded party count, so g and h
    have n·m entries), `points` the proof's own A, S, T_1, T_2, L_vec, R_vec and V_j the
    value commitments (the padding ones are the identity and have no weight here).
    Checks merge by `combine`, which adds randomly weighted checks term by term.
    """

    n: int
    m: int
    g: list[int]
    h: list[int]
    b: int
    b_blinding: int
    points: list[Point]
    scalars: list[int]
    value_weights: list[int]

    def terms(self, bp_gens: BulletproofGens, pc_gens: PedersenGens) -> tuple[list[int], list[Point]]:
        """Scalars and bases of every term except the value commitments."""
        return (
            self.g + self.h + [self.b, self.b_blinding] + self.scalars,
            bp_gens.G(self.n, self.m) + bp_gens.H(self.n, self.m) + [pc_gens.B, pc_gens.B_blinding] + self.points,
        )

    def holds(self, bp_gens: BulletproofGens, pc_gens: PedersenGens, value_commitments: Sequence[Point]) -> bool:
        """Evaluate the equation with one MSM."""
        return self.residual(bp_gens, pc_gens, value_commitments).is_identity()

    def residual(self, bp_gens: BulletproofGens, pc_gens: PedersenGens, value_commitments: Sequence[Point]) -> Point:
        """The equation's left side, one MSM: the identity iff it holds. Residuals add as
        checks `combine`, so a batch's residual minus one part's is the rest's, for free."""
        if len(value_commitments) != len(self.value_weights):
            raise InputError(f"the check weighs {len(self.value_weights)} commitments, got {len(value_commitments)}")
        scalars, points = self.terms(bp_gens, pc_gens)
        return msm(scalars + self.value_weights, points + list(value_commitments))

    @classmethod
    def combine(cls, weighted_checks: Sequence[tuple[int, RangeProofCheck]]) -> RangeProofCheck:
        """Σ weight·check: holds for all (with overwhelming probability over random weights) iff each holds.

        The shared bases G_i, H_i (prefixes of one flat vector), B and B_blinding add up;
        the proofs' own points and the value weights are concatenated in order.
        """
        longest = max((check for _, check in weighted_checks), key=lambda check: len(check.g))
        g = [0] * len(longest.g)
        h = [0] * len(longest.h)
        b = b_blinding = 0
        points, scalars, value_weights = [], [], []
        for weight, check in weighted_checks:
            size = len(check.g)
            g[:size] = [total + weight * g_i for total, g_i in zip(g, check.g)]
            h[:size] = [total + weight * h_i for total, h_i in zip(h, check.h)]
            b += weight * check.b
            b_blinding += weight * check.b_blinding
            points += check.points
            scalars += [weight * k % ORDER for k in check.scalars]
            value_weights += [weight * k % ORDER for k in check.value_weights]
        return cls(
            longest.n,
            longest.m,
            [k % ORDER for k in g],
            [k % ORDER for k in h],
            b % ORDER,
            b_blinding % ORDER,
            points,
            scalars,
            value_weights,
        )

