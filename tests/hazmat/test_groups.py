import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.optimized_bls12_381 import is_inf, multiply

from zkmargin.errors import BackendError, InputError, InvalidEncoding
from zkmargin.hazmat.groups import (
    Point,
    available_backends,
    current_backend,
    use,
    using,
)
from zkmargin.hazmat.groups.backend import FIELD_MODULUS
from zkmargin.hazmat.groups.py_ecc import is_in_subgroup
from zkmargin.hazmat.scalar import ORDER

BACKENDS = ["arkworks", "py_ecc"]
P = FIELD_MODULUS

# RFC 9380 Appendix J.9.1, suite BLS12381G1_XMD:SHA-256_SSWU_RO_.
RFC9380_DST = b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_"
RFC9380_VECTORS = [
    (
        b"",
        0x052926ADD2207B76CA4FA57A8734416C8DC95E24501772C814278700EED6D1E4E8CF62D9C09DB0FAC349612B759E79A1,
        0x08BA738453BFED09CB546DBB0783DBB3A5F1F566ED67BB6BE0E8C67E2E81A4CC68EE29813BB7994998F3EAE0C9C6A265,
    ),
    (
        b"abc",
        0x03567BC5EF9C690C2AB2ECDF6A96EF1C139CC0B2F284DCA0A9A7943388A49A3AEE664BA5379A7655D3C68900BE2F6903,
        0x0B9C15F3FE6E5CF4211F346271D7B01C8F3B28BE689C8429C85B67AF215533311F0B8DFAAA154FA6B88176C229F2885D,
    ),
]
# The standard G1 generator in compressed form (ZCash BLS12-381 serialisation).
GENERATOR_HEX = (
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
)


def compressed(x: int, y: int) -> bytes:
    sign = 1 if y > (P - 1) // 2 else 0
    return (x | (1 << 383) | (sign << 381)).to_bytes(48, "big")


