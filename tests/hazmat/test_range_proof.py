import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkmargin.errors import InputError, InvalidProof
from zkmargin.hazmat import range_proof as range_proof_module
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.groups import Point, using
from zkmargin.hazmat.groups.backend import FIELD_MODULUS
from zkmargin.hazmat.inner_product import InnerProductProof
from zkmargin.hazmat.range_proof import RangeProof, proof_size
from zkmargin.hazmat.scalar import ORDER, random_scalar
from zkmargin.hazmat.transcript import Transcript

LABEL = b"zkmargin range proof test"


@pytest.fixture(scope="module")
def bp_gens():
    return BulletproofGens(64, 8)


@pytest.fixture(scope="module")
def pc_gens():
    return PedersenGens()


@pytest.fixture(scope="module")
def proof_64(bp_gens, pc_gens):
    """One 64-bit proof (928 bytes) with its commitment."""
    return RangeProof.prove_single(bp_gens, pc_gens, Transcript(LABEL), 2**40 + 12345, random_scalar(), 64)


def prove(bp_gens, pc_gens, values, n, label=LABEL):
    blindings = [random_scalar() for _ in values]
    return RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(label), values, blindings, n)


def verify(bp_gens, pc_gens, proof, commitments, n, label=LABEL):
    RangeProof.verify_multiple(proof, bp_gens, pc_gens, Transcript(label), commitments, n)


def torsion_point_encoding() -> bytes:
    """A compressed point on y² = x³ + 4 outside the prime-order subgroup (the first such x)."""
    x = 1
    while True:
        rhs = (x**3 + 4) % FIELD_MODULUS
        y = pow(rhs, (FIELD_MODULUS + 1) // 4, FIELD_MODULUS)
        if y * y % FIELD_MODULUS == rhs:
            return (x | 1 << 383 | (y > (FIELD_MODULUS - 1) // 2) << 381).to_bytes(48, "big")
        x += 1


class RecordingTranscript(Transcript):
    """A transcript that logs what it absorbs and squeezes, in order."""

    __slots__ = ("log",)

    def __init__(self, label):
        self.log = []
        super().__init__(label)

    def append_message(self, label, message):
        self.log.append((label, bytes(message)))
        super().append_message(label, message)

    def challenge_bytes(self, label, length):
        output = super().challenge_bytes(label, length)
        self.log.append(("challenge", label, output))
        return output


# Round trips.


@pytest.mark.parametrize("n, m", list(itertools.product([8, 16, 32, 64], [1, 2, 3, 8])))
def test_range_proof_round_trips_when_values_span_the_range(bp_gens, pc_gens, n, m):
    values = ([0, 2**n - 1, 1, 2 ** (n - 1)] * 2)[:m]
    proof, commitments = prove(bp_gens, pc_gens, values, n)
    encoded = proof.to_bytes()
    assert len(encoded) == proof_size(n, m) == 96 * (n * (1 << (m - 1).bit_length())).bit_length() - 96 + 352
    verify(bp_gens, pc_gens, RangeProof.from_bytes(encoded), commitments, n)


def test_range_proof_size_matches_worked_examples_when_n_is_64():
    assert proof_size(64, 1) == 928
    assert proof_size(64, 16) == 1312


def test_range_proof_commitments_open_to_values_when_prove_multiple_returns(bp_gens, pc_gens):
    blindings = [random_scalar(), random_scalar()]
    _, commitments = RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(LABEL), [5, 7], blindings, 8)
    assert commitments == [pc_gens.commit(5, blindings[0]).to_bytes(), pc_gens.commit(7, blindings[1]).to_bytes()]


def test_range_proof_single_forms_round_trip_when_used_together(bp_gens, pc_gens):
    proof, commitment = RangeProof.prove_single(bp_gens, pc_gens, Transcript(LABEL), 200, random_scalar(), 8)
    assert isinstance(commitment, bytes) and len(commitment) == 48
    RangeProof.verify_single(proof, bp_gens, pc_gens, Transcript(LABEL), commitment, 8)


# The prover refuses what it cannot prove.


@pytest.mark.parametrize("value", [2**8, 2**64, -1, 1.5, "3"])
def test_range_proof_prover_raises_input_error_when_value_is_outside_range(bp_gens, pc_gens, value):
    with pytest.raises(InputError, match=r"value #1 is not an integer in \[0, 2\^8\)"):
        prove(bp_gens, pc_gens, [3, value], 8)


def test_range_proof_prover_error_does_not_reveal_value_when_value_is_out_of_range(bp_gens, pc_gens):
    with pytest.raises(InputError) as raised:
        prove(bp_gens, pc_gens, [987654], 16)
    assert "987654" not in str(raised.value)


def test_range_proof_prover_raises_input_error_when_blinding_count_differs(bp_gens, pc_gens):
    with pytest.raises(InputError, match="2 values but 1 blindings"):
        RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(LABEL), [1, 2], [random_scalar()], 8)


def test_range_proof_create_raises_input_error_when_blinding_count_differs(bp_gens, pc_gens):
    with pytest.raises(InputError, match="1 values but 2 blindings"):
        RangeProof.create(bp_gens, pc_gens, Transcript(LABEL), [1], [random_scalar(), random_scalar()], 8)


@pytest.mark.parametrize("n", [0, 7, 12, 128])
def test_range_proof_prover_raises_input_error_when_bit_size_is_unsupported(bp_gens, pc_gens, n):
    with pytest.raises(InputError, match="range proofs cover n"):
        prove(bp_gens, pc_gens, [1], n)


def test_range_proof_prover_raises_input_error_when_no_values_are_given(bp_gens, pc_gens):
    with pytest.raises(InputError, match="at least one value"):
        prove(bp_gens, pc_gens, [], 8)


def test_range_proof_prover_raises_input_error_when_a_blinding_is_zero(bp_gens, pc_gens):
    with pytest.raises(InputError, match="blinding of 0"):
        RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(LABEL), [1, 2], [random_scalar(), ORDER], 8)


