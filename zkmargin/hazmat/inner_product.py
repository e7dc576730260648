"""The inner-product argument of Bünz et al. 2018, §3 (protocol 2), in dalek's form.

Statement: for bases G_i, H_i (i < n, n a power of two), per-base public factors g_i, h_i,
a base Q and a point P, the prover knows vectors a, b with

    P = <a, g∘G> + <b, h∘H> + <a, b>·Q,

where g∘G is the vector of points g_i·G_i. The factors let the range proof use
H'_i = y^(-i)·H_i without computing those points (docs/range-proof.md, section 4).

Each of the k = log2(n) rounds halves the vectors. With lo/hi halves and n' = n/2:

    c_L = <a_lo, b_hi>                         c_R = <a_hi, b_lo>
    L   = <a_lo, G_hi> + <b_hi, H_lo> + c_L·Q   R   = <a_hi, G_lo> + <b_lo, H_hi> + c_R·Q
    u   = challenge after absorbing L, R
    a'  = u·a_lo + u⁻¹·a_hi                     b'  = u⁻¹·b_lo + u·b_hi
    G'  = u⁻¹·G_lo + u·G_hi                     H'  = u·H_lo + u⁻¹·H_hi

and the proof is (L_vec, R_vec, a, b) with a, b the final scalars. Unrolled, the verifier
checks

    P + Σ_j (u_j²·L_j + u_j⁻²·R_j) = <a·s∘g, G> + <b·s⁻¹∘h, H> + a·b·Q,

where s_i = Π_j u_j^(±1), the sign of u_j being + when bit (k−1−j) of i is set: the first
round's challenge decides the top half. Reversing i's bits flips every sign, so
1/s_i = s_(n−1−i) and s⁻¹ needs no inversions.

Prover cost. L and R are multi-scalar multiplications over the current (halved) bases. The
folded bases G', H' are real points: each is kept as scale_i·P_i with a public scalar
scale_i, so folding needs one scalar multiplication per new point,
P'_i = P_lo,i + (u²·scale_hi,i/scale_lo,i)·P_hi,i and scale'_i = u⁻¹·scale_lo,i (for G),
instead of a two-point multiplication; the scales then enter the next round's MSM scalars.
Those multiplications run on mcl when it is installed (`fold.py`), and with a `Partner`
the odd-indexed half of every fold and of A and S runs in a second process, and the two
processes compute L and R one each over both halves' terms (`Folding`, partner.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from zkmargin.errors import InputError, InvalidEncoding, InvalidProof
from zkmargin.hazmat.fold import fold_pairs
from zkmargin.hazmat.groups import Point, msm
from zkmargin.hazmat.groups.backend import COMPRESSED_BYTES
from zkmargin.hazmat.scalar import ORDER, SCALAR_BYTES, batch_invert, scalar_from_bytes, scalar_to_bytes
from zkmargin.hazmat.transcript import LABEL_L, LABEL_R, LABEL_U, Transcript

if TYPE_CHECKING:
    from zkmargin.hazmat.partner import Partner

CrossTermPart = tuple[list[int], list[Point], int]
"""One parity class's terms of L or R: MSM scalars, their bases, and its share of c_L or c_R."""

MAX_ROUNDS = 32
"""No statement of 2^32 bases exists in practice; bounds what from_bytes accepts."""


class _DecodedPoint(Point):
    """A point that remembers the bytes it was decoded from.

    Verifiers absorb every proof point into the transcript; re-compressing costs a field
    inversion per point (~15 µs on arkworks, 15% of a batch verification), and the
    canonical encoding is already at hand. Points are immutable, so the cache cannot go stale.
    """

    __slots__ = ("encoding",)

    def to_bytes(self) -> bytes:
        return self.encoding


def decode_point(data: bytes) -> Point:
    """Point.from_bytes (all checks, identity refused) that keeps the encoding for to_bytes()."""
    point = Point.from_bytes(data)
    decoded = _DecodedPoint(point.raw, point.backend)
    decoded.encoding = bytes(data)
    return decoded


def inner_product(a: Sequence[int], b: Sequence[int]) -> int:
    """<a, b> mod r."""
    return sum(x * y for x, y in zip(a, b, strict=True)) % ORDER


