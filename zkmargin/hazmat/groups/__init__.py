"""G1 of BLS12-381 behind one `Point` type, on a switchable backend.

Backends: "arkworks" (Rust, default when importable) and "py_ecc" (pure Python reference).
The backend is chosen on first use from ZKMARGIN_BACKEND, and can be switched with
`use(name)` or, for a block, `with using(name):`. A `Point` keeps the backend it was made on; mixing points of two backends raises
BackendError (convert through bytes, which both backends share). An unknown or missing
backend named in ZKMARGIN_BACKEND raises BackendError on first use, not at import, so a
command-line caller can report it like any other input error.

    P = Point.hash_to_curve(b"msg", b"MY-DST")
    Q = 3 * P - P                     # scalars are Python ints, taken mod r
    Q == Point.from_bytes(Q.to_bytes())
    msm([2, 5], [P, Q])               # 2·P + 5·Q
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from zkmargin.errors import BackendError, InputError, InvalidEncoding
from zkmargin.hazmat.groups.backend import GroupBackend, parse_compressed
from zkmargin.hazmat.scalar import ORDER

__all__ = ["Point", "msm", "use", "using", "current_backend", "available_backends", "backend"]

BACKEND_NAMES = ("arkworks", "py_ecc")
_instances: dict[str, GroupBackend] = {}
_current: GroupBackend | None = None


def _load(name: str) -> GroupBackend:
    if name not in BACKEND_NAMES:
        raise BackendError(f"unknown curve backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
    if name not in _instances:
        try:
            if name == "arkworks":
                from zkmargin.hazmat.groups.arkworks import ArkworksBackend as backend_class
            else:
                from zkmargin.hazmat.groups.py_ecc import PyEccBackend as backend_class
        except ImportError as exc:
            raise BackendError(f"curve backend {name!r} is not available: {exc}") from None
        _instances[name] = backend_class()
    return _instances[name]


def available_backends() -> list[str]:
    """Names of the backends whose library imports in this environment."""
    names = []
    for name in BACKEND_NAMES:
        try:
            _load(name)
        except BackendError:
            continue
        names.append(name)
    return names


def use(name: str) -> None:
    """Make `name` the backend for every Point created from now on."""
    global _current
    _current = _load(name)


@contextmanager
def using(name: str) -> Iterator[None]:
    """Switch to backend `name` for the duration of a with-block."""
    previous = backend()
    use(name)
    try:
        yield
    finally:
        use(previous.name)


def current_backend() -> str:
    return backend().name


def backend() -> GroupBackend:
    """The active backend object, chosen from ZKMARGIN_BACKEND on first use."""
    global _current
    if _current is None:
        requested = os.environ.get("ZKMARGIN_BACKEND", "").strip()
        if requested:
            _current = _load(requested)
        else:
            try:
                _current = _load("arkworks")
            except BackendError:
                _current = _load("py_ecc")
    return _current


class Point:
    """An element of the prime-order group G1 of BLS12-381, on one backend."""

    __slots__ = ("raw", "backend")

    def __init__(self, raw: object, backend: GroupBackend) -> None:
        self.raw = raw
        self.backend = backend

    @classmethod
    def identity(cls) -> Point:
        active = backend()
        return cls(active.identity(), active)

    @classmethod
    def generator(cls) -> Point:
        """The standard BLS12-381 G1 generator."""
        active = backend()
        return cls(active.generator(), active)

    @classmethod
    def hash_to_curve(cls, msg: bytes, dst: bytes) -> Point:
        """RFC 9380 hash_to_curve, suite BLS12381G1_XMD:SHA-256_SSWU_RO_, with tag `dst`.

        RFC 9380 requires a non-empty tag of at most 255 bytes (the libraries disagree on
        what to do with longer ones, so neither is allowed).
        """
        if not 0 < len(dst) <= 255:
            raise InputError(f"a hash-to-curve domain separation tag has 1 to 255 bytes, got {len(dst)}")
        active = backend()
        return cls(active.hash_to_curve(msg, dst), active)

    @classmethod
    def from_bytes(cls, data: bytes, allow_identity: bool = False) -> Point:
        """Decode 48-byte compressed form, checking everything (see module backend.py).

        Raises InvalidEncoding for a wrong length, bad flag bits, x ≥ p, x not on the curve,
        a point outside the prime-order subgroup, or the identity unless `allow_identity`.
        """
        is_identity, x, sign = parse_compressed(data)
        active = backend()
        if is_identity:
            if not allow_identity:
                raise InvalidEncoding("the identity (point at infinity) is not allowed here")
            return cls(active.identity(), active)
        return cls(active.decompress(data, x, sign), active)

    def to_bytes(self) -> bytes:
        """48-byte compressed form (ZCash / IETF BLS12-381 encoding)."""
        return self.backend.compress(self.raw)

    def is_identity(self) -> bool:
        return self.backend.is_identity(self.raw)

    def _same_backend(self, other: Point) -> None:
        if other.backend is not self.backend:
            raise BackendError(
                f"cannot combine a {self.backend.name} point with a {other.backend.name} point; "
                "convert through to_bytes/from_bytes"
            )

    def __add__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
        self._same_backend(other)
        return Point(self.backend.add(self.raw, other.raw), self.backend)

    def __sub__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
        self._same_backend(other)
        return Point(self.backend.sub(self.raw, other.raw), self.backend)

    def __neg__(self) -> Point:
        return Point(self.backend.neg(self.raw), self.backend)

    def __mul__(self, k: int) -> Point:
        try:
            k = operator.index(k)  # any integer type (numpy ints too), never a float
        except TypeError:
            return NotImplemented
        return Point(self.backend.mul(self.raw, k % ORDER), self.backend)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        if other.backend is not self.backend:
            return self.to_bytes() == other.to_bytes()
        return self.backend.eq(self.raw, other.raw)

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def __repr__(self) -> str:
        return f"Point({self.to_bytes().hex()})"


def msm(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """Σ scalars_i · points_i in one multi-scalar multiplication (scalars taken mod r)."""
    if len(scalars) != len(points):
        raise InputError(f"msm needs as many scalars as points, got {len(scalars)} and {len(points)}")
    active = points[0].backend if points else backend()
    raws = [point.raw for point in points if point.backend is active]
    if len(raws) != len(points):
        raise BackendError("msm over points from different backends; convert through bytes")
    return Point(active.msm([operator.index(k) % ORDER for k in scalars], raws), active)



