import pytest

from zkmargin.errors import InputError, InvalidEncoding, InvalidProof
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.inner_product import InnerProductProof, decode_point, inner_product
from zkmargin.hazmat.scalar import ORDER, random_scalar
from zkmargin.hazmat.transcript import Transcript

LABEL = b"zkmargin inner product test"


def naive_sum(scalars, points):
    """Σ k_i·P_i by one scalar multiplication per point (independent of msm)."""
    return sum((k * P for k, P in zip(scalars, points)), Point.identity())


def statement(n):
    """Bases, random factors and witness for P = <a, g∘G> + <b, h∘H> + <a, b>·Q."""
    gens = BulletproofGens(n, 1)
    G, H, Q = gens.G(n, 1), gens.H(n, 1), PedersenGens().B
    G_factors = [random_scalar() for _ in range(n)]
    H_factors = [random_scalar() for _ in range(n)]
    a = [random_scalar() for _ in range(n)]
    b = [random_scalar() for _ in range(n)]
    P = naive_sum(
        [x * g for x, g in zip(a, G_factors)] + [y * h for y, h in zip(b, H_factors)] + [inner_product(a, b)],
        G + H + [Q],
    )
    return {"G": G, "H": H, "Q": Q, "G_factors": G_factors, "H_factors": H_factors, "a": a, "b": b, "P": P}


def create(s, label=LABEL):
    return InnerProductProof.create(Transcript(label), s["Q"], s["G_factors"], s["H_factors"], s["G"], s["H"], s["a"], s["b"])


def verify(proof, s, label=LABEL, P=None):
    n = len(s["G"])
    proof.verify(n, Transcript(label), s["G_factors"], s["H_factors"], s["P"] if P is None else P, s["Q"], s["G"], s["H"])


@pytest.fixture(scope="module")
def statement_16():
    return statement(16)


@pytest.mark.parametrize("n", [1, 2, 4, 32])
def test_inner_product_proof_verifies_when_witness_is_honest(n):
    s = statement(n)
    proof = create(s)
    assert len(proof.L_vec) == len(proof.R_vec) == n.bit_length() - 1
    verify(proof, s)


def test_inner_product_first_round_matches_protocol_when_recomputed_naively(statement_16):
    s = statement_16
    proof = create(s)
    a, b, half = s["a"], s["b"], 8
    expected_L = naive_sum(
        [x * g for x, g in zip(a[:half], s["G_factors"][half:])]
        + [y * h for y, h in zip(b[half:], s["H_factors"][:half])]
        + [inner_product(a[:half], b[half:])],
        s["G"][half:] + s["H"][:half] + [s["Q"]],
    )
    expected_R = naive_sum(
        [x * g for x, g in zip(a[half:], s["G_factors"][:half])]
        + [y * h for y, h in zip(b[:half], s["H_factors"][half:])]
        + [inner_product(a[half:], b[:half])],
        s["G"][:half] + s["H"][half:] + [s["Q"]],
    )
    assert proof.L_vec[0] == expected_L
    assert proof.R_vec[0] == expected_R


def test_inner_product_final_scalars_fold_the_witness_when_challenges_are_replayed(statement_16):
    s = statement_16
    proof = create(s)
    transcript = Transcript(LABEL)
    transcript.inner_product_domain_sep(16)
    a, b = list(s["a"]), list(s["b"])
    for L, R in zip(proof.L_vec, proof.R_vec):
        transcript.append_point(b"L", L)
        transcript.append_point(b"R", R)
        u = transcript.challenge_scalar(b"u")
        u_inv = pow(u, -1, ORDER)
        half = len(a) // 2
        a = [(lo * u + hi * u_inv) % ORDER for lo, hi in zip(a[:half], a[half:])]
        b = [(lo * u_inv + hi * u) % ORDER for lo, hi in zip(b[:half], b[half:])]
    assert (proof.a, proof.b) == (a[0], b[0])


def test_inner_product_verification_scalars_match_definition_when_expanded_bit_by_bit(statement_16):
    proof = create(statement_16)
    u_sq, u_inv_sq, s = proof.verification_scalars(16, Transcript(LABEL))
    transcript = Transcript(LABEL)
    transcript.inner_product_domain_sep(16)
    challenges = []
    for L, R in zip(proof.L_vec, proof.R_vec):
        transcript.append_point(b"L", L)
        transcript.append_point(b"R", R)
        challenges.append(transcript.challenge_scalar(b"u"))
    k = len(challenges)
    for i in range(16):
        expected = 1
        for j, u in enumerate(challenges):
            bit = (i >> (k - 1 - j)) & 1
            expected = expected * (u if bit else pow(u, -1, ORDER)) % ORDER
        assert s[i] == expected
        assert s[i] * s[15 - i] % ORDER == 1
    assert u_sq == [u * u % ORDER for u in challenges]
    assert u_inv_sq == [pow(u, -2, ORDER) for u in challenges]


