import hashlib
import struct

import pytest

from zkmargin.errors import InputError, InvalidProof
from zkmargin.hazmat import transcript as transcript_module
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.scalar import ORDER
from zkmargin.hazmat.transcript import Transcript


def _independent_frame(op: int, label: bytes, message: bytes) -> bytes:
    return bytes([op]) + len(label).to_bytes(4, "little") + label + len(message).to_bytes(8, "little") + message


def _challenge_after(*messages: tuple[bytes, bytes], label: bytes = b"c", transcript_label: bytes = b"test") -> int:
    transcript = Transcript(transcript_label)
    for message_label, message in messages:
        transcript.append_message(message_label, message)
    return transcript.challenge_scalar(label)


def test_transcript_challenge_matches_documented_construction_when_recomputed_with_hashlib():
    transcript = Transcript(b"app")
    transcript.append_message(b"msg", b"hello")
    challenge = transcript.challenge_scalar(b"c")

    absorbed = (
        _independent_frame(1, b"zkmargin transcript", b"v1")
        + _independent_frame(1, b"dom-sep", b"app")
        + _independent_frame(1, b"msg", b"hello")
    )
    output = hashlib.shake_256(absorbed + _independent_frame(2, b"c", struct.pack("<Q", 64))).digest(64)
    assert challenge == int.from_bytes(output, "big") % ORDER

    # The output is absorbed back: the next challenge hashes it too.
    absorbed += _independent_frame(3, b"c", output)
    next_output = hashlib.shake_256(absorbed + _independent_frame(2, b"d", struct.pack("<Q", 64))).digest(64)
    assert transcript.challenge_scalar(b"d") == int.from_bytes(next_output, "big") % ORDER


def test_transcript_challenges_agree_when_the_same_messages_are_absorbed():
    assert _challenge_after((b"a", b"1"), (b"b", b"2")) == _challenge_after((b"a", b"1"), (b"b", b"2"))


@pytest.mark.parametrize(
    "other",
    [
        {"messages": ((b"a", b"1"), (b"b", b"3"))},  # different message
        {"messages": ((b"a", b"1"), (b"c", b"2"))},  # different message label
        {"messages": ((b"b", b"2"), (b"a", b"1"))},  # different order
        {"messages": ((b"a", b"12"),)},  # concatenation of the messages
        {"messages": ((b"a", b"1"), (b"b", b"2")), "label": b"d"},  # different challenge label
        {"messages": ((b"a", b"1"), (b"b", b"2")), "transcript_label": b"other"},  # different domain
    ],
)
def test_transcript_challenges_differ_when_anything_absorbed_differs(other):
    baseline = _challenge_after((b"a", b"1"), (b"b", b"2"))
    assert _challenge_after(*other["messages"], **{k: v for k, v in other.items() if k != "messages"}) != baseline


def test_transcript_challenges_differ_when_label_and_message_boundary_moves():
    assert _challenge_after((b"ab", b"c")) != _challenge_after((b"a", b"bc"))


def test_transcript_successive_challenges_differ_when_label_is_reused():
    transcript = Transcript(b"test")
    assert transcript.challenge_scalar(b"c") != transcript.challenge_scalar(b"c")


def test_transcript_challenge_scalar_is_in_range_when_squeezed_many_times():
    transcript = Transcript(b"range")
    for _ in range(200):
        assert 1 <= transcript.challenge_scalar(b"c") < ORDER


def test_transcript_challenge_scalar_squeezes_again_when_output_reduces_to_zero(monkeypatch):
    squeezed = []
    real_challenge_bytes = Transcript.challenge_bytes

    def zero_first(self, label, length):
        output = real_challenge_bytes(self, label, length)
        squeezed.append(output)
        return bytes(length) if len(squeezed) == 1 else output

    monkeypatch.setattr(Transcript, "challenge_bytes", zero_first)
    challenge = Transcript(b"zero").challenge_scalar(b"c")
    assert challenge != 0
    assert len(squeezed) == 2
    assert challenge == int.from_bytes(squeezed[1], "big") % ORDER