def test_range_proof_prover_raises_input_error_when_generators_are_too_few(pc_gens):
    with pytest.raises(InputError, match="generators hold"):
        prove(BulletproofGens(64, 2), pc_gens, [1, 2, 3], 64)  # 3 values pad to 4 parties


@pytest.mark.parametrize("value", [2**16, 2**16 + 5, -1, ORDER - 2])
def test_range_proof_does_not_verify_when_prover_check_is_bypassed_for_out_of_range_value(
    bp_gens, pc_gens, monkeypatch, value
):
    monkeypatch.setattr(range_proof_module, "_check_witness", lambda values, blindings, n: None)
    proof, commitments = prove(bp_gens, pc_gens, [7, value], 16)
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(bp_gens, pc_gens, proof, commitments, 16)


# Tampering.


def test_range_proof_verification_fails_when_any_single_byte_is_flipped(bp_gens, pc_gens, proof_64):
    proof, commitment = proof_64
    encoded = proof.to_bytes()
    assert len(encoded) == 928
    verify(bp_gens, pc_gens, RangeProof.from_bytes(encoded), [commitment], 64)
    accepted = []
    for position in range(len(encoded)):
        tampered = bytearray(encoded)
        tampered[position] ^= 0x80 >> (position % 8)
        try:
            verify(bp_gens, pc_gens, RangeProof.from_bytes(bytes(tampered)), [commitment], 64)
        except InvalidProof:
            continue
        accepted.append(position)
    assert accepted == []


def test_range_proof_verification_fails_when_commitments_are_swapped(bp_gens, pc_gens):
    proof, commitments = prove(bp_gens, pc_gens, [1, 2, 3], 8)
    for order in [(1, 0, 2), (0, 2, 1), (2, 1, 0)]:
        with pytest.raises(InvalidProof):
            verify(bp_gens, pc_gens, proof, [commitments[i] for i in order], 8)


