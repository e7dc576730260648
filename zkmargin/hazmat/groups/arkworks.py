"""G1 backend on py-arkworks-bls12381 (Rust arkworks): the fast default."""

from __future__ import annotations

from collections.abc import Sequence

from py_arkworks_bls12381 import G1Point, Scalar

from zkmargin.errors import InvalidEncoding

_from_le_bytes = Scalar.from_le_bytes
_multiexp = G1Point.multiexp_unchecked


def _to_scalar(k: int) -> Scalar:
    # from_le_bytes is ~25× cheaper than Scalar(int), which dominates small MSMs otherwise.
    return _from_le_bytes(k.to_bytes(32, "little"))


class ArkworksBackend:
    name = "arkworks"

    def identity(self) -> G1Point:
        return G1Point.identity()

    def generator(self) -> G1Point:
        return G1Point()

    def add(self, a: G1Point, b: G1Point) -> G1Point:
        return a + b

    def sub(self, a: G1Point, b: G1Point) -> G1Point:
        return a - b

    def neg(self, a: G1Point) -> G1Point:
        return -a

    def mul(self, a: G1Point, k: int) -> G1Point:
        return a * _to_scalar(k)

    def msm(self, scalars: Sequence[int], points: Sequence[G1Point]) -> G1Point:
        # "unchecked" skips arkworks' own input checks: every point here was validated when
        # decoded or derived, and groups.msm has matched the lengths.
        if not points:
            return G1Point.identity()
        # Inlined _to_scalar: a prover converts ~30,000 scalars a proof, and the call costs a third.
        return _multiexp(list(points), [_from_le_bytes(k.to_bytes(32, "little")) for k in scalars])

    def eq(self, a: G1Point, b: G1Point) -> bool:
        return a == b

    def is_identity(self, a: G1Point) -> bool:
        return a == _IDENTITY

    def hash_to_curve(self, msg: bytes, dst: bytes) -> G1Point:
        return G1Point.hash_to_curve(bytes(msg), bytes(dst))

    def compress(self, a: G1Point) -> bytes:
        return a.to_compressed_bytes()

    def decompress(self, data: bytes, x: int, sign: bool) -> G1Point:
        try:
            point = G1Point.from_compressed_bytes_unchecked(bytes(data))
        except ValueError:
            raise InvalidEncoding("x coordinate is not on the curve y² = x³ + 4") from None
        if not point.is_in_subgroup():
            raise InvalidEncoding("point is on the curve but outside the prime-order subgroup G1")
        return point

    def to_affine_bytes(self, a: G1Point) -> bytes:
        return a.to_xy_bytes_be()

    def from_affine_bytes_trusted(self, data: bytes) -> G1Point:
        return G1Point.from_xy_bytes_unchecked_be(data)


_IDENTITY = G1Point.identity()
