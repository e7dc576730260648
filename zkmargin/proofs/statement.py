"""What the verifier knows and what a margin proof claims about it.

A `Statement` names the account, the params (by digest), the margin level and the public
threshold: "account A holds equity ≥ λ_level · requirement(params) + threshold". It is all
public, it is bound into the transcript before the first challenge, and together with the
params it determines the circuit both sides check. It also names that circuit by digest
(`circuit_digest`), so a verifier whose compiler builds another circuit from the same
params (another zkmargin version) says so instead of reporting a shortfall.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from zkmargin.proofs.circuit import LIMB_BITS, Circuit
from zkmargin.proofs.compiler import compile_circuit
from zkmargin.errors import InputError, InvalidProof, WrongParams
from zkmargin.hazmat.generators import (
    B_BLINDING_MESSAGE,
    B_MESSAGE,
    G_LABEL,
    GENERATORS_DST,
    H_LABEL,
    BulletproofGens,
    PedersenGens,
)
from zkmargin.hazmat.transcript import Transcript
from zkmargin.engine.bucket_count import MAX_BUCKETS
from zkmargin.engine.params import RiskParams
from zkmargin.units import number_argument, plain, to_fixed


THRESHOLD_DIGITS = 18
"""A threshold has at most this many digits before and after the decimal point."""
_CANONICAL_THRESHOLD = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]*[1-9])?\Z")


def parse_threshold(value: object, what: str = "threshold") -> Decimal:
    """A public threshold X: a finite, non-negative amount in currency units, normalised.

    Both sides parse it here. A negative X would turn "excess ≥ X" into "equity may fall
    short of the requirement by |X|", so a verifier must refuse it as firmly as a prover.
    The result is the Decimal of `threshold_text`, so 5000, Decimal("5000.00") and 5E+3 are
    one value. `what` names the argument in errors (`min_excess` for `prove`).
    """
    amount = number_argument(value, what)
    if amount < 0:
        raise InputError(f"{what}: must be an amount ≥ 0, got {plain(amount)}")
    if amount and (amount.adjusted() >= THRESHOLD_DIGITS or amount.as_tuple().exponent < -THRESHOLD_DIGITS):
        raise InputError(f"{what}: {value!r} needs more than {THRESHOLD_DIGITS} digits before or after the point")
    return Decimal(threshold_text(amount))


def threshold_text(amount: Decimal) -> str:
    """The one spelling of a threshold in a proof: ASCII digits, no exponent, leading zero
    or trailing zero after the point ("0", "5000", "0.5"; a negative one keeps its sign so
    that the verifier refuses it)."""
    if amount.is_zero():
        return "0"
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def read_threshold(text: str) -> Decimal:
    """The threshold as a proof file spells it; any other spelling is an `InputError`.

    "+0", " 0", "0.0", "5e3" and fullwidth digits all parse to a number, and each would be
    another text of the same proof: only `threshold_text`'s spelling is accepted.
    """
    if not _CANONICAL_THRESHOLD.match(text) or threshold_text(parse_threshold(Decimal(text))) != text:
        raise InputError(f"threshold: {text!r} is not written canonically (like 0, 5000 or 0.5)")
    return parse_threshold(Decimal(text))


def _epoch_name(issuer: str | None, epoch: int | None) -> str:
    """Params as a statement names them: "params epoch 5 of 'venue-a'", or "unsigned params"."""
    if issuer is None and epoch is None:
        return "unsigned params"
    return f"params epoch {'(none)' if epoch is None else epoch} of {'no issuer' if issuer is None else repr(issuer)}"


CHALLENGE_BYTES = 32
_CHALLENGE = re.compile(r"[0-9a-f]{%d}\Z" % (2 * CHALLENGE_BYTES))


def new_challenge() -> str:
    """A fresh verifier challenge: 32 random bytes, lowercase hex. Hand one out per request."""
    return secrets.token_hex(CHALLENGE_BYTES)


def check_challenge(text: str) -> str:
    """A challenge as files and options spell it: 64 lowercase hex digits, else `InputError`."""
    if not isinstance(text, str) or not _CHALLENGE.match(text):
        raise InputError(f"challenge: expected {2 * CHALLENGE_BYTES} lowercase hexadecimal digits")
    return text


@dataclass(frozen=True)
class Statement:
    """The public claim. `issuer` and `epoch` name the signed params epoch (absent for
    unsigned params), `challenge` the verifier's nonce (absent when none was asked),
    `circuit_digest` the circuit the proof was made for (`Circuit.digest()`; absent in
    proofs made before it was recorded, which verify as before)."""

    account: str
    model: str
    level: str
    threshold: Decimal
    currency: str
    params_digest: str
    limb_bits: int = LIMB_BITS
    issuer: str | None = None
    epoch: int | None = None
    challenge: str | None = None
    attestations: tuple[str, ...] = ()
    """Digests of the custodian attestations whose sum the committed book is (none: self-declared)."""
    circuit_digest: str | None = None
    buckets: int = 1
    """Isolated buckets (padding included) that each meet the statement on their own; 1: cross margin."""

    @classmethod
    def for_params(
        cls,
        params: RiskParams,
        account: str,
        level: str,
        threshold: object = 0,
        *,
        challenge: str | None = None,
        attestations: tuple[str, ...] = (),
        buckets: int = 1,
    ) -> "Statement":
        """The statement a trader proves for `params`; validates the level, threshold, challenge
        and bucket count. With `buckets` > 1 it says: each of that many isolated buckets of
        the account (own positions, own cash) meets the level with excess ≥ threshold."""
        params.level_factor(level)
        if isinstance(buckets, bool) or not isinstance(buckets, int) or not 1 <= buckets <= MAX_BUCKETS:
            raise InputError(f"buckets: must be a whole number from 1 to {MAX_BUCKETS}, got {buckets!r}")
        return cls(
            account=account,
            model=params.model,
            level=level,
            threshold=parse_threshold(threshold),
            currency=params.currency,
            params_digest=params.digest(),
            issuer=params.epoch.issuer if params.epoch else None,
            epoch=params.epoch.epoch if params.epoch else None,
            challenge=None if challenge is None else check_challenge(challenge),
            attestations=tuple(attestations),
            buckets=buckets,
        )

    def threshold_fine(self, params: RiskParams) -> int:
        """X in fine units (money units / quantity_scale), rounded up against the prover."""
        return to_fixed(self.threshold, params.money_scale, rounding="up") * params.quantity_scale

    def require_params(self, params: RiskParams, params_digest: str) -> None:
        """Refuse params other than the ones this statement was made for.

        Another params digest is `WrongParams`: the verifier can fix that by taking the params
        the proof names. Once the digest matches, the params fix the model, currency, issuer
        and epoch, so a statement naming others was edited; and a limb width or bucket count
        this version never writes was edited or made by another zkmargin: either way the
        proof fails (`InvalidProof`), as the verifier cannot tell the two apart.
        """
        if params_digest != self.params_digest:
            raise WrongParams(
                f"the proof was made for other params{self._epochs_apart(params)}: it names params "
                f"{self.params_digest[:16]}…, these are {params_digest[:16]}…"
            )
        if params.model != self.model or params.currency != self.currency:
            raise InvalidProof("the statement's model or currency differs from the params'")
        signed = (params.epoch.issuer, params.epoch.epoch) if params.epoch else (None, None)
        if (self.issuer, self.epoch) != signed:
            raise InvalidProof(f"the proof names {_epoch_name(self.issuer, self.epoch)}; these are {_epoch_name(*signed)}")
        if self.limb_bits != LIMB_BITS:
            raise InvalidProof(f"unsupported limb width {self.limb_bits}; this version proves {LIMB_BITS}-bit limbs")
        if not 1 <= self.buckets <= MAX_BUCKETS:
            raise InvalidProof(f"the statement claims {self.buckets} buckets; at most {MAX_BUCKETS} are supported")

    def _epochs_apart(self, params: RiskParams) -> str:
        """Which epoch each side names, when both are signed epochs that differ: the usual
        mismatch is an old proof against today's params, and the fix (prove again, or verify
        under the older params) depends on which side is older."""
        if self.epoch is None or params.epoch is None or self.epoch == params.epoch.epoch:
            return ""
        return (
            f" (the proof names epoch {self.epoch} of {self.issuer!r}, "
            f"the params are epoch {params.epoch.epoch} of {params.epoch.issuer!r})"
        )

    def compile(self, params: RiskParams, lean: bool = True) -> Circuit:
        """The circuit of one bucket for `params` (already checked with `require_params`); a
        statement of B buckets is proved on B copies of it (`proofs/stacked.py`). `lean=False`
        is the circuit with every range item stated, the one proofs were made for before
        implied items were left out (`compile_circuit`)."""
        return compile_circuit(
            params, params.level_factor(self.level), self.threshold_fine(params), level=self.level, lean=lean
        )

    def require_circuit(self, circuit_digest: str) -> None:
        """Refuse a proof made for another circuit than the one this statement over these
        params compiles to. The circuit depends on the level and threshold too, so an edited
        statement is refused here as well: the message names both causes."""
        if self.circuit_digest is not None and self.circuit_digest != circuit_digest:
            raise InvalidProof(
                f"the proof was made for circuit {self.circuit_digest[:16]}…, these params compile to "
                f"{circuit_digest[:16]}… for its statement: the statement was edited after proving, "
                "or the prover ran another zkmargin version"
            )

    def to_dict(self) -> dict:
        """The statement's fields; `issuer`, `epoch`, `challenge`, `attestations` and
        `circuit_digest` only when present and `buckets` only when more than one, so a
        statement over unsigned params, self-declared, cross-margined, without a challenge
        or circuit digest keeps the digest it had before these existed."""
        optional = {
            "issuer": self.issuer,
            "epoch": self.epoch,
            "challenge": self.challenge,
            "attestations": list(self.attestations) or None,
            "circuit_digest": self.circuit_digest,
            "buckets": self.buckets if self.buckets != 1 else None,
        }
        return {
            "account": self.account,
            "model": self.model,
            "level": self.level,
            "threshold": threshold_text(self.threshold),
            "currency": self.currency,
            "params_digest": self.params_digest,
            "limb_bits": self.limb_bits,
            **{name: value for name, value in optional.items() if value is not None},
        }

    def digest(self) -> bytes:
        """sha256 of the canonical JSON of `to_dict()`: what the transcript absorbs."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()).digest()


