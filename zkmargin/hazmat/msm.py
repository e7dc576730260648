"""Pippenger's bucket method for multi-scalar multiplication, for pure-Python backends.

Σ k_i·P_i with b-bit scalars is split into windows of c bits. For each window w, every
point is added once into the bucket of its digit d_i,w ∈ [1, 2^c), then the buckets are
summed as Σ_d d·bucket_d with the running-sum trick (2·2^c additions). Windows are joined
from the top with c doublings each. Cost ≈ ⌈b/c⌉·(n + 2^(c+1)) additions + b doublings,
against ≈ n·b/2 additions for one double-and-add per point; c minimises that estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

P = TypeVar("P")


def window_bits(n: int, scalar_bits: int = 255) -> int:
    """The window width c minimising ⌈b/c⌉·(n + 2^(c+1)) additions for n points."""
    return min(range(1, 17), key=lambda c: -(-scalar_bits // c) * (n + (2 << c)))


def pippenger(
    scalars: Sequence[int],
    points: Sequence[P],
    add: Callable[[P, P], P],
    double: Callable[[P], P],
    identity: P,
) -> P:
    """Σ scalars_i · points_i for non-negative scalars, with the group given by add/double."""
    pairs = [(k, point) for k, point in zip(scalars, points) if k]
    if not pairs:
        return identity
    scalar_bits = max(k for k, _ in pairs).bit_length()
    c = window_bits(len(pairs), scalar_bits)
    mask = (1 << c) - 1
    result = None
    for shift in range(c * ((scalar_bits - 1) // c), -1, -c):
        if result is not None:
            for _ in range(c):
                result = double(result)
        buckets: list[P | None] = [None] * (mask + 1)
        for k, point in pairs:
            digit = (k >> shift) & mask
            if digit:
                bucket = buckets[digit]
                buckets[digit] = point if bucket is None else add(bucket, point)
        running = None
        window_sum = None
        for digit in range(mask, 0, -1):
            bucket = buckets[digit]
            if bucket is not None:
                running = bucket if running is None else add(running, bucket)
            if running is not None:
                window_sum = running if window_sum is None else add(window_sum, running)
        if window_sum is not None:
            result = window_sum if result is None else add(result, window_sum)
    return identity if result is None else result
