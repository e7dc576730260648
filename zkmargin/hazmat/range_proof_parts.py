"""m values in [0, 2^n) for what their bits cost: a range proof split at a power of two.

One aggregated proof pads m values to m' = the next power of two, so m = 2^k + 2 costs as
much as 2^(k+1). `part_sizes` splits such an m into 2^k and r = m − 2^k whenever r pads
to less than 2^k; the parts are two ordinary `RangeProof`s made one after the other on
the same transcript, after a domain separator that names n and both sizes:

    dom-sep "rangeproof parts v1", n, m_1, m_2  ‖  proof over values 0 … m_1 − 1
                                               ‖  proof over values m_1 … m − 1

The verifier replays both and adds their checks with independent random 128-bit weights
into one `RangeProofCheck` (one MSM; the parts' G and H are prefixes of the same vectors,
so they share bases). Soundness, zero knowledge and the byte format are in
docs/protocol.md, section 3. Encoded, a split proof is the two proofs' bytes back to
back: (352 + 96·k_1) + (352 + 96·k_2) bytes, which is ≡ 32 (mod 96) where one proof is
≡ 64, so the two forms never share a length and `decode_range_proof` tells them apart.
A statement that does not split, and any single proof made before splits existed, is one
`RangeProof` exactly as before.

This level leaves the value commitments out of the transcript (like `RangeProof.create`):
the caller binds what they are derived from.
"""

from __future__ import annotations

from collections.abc import Sequence

from zkmargin.errors import InvalidProof
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.range_proof import RangeProof, RangeProofCheck, batch_weight, padded_party_count, proof_size
from zkmargin.hazmat.transcript import Transcript


def part_sizes(m: int) -> tuple[int, ...]:
    """(m,) if one proof is as cheap; else (2^k, m − 2^k) with 2^k < m < 2^(k+1)."""
    low = 1 << (m.bit_length() - 1)
    rest = m - low
    return (low, rest) if rest and padded_party_count(rest) < low else (m,)


class RangeProofParts:
    """Consecutive range proofs over consecutive slices of the values, verified as one."""

    __slots__ = ("parts",)

    def __init__(self, parts: Sequence[RangeProof]) -> None:
        self.parts = tuple(parts)

    def to_bytes(self) -> bytes:
        return b"".join(part.to_bytes() for part in self.parts)

    def verification_check(
        self, bp_gens: BulletproofGens, pc_gens: PedersenGens, transcript: Transcript, n: int, m: int
    ) -> RangeProofCheck:
        """The parts' checks replayed in order and added with random weights: one equation whose
        value weights follow the values' order. Raises InvalidProof as `RangeProof` does."""
        sizes = part_sizes(m)
        if len(sizes) != len(self.parts):
            raise InvalidProof(f"a range proof over {m} values has {len(sizes)} part(s), this one {len(self.parts)}")
        transcript.range_proof_parts_domain_sep(n, sizes)
        checks = [part.verification_check(bp_gens, pc_gens, transcript, n, size) for part, size in zip(self.parts, sizes)]
        return RangeProofCheck.combine([(batch_weight(), check) for check in checks])


def create_range_proof(
    bp_gens: BulletproofGens,
    pc_gens: PedersenGens,
    transcript: Transcript,
    values: Sequence[int],
    blindings: Sequence[int],
    n: int,
    workers: int = 1,
) -> RangeProof | RangeProofParts:
    """`RangeProof.create`, split at a power of two when that is cheaper (`part_sizes`)."""
    sizes = part_sizes(len(values))
    if len(sizes) == 1:
        return RangeProof.create(bp_gens, pc_gens, transcript, values, blindings, n, workers=workers)
    transcript.range_proof_parts_domain_sep(n, sizes)
    parts, start = [], 0
    for size in sizes:
        end = start + size
        parts.append(RangeProof.create(bp_gens, pc_gens, transcript, values[start:end], blindings[start:end], n, workers=workers))
        start = end
    return RangeProofParts(parts)


def decode_range_proof(data: bytes, n: int, m: int) -> RangeProof | RangeProofParts:
    """Decode the proof of m values of n bits: one proof, or the parts `part_sizes` prescribes.

    Every point and scalar is validated by `RangeProof.from_bytes`; a length that fits
    neither form is InvalidProof.
    """
    sizes = part_sizes(m)
    if len(sizes) == 1 or len(data) == proof_size(n, m):
        return RangeProof.from_bytes(data)
    lengths = [proof_size(n, size) for size in sizes]
    if len(data) != sum(lengths):
        raise InvalidProof(f"a range proof of {m} values of {n} bits is {proof_size(n, m)} or {sum(lengths)} bytes, got {len(data)}")
    parts, start = [], 0
    for length in lengths:
        parts.append(RangeProof.from_bytes(data[start : start + length]))
        start += length
    return RangeProofParts(parts)
