"""Aggregated Bulletproofs range proofs (Bünz et al. 2018, §4.1–4.3 and §6.2), dalek's API.

A RangeProof shows that each of m Pedersen commitments V_j = v_j·B + γ_j·B_blinding opens to
a value v_j in [0, 2^n), for n ∈ {8, 16, 32, 64}. The protocol, in this code's notation,
with every equation the verifier checks, is in docs/range-proof.md; this docstring only
fixes the shape.

Prover (m padded to a power of two with commitments to 0 under blinding 0, i.e. the
identity, which the verifier substitutes itself):

    A   = α·B_blinding + <a_L, G> + <a_R, H>          a_L = bits of all v_j, a_R = a_L − 1
    S   = ρ·B_blinding + <s_L, G> + <s_R, H>          s_L, s_R, ρ random
    y, z                                              challenges
    T_1 = t_1·B + τ_1·B_blinding,  T_2 = t_2·B + τ_2·B_blinding
    x                                                 challenge
    t_x = <l(x), r(x)>,  τ_x = τ_2·x² + τ_1·x + Σ_j z^(2+j)·γ_j,  μ (e_blinding) = α + ρ·x
    w                                                 challenge; Q = w·B
    ipp = InnerProductProof of l(x), r(x) over G and H' = y^(−i)·H_i (as factors)

Verifier: one multi-scalar multiplication that is the identity iff both the t_x equation
and the inner-product equation hold, the two combined with a random scalar c
(`RangeProofCheck`). Batches of proofs add their checks with random weights, so the shared
bases (G, H, B, B_blinding) appear once in one MSM.

Files: this one holds the proof object (API, verifier, encoding); the prover and its
vectors are in range_prover.py, the verification equation in range_proof_check.py.

Two levels of API:
- `prove_multiple` / `verify_multiple` / `verify_batch` (and the `_single` forms) absorb the
  commitments V_j into the transcript themselves.
- `create` / `verification_check` leave the V_j out of the transcript, for callers that
  bind everything the V_j depend on before calling (the margin statement derives the
  range-proved commitments from committed variables by public coefficients).
The first level is the second plus the V_j: one code path.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

from zkmargin.errors import InputError, InvalidEncoding, InvalidProof
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.groups.backend import COMPRESSED_BYTES
from zkmargin.hazmat.inner_product import InnerProductProof, decode_point
from zkmargin.hazmat.partner import Partner
from zkmargin.hazmat.range_proof_check import RangeProofCheck, batch_weight
from zkmargin.hazmat.range_prover import powers, prove_range, z_and_2
from zkmargin.hazmat.scalar import ORDER, SCALAR_BYTES, random_scalar, scalar_from_bytes, scalar_to_bytes
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

BIT_SIZES = (8, 16, 32, 64)
"""The ranges [0, 2^n) a proof can show."""

_HEAD_POINTS = 4  # A, S, T_1, T_2
_HEAD_SCALARS = 3  # t_x, tau_x, e_blinding
_IPP_SCALARS = 2  # a, b
FIXED_SIZE = (_HEAD_POINTS * COMPRESSED_BYTES) + (_HEAD_SCALARS + _IPP_SCALARS) * SCALAR_BYTES
"""352 bytes; a proof over n·m bits adds 96 bytes per inner-product round, 96·log2(n·m)."""


def padded_party_count(m: int) -> int:
    """The power of two at or above m: the number of parties the proof is made over."""
    return 1 << (m - 1).bit_length()


def proof_size(n: int, m: int) -> int:
    """Bytes of a serialized proof for m values of n bits: 96·log2(n·m') + 352, m' = padded m."""
    rounds = (n * padded_party_count(m)).bit_length() - 1
    return FIXED_SIZE + 2 * COMPRESSED_BYTES * rounds


def _check_sizes(n: int, m: int) -> int:
    """Validate n and m; return the padded party count."""
    if n not in BIT_SIZES:
        raise InputError(f"range proofs cover n ∈ {BIT_SIZES} bits, got n = {n!r}")
    if not isinstance(m, int) or m < 1:
        raise InputError(f"a range proof needs at least one value, got m = {m!r}")
    return padded_party_count(m)


def _check_witness(values: Sequence[int], blindings: Sequence[int], n: int) -> None:
    if len(blindings) != len(values):
        raise InputError(f"got {len(values)} values but {len(blindings)} blindings")
    for j, (value, blinding) in enumerate(zip(values, blindings)):
        if not isinstance(value, int) or not 0 <= value < 1 << n:
            # The value itself is secret: the message names its position only.
            raise InputError(f"value #{j} is not an integer in [0, 2^{n})")
        if not isinstance(blinding, int):
            raise InputError(f"blinding #{j} is not an integer")


def _sum_of_powers(base: int, count: int) -> int:
    """1 + base + … + base^(count−1) mod r for a power-of-two count, by repeated doubling."""
    total, power = 1, base
    while count > 1:
        total = total * (1 + power) % ORDER
        power = power * power % ORDER
        count //= 2
    return total


def _decode_commitments(commitments: Sequence[bytes]) -> list[Point]:
    points = []
    for j, encoded in enumerate(commitments):
        try:
            points.append(decode_point(encoded))
        except InvalidEncoding as exc:
            raise InvalidProof(f"value commitment #{j} is invalid: {exc}") from None
    return points


class RangeProof:
    """An aggregated range proof: A, S, T_1, T_2, t_x, tau_x, e_blinding and an inner-product proof."""

    __slots__ = ("A", "S", "T_1", "T_2", "t_x", "tau_x", "e_blinding", "ipp")

    def __init__(
        self,
        A: Point,
        S: Point,
        T_1: Point,
        T_2: Point,
        t_x: int,
        tau_x: int,
        e_blinding: int,
        ipp: InnerProductProof,
    ) -> None:
        self.A = A
        self.S = S
        self.T_1 = T_1
        self.T_2 = T_2
        self.t_x = t_x
        self.tau_x = tau_x
        self.e_blinding = e_blinding
        self.ipp = ipp

    # Proving.

    @classmethod
    def create(
        cls,
        bp_gens: BulletproofGens,
        pc_gens: PedersenGens,
        transcript: Transcript,
        values: Sequence[int],
        blindings: Sequence[int],
        n: int,
        workers: int = 1,
        partner: Partner | None = None,
    ) -> RangeProof:
        """Prove every value in [0, 2^n) without absorbing the value commitments.

        The caller must already have bound (into `transcript`) everything the commitments
        v_j·B + γ_j·B_blinding are derived from; verify with `verification_check`. With
        `workers` ≥ 2, a large proof shares its group arithmetic with a second process
        (`partner.py`), started here unless the caller lends a running `partner` that holds
        at least these bases; the proof is the same either way.
        """
        proof, _ = cls._prove(
            bp_gens, pc_gens, transcript, values, blindings, n, absorb_commitments=False, workers=workers, partner=partner
        )
        return proof

    @classmethod
    def prove_multiple(
        cls,
        bp_gens: BulletproofGens,
        pc_gens: PedersenGens,
        transcript: Transcript,
        values: Sequence[int],
        blindings: Sequence[int],
        n: int,
        workers: int = 1,
    ) -> tuple[RangeProof, list[bytes]]:
        """Commit to each value and prove it lies in [0, 2^n); returns the proof and the commitments."""
        proof, commitments = cls._prove(
            bp_gens, pc_gens, transcript, values, blindings, n, absorb_commitments=True, workers=workers
        )
        return proof, [commitment.to_bytes() for commitment in commitments]

    @classmethod
    def prove_single(
        cls,
        bp_gens: BulletproofGens,
        pc_gens: PedersenGens,
        transcript: Transcript,
        value: int,
        blinding: int,
        n: int,
    ) -> tuple[RangeProof, bytes]:
        proof, commitments = cls.prove_multiple(bp_gens, pc_gens, transcript, [value], [blinding], n)
        return proof, commitments[0]

    @classmethod
    def _prove(
        cls,
        bp_gens: BulletproofGens,
        pc_gens: PedersenGens,
        transcript: Transcript,
        values: Sequence[int],
        blindings: Sequence[int],
        n: int,
        absorb_commitments: bool,
        workers: int = 1,
        partner: Partner | None = None,
    ) -> tuple[RangeProof, list[Point]]:
        """Check the witness, commit to it if asked, and run the prover."""
        m = _check_sizes(n, len(values))
        _check_witness(values, blindings, n)
        commitments = []
        if absorb_commitments:
            if any(blinding % ORDER == 0 for blinding in blindings):
                raise InputError("a blinding of 0 makes a commitment that hides nothing; use random_scalar()")
            commitments = [pc_gens.commit(value, blinding) for value, blinding in zip(values, blindings)]
        nm = n * m
        if not Partner.worth_it(nm, workers):
            return cls(*prove_range(bp_gens, pc_gens, transcript, values, blindings, n, m, commitments, None)), commitments
        # a lent partner outlives this proof (its lender closes it); one started here does not
        with nullcontext(partner) if partner is not None else Partner(bp_gens.G(n, m), bp_gens.H(n, m)) as active:
            return cls(*prove_range(bp_gens, pc_gens, transcript, values, blindings, n, m, commitments, active)), commitments

    # Verifying.

    def verification_check(
        self, bp_gens: BulletproofGens, pc_gens: PedersenGens, transcript: Transcript, n: int, m: int
    ) -> RangeProofCheck:
        """Replay the transcript (without value commitments) and return the verification equation.

        For proofs made by `create`; m is the number of values (before padding). Raises
        InvalidProof for a structurally bad proof (wrong size, an identity point).
        """
        return self._verification_check(bp_gens, pc_gens, transcript, n, m, ())

    def _verification_check(
        self,
        bp_gens: BulletproofGens,
        pc_gens: PedersenGens,
        transcript: Transcript,
        n: int,
        m: int,
        commitments: Sequence[Point],
    ) -> RangeProofCheck:
        parties = _check_sizes(n, m)
        if n > bp_gens.gens_capacity or parties > bp_gens.party_capacity:
            raise InputError(f"{m} values of {n} bits need more generators than {bp_gens.gens_capacity}×{bp_gens.party_capacity}")
        nm = n * parties
        transcript.range_proof_domain_sep(n, m)
        for V in commitments:
            transcript.append_point(LABEL_V, V)
        transcript.validate_and_append_point(LABEL_A, self.A)
        transcript.validate_and_append_point(LABEL_S, self.S)
        y = transcript.challenge_scalar(LABEL_Y)
        z = transcript.challenge_scalar(LABEL_Z)
        transcript.validate_and_append_point(LABEL_T_1, self.T_1)
        transcript.validate_and_append_point(LABEL_T_2, self.T_2)
        x = transcript.challenge_scalar(LABEL_X)
        transcript.append_scalar(LABEL_T_X, self.t_x)
        transcript.append_scalar(LABEL_TAU_X, self.tau_x)
        transcript.append_scalar(LABEL_E_BLINDING, self.e_blinding)
        w = transcript.challenge_scalar(LABEL_W)
        u_sq, u_inv_sq, s = self.ipp.verification_scalars(nm, transcript)

        # c joins the t_x equation to the inner-product equation; it must be unknown to the prover.
        c = random_scalar()
        a, b = self.ipp.a, self.ipp.b
        zz = z * z % ORDER
        minus_z = ORDER - z
        g = [(minus_z - a * s_i) % ORDER for s_i in s]
        h = [
            (z + y_inv_i * (zz2 - b * s_inv_i)) % ORDER
            for y_inv_i, zz2, s_inv_i in zip(powers(pow(y, -1, ORDER), nm), z_and_2(z, n, parties), reversed(s))
        ]
        delta = ((z - zz) * _sum_of_powers(y, nm) - zz * z * ((1 << n) - 1) * _sum_of_powers(z, parties)) % ORDER
        return RangeProofCheck(
            n=n,
            m=parties,
            g=g,
            h=h,
            b=(w * (self.t_x - a * b) + c * (delta - self.t_x)) % ORDER,
            b_blinding=(-self.e_blinding - c * self.tau_x) % ORDER,
            points=[self.A, self.S, self.T_1, self.T_2] + self.ipp.L_vec + self.ipp.R_vec,
            scalars=[1, x, c * x % ORDER, c * x * x % ORDER] + u_sq + u_inv_sq,
            value_weights=[c * zz * z_j % ORDER for z_j in powers(z, m)],
        )

    @staticmethod
    def verify_multiple(
        proof: RangeProof,
        bp_gens: BulletproofGens,
        pc_gens: PedersenGens,
        transcript: Transcript,
        commitments: Sequence[bytes],
        n: int,
    ) -> None:
        """Verify that each commitment (48-byte encoding) opens to a value in [0, 2^n); raise InvalidProof if not."""
        value_commitments = _decode_commitments(commitments)
        check = proof._verification_check(bp_gens, pc_gens, transcript, n, len(value_commitments), value_commitments)
        if not check.holds(bp_gens, pc_gens, value_commitments):
            raise InvalidProof("range proof does not verify")

    @staticmethod
    def verify_single(
        proof: RangeProof,
        bp_gens: BulletproofGens,
        pc_gens: PedersenGens,
        transcript: Transcript,
        commitment: bytes,
        n: int,
    ) -> None:
        RangeProof.verify_multiple(proof, bp_gens, pc_gens, transcript, [commitment], n)

    @staticmethod
    def verify_batch(
        batch: Sequence[tuple[RangeProof, Transcript, Sequence[bytes], int]],
        bp_gens: BulletproofGens,
        pc_gens: PedersenGens,
    ) -> None:
        """Verify many (proof, transcript, commitments, n) at once with one MSM.

        Each proof's check is multiplied by an independent random 128-bit weight and the
        checks are added, so shared bases appear once. If that MSM is not the identity,
        each check is evaluated on its own (its challenges are already computed, so this
        costs one MSM per proof, only on failure) to name the bad ones. Raises InvalidProof
        whose reason lists the failing indices, with those indices in `.failures`.
        """
        reasons: dict[int, str] = {}
        checked: list[tuple[int, RangeProofCheck, list[Point]]] = []
        for index, (proof, transcript, commitments, n) in enumerate(batch):
            try:
                value_commitments = _decode_commitments(commitments)
                check = proof._verification_check(bp_gens, pc_gens, transcript, n, len(value_commitments), value_commitments)
            except InvalidProof as exc:
                reasons[index] = exc.reason
                continue
            except InputError as exc:  # sizes the submitter chose (no commitments, too many)
                reasons[index] = str(exc)
                continue
            checked.append((index, check, value_commitments))

        if checked:
            merged = RangeProofCheck.combine([(batch_weight(), check) for _, check, _ in checked])
            if not merged.holds(bp_gens, pc_gens, [V for _, _, commitments in checked for V in commitments]):
                for index, check, value_commitments in checked:
                    if not check.holds(bp_gens, pc_gens, value_commitments):
                        reasons[index] = "range proof does not verify"
        if reasons:
            failures = sorted(reasons)
            detail = "; ".join(f"#{index}: {reasons[index]}" for index in failures)
            error = InvalidProof(f"{len(failures)} of {len(batch)} range proofs failed ({detail})")
            error.failures = failures
            raise error

    # Encoding.

    def to_bytes(self) -> bytes:
        """A ‖ S ‖ T_1 ‖ T_2 ‖ t_x ‖ tau_x ‖ e_blinding ‖ (L_j ‖ R_j)_j ‖ a ‖ b: 96·log2(n·m) + 352 bytes."""
        return (
            b"".join(point.to_bytes() for point in (self.A, self.S, self.T_1, self.T_2))
            + b"".join(scalar_to_bytes(k) for k in (self.t_x, self.tau_x, self.e_blinding))
            + self.ipp.to_bytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> RangeProof:
        """Decode, validating the length, every point (subgroup, not identity) and every scalar (< r)."""
        if not isinstance(data, (bytes, bytearray)) or len(data) < FIXED_SIZE or (len(data) - FIXED_SIZE) % (2 * COMPRESSED_BYTES):
            size = len(data) if isinstance(data, (bytes, bytearray)) else type(data).__name__
            raise InvalidProof(f"a range proof is 352 + 96·k bytes, got {size}")
        data = bytes(data)
        head = _HEAD_POINTS * COMPRESSED_BYTES
        try:
            A, S, T_1, T_2 = (decode_point(data[i : i + COMPRESSED_BYTES]) for i in range(0, head, COMPRESSED_BYTES))
            t_x, tau_x, e_blinding = (
                scalar_from_bytes(data[i : i + SCALAR_BYTES]) for i in range(head, head + _HEAD_SCALARS * SCALAR_BYTES, SCALAR_BYTES)
            )
        except InvalidEncoding as exc:
            raise InvalidProof(f"malformed range proof: {exc}") from None
        ipp = InnerProductProof.from_bytes(data[head + _HEAD_SCALARS * SCALAR_BYTES :])
        return cls(A, S, T_1, T_2, t_x, tau_x, e_blinding, ipp)

