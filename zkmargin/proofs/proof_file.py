"""Proof file v1: the JSON a trader sends and a venue verifies.

```json
{"format": "zkmargin-proof", "version": 1,
 "statement": {"account": "alice", "model": "span", "level": "maintenance", "threshold": "0",
               "currency": "USD", "params_digest": "…", "limb_bits": 32,
               "issuer": "venue-a", "epoch": 7,          signed params only
               "challenge": "<64 hex digits>",           when the verifier asked for one
               "circuit_digest": "<64 hex digits>",      the circuit proved (absent in older proofs)
               "buckets": 4},                            isolated buckets (padded), when more than one
 "commitments": ["<base64 48-byte point>", …],        one per circuit variable, in order
 "limb_commitments": ["<base64 48-byte point>", …],   one per 64-bit range item (its high limb)
 "range_proof": "<base64>",
 "attestations": [<attestation>, …]}               custodian-attested books only

The statement then also names the attestations' digests ("attestations": ["<hex>", …]).
```

It holds no quantity and no per-position data: the commitments cover the whole public
universe, so the file's size depends on the universe and the model only. Loading is strict
(unknown fields, versions, bad base64 or lengths are `MalformedProof`); whether the points
and the proof are valid is the verifier's business.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from zkmargin.anchors.attestation import MAX_COMMITTED, Attestation, PointText
from zkmargin.canonical import decode_base64, encode_base64
from zkmargin.errors import InputError, InvalidEncoding, InvalidProof, MalformedProof
from zkmargin.formats import (
    Currency,
    JsonFile,
    Label,
    NotNull,
    StrictModel,
    Version1,
    first_error_only,
)
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.range_proof import RangeProof
from zkmargin.hazmat.range_proof_parts import RangeProofParts, decode_range_proof
from zkmargin.proofs.circuit import LIMB_BITS
from zkmargin.proofs.statement import (
    THRESHOLD_DIGITS,
    Statement,
    check_challenge,
    read_threshold,
)

MAX_ATTESTATIONS = 64
"""Custodians one book may be attested by (one attestation each); every one costs the
verifier a signature check and a sum over the universe."""


def _proof_text(text: str) -> str:
    decode_base64(text)
    return text




def _threshold_text(text: str) -> str:
    read_threshold(text)  # InputError is a ValueError, which pydantic reports
    return text


def _challenge_text(text: str | None) -> str | None:
    return None if text is None else check_challenge(text)


class _StatementModel(StrictModel):
    """What the proof claims, in public: the account meets `level` of `model` under the params
    with digest `params_digest`, with equity above the requirement by at least `threshold`."""

    account: Label = Field(description="The account the claim is about.")
    model: Label = Field(description="The margin model of the params (e.g. span).")
    level: Label = Field(description="The margin level met (e.g. maintenance, initial).")
    threshold: Annotated[str, StringConstraints(max_length=2 * THRESHOLD_DIGITS + 1), AfterValidator(_threshold_text)] = Field(
        description="Excess of equity over the requirement the proof shows, at least (decimal text, currency units)."
    )
    # Patterns, not free text: a refused file's statement is quoted back (intake rows, errors).
    currency: Currency = Field(description="The params' currency (ISO 4217 code): the threshold is in it.")
    params_digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="SHA-256 (hex) of the params the claim is under (RiskParams.digest)."
    )
    limb_bits: int = Field(description="Bits of each range-proof limb (32).")
    issuer: Annotated[Label | None, NotNull] = Field(None, description="Who signed the params; absent for unsigned params.")
    epoch: Annotated[int | None, NotNull, Field(ge=1, lt=1 << 63)] = Field(
        None, description="The signed params' epoch number; absent for unsigned params."
    )
    challenge: Annotated[str | None, NotNull, AfterValidator(_challenge_text)] = Field(
        None, description="The verifier's nonce the proof answers (hex); absent when none was asked."
    )
    # Absent, never empty: `[]` would be a second text of a self-declared proof.
    attestations: Annotated[
        first_error_only(list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]], MAX_ATTESTATIONS) | None,
        NotNull, Field(min_length=1),
    ] = Field(
        None, description="Digests of the custodian attestations whose sum the committed book is; absent: self-declared."
    )
    # Absent in proofs made before it was recorded; those verify as before.
    circuit_digest: Annotated[str | None, NotNull, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        None, description="SHA-256 (hex) of the circuit the proof was made for."
    )
    # Absent for one bucket, never 1: `"buckets": 1` would be a second text of a cross-margin proof.
    buckets: Annotated[int | None, NotNull, Field(ge=2, lt=1 << 63)] = Field(
        None, description="Isolated buckets (padding included) that each meet the claim; absent: cross margin."
    )


class MarginProof(StrictModel, JsonFile):
    """proof.json: a margin proof as stored on disk; `zkmargin verify` checks it against the params.

    `load`, `from_json`, `to_json`, `save` and `json_schema` come from `JsonFile`; anything
    unreadable or malformed is `MalformedProof`.
    """

    json_what = "proof"
    json_indent = 1
    json_error = MalformedProof
    # The document, its statement, the statement's attestation digests, the two point lists
    # and the attestations, and each attestation with its positions.
    json_most_containers = 6 + 2 * MAX_ATTESTATIONS
    json_bytes_per_key = 32  # an attestation's position ("label": 64 base64 characters) spends 70 or more

    # No defaults: a file without them would be a second text of the same proof.
    format: Literal["zkmargin-proof"] = Field(description="Always zkmargin-proof.")
    version: Version1 = Field(description="Version of the file format: 1.")
    statement: _StatementModel = Field(description="The public claim the proof shows.")
    commitments: first_error_only(list[PointText], MAX_COMMITTED) = Field(
        description="Pedersen commitments to the book (cash, then each instrument's quantity) and the witnesses, base64."
    )
    limb_commitments: first_error_only(list[PointText], MAX_COMMITTED) = Field(
        description="A commitment to the high 32-bit limb of each 64-bit range item, base64."
    )
    range_proof: Annotated[str, AfterValidator(_proof_text)] = Field(
        description="The aggregated Bulletproofs range proof (one or more parts back to back), base64."
    )
    attestations: Annotated[first_error_only(list[Attestation], MAX_ATTESTATIONS) | None, NotNull, Field(min_length=1)] = Field(
        None, description="The custodian attestations the book is the sum of (public commitments, signed)."
    )

    @classmethod
    def build(
        cls,
        statement: Statement,
        commitments: list[bytes],
        limb_commitments: list[bytes],
        proof: RangeProof | RangeProofParts,
        attestations: list[Attestation] | None = None,
    ) -> "MarginProof":
        anchored = {"attestations": attestations} if attestations else {}
        return cls(
            **anchored,
            format="zkmargin-proof",
            version=1,
            statement=_StatementModel(**statement.to_dict()),
            commitments=[encode_base64(c) for c in commitments],
            limb_commitments=[encode_base64(c) for c in limb_commitments],
            range_proof=encode_base64(proof.to_bytes()),
        )

    @property
    def account(self) -> str:
        return self.statement.account

    @property
    def model(self) -> str:
        return self.statement.model

    @property
    def level(self) -> str:
        return self.statement.level

    @property
    def threshold(self) -> Decimal:
        return Decimal(self.statement.threshold)

    @property
    def params_digest(self) -> str:
        return self.statement.params_digest

    @property
    def buckets(self) -> int:
        """Isolated buckets the proof claims (padded; 1: cross margin)."""
        return self.statement.buckets or 1

    @property
    def size(self) -> int:
        """Bytes of the range proof itself (the commitments come on top)."""
        return len(self.range_proof_bytes)

    @property
    def range_proof_bytes(self) -> bytes:
        return base64.b64decode(self.range_proof)

    @property
    def commitment_bytes(self) -> list[bytes]:
        return [base64.b64decode(c) for c in self.commitments]

    @property
    def limb_commitment_bytes(self) -> list[bytes]:
        return [base64.b64decode(c) for c in self.limb_commitments]

    def to_statement(self) -> Statement:
        """The statement as the verifier must read it: the threshold parsed and checked."""
        try:
            threshold = read_threshold(self.statement.threshold)
        except InputError as error:
            raise MalformedProof(f"statement.{error}") from None
        fields = self.statement.model_dump()
        fields["threshold"] = threshold
        fields["attestations"] = tuple(fields["attestations"] or ())
        fields["buckets"] = fields["buckets"] or 1
        return Statement(**fields)

    def decode(self, limbs: int) -> tuple[list[Point], list[Point], RangeProof | RangeProofParts]:
        """Every point validated (curve, subgroup, not the identity) and the range proof of
        `limbs` values parsed (one proof, or parts: hazmat/range_proof_parts.py)."""
        try:
            commitments = [Point.from_bytes(raw) for raw in self.commitment_bytes]
            high_limbs = [Point.from_bytes(raw) for raw in self.limb_commitment_bytes]
        except InvalidEncoding as error:
            raise InvalidProof(f"a commitment is not a valid group element: {error}") from None
        return commitments, high_limbs, decode_range_proof(self.range_proof_bytes, LIMB_BITS, limbs)