MARGIN_PROOF_LABEL = b"zkmargin margin proof v1"

GENERATORS_DESCRIPTION = hashlib.sha256(
    b"\x00".join([GENERATORS_DST, B_MESSAGE, B_BLINDING_MESSAGE, G_LABEL, H_LABEL])
).digest()
"""Every base is hash-to-curve of these inputs, so binding them binds the points themselves
(hashing 2·n·m point encodings per proof would cost more than the proof)."""


def limb_count(circuit: Circuit) -> int:
    """How many 32-bit limbs the range proof covers: one per 32-bit item, two per 64-bit item."""
    return sum(item.bits // LIMB_BITS for item in circuit.range_items)


def proof_generators(circuit: Circuit) -> tuple[BulletproofGens, PedersenGens]:
    """Generators for the circuit's aggregated proof: m = limbs padded to a power of two."""
    parties = 1 << (limb_count(circuit) - 1).bit_length()
    return BulletproofGens(LIMB_BITS, parties), PedersenGens()


def margin_transcript(statement: Statement, commitments: list[bytes], limb_commitments: list[bytes]) -> Transcript:
    """The transcript both sides build before the range proof draws its first challenge.

    It absorbs the protocol label, the generators' description, the statement digest (which
    names the params digest, model, level, threshold, account and bucket count), the counts, and every
    variable and high-limb commitment in order. Every range-proved commitment is a public
    function of these, so the range proof's challenges are bound to all of it.
    """
    transcript = Transcript(MARGIN_PROOF_LABEL)
    transcript.append_message(b"generators", GENERATORS_DESCRIPTION)
    transcript.append_message(b"statement", statement.digest())
    transcript.append_u64(b"variables", len(commitments))
    transcript.append_u64(b"limbs", len(limb_commitments))
    for commitment in commitments:
        transcript.append_message(b"W", commitment)
    for commitment in limb_commitments:
        transcript.append_message(b"V_hi", commitment)
    return transcript
