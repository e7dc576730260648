"""Pippenger's bucket method for multi-scalar multiplication, for pure-Python backends.

Σ k_i·P_i with b-bit scalars: each k_i is recoded in base 2^c with signed digits
d_i,w ∈ [−2^(c−1), 2^(c−1)), so k_i = Σ_w d_i,w·2^(c·w) and only 2^(c−1) buckets are
needed per window (a negative digit adds −P_i, which is free to form). In window w every
point goes once into the bucket of |d_i,w|, then Σ_d d·bucket_d is found with two running
sums (2·2^(c−1) additions). Windows are joined from the top with c doublings each.

Cost ≈ ⌈(b+1)/c⌉·(n + 2^c) additions + b doublings, against ≈ n·b/2 additions for one
double-and-add per point; `window_bits` picks the c minimising that estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

P = TypeVar("P")


def window_bits(n: int, scalar_bits: int = 255) -> int:
    """The window width c minimising ⌈(b+1)/c⌉·(n + 2^c) additions for n points."""
    return min(range(2, 20), key=lambda c: -(-(scalar_bits + 1) // c) * (n + (1 << c)))


def signed_digits(k: int, c: int) -> list[int]:
    """Little-endian base-2^c digits of k ≥ 0 in [−2^(c−1), 2^(c−1)), for c ≥ 2."""
    half, full, mask = 1 << (c - 1), 1 << c, (1 << c) - 1
    digits = []
    while k:
        digit = k & mask
        k >>= c
        if digit >= half:
            digit -= full
            k += 1
        digits.append(digit)
    return digits


def pippenger(
    scalars: Sequence[int],
    points: Sequence[P],
    add: Callable[[P, P], P],
    double: Callable[[P], P],
    negate: Callable[[P], P],
    identity: P,
    add_input: Callable[[P, P], P] | None = None,
) -> P:
    """Σ scalars_i · points_i for scalars ≥ 0, in the group given by add/double/negate.

    `add_input(bucket, point)` adds an input point (or its negation) to a bucket; a backend
    passes a cheaper formula here when its inputs are normalised (e.g. affine).
    """
    add_input = add_input or add
    terms = [(k, point) for k, point in zip(scalars, points) if k]
    if not terms:
        return identity
    c = window_bits(len(terms), max(k for k, _ in terms).bit_length())
    recoded = [(signed_digits(k, c), point, negate(point)) for k, point in terms]
    windows = max(len(digits) for digits, _, _ in recoded)
    result = None
    for w in range(windows - 1, -1, -1):
        if result is not None:
            for _ in range(c):
                result = double(result)
        buckets: list[P | None] = [None] * ((1 << (c - 1)) + 1)
        for digits, point, negated in recoded:
            if w >= len(digits) or not digits[w]:
                continue
            digit = digits[w]
            addend = point if digit > 0 else negated
            digit = abs(digit)
            bucket = buckets[digit]
            buckets[digit] = addend if bucket is None else add_input(bucket, addend)
        running = None
        window_sum = None
        for bucket in reversed(buckets[1:]):
            if bucket is not None:
                running = bucket if running is None else add(running, bucket)
            if running is not None:
                window_sum = running if window_sum is None else add(window_sum, running)
        if window_sum is not None:
            result = window_sum if result is None else add(result, window_sum)
    return identity if result is None else result
