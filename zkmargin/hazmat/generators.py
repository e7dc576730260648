"""Nothing-up-my-sleeve generators: every base is an RFC 9380 hash-to-curve output.

    B          = H2C("zkmargin.pedersen.B")
    B_blinding = H2C("zkmargin.pedersen.B_blinding")
    G_k        = H2C("zkmargin.bulletproofs.G" ‖ u64_be(k))      k = 0, 1, 2, …
    H_k        = H2C("zkmargin.bulletproofs.H" ‖ u64_be(k))

with H2C = hash_to_curve(·, GENERATORS_DST) in suite BLS12381G1_XMD:SHA-256_SSWU_RO_, so no
discrete-log relation between any two of them is known, and both backends derive the same
points. Hashing costs ~0.2 ms a point with arkworks (several ms with py_ecc), so derived
vectors are kept in memory per backend and on disk (shared by both backends, since the
file holds raw affine coordinates); a longer request derives only the missing points.
Threads asking for one vector at once wait for a single derivation (a lock per vector).

Disk cache: directory $ZKMARGIN_CACHE_DIR, else $XDG_CACHE_HOME/zkmargin, else
~/.cache/zkmargin; one file per (DST, label) holding count and x‖y of each point, with a
SHA-256 checksum of the payload. A file that is short, corrupt, for another DST/label, or
whose spot-checked points do not re-derive is ignored and rewritten; an unwritable
directory just disables the disk cache. Files are replaced atomically.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import threading
from pathlib import Path

from zkmargin.errors import InputError
from zkmargin.hazmat import fold, groups
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.groups.backend import AFFINE_BYTES, GroupBackend

GENERATORS_DST = b"ZKMARGIN-V1-GENERATORS_BLS12381G1_XMD:SHA-256_SSWU_RO_"
B_MESSAGE = b"zkmargin.pedersen.B"
B_BLINDING_MESSAGE = b"zkmargin.pedersen.B_blinding"
G_LABEL = b"zkmargin.bulletproofs.G"
H_LABEL = b"zkmargin.bulletproofs.H"

_CACHE_MAGIC = b"ZKMGENS1"


def vector_message(label: bytes, index: int) -> bytes:
    """The hash-to-curve input of the index-th point of the vector named `label`."""
    return label + index.to_bytes(8, "big")


def cache_dir() -> Path:
    explicit = os.environ.get("ZKMARGIN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "zkmargin"


def _chain_id(dst: bytes, label: bytes) -> bytes:
    return hashlib.sha256(len(dst).to_bytes(2, "big") + dst + len(label).to_bytes(2, "big") + label).digest()


class _Chain:
    """The vector H2C(label ‖ u64(k)) for one DST and label, grown on demand."""

    def __init__(self, dst: bytes, label: bytes) -> None:
        self.dst = dst
        self.label = label
        self.chain_id = _chain_id(dst, label)
        self.points: dict[str, list[Point]] = {}
        self._growing = threading.Lock()

    def derive(self, backend: GroupBackend, index: int) -> Point:
        return Point(backend.hash_to_curve(vector_message(self.label, index), self.dst), backend)

    def get(self, count: int) -> list[Point]:
        backend = groups.backend()
        with self._growing:  # two threads extending one list at once would interleave its points
            points = self.points.setdefault(backend.name, [])
            if len(points) < count:
                points.extend(self._load(backend, len(points), count))
            if len(points) < count:
                start = len(points)
                points.extend(self.derive(backend, k) for k in range(start, count))
                self._store(backend, points)
            return points[:count]

    def _path(self) -> Path:
        return cache_dir() / f"gens-{self.chain_id.hex()[:32]}.bin"

    def _header(self, count: int, checksum: bytes) -> bytes:
        return _CACHE_MAGIC + self.chain_id + count.to_bytes(8, "big") + checksum

    def _load(self, backend: GroupBackend, start: int, count: int) -> list[Point]:
        """Points start … min(count, stored) − 1 from the disk cache; [] if it is missing or fails a check."""
        path = self._path()
        try:
            if not _private(path) or not _private(path.parent):
                return []
            data = path.read_bytes()
        except OSError:
            return []
        header_len = len(self._header(0, bytes(32)))
        if len(data) < header_len or data[: len(_CACHE_MAGIC) + 32] != _CACHE_MAGIC + self.chain_id:
            return []
        stored = int.from_bytes(data[len(_CACHE_MAGIC) + 32 : len(_CACHE_MAGIC) + 40], "big")
        payload = memoryview(data)[header_len:]
        if len(payload) != stored * AFFINE_BYTES or hashlib.sha256(payload).digest() != data[header_len - 32 : header_len]:
            return []
        end = min(stored, count)
        if end <= start:
            return []
        loader = backend.from_affine_bytes_trusted
        # bytes slices, not memoryview ones: the Rust binding copies a memoryview item by item.
        offsets = range(header_len + start * AFFINE_BYTES, header_len + end * AFFINE_BYTES, AFFINE_BYTES)
        try:
            loaded = [Point(loader(data[k : k + AFFINE_BYTES]), backend) for k in offsets]
        except ValueError:  # a point off the curve: the file is damaged, derive afresh
            return []
        # The checksum only catches accidents; re-deriving a few points catches a file of wrong points.
        for index in {end - 1, start + secrets.randbelow(end - start)}:
            if loaded[index - start] != self.derive(backend, index):
                return []
        return loaded

    def _store(self, backend: GroupBackend, points: list[Point]) -> None:
        payload = b"".join(backend.to_affine_bytes(p.raw) for p in points)
        blob = self._header(len(points), hashlib.sha256(payload).digest()) + payload
        path = self._path()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".gens-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(blob)
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            return


def _private(path: Path) -> bool:
    """Owned by this user and writable by nobody else.

    The cache is trusted like the installed code: a point replaced by one of known discrete
    log (say 2·G_5) would pass every check a load can afford and break the binding of
    commitments. So only files no other user could have written are read.
    """
    status = path.stat()
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


_chains: dict[tuple[bytes, bytes], _Chain] = {}
_new_chain = threading.Lock()


def _chain(label: bytes, dst: bytes = GENERATORS_DST) -> _Chain:
    key = (dst, label)
    if key not in _chains:
        with _new_chain:  # one _Chain, hence one lock, per vector
            if key not in _chains:
                _chains[key] = _Chain(dst, label)
    return _chains[key]


_pedersen_bases: dict[tuple[str, bytes], Point] = {}
_digests: dict[tuple[int, int], str] = {}


def _pedersen_base(message: bytes) -> Point:
    backend = groups.backend()
    key = (backend.name, message)
    if key not in _pedersen_bases:
        _pedersen_bases[key] = Point.hash_to_curve(message, GENERATORS_DST)
    return _pedersen_bases[key]


class PedersenGens:
    """The two bases of a Pedersen commitment v·B + γ·B_blinding, on the active backend."""

    @property
    def B(self) -> Point:
        return _pedersen_base(B_MESSAGE)

    @property
    def B_blinding(self) -> Point:
        return _pedersen_base(B_BLINDING_MESSAGE)

    def commit(self, value: int, blinding: int) -> Point:
        return fold.linear_combination([value, blinding], [self.B, self.B_blinding])


class BulletproofGens:
    """G and H vectors for up to `party_capacity` parties proving `gens_capacity` bits each.

    The vectors are flat: party j of an aggregated proof over n bits uses G_{j·n} … G_{j·n+n−1}.
    """

    def __init__(self, gens_capacity: int, party_capacity: int) -> None:
        if gens_capacity < 1 or party_capacity < 1:
            raise InputError(f"generator capacities must be positive, got {gens_capacity}×{party_capacity}")
        self.gens_capacity = gens_capacity
        self.party_capacity = party_capacity

    def _count(self, n: int, m: int) -> int:
        if not (1 <= n <= self.gens_capacity and 1 <= m <= self.party_capacity):
            raise InputError(
                f"need {n} bits × {m} parties but the generators hold "
                f"{self.gens_capacity} × {self.party_capacity}"
            )
        return n * m

    def G(self, n: int, m: int) -> list[Point]:
        return _chain(G_LABEL).get(self._count(n, m))

    def H(self, n: int, m: int) -> list[Point]:
        return _chain(H_LABEL).get(self._count(n, m))

    def digest(self) -> str:
        """SHA-256 (hex) binding the DST, the capacities and every G and H point's encoding.

        The same on every backend, so it is computed once per capacity and process.
        """
        key = (self.gens_capacity, self.party_capacity)
        if key not in _digests:
            _digests[key] = self._compute_digest()
        return _digests[key]

    def _compute_digest(self) -> str:
        hasher = hashlib.sha256(b"zkmargin.bulletproof_gens.v1")
        hasher.update(len(GENERATORS_DST).to_bytes(2, "big") + GENERATORS_DST)
        hasher.update(self.gens_capacity.to_bytes(8, "big") + self.party_capacity.to_bytes(8, "big"))
        for vector in (self.G(self.gens_capacity, self.party_capacity), self.H(self.gens_capacity, self.party_capacity)):
            for point in vector:
                hasher.update(point.to_bytes())
        return hasher.hexdigest()