def test_range_proof_verification_fails_when_a_commitment_is_replaced(bp_gens, pc_gens):
    proof, commitments = prove(bp_gens, pc_gens, [1, 2], 8)
    other = pc_gens.commit(1, random_scalar()).to_bytes()
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(bp_gens, pc_gens, proof, [other, commitments[1]], 8)


def test_range_proof_verification_fails_when_a_padding_commitment_is_added(bp_gens, pc_gens):
    proof, commitments = prove(bp_gens, pc_gens, [1, 2, 3], 8)
    padding = pc_gens.commit(0, random_scalar()).to_bytes()
    with pytest.raises(InvalidProof):
        verify(bp_gens, pc_gens, proof, commitments + [padding], 8)


def test_range_proof_verification_fails_when_n_changes(bp_gens, pc_gens):
    proof, commitments = prove(bp_gens, pc_gens, [200], 16)
    for n in (8, 32):
        with pytest.raises(InvalidProof, match="rounds"):
            verify(bp_gens, pc_gens, proof, commitments, n)


def test_range_proof_check_fails_when_n_and_m_change_but_their_product_does_not(bp_gens, pc_gens):
    blinding = random_scalar()
    proof = RangeProof.create(bp_gens, pc_gens, Transcript(LABEL), [200], [blinding], 16)
    V = pc_gens.commit(200, blinding)
    assert proof.verification_check(bp_gens, pc_gens, Transcript(LABEL), 16, 1).holds(bp_gens, pc_gens, [V])
    check = proof.verification_check(bp_gens, pc_gens, Transcript(LABEL), 8, 2)
    assert not check.holds(bp_gens, pc_gens, [V, Point.identity()])


def test_range_proof_verification_fails_when_transcript_label_differs(bp_gens, pc_gens, proof_64):
    proof, commitment = proof_64
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(bp_gens, pc_gens, proof, [commitment], 64, label=b"another application")


def test_range_proof_verification_fails_when_caller_absorbed_different_bytes_first(bp_gens, pc_gens):
    prover_transcript = Transcript(LABEL)
    prover_transcript.append_message(b"statement", b"account alice")
    proof, commitments = RangeProof.prove_multiple(bp_gens, pc_gens, prover_transcript, [9], [random_scalar()], 8)
    for statement, should_verify in [(b"account alice", True), (b"account bob", False)]:
        verifier_transcript = Transcript(LABEL)
        verifier_transcript.append_message(b"statement", statement)
        if should_verify:
            RangeProof.verify_multiple(proof, bp_gens, pc_gens, verifier_transcript, commitments, 8)
        else:
            with pytest.raises(InvalidProof):
                RangeProof.verify_multiple(proof, bp_gens, pc_gens, verifier_transcript, commitments, 8)


@pytest.mark.parametrize("field", ["A", "S", "T_1", "T_2"])
def test_range_proof_verification_rejects_identity_point_when_proof_is_built_in_memory(
    bp_gens, pc_gens, proof_64, field
):
    proof, commitment = proof_64
    fields = {name: getattr(proof, name) for name in RangeProof.__slots__}
    tampered = RangeProof(**{**fields, field: Point.identity()})
    with pytest.raises(InvalidProof, match=f"{field} is the identity"):
        verify(bp_gens, pc_gens, tampered, [commitment], 64)


@pytest.mark.parametrize("vector", ["L_vec", "R_vec"])
def test_range_proof_verification_rejects_identity_ipp_point_when_proof_is_built_in_memory(
    bp_gens, pc_gens, proof_64, vector
):
    proof, commitment = proof_64
    ipp = proof.ipp
    points = {"L_vec": list(ipp.L_vec), "R_vec": list(ipp.R_vec)}
    points[vector][2] = Point.identity()
    fields = {name: getattr(proof, name) for name in RangeProof.__slots__}
    tampered = RangeProof(**{**fields, "ipp": InnerProductProof(points["L_vec"], points["R_vec"], ipp.a, ipp.b)})
    with pytest.raises(InvalidProof, match=f"{vector[0]} is the identity"):
        verify(bp_gens, pc_gens, tampered, [commitment], 64)


