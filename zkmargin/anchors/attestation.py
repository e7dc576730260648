"""Custodian attestations: whoever holds a book signs commitments to it.

A custodian (exchange, clearing firm, prime broker, wallet) commits to the collateral and to
EVERY instrument of a universe (zeros included) for one account, and signs

    m = "zkmargin attestation v1" ‖ 0x00 ‖ SHA-256(canonical attestation without signature)

where the canonical attestation holds the custodian id, key id, account label, sequence
number (rising per account at that custodian), time, the currency, the universe digest, the
fixed-point scales, the venue (the params' issuer, absent for unsigned params) and every
commitment. The venue is signed so one attestation backs proofs at one venue only: an
attestation is not an encumbrance (docs/trust-model.md), but it cannot be replayed at a
venue it was not made for. The currency is signed because the universe digest
names only instruments and scales: without it, 1,000,000 attested under yen params would
read as 1,000,000 dollars under dollar params over the same instruments. The openings (values and blindings) go to the trader in a
private file; the attestation itself reveals nothing of the book.

Pedersen commitments add: Com(a, r) + Com(b, s) = Com(a + b, r + s). A trader holding a
book at several custodians proves over the per-instrument sums, so a hedge held at one
custodian offsets risk held at another while the verifier sees neither book
(docs/trust-model.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from zkmargin.anchors.keys import KeyId, SigningKey, Trust
from zkmargin.canonical import (
    Timestamp,
    base64_of,
    decode_base64,
    encode_base64,
    parse_timestamp,
    timestamp_text,
)
from zkmargin.engine.params import RiskParams
from zkmargin.engine.params_epoch import SIGNATURE_BYTES, SignatureText
from zkmargin.errors import InputError, InvalidEncoding, InvalidProof, UnknownInstrument
from zkmargin.formats import (
    Currency,
    JsonFile,
    Label,
    NotNull,
    StrictModel,
    Version1,
    first_error_only,
)
from zkmargin.hazmat.generators import PedersenGens
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.scalar import ORDER, random_scalar
from zkmargin.validation import validate

if TYPE_CHECKING:  # the verifier path never imports portfolio.py (tests/test_layers.py)
    from zkmargin.engine.portfolio import Portfolio

ATTESTATION_DOMAIN = b"zkmargin attestation v1\x00"
POINT_BYTES = 48
PointText = base64_of(POINT_BYTES, "a commitment")
"""A compressed BLS12-381 point, base64 (whether it is a valid point is checked on use)."""
MAX_COMMITTED = 1 << 20
"""Commitments one file may hold (an attestation's positions, a proof's commitments): 64
buckets of 16,384, over 1,000 times the widest circuit the shipped models build (760
variables: 250 scenarios of expected_shortfall.toml), and as many as a 64 MiB file can spell.
Params bound no universe: one limit for every file keeps a universe a proof can commit to
attestable too, and a hostile file's lists finite before any check."""