class Folding:
    """The prover's running vectors: bases kept as scale_i·P_i (section "Prover cost"), and a, b.

    The same object holds either the whole vectors or one parity class of them. A class
    p of vectors of length n is laid out like a vector of length n/2 (local index j is
    global index 2j + p), and while n/2 is even, global i and its fold partner i + n/2 are
    local j and j + n/4: the lo and hi halves of the class are its own first and second
    halves. So `cross_term_parts` and `fold` run unchanged on a class, and the two classes'
    terms together make L and R (`partner.py` runs the odd class in a second process).
    """

    __slots__ = ("G", "H", "g_scales", "h_scales", "g_inverse_scales", "h_inverse_scales", "a", "b")

    def __init__(
        self,
        G: list[Point],
        H: list[Point],
        g_scales: list[int],
        h_scales: list[int],
        g_inverse_scales: list[int],
        h_inverse_scales: list[int],
        a: list[int],
        b: list[int],
    ) -> None:
        self.G, self.H = G, H
        self.g_scales, self.h_scales = g_scales, h_scales
        self.g_inverse_scales, self.h_inverse_scales = g_inverse_scales, h_inverse_scales
        self.a, self.b = a, b

    def __len__(self) -> int:
        return len(self.a)

    def scalars(self) -> tuple[list[int], ...]:
        """Everything but the bases, in constructor order (what crosses a process boundary)."""
        return self.g_scales, self.h_scales, self.g_inverse_scales, self.h_inverse_scales, self.a, self.b

    def parity(self, p: int) -> Folding:
        """The entries at indices ≡ p (mod 2)."""
        return Folding(self.G[p::2], self.H[p::2], *(vector[p::2] for vector in self.scalars()))

    @classmethod
    def interleave(cls, even: Folding, odd: Folding) -> Folding:
        """Inverse of `parity`: even entries at 2j, odd ones at 2j + 1."""

        def merge(xs: list, ys: list) -> list:
            merged = [None] * (len(xs) + len(ys))
            merged[0::2], merged[1::2] = xs, ys
            return merged

        return cls(*(merge(xs, ys) for xs, ys in zip((even.G, even.H, *even.scalars()), (odd.G, odd.H, *odd.scalars()))))

    def cross_term_parts(self) -> tuple[CrossTermPart, CrossTermPart]:
        """This round's L and R over these entries, before Q: for each, the MSM's scalars and
        bases and the entries' share of c_L (c_R), the scalar of Q. Two parity classes' parts
        concatenated (their c added) are the whole L (R)."""
        n = len(self.a) // 2
        a_lo, a_hi, b_lo, b_hi = self.a[:n], self.a[n:], self.b[:n], self.b[n:]
        g, h = self.g_scales, self.h_scales
        L = (
            [x * k % ORDER for x, k in zip(a_lo, g[n:])] + [y * k % ORDER for y, k in zip(b_hi, h[:n])],
            self.G[n:] + self.H[:n],
            inner_product(a_lo, b_hi),
        )
        R = (
            [x * k % ORDER for x, k in zip(a_hi, g[:n])] + [y * k % ORDER for y, k in zip(b_lo, h[n:])],
            self.G[:n] + self.H[n:],
            inner_product(a_hi, b_lo),
        )
        return L, R

    def cross_terms(self, Q: Point) -> tuple[Point, Point]:
        """This round's L and R over these entries alone."""
        return tuple(msm(scalars + [c], bases + [Q]) for scalars, bases, c in self.cross_term_parts())

    def fold(self, u: int, u_inv: int) -> None:
        """a ← u·a_lo + u⁻¹·a_hi, b ← u⁻¹·b_lo + u·b_hi, G ← u⁻¹·G_lo + u·G_hi, H ← u·H_lo + u⁻¹·H_hi.

        The bases are folded only while more than one remains: the last pair is never used.
        """
        n = len(self.a) // 2
        self.a = [(x * u + y * u_inv) % ORDER for x, y in zip(self.a[:n], self.a[n:])]
        self.b = [(x * u_inv + y * u) % ORDER for x, y in zip(self.b[:n], self.b[n:])]
        if n > 1:
            self.G, self.g_scales, self.g_inverse_scales = _fold_bases(self.G, self.g_scales, self.g_inverse_scales, u_inv, u)
            self.H, self.h_scales, self.h_inverse_scales = _fold_bases(self.H, self.h_scales, self.h_inverse_scales, u, u_inv)


