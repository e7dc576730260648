"""G1 of BLS12-381 behind one `Point` type, on a switchable backend.

Backends: "arkworks" (Rust, default when importable) and "py_ecc" (pure Python reference).
The backend is chosen on first use from ZKMARGIN_BACKEND, and can be switched for the whole
process with `use(name)`, or for a block of one thread with `with using(name):` (other
threads, pool workers among them, keep the process's backend). A `Point` keeps the backend
it was made on; mixing points of two backends raises BackendError (convert through bytes,
which both backends share). An unknown or missing backend named in ZKMARGIN_BACKEND raises
BackendError on first use, not at import, so a command-line caller can report it like any
other input error. First use is thread-safe: threads starting at once share one backend
object per name.

    P = Point.hash_to_curve(b"msg", b"MY-DST")
    Q = 3 * P - P                     # scalars are Python ints, taken mod r
    Q == Point.from_bytes(Q.to_bytes())
    msm([2, 5], [P, Q])               # 2·P + 5·Q
"""

from __future__ import annotations

import operator
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from zkmargin.errors import BackendError, InputError, InvalidEncoding
from zkmargin.hazmat.groups.backend import GroupBackend, parse_compressed
from zkmargin.hazmat.scalar import ORDER

__all__ = ["Point", "msm", "use", "using", "current_backend", "available_backends", "backend"]

BACKEND_NAMES = ("arkworks", "py_ecc")
_instances: dict[str, GroupBackend] = {}
_current: GroupBackend | None = None
_block_backend: ContextVar[GroupBackend | None] = ContextVar("zkmargin_block_backend", default=None)
_first_use = threading.Lock()
"""Guards the first write of `_instances[name]` and `_current`: points of two objects of one
backend cannot be combined (Point compares backends by identity), so every thread must get
the same object."""


def _backend_class(name: str) -> type:
    try:
        if name == "arkworks":
            from zkmargin.hazmat.groups.arkworks import ArkworksBackend

            return ArkworksBackend
        from zkmargin.hazmat.groups.py_ecc import PyEccBackend

        return PyEccBackend
    except ImportError as exc:
        raise BackendError(f"curve backend {name!r} is not available: {exc}") from None


def _load(name: str) -> GroupBackend:
    if name not in BACKEND_NAMES:
        raise BackendError(f"unknown curve backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
    loaded = _instances.get(name)
    if loaded is None:
        # Imported before taking the lock: a thread importing a module that needs a backend
        # holds that import's lock while it waits for ours.
        backend_class = _backend_class(name)
        with _first_use:
            loaded = _instances.get(name)
            if loaded is None:
                loaded = _instances[name] = backend_class()
    return loaded


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
    """Make `name` the backend of every thread for every Point created from now on.

    A thread inside a `using` block keeps the block's backend until the block ends.
    """
    global _current
    _current = _load(name)


@contextmanager
def using(name: str) -> Iterator[None]:
    """Switch this thread (and asyncio task) to backend `name` for the duration of a with-block.

    Other threads keep theirs, so two threads may cross-check the backends at once; work the
    block hands to a thread pool runs on the process's backend unless the worker is told
    the name (as `verify_batch(executor=...)` tells its workers).
    """
    token = _block_backend.set(_load(name))
    try:
        yield
    finally:
        _block_backend.reset(token)


def current_backend() -> str:
    return backend().name


def backend() -> GroupBackend:
    """The active backend object, chosen from ZKMARGIN_BACKEND on first use."""
    active = _block_backend.get()
    if active is None:
        active = _current if _current is not None else _first_backend()
    return active


def _first_backend() -> GroupBackend:
    global _current
    requested = os.environ.get("ZKMARGIN_BACKEND", "").strip()
    if requested:
        chosen = _load(requested)
    else:
        try:
            chosen = _load("arkworks")
        except BackendError:
            chosen = _load("py_ecc")
    with _first_use:
        if _current is None:  # a `use` by another thread meanwhile wins over the default
            _current = chosen
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



