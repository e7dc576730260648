"""m values in [0, 2^n) for what their bits cost: a range proof split at powers of two.

One aggregated proof pads m values to m' = the next power of two, so m = 2^k + 2 costs as
much as 2^(k+1). `part_sizes` splits such an m into 2^k and r = m − 2^k whenever r pads
to less than 2^k, and r in turn into 2^j and r − 2^j when that saves at least
`THIRD_PART_SAVING` padded values (41 = 32 + 8 + 1 instead of 32 + 16). The parts are
ordinary `RangeProof`s made one after the other on the same transcript, after a domain
separator that names n and every size:

    dom-sep "rangeproof parts v1", n, m_1, …, m_p  ‖  proof over values 0 … m_1 − 1
                                                  ‖  proof over values m_1 … m_1 + m_2 − 1  ‖ …

The verifier replays them and adds their checks with independent random 128-bit weights
into one `RangeProofCheck` (one MSM; the parts' G and H are prefixes of the same vectors,
so they share bases). Soundness, zero knowledge and the byte format are in
docs/protocol.md, section 3. Encoded, p parts are the proofs' bytes back to back:
Σ (352 + 96·k_i) bytes, ≡ 64·p (mod 96): 64 for one proof, 32 for two, 0 for three, so
the three forms never share a length and `decode_range_proof` tells them apart. Every
layout a prover of this library has made for m stays accepted (`accepted_layouts`): one
proof (before splits existed), two parts (before three did), and `part_sizes(m)`.

This level leaves the value commitments out of the transcript (like `RangeProof.create`):
the caller binds what they are derived from.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

from zkmargin.errors import InputError, InvalidProof
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.partner import Partner
from zkmargin.hazmat.range_proof import (
    RangeProof,
    RangeProofCheck,
    batch_weight,
    padded_party_count,
    proof_size,
)
from zkmargin.hazmat.transcript import Transcript

THIRD_PART_SAVING = 3
"""Values of padding a third part must save: its fixed costs (A, S, T_1, T_2, the transcript,
352 bytes) are about two values' worth of proving."""


def _halves(m: int) -> tuple[int, ...]:
    """(m,) if one proof is as cheap; else (2^k, m − 2^k) with 2^k < m < 2^(k+1)."""
    if not isinstance(m, int) or m < 1:  # the caller's count is wrong, not a proof
        raise InputError(f"a range proof needs at least one value, got m = {m!r}")
    low = 1 << (m.bit_length() - 1)
    rest = m - low
    return (low, rest) if rest and padded_party_count(rest) < low else (m,)


def _padded(sizes: tuple[int, ...]) -> int:
    return sum(padded_party_count(size) for size in sizes)


def part_sizes(m: int) -> tuple[int, ...]:
    """The layout a proof of m values is made in: one proof, two parts (`_halves`), or three
    when splitting the second part again saves `THIRD_PART_SAVING` padded values."""
    sizes = _halves(m)
    if len(sizes) == 2:
        three = (sizes[0], *_halves(sizes[1]))
        if len(three) == 3 and _padded(sizes) - _padded(three) >= THIRD_PART_SAVING:
            return three
    return sizes


def accepted_layouts(m: int) -> list[tuple[int, ...]]:
    """Every layout a proof of m values may have: one proof, the two halves, `part_sizes(m)`."""
    layouts = [(m,)]
    for sizes in (_halves(m), part_sizes(m)):
        if sizes not in layouts:
            layouts.append(sizes)
    return layouts


class RangeProofParts:
    """Consecutive range proofs over consecutive slices of the values, verified as one."""

    __slots__ = ("parts", "sizes")

    def __init__(self, parts: Sequence[RangeProof], sizes: Sequence[int]) -> None:
        self.parts, self.sizes = tuple(parts), tuple(sizes)

    def to_bytes(self) -> bytes:
        return b"".join(part.to_bytes() for part in self.parts)

    def verification_check(
        self, bp_gens: BulletproofGens, pc_gens: PedersenGens, transcript: Transcript, n: int, m: int
    ) -> RangeProofCheck:
        """The parts' checks replayed in order and added with random weights: one equation whose
        value weights follow the values' order. Raises InvalidProof as `RangeProof` does."""
        sizes = self.sizes
        if sizes not in accepted_layouts(m) or len(sizes) != len(self.parts):
            raise InvalidProof(f"a range proof over {m} values is not made in parts of {', '.join(map(str, sizes))} values")
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
    """`RangeProof.create`, split at powers of two when that is cheaper (`part_sizes`).

    The parts run one after the other on one transcript, so with `workers` ≥ 2 they share
    one partner process, started for the largest part (its bases begin with every smaller
    part's): a process start and a bases transfer saved per further part.
    """
    sizes = part_sizes(len(values))
    if len(sizes) == 1:
        return RangeProof.create(bp_gens, pc_gens, transcript, values, blindings, n, workers=workers)
    transcript.range_proof_parts_domain_sep(n, sizes)
    largest = padded_party_count(max(sizes))
    shared = Partner(bp_gens.G(n, largest), bp_gens.H(n, largest)) if Partner.worth_it(n * largest, workers) else None
    with shared or nullcontext():
        parts, start = [], 0
        for size in sizes:
            end = start + size
            part = RangeProof.create(
                bp_gens, pc_gens, transcript, values[start:end], blindings[start:end], n, workers=workers, partner=shared
            )
            parts.append(part)
            start = end
    return RangeProofParts(parts, sizes)


def decode_range_proof(data: bytes, n: int, m: int) -> RangeProof | RangeProofParts:
    """Decode the proof of m values of n bits in the accepted layout its length names.

    Every point and scalar is validated by `RangeProof.from_bytes`; a length that fits no
    accepted layout is InvalidProof.
    """
    layouts = {sum(proof_size(n, size) for size in sizes): sizes for sizes in accepted_layouts(m)}
    sizes = layouts.get(len(data))
    if sizes is None:
        expected = " or ".join(str(length) for length in sorted(layouts))
        raise InvalidProof(f"a range proof of {m} values of {n} bits is {expected} bytes, got {len(data)}")
    if len(sizes) == 1:
        return RangeProof.from_bytes(data)
    parts, start = [], 0
    for size in sizes:
        length = proof_size(n, size)
        parts.append(RangeProof.from_bytes(data[start : start + length]))
        start += length
    return RangeProofParts(parts, sizes)
