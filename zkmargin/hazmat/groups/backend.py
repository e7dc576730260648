"""The operations a curve backend provides, on its own native point objects.

A backend only does arithmetic, hashing and (de)serialisation of G1 of BLS12-381. The
validation every decoder must share (length, flag bits, canonical x) is done once, in
`parse_compressed`, before the backend sees the bytes; the backend then checks the curve
equation and subgroup membership, which need field arithmetic.

Encoding (ZCash / IETF BLS12-381 compressed G1, 48 bytes, big-endian x):
bit 383 (C) = 1 for compressed form, bit 382 (I) = point at infinity, bit 381 (S) = sign of
y (set iff y > (p − 1)/2), bits 0..380 = x < p. The identity is C=1, I=1, S=0, x=0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from zkmargin.errors import InvalidEncoding

FIELD_MODULUS = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB
"""p, the base field modulus of BLS12-381 (381 bits)."""

COMPRESSED_BYTES = 48
AFFINE_BYTES = 96
"""Length of the raw affine form x ‖ y (big-endian, 48 bytes each) used by the generator cache."""

COMPRESSION_FLAG = 1 << 383
INFINITY_FLAG = 1 << 382
SIGN_FLAG = 1 << 381
X_MASK = SIGN_FLAG - 1

IDENTITY_ENCODING = (COMPRESSION_FLAG | INFINITY_FLAG).to_bytes(COMPRESSED_BYTES, "big")


def parse_compressed(data: bytes) -> tuple[bool, int, bool]:
    """Check the parts of an encoding that need no curve arithmetic.

    Returns (is_identity, x, sign). Raises InvalidEncoding on a wrong length, a missing
    compression flag, an infinity encoding with stray bits, or x ≥ p.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidEncoding(f"a compressed G1 point must be bytes, got {type(data).__name__}")
    if len(data) != COMPRESSED_BYTES:
        raise InvalidEncoding(f"a compressed G1 point is {COMPRESSED_BYTES} bytes, got {len(data)}")
    word = int.from_bytes(data, "big")
    if not word & COMPRESSION_FLAG:
        raise InvalidEncoding("compression flag (top bit) is not set; only compressed G1 points are accepted")
    x = word & X_MASK
    sign = bool(word & SIGN_FLAG)
    if word & INFINITY_FLAG:
        if sign or x:
            raise InvalidEncoding("infinity flag is set but the sign bit or x coordinate is not zero")
        return True, 0, False
    if x >= FIELD_MODULUS:
        raise InvalidEncoding("x coordinate is not canonical: it is not below the field modulus p")
    return False, x, sign


class GroupBackend(Protocol):
    """G1 of BLS12-381 on native point objects of one library.

    Scalars passed in are Python ints already reduced modulo r (0 ≤ k < r).
    """

    name: str

    def identity(self) -> Any: ...

    def generator(self) -> Any: ...

    def add(self, a: Any, b: Any) -> Any: ...

    def sub(self, a: Any, b: Any) -> Any: ...

    def neg(self, a: Any) -> Any: ...

    def mul(self, a: Any, k: int) -> Any: ...

    def msm(self, scalars: Sequence[int], points: Sequence[Any]) -> Any:
        """Σ scalars_i · points_i, with len(scalars) == len(points) checked by the caller."""
        ...

    def eq(self, a: Any, b: Any) -> bool: ...

    def is_identity(self, a: Any) -> bool: ...

    def hash_to_curve(self, msg: bytes, dst: bytes) -> Any:
        """RFC 9380 hash_to_curve, suite BLS12381G1_XMD:SHA-256_SSWU_RO_."""
        ...

    def compress(self, a: Any) -> bytes: ...

    def decompress(self, data: bytes, x: int, sign: bool) -> Any:
        """Decode a non-identity point whose flags and x were checked by `parse_compressed`.

        Raises InvalidEncoding if x is not the abscissa of a curve point or the point is
        outside the prime-order subgroup.
        """
        ...

    def to_affine_bytes(self, a: Any) -> bytes:
        """x ‖ y, 96 bytes big-endian, for a non-identity point."""
        ...

    def from_affine_bytes_trusted(self, data: bytes) -> Any:
        """Inverse of `to_affine_bytes` with no subgroup check (integrity-checked caches and
        points this process made only); ValueError for a point off the curve."""
        ...
