"""Scalars of the BLS12-381 prime-order subgroup, as plain Python ints modulo r.

Keeping scalars as `int` lets every layer above do arithmetic with Python operators; the
group backends convert at the last moment. Decoding from bytes is strict: the 32-byte
big-endian form must already be reduced, so every scalar has exactly one encoding.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence

from zkmargin.errors import InvalidEncoding

ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""r, the order of the prime-order subgroup G1 of BLS12-381 (255 bits)."""

SCALAR_BYTES = 32


def scalar_from_bytes(data: bytes) -> int:
    """Decode a canonical scalar: exactly 32 bytes, big-endian, value < r."""
    if len(data) != SCALAR_BYTES:
        raise InvalidEncoding(f"a scalar is {SCALAR_BYTES} bytes, got {len(data)}")
    value = int.from_bytes(data, "big")
    if value >= ORDER:
        raise InvalidEncoding("scalar is not canonical: its value is not below the group order r")
    return value


def scalar_to_bytes(x: int) -> bytes:
    """Encode x mod r as 32 bytes, big-endian."""
    return (x % ORDER).to_bytes(SCALAR_BYTES, "big")


def random_scalar() -> int:
    """A uniformly random nonzero scalar from the operating system's CSPRNG."""
    return 1 + secrets.randbelow(ORDER - 1)


def random_scalars(count: int) -> list[int]:
    """`count` random nonzero scalars from one CSPRNG read of 64 bytes each.

    Each is 1 + (512-bit integer mod (r − 1)): the bias from r − 1 not dividing 2^512 is
    below 2^-256. A prover draws thousands at once (s_L, s_R), where `random_scalar`'s
    rejection sampling costs ~15 µs apiece.
    """
    pool = os.urandom(64 * count)
    return [1 + int.from_bytes(pool[i : i + 64], "big") % (ORDER - 1) for i in range(0, 64 * count, 64)]


def invert(x: int) -> int:
    """x^(-1) mod r; zero has no inverse and raises ZeroDivisionError."""
    if x % ORDER == 0:
        raise ZeroDivisionError("zero has no inverse modulo r")
    return pow(x, -1, ORDER)


def batch_invert(xs: Sequence[int]) -> list[int]:
    """Invert every element with one modular inversion (Montgomery's trick).

    prefix_i = x_0·…·x_i; one inversion of prefix_{n-1}, then walking back
    x_i^(-1) = prefix_{i-1} · (prefix_i)^(-1) and (prefix_{i-1})^(-1) = x_i · (prefix_i)^(-1).
    """
    prefixes = []
    running = 1
    for x in xs:
        if x % ORDER == 0:
            raise ZeroDivisionError("zero has no inverse modulo r")
        running = running * x % ORDER
        prefixes.append(running)
    if not prefixes:
        return []
    inverse_running = pow(running, -1, ORDER)
    inverses = [0] * len(prefixes)
    for i in range(len(prefixes) - 1, 0, -1):
        inverses[i] = inverse_running * prefixes[i - 1] % ORDER
        inverse_running = inverse_running * xs[i] % ORDER
    inverses[0] = inverse_running
    return inverses
