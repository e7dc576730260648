"""`ParamsEpoch`: who publishes a set of `RiskParams` and when they hold.

The block is part of the params, so the issuer's Ed25519 signature (`RiskParams.signature`,
`SignatureText`) covers it with every other field; zkmargin.anchors.signed_params signs and
checks it (docs/trust-model.md).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from zkmargin.canonical import Timestamp, base64_of, parse_timestamp
from zkmargin.formats import Label, StrictModel

SIGNATURE_BYTES = 64
SignatureText = base64_of(SIGNATURE_BYTES, "an Ed25519 signature")


class ParamsEpoch(StrictModel):
    """Who publishes these params and when they hold: signed together with every other field.

    `key_id` names the issuer's Ed25519 key (sha256 of the raw public key, hex); `epoch`
    rises with each set the issuer publishes; the params are valid from `valid_from`
    (inclusive) until `valid_until` (exclusive), UTC.
    """

    issuer: Label
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    epoch: Annotated[int, Field(ge=1, lt=1 << 63)]
    valid_from: Timestamp
    valid_until: Timestamp

    @model_validator(mode="after")
    def _window(self) -> ParamsEpoch:
        if parse_timestamp(self.valid_until) <= parse_timestamp(self.valid_from):
            raise ValueError("valid_until: must be later than valid_from")
        return self
