"""P_lo,i + k_i·P_hi,i for whole vectors: the inner-product prover's folds, on the fastest engine
(and, the same way, Pedersen commitments: `linear_combination`).

Folding costs one scalar multiplication per new base and is most of a prover's time
(docs/range-proof.md, section 4). The curve backends multiply one point at a time from
Python: ~250 µs with arkworks, which has fast MSMs but no faster single multiplication. The
mcl library (wheel `pymcl`, optional extra `zkmargin[mcl]`) multiplies in ~80 µs. Its
points have their own representation, so a point enters mcl through its affine x, y (mcl
checks it is on the curve and in G1, ~100 µs) and leaves the same way (~6 µs, no checks).
Every result of a fold carries its mcl twin, so only the original generators ever take the
slow way in, and each only once per process (`_twins`). Results are bit-for-bit the points
the backend would compute: mcl is only arithmetic here; encodings, hashing and MSMs stay on
the backend.

Engines: "mcl" (default when pymcl imports) or "backend" (the curve backend's own
multiplication); `ZKMARGIN_FOLD=backend` or `using_engine("backend")` picks the latter.
Only points this process computed from validated generators are folded, which is why
leaving mcl without a curve check is sound.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from zkmargin.errors import BackendError
from zkmargin.hazmat.groups import Point, msm
from zkmargin.hazmat.scalar import ORDER

try:
    import pymcl
except ImportError:  # optional: the backend's own multiplication is the fallback
    pymcl = None

ENGINES = ("mcl", "backend")
_engine: str | None = None
_twins: dict[bytes, Any] = {}
"""Affine x ‖ y of every point that entered mcl the slow way (the generators) → its mcl twin."""


class _Twinned(Point):
    """A fold result that keeps its mcl twin, so the next fold needs no conversion."""

    __slots__ = ("twin",)


def available_engines() -> list[str]:
    return [name for name in ENGINES if name != "mcl" or pymcl is not None]


def current_engine() -> str:
    global _engine
    if _engine is None:
        requested = os.environ.get("ZKMARGIN_FOLD", "").strip()
        _engine = _check(requested) if requested else available_engines()[0]
    return _engine


def _check(name: str) -> str:
    if name not in available_engines():
        raise BackendError(f"fold engine {name!r} is not available here; choose one of {', '.join(available_engines())}")
    return name


@contextmanager
def using_engine(name: str) -> Iterator[None]:
    """Fold with engine `name` for the duration of a with-block."""
    global _engine
    previous, _engine = current_engine(), _check(name)
    try:
        yield
    finally:
        _engine = previous


def fold_pairs(lo: Sequence[Point], hi: Sequence[Point], multipliers: Sequence[int]) -> list[Point]:
    """[lo_i + k_i·hi_i], all points on one backend, k_i already reduced mod r."""
    if current_engine() == "backend" or not lo:
        return [p + k * q for p, q, k in zip(lo, hi, multipliers)]
    backend = lo[0].backend
    load = backend.from_affine_bytes_trusted
    scalar = pymcl.Fr.deserialize  # 32 bytes little-endian; 2.4× cheaper than Fr(str(k))
    return [_untwin(_twin(p) + _twin(q) * scalar(k.to_bytes(32, "little")), backend, load) for p, q, k in zip(lo, hi, multipliers)]


def linear_combination(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """Σ k_i·P_i over a few points of one backend (a Pedersen commitment), k_i taken mod r.

    The backend's MSM has fixed costs (~0.4 ms for two points with arkworks); one mcl
    multiplication per term makes a commitment about twice as cheap, more with a short
    value. Only for points this process derived from validated generators, like folds.
    """
    if current_engine() == "backend" or not points:
        return msm(scalars, points)
    backend = points[0].backend
    scalar = pymcl.Fr.deserialize
    total = None
    for k, point in zip(scalars, points):
        term = _twin(point) * scalar((operator.index(k) % ORDER).to_bytes(32, "little"))
        total = term if total is None else total + term
    if total.isZero():
        return Point(backend.identity(), backend)
    return _untwin(total, backend, backend.from_affine_bytes_trusted)


def _untwin(twin: Any, backend: Any, load: Any) -> Point:
    """The backend point of an mcl point, carrying the twin; mcl prints "1 x y" in decimal."""
    _, x, y = str(twin).split()
    point = _Twinned(load(int(x).to_bytes(48, "big") + int(y).to_bytes(48, "big")), backend)
    point.twin = twin
    return point


def forget_twins() -> None:
    """Drop the generators' mcl twins (benchmarks time a fresh process's first proof with it)."""
    _twins.clear()


def _twin(point: Point) -> Any:
    twin = getattr(point, "twin", None)
    if twin is None:
        affine = point.backend.to_affine_bytes(point.raw)
        twin = _twins.get(affine)
        if twin is None:
            x, y = int.from_bytes(affine[:48], "big"), int.from_bytes(affine[48:], "big")
            twin = _twins[affine] = pymcl.G1(f"1 {x:x} {y:x}", 16)
    return twin
