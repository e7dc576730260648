import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from zkmargin.errors import InputError
from zkmargin.hazmat import generators
from zkmargin.hazmat.generators import (
    B_BLINDING_MESSAGE,
    B_MESSAGE,
    G_LABEL,
    GENERATORS_DST,
    H_LABEL,
    BulletproofGens,
    PedersenGens,
    cache_dir,
    vector_message,
)
from zkmargin.hazmat.groups import Point, using

BACKENDS = ["arkworks", "py_ecc"]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty disk cache and no in-memory generators, as in a new process on a new machine."""
    monkeypatch.setenv("ZKMARGIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(generators, "_chains", {})
    return tmp_path


@pytest.fixture
def derivations(monkeypatch):
    """Counts hash-to-curve derivations of vector points."""
    calls = []
    original = generators._Chain.derive

    def counting(self, backend, index):
        calls.append((self.label, index))
        return original(self, backend, index)

    monkeypatch.setattr(generators._Chain, "derive", counting)
    return calls


def forget_memory(monkeypatch):
    monkeypatch.setattr(generators, "_chains", {})


def cache_file(directory):
    (path,) = directory.glob("gens-*.bin")
    return path


def encodings(points):
    return [p.to_bytes() for p in points]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_pedersen_gens_are_hash_to_curve_outputs_when_derived(backend_name):
    with using(backend_name):
        pc = PedersenGens()
        assert pc.B == Point.hash_to_curve(B_MESSAGE, GENERATORS_DST)
        assert pc.B_blinding == Point.hash_to_curve(B_BLINDING_MESSAGE, GENERATORS_DST)
        assert pc.B != pc.B_blinding
        assert pc.B != Point.generator()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_pedersen_commit_is_linear_combination_when_committing(backend_name):
    with using(backend_name):
        pc = PedersenGens()
        assert pc.commit(7, 11) == 7 * pc.B + 11 * pc.B_blinding


def test_pedersen_gens_are_byte_identical_when_backends_differ():
    with using("arkworks"):
        ark = PedersenGens()
        ark_bytes = [ark.B.to_bytes(), ark.B_blinding.to_bytes()]
    with using("py_ecc"):
        pure = PedersenGens()
        assert [pure.B.to_bytes(), pure.B_blinding.to_bytes()] == ark_bytes
        assert pure.B.backend.name == "py_ecc"


def test_bulletproof_gens_are_byte_identical_when_each_backend_derives_them(fresh_cache, monkeypatch):
    gens = BulletproofGens(3, 1)
    with using("arkworks"):
        ark = encodings(gens.G(3, 1)) + encodings(gens.H(3, 1))
    forget_memory(monkeypatch)
    monkeypatch.setenv("ZKMARGIN_CACHE_DIR", str(fresh_cache / "other"))
    with using("py_ecc"):
        pure = encodings(gens.G(3, 1)) + encodings(gens.H(3, 1))
    assert pure == ark
    assert len(set(ark)) == 6
    with using("py_ecc"):
        assert {p.backend.name for p in gens.G(3, 1) + gens.H(3, 1)} == {"py_ecc"}


def test_bulletproof_gens_follow_documented_derivation_when_indexed():
    gens = BulletproofGens(4, 2)
    assert gens.G(4, 2)[5] == Point.hash_to_curve(G_LABEL + (5).to_bytes(8, "big"), GENERATORS_DST)
    assert gens.H(4, 2)[0] == Point.hash_to_curve(vector_message(H_LABEL, 0), GENERATORS_DST)


def test_bulletproof_gens_are_flat_when_parties_and_bits_vary():
    gens = BulletproofGens(8, 4)
    flat = gens.G(8, 4)
    assert len(flat) == 32
    assert gens.G(4, 2) == flat[:8]
    assert gens.G(2, 4) == flat[:8]
    assert gens.H(8, 1) == gens.H(8, 4)[:8]
    assert not set(flat) & set(gens.H(8, 4))


@pytest.mark.parametrize("n, m", [(9, 1), (8, 5), (0, 1), (1, 0)])
def test_bulletproof_gens_reject_when_request_exceeds_capacity(n, m):
    with pytest.raises(InputError, match="generators hold 8 × 4"):
        BulletproofGens(8, 4).G(n, m)


def test_bulletproof_gens_reject_when_capacity_is_not_positive():
    with pytest.raises(InputError):
        BulletproofGens(0, 1)


def test_digest_is_identical_when_backends_differ_and_changes_with_capacity(monkeypatch):
    monkeypatch.setattr(generators, "_digests", {})
    with using("arkworks"):
        ark = BulletproofGens(4, 2).digest()
        assert BulletproofGens(8, 1).digest() != ark
    monkeypatch.setattr(generators, "_digests", {})
    with using("py_ecc"):
        assert BulletproofGens(4, 2).digest() == ark


def test_digest_binds_the_point_encodings_when_computed(monkeypatch):
    monkeypatch.setattr(generators, "_digests", {})
    gens = BulletproofGens(2, 1)
    hasher = hashlib.sha256(b"zkmargin.bulletproof_gens.v1")
    hasher.update(len(GENERATORS_DST).to_bytes(2, "big") + GENERATORS_DST)
    hasher.update((2).to_bytes(8, "big") + (1).to_bytes(8, "big"))
    for point in gens.G(2, 1) + gens.H(2, 1):
        hasher.update(point.to_bytes())
    assert gens.digest() == hasher.hexdigest()


def test_cache_dir_prefers_explicit_variable_when_several_are_set(monkeypatch, tmp_path):
    monkeypatch.setenv("ZKMARGIN_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("ZKMARGIN_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "zkmargin"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "zkmargin"


def test_vectors_extend_lazily_when_more_points_are_requested(fresh_cache, derivations):
    first = BulletproofGens(8, 1).G(8, 1)
    assert sorted(i for _, i in derivations) == list(range(8))
    derivations.clear()
    more = BulletproofGens(12, 1).G(12, 1)
    assert sorted(i for _, i in derivations) == list(range(8, 12))
    assert more[:8] == first


def test_vectors_are_derived_once_and_in_order_when_threads_ask_at_once(fresh_cache, derivations, monkeypatch):
    counted = generators._Chain.derive

    def slow(self, backend, index):
        time.sleep(0.001)  # gives the other threads their turn in the middle of a derivation
        return counted(self, backend, index)

    monkeypatch.setattr(generators._Chain, "derive", slow)
    threads = 4
    start = threading.Barrier(threads)

    def first_request(_):
        start.wait()
        return encodings(BulletproofGens(16, 2).G(16, 2))

    with ThreadPoolExecutor(threads) as pool:
        seen = list(pool.map(first_request, range(threads)))
    expected = [Point.hash_to_curve(vector_message(G_LABEL, k), GENERATORS_DST).to_bytes() for k in range(32)]
    assert seen == [expected] * threads
    assert sorted(derivations) == [(G_LABEL, k) for k in range(32)]


def test_disk_cache_is_reused_when_memory_is_empty(fresh_cache, derivations, monkeypatch):
    expected = encodings(BulletproofGens(16, 1).G(16, 1))
    forget_memory(monkeypatch)
    derivations.clear()
    for backend_name in BACKENDS:
        with using(backend_name):
            assert encodings(BulletproofGens(16, 1).G(16, 1)) == expected
    # only the spot checks of the loaded file are re-derived (at most two per load)
    assert len(derivations) <= 4
    assert all(label == G_LABEL for label, _ in derivations)


def test_disk_cache_serves_prefix_when_file_holds_more_points(fresh_cache, derivations, monkeypatch):
    expected = encodings(BulletproofGens(16, 1).G(16, 1))
    forget_memory(monkeypatch)
    derivations.clear()
    assert encodings(BulletproofGens(4, 1).G(4, 1)) == expected[:4]
    assert all(index < 4 for _, index in derivations)


HEADER = 8 + 32 + 8 + 32  # magic, chain id, count, payload checksum


def rewrite(path, payload: bytes, count: int | None = None) -> None:
    """Replace the payload, with a matching checksum, as a deliberate forger would."""
    data = path.read_bytes()
    count_field = data[40:48] if count is None else count.to_bytes(8, "big")
    path.write_bytes(data[:40] + count_field + hashlib.sha256(payload).digest() + payload)


def flip_bit_in_fifth_point(path):
    data = bytearray(path.read_bytes())
    data[HEADER + 5 * 96 + 50] ^= 1
    path.write_bytes(bytes(data))


def truncate(path):
    path.write_bytes(path.read_bytes()[:-7])


def claim_more_points_than_stored(path):
    rewrite(path, path.read_bytes()[HEADER:], count=20)


def swap_first_two_points(path):
    payload = path.read_bytes()[HEADER:]
    rewrite(path, payload[96:192] + payload[:96] + payload[192:])


def point_at_other_chain(path):
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage", [flip_bit_in_fifth_point, truncate, claim_more_points_than_stored, swap_first_two_points, point_at_other_chain]
)
def test_disk_cache_is_rebuilt_when_file_is_damaged(fresh_cache, derivations, monkeypatch, damage):
    expected = encodings(BulletproofGens(16, 1).G(16, 1))
    path = cache_file(fresh_cache)
    intact = path.read_bytes()
    damage(path)
    # pin the random spot check to index 0, so only the check aimed at each damage can catch it
    monkeypatch.setattr(generators.secrets, "randbelow", lambda bound: 0)
    forget_memory(monkeypatch)
    derivations.clear()
    assert encodings(BulletproofGens(16, 1).G(16, 1)) == expected
    assert {index for _, index in derivations} == set(range(16))  # re-derived, not loaded
    assert path.read_bytes() == intact


def test_disk_cache_is_skipped_when_directory_is_unusable(tmp_path, monkeypatch, derivations):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ZKMARGIN_CACHE_DIR", str(blocker / "cache"))
    forget_memory(monkeypatch)
    derivations.clear()
    expected = [Point.hash_to_curve(vector_message(H_LABEL, k), GENERATORS_DST) for k in range(3)]
    assert BulletproofGens(3, 1).H(3, 1) == expected
    assert len(derivations) == 3
    assert list(tmp_path.iterdir()) == [blocker]