# Decoding.


@pytest.mark.parametrize("length", [0, 351, 352 + 95, 927, 929, 1000])
def test_range_proof_from_bytes_raises_invalid_proof_when_length_is_wrong(proof_64, length):
    encoded = (proof_64[0].to_bytes() * 2)[:length]
    with pytest.raises(InvalidProof, match="352 \\+ 96·k bytes"):
        RangeProof.from_bytes(encoded)


def test_range_proof_from_bytes_raises_invalid_proof_when_data_is_not_bytes():
    with pytest.raises(InvalidProof):
        RangeProof.from_bytes("not bytes")


@pytest.mark.parametrize("offset", [192, 224, 256, 928 - 64, 928 - 32])  # t_x, tau_x, e_blinding, a, b
def test_range_proof_from_bytes_raises_invalid_proof_when_a_scalar_is_not_canonical(proof_64, offset):
    encoded = bytearray(proof_64[0].to_bytes())
    encoded[offset : offset + 32] = ORDER.to_bytes(32, "big")
    with pytest.raises(InvalidProof, match="not canonical"):
        RangeProof.from_bytes(bytes(encoded))


@pytest.mark.parametrize("offset", [0, 48, 96, 144, 288, 928 - 64 - 48])  # A, S, T_1, T_2, L_0, R_last
@pytest.mark.parametrize("kind", ["identity", "torsion"])
def test_range_proof_from_bytes_raises_invalid_proof_when_a_point_is_invalid(proof_64, offset, kind):
    encoded = bytearray(proof_64[0].to_bytes())
    encoded[offset : offset + 48] = Point.identity().to_bytes() if kind == "identity" else torsion_point_encoding()
    with pytest.raises(InvalidProof, match="identity|subgroup"):
        RangeProof.from_bytes(bytes(encoded))


def test_range_proof_from_bytes_round_trips_when_encoding_is_valid(proof_64):
    encoded = proof_64[0].to_bytes()
    assert RangeProof.from_bytes(encoded).to_bytes() == encoded


@pytest.mark.parametrize("kind", ["identity", "torsion", "short"])
def test_range_proof_verification_raises_invalid_proof_when_a_commitment_is_invalid(
    bp_gens, pc_gens, proof_64, kind
):
    proof, commitment = proof_64
    bad = {"identity": Point.identity().to_bytes(), "torsion": torsion_point_encoding(), "short": commitment[:47]}[kind]
    with pytest.raises(InvalidProof, match="value commitment #1 is invalid"):
        verify(bp_gens, pc_gens, proof, [commitment, bad], 64)


# Transcript binding.


def _first_challenge_prefix(log):
    return log[: next(i for i, entry in enumerate(log) if entry[0] == "challenge")]


def test_range_proof_transcript_absorbs_statement_before_first_challenge_when_proving(bp_gens, pc_gens):
    transcript = RecordingTranscript(LABEL)
    _, commitments = RangeProof.prove_multiple(bp_gens, pc_gens, transcript, [1, 2, 3], [random_scalar()] * 3, 16)
    labels = [entry[0] for entry in _first_challenge_prefix(transcript.log)]
    assert labels == [b"dom-sep", b"dom-sep", b"n", b"m", b"V", b"V", b"V", b"A", b"S"]
    prefix = dict(zip(range(len(labels)), _first_challenge_prefix(transcript.log)))
    assert prefix[1][1] == b"rangeproof v1"
    assert prefix[2][1] == (16).to_bytes(8, "little")
    assert prefix[3][1] == (3).to_bytes(8, "little")
    assert [prefix[i][1] for i in (4, 5, 6)] == commitments