def test_inner_product_verify_raises_invalid_proof_when_statement_point_differs(statement_16):
    proof = create(statement_16)
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(proof, statement_16, P=statement_16["P"] + statement_16["Q"])


def test_inner_product_verify_raises_invalid_proof_when_transcript_label_differs(statement_16):
    proof = create(statement_16)
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(proof, statement_16, label=b"other")


@pytest.mark.parametrize("field", ["a", "b"])
def test_inner_product_verify_raises_invalid_proof_when_a_final_scalar_changes(statement_16, field):
    proof = create(statement_16)
    setattr(proof, field, (getattr(proof, field) + 1) % ORDER)
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(proof, statement_16)


def test_inner_product_verify_raises_invalid_proof_when_rounds_are_swapped(statement_16):
    proof = create(statement_16)
    proof.L_vec[0], proof.L_vec[1] = proof.L_vec[1], proof.L_vec[0]
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(proof, statement_16)


def test_inner_product_verification_scalars_raise_invalid_proof_when_round_count_is_wrong(statement_16):
    proof = create(statement_16)
    with pytest.raises(InvalidProof, match="4 rounds, a statement of 32 bases needs 5"):
        proof.verification_scalars(32, Transcript(LABEL))
    truncated = InnerProductProof(proof.L_vec[:-1], proof.R_vec[:-1], proof.a, proof.b)
    with pytest.raises(InvalidProof, match="3 rounds"):
        truncated.verification_scalars(16, Transcript(LABEL))


@pytest.mark.parametrize("vector", ["L_vec", "R_vec"])
def test_inner_product_verification_scalars_raise_invalid_proof_when_a_point_is_identity(statement_16, vector):
    proof = create(statement_16)
    getattr(proof, vector)[1] = Point.identity()
    with pytest.raises(InvalidProof, match=f"{vector[0]} is the identity"):
        proof.verification_scalars(16, Transcript(LABEL))


def test_inner_product_create_raises_input_error_when_lengths_differ_or_are_not_powers_of_two(statement_16):
    s = statement_16
    with pytest.raises(InputError, match="power-of-two"):
        InnerProductProof.create(Transcript(LABEL), s["Q"], s["G_factors"], s["H_factors"], s["G"], s["H"], s["a"][:-1], s["b"])
    with pytest.raises(InputError, match="power-of-two"):
        InnerProductProof.create(
            Transcript(LABEL), s["Q"], s["G_factors"][:12], s["H_factors"][:12], s["G"][:12], s["H"][:12], s["a"][:12], s["b"][:12]
        )


def test_inner_product_bytes_round_trip_when_proof_is_valid(statement_16):
    proof = create(statement_16)
    encoded = proof.to_bytes()
    assert len(encoded) == proof.serialized_size() == 96 * 4 + 64
    decoded = InnerProductProof.from_bytes(encoded)
    assert decoded.to_bytes() == encoded
    verify(decoded, statement_16)


@pytest.mark.parametrize("length", [63, 96 + 63, 96 * 32 + 64])
def test_inner_product_from_bytes_raises_invalid_proof_when_length_is_wrong(length):
    with pytest.raises(InvalidProof, match="96·k \\+ 64 bytes"):
        InnerProductProof.from_bytes(bytes(length))


def test_inner_product_from_bytes_raises_invalid_proof_when_b_is_not_canonical(statement_16):
    encoded = create(statement_16).to_bytes()
    with pytest.raises(InvalidProof, match="not canonical"):
        InnerProductProof.from_bytes(encoded[:-32] + ORDER.to_bytes(32, "big"))


def test_inner_product_from_bytes_raises_invalid_proof_when_a_point_is_the_identity(statement_16):
    encoded = create(statement_16).to_bytes()
    with pytest.raises(InvalidProof, match="identity"):
        InnerProductProof.from_bytes(encoded[:48] + Point.identity().to_bytes() + encoded[96:])


def test_inner_product_decode_point_keeps_encoding_when_point_is_valid():
    point = 5 * Point.generator()
    decoded = decode_point(point.to_bytes())
    assert decoded == point
    assert decoded.to_bytes() == point.to_bytes()
    doubled = decoded + decoded
    assert doubled.to_bytes() == (10 * Point.generator()).to_bytes()


def test_inner_product_decode_point_raises_invalid_encoding_when_point_is_identity():
    with pytest.raises(InvalidEncoding, match="identity"):
        decode_point(Point.identity().to_bytes())


def test_inner_product_create_raises_input_error_when_a_factor_is_zero(statement_16):
    s = statement_16
    with pytest.raises(InputError, match="factors must be nonzero"):
        InnerProductProof.create(Transcript(LABEL), s["Q"], s["G_factors"], [0] + s["H_factors"][1:], s["G"], s["H"], s["a"], s["b"])
