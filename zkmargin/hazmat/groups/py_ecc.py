"""G1 backend on py_ecc (pure Python): the slow reference, with our own Pippenger MSM.

py_ecc's `decompress_G1` checks the curve equation but not subgroup membership, so
decoding here does its own subgroup test: P ∈ G1 iff φ(P) = −z²·P, where
φ(x, y) = (β·x, y) is the GLV endomorphism (β a cube root of unity in F_p) and z the
BLS12-381 parameter (Scott, "A note on group membership tests for G1, G2 and GT on BLS
pairing-friendly curves", 2021). The scalar z² has 128 bits, half of r.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.bls.point_compression import compress_G1
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.optimized_bls12_381 import G1, Z1, add, double, eq, is_inf, multiply, neg, normalize

from zkmargin.errors import InvalidEncoding
from zkmargin.hazmat.groups.backend import FIELD_MODULUS
from zkmargin.hazmat.msm import pippenger

Jacobian = tuple  # py_ecc's homogeneous projective (X, Y, Z) over FQ

BLS_Z_SQUARED = 0xD201000000010000**2
BETA = 0x5F19672FDF76CE51BA69C6076A0F77EADDB3A93BE6F89688DE17D813620A00022E01FFFFFFFEFFFE
"""The cube root of unity for which φ(P) = −z²·P on G1 (the other one gives the conjugate eigenvalue)."""

_CURVE_B = 4
_SQRT_EXPONENT = (FIELD_MODULUS + 1) // 4  # p ≡ 3 (mod 4)


def is_in_subgroup(point: Jacobian) -> bool:
    """φ(P) == −z²·P, for a point already known to be on the curve."""
    if is_inf(point):
        return True
    x, y = normalize(point)
    minus_z2_point = neg(multiply(point, BLS_Z_SQUARED))
    return eq((x * BETA, y, FQ.one()), minus_z2_point)


class PyEccBackend:
    name = "py_ecc"

    def identity(self) -> Jacobian:
        return Z1

    def generator(self) -> Jacobian:
        return G1

    def add(self, a: Jacobian, b: Jacobian) -> Jacobian:
        return add(a, b)

    def sub(self, a: Jacobian, b: Jacobian) -> Jacobian:
        return add(a, neg(b))

    def neg(self, a: Jacobian) -> Jacobian:
        return neg(a)

    def mul(self, a: Jacobian, k: int) -> Jacobian:
        return multiply(a, k)

    def msm(self, scalars: Sequence[int], points: Sequence[Jacobian]) -> Jacobian:
        return pippenger(scalars, points, add, double, Z1)

    def eq(self, a: Jacobian, b: Jacobian) -> bool:
        return eq(a, b)

    def is_identity(self, a: Jacobian) -> bool:
        return is_inf(a)

    def hash_to_curve(self, msg: bytes, dst: bytes) -> Jacobian:
        return hash_to_G1(bytes(msg), bytes(dst), hashlib.sha256)

    def compress(self, a: Jacobian) -> bytes:
        return compress_G1(a).to_bytes(48, "big")

    def decompress(self, data: bytes, x: int, sign: bool) -> Jacobian:
        rhs = (pow(x, 3, FIELD_MODULUS) + _CURVE_B) % FIELD_MODULUS
        y = pow(rhs, _SQRT_EXPONENT, FIELD_MODULUS)
        if y * y % FIELD_MODULUS != rhs:
            raise InvalidEncoding("x coordinate is not on the curve y² = x³ + 4")
        if (y > (FIELD_MODULUS - 1) // 2) != sign:
            y = FIELD_MODULUS - y
        point = (FQ(x), FQ(y), FQ.one())
        if not is_in_subgroup(point):
            raise InvalidEncoding("point is on the curve but outside the prime-order subgroup G1")
        return point

    def to_affine_bytes(self, a: Jacobian) -> bytes:
        x, y = normalize(a)
        return x.n.to_bytes(48, "big") + y.n.to_bytes(48, "big")

    def from_affine_bytes_trusted(self, data: bytes) -> Jacobian:
        return (FQ(int.from_bytes(data[:48], "big")), FQ(int.from_bytes(data[48:96], "big")), FQ.one())
