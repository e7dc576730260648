"""G1 backend on py_ecc (pure Python): the slow reference, with our own Pippenger MSM.

Points are py_ecc's homogeneous projective triples (X, Y, Z) over FQ, x = X/Z, y = Y/Z.
Hashing and compression use py_ecc; scalar multiplication and MSM convert to Jacobian
coordinates on plain ints (x = X/Z², y = Y/Z³), which avoids py_ecc's per-operation FQ
objects and runs several times faster.

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
from py_ecc.optimized_bls12_381 import G1, Z1, add, eq, is_inf, neg, normalize

from zkmargin.errors import InvalidEncoding
from zkmargin.hazmat.groups.backend import FIELD_MODULUS
from zkmargin.hazmat.msm import pippenger

Projective = tuple  # py_ecc's homogeneous projective (X, Y, Z) over FQ

BLS_Z_SQUARED = 0xD201000000010000**2
BETA = 0x5F19672FDF76CE51BA69C6076A0F77EADDB3A93BE6F89688DE17D813620A00022E01FFFFFFFEFFFE
"""The cube root of unity for which φ(P) = −z²·P on G1 (the other one gives the conjugate eigenvalue)."""

_CURVE_B = 4
_SQRT_EXPONENT = (FIELD_MODULUS + 1) // 4  # p ≡ 3 (mod 4)


IntJacobian = tuple[int, int, int]
_JACOBIAN_IDENTITY: IntJacobian = (1, 1, 0)


def _jacobian_double(point: IntJacobian) -> IntJacobian:
    """2·P on y² = x³ + b (a = 0): the dbl-2009-l formulas, 2M + 5S."""
    x, y, z = point
    if not z:
        return point
    p = FIELD_MODULUS
    xx = x * x % p
    yy = y * y % p
    yyyy = yy * yy % p
    d = 2 * ((x + yy) ** 2 - xx - yyyy) % p
    e = 3 * xx
    x3 = (e * e - 2 * d) % p
    return x3, (e * (d - x3) - 8 * yyyy) % p, 2 * y * z % p


def _jacobian_neg(point: IntJacobian) -> IntJacobian:
    x, y, z = point
    return x, -y % FIELD_MODULUS, z


def _jacobian_add(first: IntJacobian, second: IntJacobian) -> IntJacobian:
    """P + Q, the add-2007-bl formulas (11M + 5S), falling back to doubling when P = Q."""
    x1, y1, z1 = first
    x2, y2, z2 = second
    if not z1:
        return second
    if not z2:
        return first
    p = FIELD_MODULUS
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    s1 = y1 * z2 * z2z2 % p
    h = (x2 * z1z1 - u1) % p
    r = 2 * (y2 * z1 * z1z1 - s1) % p
    if not h:
        return _jacobian_double(first) if not r else _JACOBIAN_IDENTITY
    i = 4 * h * h % p
    j = h * i % p
    v = u1 * i % p
    x3 = (r * r - j - 2 * v) % p
    return x3, (r * (v - x3) - 2 * s1 * j) % p, ((z1 + z2) ** 2 - z1z1 - z2z2) * h % p


def _jacobian_add_affine(first: IntJacobian, second: IntJacobian) -> IntJacobian:
    """P + Q for Q with Z = 1 (madd-2007-bl, 7M + 4S): the bucket additions of an MSM."""
    x1, y1, z1 = first
    if not z1:
        return second
    x2, y2, _ = second
    p = FIELD_MODULUS
    z1z1 = z1 * z1 % p
    h = (x2 * z1z1 - x1) % p
    r = 2 * (y2 * z1 * z1z1 - y1) % p
    if not h:
        return _jacobian_double(first) if not r else _JACOBIAN_IDENTITY
    hh = h * h % p
    i = 4 * hh
    j = h * i % p
    v = x1 * i % p
    x3 = (r * r - j - 2 * v) % p
    return x3, (r * (v - x3) - 2 * y1 * j) % p, ((z1 + h) ** 2 - z1z1 - hh) % p


def _jacobian_mul(point: IntJacobian, k: int) -> IntJacobian:
    result = _JACOBIAN_IDENTITY
    for bit in bin(k)[2:]:
        result = _jacobian_double(result)
        if bit == "1":
            result = _jacobian_add(result, point)
    return result


def _to_jacobian(point: Projective) -> IntJacobian:
    # homogeneous (X, Y, Z) ↦ Jacobian (X·Z, Y·Z², Z): X·Z/Z² = X/Z and Y·Z²/Z³ = Y/Z.
    x, y, z = point[0].n, point[1].n, point[2].n
    return x * z % FIELD_MODULUS, y * z * z % FIELD_MODULUS, z


def _from_jacobian(point: IntJacobian) -> Projective:
    # Jacobian (X, Y, Z) ↦ homogeneous (X·Z, Y, Z³).
    x, y, z = point
    if not z:
        return Z1
    return FQ(x * z), FQ(y), FQ(z * z * z)


def _to_affine_batch(points: Sequence[Projective]) -> list[IntJacobian]:
    """Homogeneous points as (x, y, 1), with one field inversion for the batch (Montgomery's trick)."""
    p = FIELD_MODULUS
    finite = [(pt[0].n, pt[1].n, pt[2].n) for pt in points if pt[2].n]
    prefixes = []
    running = 1
    for _, _, z in finite:
        running = running * z % p
        prefixes.append(running)
    inverse = pow(running, -1, p)
    affine: list[IntJacobian] = [_JACOBIAN_IDENTITY] * len(finite)
    for i in range(len(finite) - 1, -1, -1):
        x, y, z = finite[i]
        z_inverse = inverse * prefixes[i - 1] % p if i else inverse
        inverse = inverse * z % p
        affine[i] = (x * z_inverse % p, y * z_inverse % p, 1)
    return affine


def is_in_subgroup(point: Projective) -> bool:
    """φ(P) == −z²·P, for a point already known to be on the curve."""
    if is_inf(point):
        return True
    x, y = normalize(point)
    minus_z2_point = neg(_from_jacobian(_jacobian_mul(_to_jacobian(point), BLS_Z_SQUARED)))
    return eq((x * BETA, y, FQ.one()), minus_z2_point)


class PyEccBackend:
    name = "py_ecc"

    def identity(self) -> Projective:
        return Z1

    def generator(self) -> Projective:
        return G1

    def add(self, a: Projective, b: Projective) -> Projective:
        return add(a, b)

    def sub(self, a: Projective, b: Projective) -> Projective:
        return add(a, neg(b))

    def neg(self, a: Projective) -> Projective:
        return neg(a)

    def mul(self, a: Projective, k: int) -> Projective:
        return _from_jacobian(_jacobian_mul(_to_jacobian(a), k))

    def msm(self, scalars: Sequence[int], points: Sequence[Projective]) -> Projective:
        finite = [(k, point) for k, point in zip(scalars, points) if k and point[2].n]
        affine = _to_affine_batch([point for _, point in finite])
        total = pippenger(
            [k for k, _ in finite],
            affine,
            _jacobian_add,
            _jacobian_double,
            _jacobian_neg,
            _JACOBIAN_IDENTITY,
            _jacobian_add_affine,
        )
        return _from_jacobian(total)

    def eq(self, a: Projective, b: Projective) -> bool:
        return eq(a, b)

    def is_identity(self, a: Projective) -> bool:
        return is_inf(a)

    def hash_to_curve(self, msg: bytes, dst: bytes) -> Projective:
        return hash_to_G1(bytes(msg), bytes(dst), hashlib.sha256)

    def compress(self, a: Projective) -> bytes:
        return compress_G1(a).to_bytes(48, "big")

    def decompress(self, data: bytes, x: int, sign: bool) -> Projective:
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

    def to_affine_bytes(self, a: Projective) -> bytes:
        x, y = normalize(a)
        return x.n.to_bytes(48, "big") + y.n.to_bytes(48, "big")

    def from_affine_bytes_trusted(self, data: bytes) -> Projective:
        x, y = int.from_bytes(data[:48], "big"), int.from_bytes(data[48:96], "big")
        # the curve equation costs two multiplications; arkworks checks it too, so a damaged
        # cache file fails the same way on both backends
        if x >= FIELD_MODULUS or y >= FIELD_MODULUS or (y * y - x * x * x - _CURVE_B) % FIELD_MODULUS:
            raise ValueError("point is not on the G1 curve")
        return (FQ(x), FQ(y), FQ.one())