def curve_y(x: int) -> int | None:
    rhs = (x**3 + 4) % P
    y = pow(rhs, (P + 1) // 4, P)
    return y if y * y % P == rhs else None


def first_x(predicate) -> int:
    x = 1
    while not predicate(x):
        x += 1
    return x


OFF_CURVE_X = first_x(lambda x: curve_y(x) is None)
TORSION_X = first_x(lambda x: curve_y(x) is not None)
TORSION_POINT = compressed(TORSION_X, curve_y(TORSION_X))


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    with using(request.param):
        yield request.param


def small_x_point() -> Point:
    """A subgroup point whose x + p still fits in 381 bits, so it has a non-canonical twin."""
    counter = 0
    while True:
        point = Point.hash_to_curve(counter.to_bytes(4, "big"), b"zkmargin-test-small-x")
        x = int.from_bytes(point.to_bytes(), "big") & ((1 << 381) - 1)
        if x + P < 1 << 381:
            return point
        counter += 1


def test_torsion_fixture_is_on_curve_but_outside_subgroup_when_checked_independently():
    point = (FQ(TORSION_X), FQ(curve_y(TORSION_X)), FQ.one())
    assert not is_inf(multiply(point, ORDER))


def test_point_from_bytes_accepts_round_trip_when_encoding_is_valid(backend_name):
    point = Point.hash_to_curve(b"round trip", b"zkmargin-test")
    assert Point.from_bytes(point.to_bytes()) == point
    assert Point.from_bytes(bytearray(point.to_bytes())) == point


@pytest.mark.parametrize("length", [0, 32, 47, 49, 96])
def test_point_from_bytes_rejects_when_length_is_wrong(backend_name, length):
    with pytest.raises(InvalidEncoding, match="48 bytes"):
        Point.from_bytes(Point.generator().to_bytes()[:1] * length)


def test_point_from_bytes_rejects_when_not_bytes(backend_name):
    with pytest.raises(InvalidEncoding, match="must be bytes"):
        Point.from_bytes("97f1" * 24)


def test_point_from_bytes_rejects_when_compression_flag_is_clear(backend_name):
    data = bytearray(Point.generator().to_bytes())
    data[0] &= 0x7F
    with pytest.raises(InvalidEncoding, match="compression flag"):
        Point.from_bytes(bytes(data))


@pytest.mark.parametrize("tail", [b"\x00" * 46 + b"\x01", b"\x01" + b"\x00" * 46])
def test_point_from_bytes_rejects_when_infinity_flag_has_nonzero_x(backend_name, tail):
    with pytest.raises(InvalidEncoding, match="infinity flag"):
        Point.from_bytes(b"\xc0" + tail, allow_identity=True)


def test_point_from_bytes_rejects_when_infinity_flag_has_sign_bit(backend_name):
    with pytest.raises(InvalidEncoding, match="infinity flag"):
        Point.from_bytes(b"\xe0" + b"\x00" * 47, allow_identity=True)


def test_point_from_bytes_rejects_when_infinity_flag_is_set_on_a_point(backend_name):
    data = bytearray(Point.generator().to_bytes())
    data[0] |= 0x40
    with pytest.raises(InvalidEncoding, match="infinity flag"):
        Point.from_bytes(bytes(data))


def test_point_from_bytes_rejects_when_x_is_not_canonical(backend_name):
    point = small_x_point()
    word = int.from_bytes(point.to_bytes(), "big") + P
    with pytest.raises(InvalidEncoding, match="not canonical"):
        Point.from_bytes(word.to_bytes(48, "big"))


@pytest.mark.parametrize("x", [P, (1 << 381) - 1])
def test_point_from_bytes_rejects_when_x_is_at_least_p(backend_name, x):
    with pytest.raises(InvalidEncoding, match="not canonical"):
        Point.from_bytes((x | (1 << 383)).to_bytes(48, "big"))


@pytest.mark.parametrize("sign", [0, 1])
def test_point_from_bytes_rejects_when_x_is_off_curve(backend_name, sign):
    with pytest.raises(InvalidEncoding, match="not on the curve"):
        Point.from_bytes((OFF_CURVE_X | (1 << 383) | (sign << 381)).to_bytes(48, "big"))


def test_point_from_bytes_rejects_when_point_is_outside_subgroup(backend_name):
    with pytest.raises(InvalidEncoding, match="outside the prime-order subgroup"):
        Point.from_bytes(TORSION_POINT)


def test_point_from_bytes_rejects_identity_when_not_allowed(backend_name):
    with pytest.raises(InvalidEncoding, match="identity"):
        Point.from_bytes(Point.identity().to_bytes())


def test_point_from_bytes_returns_identity_when_allowed(backend_name):
    assert Point.identity().to_bytes() == b"\xc0" + b"\x00" * 47
    assert Point.from_bytes(b"\xc0" + b"\x00" * 47, allow_identity=True).is_identity()


def test_py_ecc_subgroup_check_matches_multiplication_by_order_when_points_vary():
    for x in range(TORSION_X, TORSION_X + 40):
        y = curve_y(x)
        if y is None:
            continue
        point = (FQ(x), FQ(y), FQ.one())
        assert is_in_subgroup(point) == is_inf(multiply(point, ORDER))
    with using("py_ecc"):
        member = Point.hash_to_curve(b"member", b"zkmargin-test").raw
    assert is_in_subgroup(member)


@pytest.mark.parametrize("msg, x, y", RFC9380_VECTORS)
def test_hash_to_curve_matches_rfc9380_when_using_test_dst(backend_name, msg, x, y):
    assert Point.hash_to_curve(msg, RFC9380_DST).to_bytes() == compressed(x, y)


@pytest.mark.parametrize("length", [0, 256])
def test_hash_to_curve_rejects_when_dst_length_is_outside_rfc_bounds(backend_name, length):
    with pytest.raises(InputError, match="1 to 255 bytes"):
        Point.hash_to_curve(b"msg", b"x" * length)
    assert not Point.hash_to_curve(b"msg", b"x" * 255).is_identity()


def test_generator_matches_standard_encoding_when_compressed(backend_name):
    assert Point.generator().to_bytes().hex() == GENERATOR_HEX


def test_order_times_generator_is_identity_when_multiplied_as_group_elements(backend_name):
    # ORDER·G is computed as (ORDER−1)·G + G, since scalars are reduced mod r on entry.
    g = Point.generator()
    assert ((ORDER - 1) * g + g).is_identity()
    assert not ((ORDER - 2) * g + g).is_identity()


def test_point_arithmetic_is_consistent_when_combining_operators(backend_name):
    a = Point.hash_to_curve(b"a", b"zkmargin-test")
    b = Point.hash_to_curve(b"b", b"zkmargin-test")
    assert (a + b) - b == a
    assert (-a + a).is_identity()
    assert 3 * a == a * 3 == a + a + a
    assert (ORDER + 5) * a == 5 * a
    assert -2 * a == -(a + a)
    assert a + Point.identity() == a
    assert a != b


def test_point_scalar_multiplication_accepts_integer_types_when_not_python_int(backend_name):
    import numpy as np

    a = Point.hash_to_curve(b"a", b"zkmargin-test")
    assert np.int64(-3) * a == a * np.uint8(3) * -1 == -3 * a
    with pytest.raises(TypeError):
        a * 2.0


def test_point_hash_agrees_when_equal_points_were_computed_differently(backend_name):
    a = Point.hash_to_curve(b"a", b"zkmargin-test")
    assert hash(a + a) == hash(2 * a)
    assert len({a + a, 2 * a, a * 2, a}) == 2


def test_point_rejects_mixing_when_backends_differ():
    with using("arkworks"):
        ark = Point.generator()
    with using("py_ecc"):
        pure = Point.generator()
    with pytest.raises(BackendError):
        ark + pure
    assert ark == pure
    assert Point.from_bytes(ark.to_bytes()).backend.name == current_backend()


def test_backends_agree_when_decoding_the_same_bytes():
    with using("arkworks"):
        data = (12345 * Point.hash_to_curve(b"x", b"zkmargin-test")).to_bytes()
    with using("py_ecc"):
        assert Point.from_bytes(data).to_bytes() == data


def test_use_raises_when_backend_is_unknown():
    with pytest.raises(BackendError, match="unknown curve backend"):
        use("secp256k1")
    assert isinstance(BackendError("x"), InputError)


def test_using_switches_only_the_calling_thread_when_other_threads_run():
    outside = current_backend()
    other = next(name for name in BACKENDS if name != outside)
    with using(other), ThreadPoolExecutor(1) as pool:
        inside, in_worker = current_backend(), pool.submit(current_backend).result()
    assert (inside, in_worker, current_backend()) == (other, outside, outside)


def test_use_switches_every_thread_when_called_on_one():
    outside = current_backend()
    other = next(name for name in BACKENDS if name != outside)
    try:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(use, other).result()
        switched = current_backend()
    finally:
        use(outside)
    assert switched == other


def test_available_backends_lists_both_when_libraries_installed():
    assert available_backends() == BACKENDS


@pytest.mark.parametrize("variable, expected", [("arkworks", "arkworks"), ("py_ecc", "py_ecc"), (None, "arkworks")])
def test_backend_follows_environment_when_variable_set_or_defaults(variable, expected):
    env = {key: value for key, value in os.environ.items() if key != "ZKMARGIN_BACKEND"}
    if variable:
        env["ZKMARGIN_BACKEND"] = variable
    out = subprocess.run(
        [sys.executable, "-c", "from zkmargin.hazmat.groups import current_backend as c; print(c())"],
        env=env, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == expected


def test_backend_falls_back_to_py_ecc_when_arkworks_cannot_be_imported():
    env = {key: value for key, value in os.environ.items() if key != "ZKMARGIN_BACKEND"}
    code = (
        "import sys\n"
        "sys.modules['py_arkworks_bls12381'] = None  # makes its import fail\n"
        "from zkmargin.errors import BackendError\n"
        "from zkmargin.hazmat.groups import available_backends, current_backend, use\n"
        "print(current_backend(), available_backends())\n"
        "try:\n    use('arkworks')\nexcept BackendError as e:\n    print('refused:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    first, second = out.stdout.splitlines()
    assert first == "py_ecc ['py_ecc']"
    assert second.startswith("refused: curve backend 'arkworks' is not available")


def test_backend_raises_on_first_use_when_environment_names_unknown_backend():
    env = dict(os.environ, ZKMARGIN_BACKEND="nope")
    code = (
        "from zkmargin.errors import BackendError\n"
        "from zkmargin.hazmat.groups import Point\n"
        "try:\n    Point.generator()\nexcept BackendError as e:\n    print('refused:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.startswith("refused: unknown curve backend 'nope'")
