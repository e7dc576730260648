import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zkmargin.hazmat.groups.py_ecc  # noqa: F401  (py_ecc raises the recursion limit on import; not mid-hypothesis)
from zkmargin.errors import BackendError, InputError
from zkmargin.hazmat.groups import Point, msm, using
from zkmargin.hazmat.msm import pippenger, signed_digits
from zkmargin.hazmat.scalar import ORDER

any_scalar = st.integers(min_value=-(2**300), max_value=2**300)


@functools.cache
def points(backend_name: str, count: int) -> list[Point]:
    with using(backend_name):
        return [Point.hash_to_curve(k.to_bytes(4, "big"), b"zkmargin-test-msm") for k in range(count)]


def naive_sum(scalars, bases) -> Point:
    total = Point.identity()
    for k, base in zip(scalars, bases):
        total = total + k * base
    return total


@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=2**255), st.integers()), max_size=400))
def test_pippenger_equals_weighted_sum_when_group_is_the_integers(pairs):
    # (Z, +) is a group where the exact answer is known, so windows and buckets are checked
    # over many sizes (window widths 2…7, signed digits with carries) at no cost.
    scalars = [k for k, _ in pairs]
    elements = [e for _, e in pairs]
    result = pippenger(scalars, elements, lambda a, b: a + b, lambda a: 2 * a, lambda a: -a, 0)
    assert result == sum(k * e for k, e in pairs)


@given(st.integers(min_value=0, max_value=2**300), st.integers(min_value=2, max_value=16))
def test_signed_digits_reconstruct_scalar_when_recoded(k, c):
    digits = signed_digits(k, c)
    assert sum(d << (c * w) for w, d in enumerate(digits)) == k
    assert all(-(1 << (c - 1)) <= d < 1 << (c - 1) for d in digits)


@pytest.mark.parametrize("backend_name", ["arkworks", "py_ecc"])
def test_msm_handles_repeated_and_opposite_points_when_buckets_collide(backend_name):
    a, b = points(backend_name, 2)
    with using(backend_name):
        assert msm([1, 1], [a, a]) == 2 * a
        assert msm([7, 7], [a, -a]).is_identity()
        assert msm([3, 5, 3], [a, b, a]) == 6 * a + 5 * b
        assert msm([2**254 + 1, 2**254 + 1], [a, a]) == (2**255 + 2) * a


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_scalar, max_size=24))
def test_msm_equals_naive_sum_when_backend_is_arkworks(scalars):
    bases = points("arkworks", len(scalars))
    with using("arkworks"):
        assert msm(scalars, bases) == naive_sum(scalars, bases)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_scalar, max_size=4))
def test_msm_equals_naive_sum_when_backend_is_py_ecc(scalars):
    bases = points("py_ecc", len(scalars))
    with using("py_ecc"):
        assert msm(scalars, bases) == naive_sum(scalars, bases)


@pytest.mark.slow
@settings(max_examples=5, deadline=None)
@given(st.lists(any_scalar, min_size=20, max_size=40))
def test_msm_equals_naive_sum_when_py_ecc_uses_wide_windows(scalars):
    bases = points("py_ecc", len(scalars))
    with using("py_ecc"):
        assert msm(scalars, bases) == naive_sum(scalars, bases)


@pytest.mark.parametrize("backend_name", ["arkworks", "py_ecc"])
def test_msm_handles_degenerate_terms_when_scalars_are_zero_or_order(backend_name):
    bases = points(backend_name, 3)
    with using(backend_name):
        assert msm([], []).is_identity()
        assert msm([0, ORDER, -ORDER], bases).is_identity()
        assert msm([ORDER + 1, 0, -1], bases) == bases[0] - bases[2]
        assert msm([5, 9], [bases[0], Point.identity()]) == 5 * bases[0]


def test_msm_agrees_across_backends_when_given_the_same_terms():
    scalars = [ORDER - 1, 2**200 + 3, 17, -5]
    ark = msm(scalars, points("arkworks", 4))
    pure = msm(scalars, points("py_ecc", 4))
    assert ark.to_bytes() == pure.to_bytes()


def test_msm_rejects_when_lengths_differ():
    with pytest.raises(InputError, match="as many scalars as points"):
        msm([1, 2], points("arkworks", 1))


def test_msm_rejects_when_points_come_from_two_backends():
    with pytest.raises(BackendError):
        msm([1, 2], [points("arkworks", 1)[0], points("py_ecc", 1)[0]])