def test_range_proof_create_leaves_commitments_out_of_transcript_when_caller_binds_them(bp_gens, pc_gens):
    transcript = RecordingTranscript(LABEL)
    RangeProof.create(bp_gens, pc_gens, transcript, [1, 2], [random_scalar()] * 2, 8)
    labels = [entry[0] for entry in _first_challenge_prefix(transcript.log)]
    assert labels == [b"dom-sep", b"dom-sep", b"n", b"m", b"A", b"S"]


def _first_verifier_challenge(bp_gens, pc_gens, proof, commitments, n):
    transcript = RecordingTranscript(LABEL)
    try:
        RangeProof.verify_multiple(proof, bp_gens, pc_gens, transcript, commitments, n)
    except InvalidProof:
        pass  # only the challenge matters here
    return next(entry[2] for entry in transcript.log if entry[0] == "challenge")


def test_range_proof_first_challenge_changes_when_n_m_or_a_commitment_changes(bp_gens, pc_gens):
    proof, commitments = prove(bp_gens, pc_gens, [1, 2], 16)
    other = pc_gens.commit(2, random_scalar()).to_bytes()

    def first_challenge(absorbed, n=16):
        return _first_verifier_challenge(bp_gens, pc_gens, proof, absorbed, n)

    reference = first_challenge(commitments)
    assert first_challenge(commitments) == reference
    assert first_challenge(commitments, n=32) != reference
    assert first_challenge(commitments + [other]) != reference
    assert first_challenge(commitments[::-1]) != reference
    assert first_challenge([commitments[0], other]) != reference


# The lower level: create / verification_check.


def _tampered(proof, **changes):
    fields = {name: getattr(proof, name) for name in RangeProof.__slots__}
    return RangeProof(**{**fields, **changes})


def test_range_proof_check_agrees_with_verify_multiple_when_proof_is_valid_or_tampered(bp_gens, pc_gens):
    values, blindings = [3, 250, 17], [random_scalar() for _ in range(3)]
    proof, commitments = RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(LABEL), values, blindings, 8)
    points = [Point.from_bytes(c) for c in commitments]
    for candidate, valid in [(proof, True), (_tampered(proof, t_x=(proof.t_x + 1) % ORDER), False)]:
        check = candidate._verification_check(bp_gens, pc_gens, Transcript(LABEL), 8, 3, points)
        assert check.holds(bp_gens, pc_gens, points) is valid
        assert len(check.value_weights) == 3 and len(check.g) == len(check.h) == 8 * 4
        if valid:
            verify(bp_gens, pc_gens, candidate, commitments, 8)
        else:
            with pytest.raises(InvalidProof):
                verify(bp_gens, pc_gens, candidate, commitments, 8)


def test_range_proof_verification_check_holds_when_caller_binds_commitments_itself(bp_gens, pc_gens):
    values, blindings = [5, 6], [random_scalar(), random_scalar()]
    points = [pc_gens.commit(v, g) for v, g in zip(values, blindings)]

    def bound_transcript():
        transcript = Transcript(LABEL)
        transcript.append_message(b"variables", b"".join(V.to_bytes() for V in points))
        return transcript

    proof = RangeProof.create(bp_gens, pc_gens, bound_transcript(), values, blindings, 16)
    check = proof.verification_check(bp_gens, pc_gens, bound_transcript(), 16, 2)
    assert check.holds(bp_gens, pc_gens, points)
    assert not check.holds(bp_gens, pc_gens, points[::-1])
    assert not proof.verification_check(bp_gens, pc_gens, Transcript(LABEL), 16, 2).holds(bp_gens, pc_gens, points)


def test_range_proof_check_terms_sum_to_minus_value_terms_when_proof_is_valid(bp_gens, pc_gens):
    blinding = random_scalar()
    proof = RangeProof.create(bp_gens, pc_gens, Transcript(LABEL), [77], [blinding], 8)
    check = proof.verification_check(bp_gens, pc_gens, Transcript(LABEL), 8, 1)
    scalars, points = check.terms(bp_gens, pc_gens)
    assert len(points) == 2 * 8 + 2 + 4 + 2 * 3  # the verifier's MSM is 2nm + 2·log2(nm) + m + 6 with V
    rest = sum((k * P for k, P in zip(scalars, points)), Point.identity())
    assert rest == -(check.value_weights[0] * pc_gens.commit(77, blinding))