def test_transcript_clone_is_independent_when_the_original_absorbs_more():
    original = Transcript(b"test")
    original.append_message(b"a", b"1")
    fork = original.clone()
    original.append_message(b"b", b"2")
    reference = Transcript(b"test")
    reference.append_message(b"a", b"1")
    assert fork.challenge_scalar(b"c") == reference.challenge_scalar(b"c")
    assert original.challenge_scalar(b"c") != fork.challenge_scalar(b"c")


def test_transcript_append_u64_is_little_endian_when_absorbing_integers():
    via_u64 = Transcript(b"test")
    via_u64.append_u64(b"n", 64)
    via_bytes = Transcript(b"test")
    via_bytes.append_message(b"n", (64).to_bytes(8, "little"))
    assert via_u64.challenge_scalar(b"c") == via_bytes.challenge_scalar(b"c")


@pytest.mark.parametrize("value", [-1, 1 << 64])
def test_transcript_append_u64_raises_input_error_when_value_is_out_of_range(value):
    with pytest.raises(InputError):
        Transcript(b"test").append_u64(b"n", value)


def test_transcript_append_scalar_absorbs_reduced_big_endian_when_given_unreduced_int():
    reduced = Transcript(b"test")
    reduced.append_scalar(b"s", 5)
    unreduced = Transcript(b"test")
    unreduced.append_scalar(b"s", ORDER + 5)
    raw = Transcript(b"test")
    raw.append_message(b"s", (5).to_bytes(32, "big"))
    assert reduced.challenge_scalar(b"c") == unreduced.challenge_scalar(b"c") == raw.challenge_scalar(b"c")


def test_transcript_append_point_absorbs_compressed_encoding_when_given_a_point():
    point = 7 * Point.generator()
    via_point = Transcript(b"test")
    via_point.append_point(b"P", point)
    via_bytes = Transcript(b"test")
    via_bytes.append_message(b"P", point.to_bytes())
    assert via_point.challenge_scalar(b"c") == via_bytes.challenge_scalar(b"c")


def test_transcript_validate_and_append_point_raises_invalid_proof_when_point_is_identity():
    with pytest.raises(InvalidProof, match="A is the identity"):
        Transcript(b"test").validate_and_append_point(b"A", Point.identity())


def test_transcript_validate_and_append_point_absorbs_when_point_is_not_identity():
    validated = Transcript(b"test")
    validated.validate_and_append_point(b"A", Point.generator())
    plain = Transcript(b"test")
    plain.append_point(b"A", Point.generator())
    assert validated.challenge_scalar(b"c") == plain.challenge_scalar(b"c")


@pytest.mark.parametrize("field", ["n", "m"])
def test_transcript_range_proof_domain_sep_binds_sizes_when_n_or_m_changes(field):
    sizes = {"n": 64, "m": 2}
    baseline = Transcript(b"test")
    baseline.range_proof_domain_sep(**sizes)
    changed = Transcript(b"test")
    changed.range_proof_domain_sep(**{**sizes, field: sizes[field] * 2})
    assert baseline.challenge_scalar(b"c") != changed.challenge_scalar(b"c")


def test_transcript_domain_separators_differ_when_range_proof_and_inner_product_share_sizes():
    range_proof = Transcript(b"test")
    range_proof.range_proof_domain_sep(64, 1)
    inner_product = Transcript(b"test")
    inner_product.inner_product_domain_sep(64)
    assert range_proof.challenge_scalar(b"c") != inner_product.challenge_scalar(b"c")


def test_transcript_labels_are_distinct_when_defined_as_module_constants():
    labels = [
        value
        for name, value in vars(transcript_module).items()
        if name.startswith("LABEL_") and isinstance(value, bytes)
    ]
    assert len(labels) == len(set(labels)) >= 15