def universe_digest(params: RiskParams) -> str:
    """SHA-256 hex of the universe an attestation covers: instruments (sorted) and scales."""
    universe = {"instruments": params.instruments, "money_scale": params.money_scale, "quantity_scale": params.quantity_scale}
    return hashlib.sha256(json.dumps(universe, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def _blinding_text(text: str) -> str:
    if not isinstance(text, str) or not text or len(text) > 64 or text != text.lower() or text.startswith("0"):
        raise ValueError("a blinding is lowercase hexadecimal without leading zeros")
    try:
        value = int(text, 16)
    except ValueError:
        raise ValueError("a blinding is lowercase hexadecimal") from None
    if not 0 < value < ORDER:
        raise ValueError("a blinding is a nonzero scalar below r")
    return text


BlindingText = Annotated[str, AfterValidator(_blinding_text)]
Sequence = Annotated[int, Field(ge=1, lt=1 << 63)]


class Attestation(StrictModel, JsonFile):
    """Public and signed: a custodian's commitments to one account's whole book."""

    json_what = "attestation"
    json_bytes_per_key = 32  # a position ("label": 64 base64 characters) spends 70 or more
    json_indent = 1

    # No defaults: a file without them would be a second text of the same signed attestation.
    format: Literal["zkmargin-attestation"] = Field(description="Always zkmargin-attestation.")
    version: Version1 = Field(description="Version of the file format: 1.")
    custodian: Label = Field(description="Who holds the book and signed this (the signing key's issuer).")
    key_id: KeyId = Field(description="The custodian's signing key (its id).")
    account: Label = Field(description="The account whose book this commits to.")
    sequence: Sequence = Field(description="Rises with each attestation of this account at this custodian.")
    time: Timestamp = Field(description="When the custodian attested the book (UTC).")
    currency: Currency = Field(description="The params' currency (ISO 4217 code): the committed collateral is in its money units.")
    venue: Annotated[Label | None, NotNull] = Field(
        None, description="The issuer of the params the book was attested under; absent for unsigned params."
    )
    universe_digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="SHA-256 (hex) of the instrument universe and fixed-point scales the book is committed over."
    )
    money_scale: Annotated[int, Field(gt=0)] = Field(description="Money units per currency unit of the committed collateral.")
    quantity_scale: Annotated[int, Field(gt=0)] = Field(description="Quantity units per whole unit of each committed position.")
    collateral: PointText = Field(description="Pedersen commitment to the collateral in money units, base64.")
    positions: first_error_only(dict[Label, PointText], MAX_COMMITTED) = Field(
        description="Instrument -> Pedersen commitment to its quantity in quantity units (every instrument, zeros too), base64."
    )
    signature: SignatureText = Field(description="The custodian's Ed25519 signature over the attestation's digest, base64.")

    @model_validator(mode="after")
    def _sorted(self) -> Attestation:
        if list(self.positions) != sorted(self.positions):
            raise ValueError("positions: instruments must be in sorted order (one text per attestation)")
        return self

    def digest(self) -> str:
        """SHA-256 hex of the canonical attestation without its signature: what is signed."""
        document = self.model_dump(mode="json", exclude={"signature"})
        return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()

    def message(self) -> bytes:
        return ATTESTATION_DOMAIN + bytes.fromhex(self.digest())

    @property
    def moment(self) -> datetime:
        return parse_timestamp(self.time)

    def _what(self) -> str:
        return f"attestation {self.sequence} by {self.custodian!r}"

    def require_universe(self, params: RiskParams) -> None:
        """Refuse an attestation over another instrument universe (a position outside it could
        be dropped from the proof) or other scales: the prover checks this before summing."""
        what = self._what()
        if self.universe_digest != universe_digest(params) or list(self.positions) != params.instruments:
            raise UnknownInstrument(f"{what}: covers another instrument universe than the params")
        if (self.money_scale, self.quantity_scale) != (params.money_scale, params.quantity_scale):
            raise InputError(f"{what}: its scales differ from the params'")

    def check(self, params: RiskParams, trust: Trust) -> AttestedBy:
        """Refuse an attestation that a trusted custodian key did not sign, or that was made
        for other params: universe, scales, currency or venue."""
        what = self._what()
        trust.require(self.key_id, self.custodian, self.signature, self.message(), what, role="custody")
        self.require_universe(params)
        if self.currency != params.currency:
            raise InputError(f"{what}: made for {self.currency} params, these are {params.currency}")
        venue = _venue(params)
        if self.venue != venue:
            raise InvalidProof(f"{what}: made for venue {self.venue!r}, these params are {venue!r}'s")
        return AttestedBy(self.custodian, self.key_id, self.sequence, self.moment, self.digest())

    def points(self) -> tuple[Point, dict[str, Point]]:
        """The commitments as group elements, each validated (curve, subgroup, not the identity)."""
        try:
            return _point(self.collateral), {name: _point(text) for name, text in self.positions.items()}
        except InvalidEncoding as error:
            raise InputError(f"attestation by {self.custodian!r}: a commitment is not a valid group element: {error}") from None


def _venue(params: RiskParams) -> str | None:
    return params.epoch.issuer if params.epoch is not None else None


def _point(text: str) -> Point:
    return Point.from_bytes(decode_base64(text))


@dataclass(frozen=True)
class AttestedBy:
    """One checked attestation, as a verified statement reports it."""

    custodian: str
    key_id: str
    sequence: int
    time: datetime
    digest: str

    def describe(self) -> str:
        return f"{self.custodian} (sequence {self.sequence}, {timestamp_text(self.time)})"

    def document(self) -> dict[str, Any]:
        return {"custodian": self.custodian, "key_id": self.key_id, "sequence": self.sequence,
                "time": timestamp_text(self.time), "digest": self.digest}


class Opening(StrictModel):
    value: int
    blinding: BlindingText


class AttestationOpenings(StrictModel, JsonFile):
    """Secret, for the trader: the values and blindings behind one attestation (0600)."""

    json_what = "attestation openings"
    json_indent = 1
    json_secret = True

    format: Literal["zkmargin-attestation-openings"]
    version: Version1
    attestation: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    """The digest of the attestation these open."""
    account: Label
    collateral: Opening
    positions: dict[Label, Opening]


def attest(
    key: SigningKey, params: RiskParams, book: Portfolio, *, sequence: int, time: datetime
) -> tuple[Attestation, AttestationOpenings]:
    """Commit to the book the custodian holds for `book.account`, over the params' whole
    universe, and sign (custodian side). Returns the attestation and the trader's openings.

    A position outside the universe is refused: the custodian attests the whole book or
    nothing, so a losing position can never be left out of a proof. `key` must have the
    role "custody" (`InputError`).
    """
    key.require_role("custody")
    outside = sorted(set(book.positions) - set(params.instruments))
    if outside:
        raise UnknownInstrument(
            f"the book holds {', '.join(map(repr, outside))}, outside the params' universe: "
            "an attestation must cover the whole book"
        )
    account = book.account
    pc_gens = PedersenGens()
    values = {"c": params.cash_units(book), **dict(zip(params.instruments, params.position_vector(book)))}
    blindings = {name: random_scalar() for name in values}
    commitments = {name: encode_base64(pc_gens.commit(value % ORDER, blindings[name]).to_bytes()) for name, value in values.items()}
    unsigned = {
        "format": "zkmargin-attestation", "version": 1, "custodian": key.issuer, "key_id": key.key_id, "account": account, "sequence": sequence,
        "time": timestamp_text(time), "currency": params.currency, "universe_digest": universe_digest(params),
        "money_scale": params.money_scale, "quantity_scale": params.quantity_scale,
        "collateral": commitments.pop("c"), "positions": commitments,
        "signature": encode_base64(bytes(SIGNATURE_BYTES)),
    }
    if params.epoch is not None:
        unsigned["venue"] = params.epoch.issuer
    draft = validate(Attestation, unsigned, "attestation")
    attestation = draft.model_copy(update={"signature": key.sign(draft.message())})
    openings = AttestationOpenings(
        format="zkmargin-attestation-openings",
        version=1,
        attestation=attestation.digest(),
        account=account,
        collateral=Opening(value=values.pop("c"), blinding=format(blindings.pop("c"), "x")),
        positions={name: Opening(value=value, blinding=format(blindings[name], "x")) for name, value in values.items()},
    )
    return attestation, openings