def test_range_proof_verifier_msm_has_147_points_when_one_64_bit_value(bp_gens, pc_gens, proof_64):
    # worked-examples.md §5 (Bünz et al. 2018): 2nm + 2·log2(nm) + m + 6 = 128 + 12 + 1 + 6
    # points for n = 64, m = 1; `terms` leaves out the m commitments V, weighed apart
    proof, _ = proof_64
    check = proof.verification_check(bp_gens, pc_gens, Transcript(LABEL), 64, 1)
    _, points = check.terms(bp_gens, pc_gens)
    assert len(points) + len(check.value_weights) == 147


def test_range_proof_check_uses_a_fresh_combiner_when_checked_twice(bp_gens, pc_gens, proof_64):
    proof, commitment = proof_64
    V = Point.from_bytes(commitment)
    first = proof._verification_check(bp_gens, pc_gens, Transcript(LABEL), 64, 1, [V])
    second = proof._verification_check(bp_gens, pc_gens, Transcript(LABEL), 64, 1, [V])
    assert first.value_weights != second.value_weights
    assert first.holds(bp_gens, pc_gens, [V]) and second.holds(bp_gens, pc_gens, [V])


def test_range_proof_check_holds_raises_input_error_when_commitment_count_differs(bp_gens, pc_gens, proof_64):
    proof, _ = proof_64
    check = proof.verification_check(bp_gens, pc_gens, Transcript(LABEL), 64, 1)
    with pytest.raises(InputError, match="weighs 1 commitments, got 2"):
        check.holds(bp_gens, pc_gens, [Point.generator(), Point.generator()])


# Backends.


@pytest.mark.parametrize("prover_backend, verifier_backend", [("arkworks", "py_ecc"), ("py_ecc", "arkworks")])
def test_range_proof_verifies_across_backends_when_bytes_are_exchanged(prover_backend, verifier_backend):
    bp_gens, pc_gens = BulletproofGens(8, 1), PedersenGens()
    with using(prover_backend):
        proof, commitment = RangeProof.prove_single(bp_gens, pc_gens, Transcript(LABEL), 201, random_scalar(), 8)
        encoded = proof.to_bytes()
    with using(verifier_backend):
        decoded = RangeProof.from_bytes(encoded)
        RangeProof.verify_single(decoded, bp_gens, pc_gens, Transcript(LABEL), commitment, 8)
        with pytest.raises(InvalidProof):
            RangeProof.verify_single(decoded, bp_gens, pc_gens, Transcript(b"other"), commitment, 8)


# Properties.


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.integers(min_value=0, max_value=2**16 - 1), min_size=1, max_size=5))
def test_range_proof_round_trips_when_values_are_arbitrary_in_range(bp_gens, pc_gens, values):
    proof, commitments = prove(bp_gens, pc_gens, values, 16)
    verify(bp_gens, pc_gens, RangeProof.from_bytes(proof.to_bytes()), commitments, 16)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["t_x", "tau_x", "e_blinding"]),
    delta=st.integers(min_value=1, max_value=ORDER - 1),
)
def test_range_proof_does_not_verify_when_a_scalar_is_shifted(bp_gens, pc_gens, proof_64, field, delta):
    proof, commitment = proof_64
    shifted = _tampered(proof, **{field: (getattr(proof, field) + delta) % ORDER})
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(bp_gens, pc_gens, shifted, [commitment], 64)


@given(base=st.integers(min_value=0, max_value=ORDER - 1), log_count=st.integers(min_value=0, max_value=8))
def test_range_proof_sum_of_powers_matches_naive_sum_when_count_is_a_power_of_two(base, log_count):
    count = 1 << log_count
    assert range_proof_module._sum_of_powers(base, count) == sum(pow(base, i, ORDER) for i in range(count)) % ORDER