def _fold_bases(
    points: list[Point], scales: list[int], inverse_scales: list[int], lo_weight: int, hi_weight: int
) -> tuple[list[Point], list[int], list[int]]:
    """The bases lo_weight·(scale∘P)_lo + hi_weight·(scale∘P)_hi, with hi_weight = 1/lo_weight.

    Each new base is scale'_i·P'_i with P'_i = P_lo,i + (hi_weight²·scale_hi,i/scale_lo,i)·P_hi,i
    (one scalar multiplication) and scale'_i = lo_weight·scale_lo,i.
    """
    half = len(points) // 2
    ratio = hi_weight * hi_weight % ORDER
    multipliers = [ratio * scale_hi % ORDER * inverse_lo % ORDER for scale_hi, inverse_lo in zip(scales[half:], inverse_scales[:half])]
    return (
        fold_pairs(points[:half], points[half:], multipliers),
        [lo_weight * scale % ORDER for scale in scales[:half]],
        [hi_weight * inverse % ORDER for inverse in inverse_scales[:half]],
    )


class InnerProductProof:
    """Proof that P = <a, g∘G> + <b, h∘H> + <a, b>·Q: log2(n) pairs (L, R) and two scalars."""

    __slots__ = ("L_vec", "R_vec", "a", "b")

    def __init__(self, L_vec: Sequence[Point], R_vec: Sequence[Point], a: int, b: int) -> None:
        self.L_vec = list(L_vec)
        self.R_vec = list(R_vec)
        self.a = a
        self.b = b

    @classmethod
    def create(
        cls,
        transcript: Transcript,
        Q: Point,
        G_factors: Sequence[int],
        H_factors: Sequence[int],
        G_vec: Sequence[Point],
        H_vec: Sequence[Point],
        a_vec: Sequence[int],
        b_vec: Sequence[int],
        partner: Partner | None = None,
    ) -> InnerProductProof:
        """Prove knowledge of a_vec, b_vec for P = <a, g∘G> + <b, h∘H> + <a, b>·Q.

        All six vectors have the same power-of-two length n; factors must be nonzero. With a
        `partner` (a second process holding the odd-indexed entries of G_vec and H_vec, or of
        longer vectors they begin), each round's group work is split between the two processes; the proof is the
        same bytes either way.
        """
        n = len(G_vec)
        if n < 1 or n & (n - 1) or not (len(H_vec) == len(G_factors) == len(H_factors) == len(a_vec) == len(b_vec) == n):
            raise InputError("inner-product vectors must all have the same power-of-two length")

        g_scales, h_scales = [k % ORDER for k in G_factors], [k % ORDER for k in H_factors]
        try:
            g_inverse_scales, h_inverse_scales = batch_invert(g_scales), batch_invert(h_scales)
        except ZeroDivisionError:
            raise InputError("inner-product factors must be nonzero") from None
        state = Folding(
            list(G_vec), list(H_vec), g_scales, h_scales, g_inverse_scales, h_inverse_scales,
            [k % ORDER for k in a_vec], [k % ORDER for k in b_vec],
        )
        split = partner is not None and n >= partner.minimum_length
        if split:
            partner.begin_folding(state.parity(1).scalars())
            state = state.parity(0)
        return cls.prove_folded(transcript, Q, state, partner if split else None)

    @classmethod
    def prove_folded(cls, transcript: Transcript, Q: Point, state: Folding, partner: Partner | None = None) -> InnerProductProof:
        """The rounds of `create` from a prepared state: the whole vectors, or (with a
        `partner` that has begun folding the odd class) the even class.

        For a prover that builds the state itself, e.g. a range proof whose two processes
        each hold their class of l(x) and r(x) already (range_prover.py).
        """
        split = partner is not None
        transcript.inner_product_domain_sep(len(state) * (2 if split else 1))
        L_vec, R_vec = [], []
        while len(state) > 1 or split:
            L, R = partner.cross_terms(state, Q) if split else state.cross_terms(Q)
            L_vec.append(L)
            R_vec.append(R)
            transcript.append_point(LABEL_L, L)
            transcript.append_point(LABEL_R, R)
            u = transcript.challenge_scalar(LABEL_U)
            u_inv = pow(u, -1, ORDER)
            if split:
                partner.fold(u, u_inv)
            state.fold(u, u_inv)
            if split and len(state) * 2 < partner.minimum_length:
                state, split = Folding.interleave(state, partner.gather()), False
        return cls(L_vec, R_vec, state.a[0], state.b[0])

    def verification_scalars(self, n: int, transcript: Transcript) -> tuple[list[int], list[int], list[int]]:
        """Replay the transcript and return (u_j², u_j⁻², s) for the verification equation.

        s has n entries, s_i = Π_j u_j^(±1) (module docstring); callers take 1/s_i as s_(n−1−i).
        Raises InvalidProof if the proof has the wrong number of rounds or an identity L/R.
        """
        rounds = len(self.L_vec)
        if len(self.R_vec) != rounds or n != 1 << rounds:
            raise InvalidProof(f"inner-product proof has {rounds} rounds, a statement of {n} bases needs {n.bit_length() - 1}")
        transcript.inner_product_domain_sep(n)
        challenges = []
        for L, R in zip(self.L_vec, self.R_vec):
            transcript.validate_and_append_point(LABEL_L, L)
            transcript.validate_and_append_point(LABEL_R, R)
            challenges.append(transcript.challenge_scalar(LABEL_U))
        inverses = batch_invert(challenges)
        u_sq = [u * u % ORDER for u in challenges]
        u_inv_sq = [v * v % ORDER for v in inverses]

        s = [math.prod(inverses) % ORDER]
        # Index i with top bit at position t gets s_(i − 2^t)·u_(k−1−t)²: double the list per bit.
        for u_squared in reversed(u_sq):
            s += [x * u_squared % ORDER for x in s]
        return u_sq, u_inv_sq, s

    def verify(
        self,
        n: int,
        transcript: Transcript,
        G_factors: Sequence[int],
        H_factors: Sequence[int],
        P: Point,
        Q: Point,
        G: Sequence[Point],
        H: Sequence[Point],
    ) -> None:
        """Check the proof for P with one MSM; raise InvalidProof if it does not hold."""
        u_sq, u_inv_sq, s = self.verification_scalars(n, transcript)
        a_s = [self.a * s_i * g % ORDER for s_i, g in zip(s, G_factors)]
        b_s_inv = [self.b * s_i * h % ORDER for s_i, h in zip(reversed(s), H_factors)]
        check = msm(
            a_s + b_s_inv + [self.a * self.b] + [-x for x in u_sq] + [-x for x in u_inv_sq] + [-1],
            list(G) + list(H) + [Q] + self.L_vec + self.R_vec + [P],
        )
        if not check.is_identity():
            raise InvalidProof("inner-product argument does not verify")

    def serialized_size(self) -> int:
        return 2 * COMPRESSED_BYTES * len(self.L_vec) + 2 * SCALAR_BYTES

    def to_bytes(self) -> bytes:
        """L_0 ‖ R_0 ‖ … ‖ L_(k−1) ‖ R_(k−1) ‖ a ‖ b: 96·k + 64 bytes."""
        pairs = b"".join(L.to_bytes() + R.to_bytes() for L, R in zip(self.L_vec, self.R_vec))
        return pairs + scalar_to_bytes(self.a) + scalar_to_bytes(self.b)

    @classmethod
    def from_bytes(cls, data: bytes) -> InnerProductProof:
        """Decode and validate every point (on the curve, in the subgroup, not the identity) and scalar."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidProof(f"an inner-product proof is bytes, got {type(data).__name__}")
        pair_bytes = 2 * COMPRESSED_BYTES
        body = len(data) - 2 * SCALAR_BYTES
        if body < 0 or body % pair_bytes or body // pair_bytes >= MAX_ROUNDS:
            raise InvalidProof(f"an inner-product proof is 96·k + 64 bytes with k < {MAX_ROUNDS}, got {len(data)}")
        rounds = body // pair_bytes
        try:
            points = [decode_point(data[i : i + COMPRESSED_BYTES]) for i in range(0, body, COMPRESSED_BYTES)]
            a = scalar_from_bytes(data[body : body + SCALAR_BYTES])
            b = scalar_from_bytes(data[body + SCALAR_BYTES :])
        except InvalidEncoding as exc:
            raise InvalidProof(f"malformed inner-product proof: {exc}") from None
        return cls(points[0 : 2 * rounds : 2], points[1 : 2 * rounds : 2], a, b)
