"""How many buckets a proof shows: public, so it is padded (the verifier path imports this,
never the portfolio files of engine/buckets.py)."""

from __future__ import annotations

from zkmargin.errors import InputError

MAX_BUCKETS = 64
"""Most buckets one proof covers (padding included); the proof grows by one circuit per bucket."""


def padded_count(real: int, pad_to: int | None = None) -> int:
    """How many buckets a proof of `real` buckets shows: the next power of two, or `pad_to` if larger.

    The count is public, so it is rounded to few values: 3 and 4 buckets both read 4, and a
    venue that asks every account for `pad_to` buckets learns nothing from the count at all.
    One bucket stays one (cross margin) unless `pad_to` asks for more.
    """
    if pad_to is not None and (isinstance(pad_to, bool) or not isinstance(pad_to, int) or not 1 <= pad_to <= MAX_BUCKETS):
        raise InputError(f"pad_to: must be a whole number from 1 to {MAX_BUCKETS}, got {pad_to!r}")
    if not 1 <= real <= MAX_BUCKETS:
        raise InputError(f"buckets: a proof covers 1 to {MAX_BUCKETS} buckets, not {real}")
    return max(1 << (real - 1).bit_length(), pad_to or 1)
