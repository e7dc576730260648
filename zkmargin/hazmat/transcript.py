"""A Merlin-style Fiat–Shamir transcript on SHAKE256.

Every message a protocol sends is absorbed, with its label, into one running SHAKE256
state; every challenge is squeezed from a copy of that state and then absorbed back. So a
challenge is a hash of the whole conversation before it, in order, and every later
challenge depends on it as well.

Construction. The absorbed byte string is a sequence of frames

    frame(op, label, message) = op ‖ u32le(|label|) ‖ label ‖ u64le(|message|) ‖ message

with `op` one of APPEND, SQUEEZE, CHALLENGE. Frames parse uniquely, so two different
conversations never absorb the same bytes. A transcript starts with the frame
APPEND(PROTOCOL_LABEL, PROTOCOL_VERSION) and then APPEND(DOMAIN_SEPARATOR_LABEL, label).
Squeezing k bytes under `label` hashes `state ‖ SQUEEZE(label, u64le(k))` to k bytes of
SHAKE256 output and then absorbs CHALLENGE(label, output) into the running state.

Challenge scalars take 64 bytes (512 bits) of output reduced modulo r, so their bias is
about 2^-257. A challenge of zero would let a prover cancel terms (x = 0 removes T_1, T_2
and S), so a zero is never returned: the transcript squeezes again (the zero output was
absorbed, so the next output differs).

Every label the protocols use is defined here, once. See docs/range-proof.md for the order
in which the range proof and inner-product argument absorb them.
"""

from __future__ import annotations

import hashlib
import struct

from zkmargin.errors import InputError, InvalidProof
from zkmargin.hazmat.scalar import ORDER, scalar_to_bytes

PROTOCOL_LABEL = b"zkmargin transcript"
PROTOCOL_VERSION = b"v1"

_OP_APPEND = b"\x01"
_OP_SQUEEZE = b"\x02"
_OP_CHALLENGE = b"\x03"

CHALLENGE_SCALAR_BYTES = 64
"""Wide output reduced modulo r, so challenge scalars are statistically uniform."""

# Domain separators.
DOMAIN_SEPARATOR_LABEL = b"dom-sep"
RANGE_PROOF_DOMAIN = b"rangeproof v1"
INNER_PRODUCT_DOMAIN = b"ipp v1"
RANGE_PROOF_PARTS_DOMAIN = b"rangeproof parts v1"

# Statement sizes.
LABEL_N = b"n"
LABEL_M = b"m"

# Range proof messages and challenges (Bünz et al. 2018 §4.1–4.3, dalek's names).
LABEL_V = b"V"
LABEL_A = b"A"
LABEL_S = b"S"
LABEL_Y = b"y"
LABEL_Z = b"z"
LABEL_T_1 = b"T_1"
LABEL_T_2 = b"T_2"
LABEL_X = b"x"
LABEL_T_X = b"t_x"
LABEL_TAU_X = b"t_x_blinding"
LABEL_E_BLINDING = b"e_blinding"
LABEL_W = b"w"

# Inner-product argument messages and challenges (Bünz et al. 2018 §3).
LABEL_L = b"L"
LABEL_R = b"R"
LABEL_U = b"u"


def _frame(op: bytes, label: bytes, message: bytes) -> bytes:
    return op + struct.pack("<I", len(label)) + label + struct.pack("<Q", len(message)) + message


class Transcript:
    """A Fiat–Shamir transcript: absorb labelled messages, squeeze labelled challenges.

    Prover and verifier build the same transcript by absorbing the same public values in
    the same order; the verifier then recomputes every challenge itself.
    """

    __slots__ = ("_state",)

    def __init__(self, label: bytes) -> None:
        self._state = hashlib.shake_256(_frame(_OP_APPEND, PROTOCOL_LABEL, PROTOCOL_VERSION))
        self.append_message(DOMAIN_SEPARATOR_LABEL, label)

    def clone(self) -> Transcript:
        """An independent copy: what is absorbed into one does not reach the other."""
        copy = Transcript.__new__(Transcript)
        copy._state = self._state.copy()
        return copy

    def append_message(self, label: bytes, message: bytes) -> None:
        self._state.update(_frame(_OP_APPEND, bytes(label), bytes(message)))

    def append_u64(self, label: bytes, value: int) -> None:
        """Absorb a non-negative integer below 2^64 as 8 little-endian bytes."""
        if not 0 <= value < 1 << 64:
            raise InputError(f"append_u64 takes an integer in [0, 2^64), got {value}")
        self.append_message(label, struct.pack("<Q", value))

    def append_scalar(self, label: bytes, scalar: int) -> None:
        self.append_message(label, scalar_to_bytes(scalar))

    def append_point(self, label: bytes, point) -> None:
        """Absorb a group element by its 48-byte compressed encoding."""
        self.append_message(label, point.to_bytes())

    def validate_and_append_point(self, label: bytes, point) -> None:
        """Absorb a proof element that must not be the identity; raise InvalidProof if it is.

        Verifiers use this for every point a prover sends (A, S, T_1, T_2, L, R), as dalek
        does: the identity carries no information and would cancel its challenge's terms.
        """
        if point.is_identity():
            raise InvalidProof(f"proof element {label.decode()} is the identity")
        self.append_point(label, point)

    def range_proof_domain_sep(self, n: int, m: int) -> None:
        """Start a range proof over m values of n bits each."""
        self.append_message(DOMAIN_SEPARATOR_LABEL, RANGE_PROOF_DOMAIN)
        self.append_u64(LABEL_N, n)
        self.append_u64(LABEL_M, m)

    def range_proof_parts_domain_sep(self, n: int, sizes: tuple[int, ...]) -> None:
        """Start consecutive range proofs over sizes[0], sizes[1], … values of n bits each."""
        self.append_message(DOMAIN_SEPARATOR_LABEL, RANGE_PROOF_PARTS_DOMAIN)
        self.append_u64(LABEL_N, n)
        for size in sizes:
            self.append_u64(LABEL_M, size)

    def inner_product_domain_sep(self, n: int) -> None:
        """Start an inner-product argument over vectors of length n."""
        self.append_message(DOMAIN_SEPARATOR_LABEL, INNER_PRODUCT_DOMAIN)
        self.append_u64(LABEL_N, n)

    def challenge_bytes(self, label: bytes, length: int) -> bytes:
        """Squeeze `length` bytes that depend on everything absorbed so far, then absorb them."""
        squeeze = self._state.copy()
        squeeze.update(_frame(_OP_SQUEEZE, bytes(label), struct.pack("<Q", length)))
        output = squeeze.digest(length)
        self._state.update(_frame(_OP_CHALLENGE, bytes(label), output))
        return output

    def challenge_scalar(self, label: bytes) -> int:
        """A challenge in [1, r): 64 squeezed bytes (big-endian) reduced mod r, never zero."""
        while True:
            challenge = int.from_bytes(self.challenge_bytes(label, CHALLENGE_SCALAR_BYTES), "big") % ORDER
            if challenge:
                return challenge
