"""`Policy`: what a verifier requires of a proof beyond its being valid.

A valid proof establishes its own statement — some level, some threshold, some params
epoch, some provenance. A venue's gate wants a particular one: initial margin, an excess of
at least X, params it signed no longer ago than a day, books attested by custodians it
trusts. `verify(proof, params, policy=...)` checks the proof, then the policy; a valid proof
that falls short of the policy is a `PolicyViolation` (an `InvalidProof`) naming the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from zkmargin.anchors.keys import Trust
from zkmargin.anchors.signed_params import (
    CLOCK_SKEW,
    ParamsAuthority,
    aware_now,
    check_params,
)
from zkmargin.engine.params import RiskParams
from zkmargin.errors import InputError, PolicyViolation, StaleAnchor
from zkmargin.proofs.statement import parse_threshold
from zkmargin.validation import require_argument

if TYPE_CHECKING:
    from zkmargin.proofs.verified import VerifiedStatement


@dataclass(frozen=True)
class Policy:
    """A verifier's requirements; every field left at its default requires nothing more.

    - `level`: the proof's level must cover this one for every book (`RiskParams.level_covers`:
      the same level, or one whose factor, add-on rates and strategy rates are all ≥ this one's);
    - `min_excess`: the proved threshold must be ≥ this amount (currency units);
    - `trust`: keys trusted for params and attestations (`Trust.load(paths)`); a list of
      `PublicKey`s is taken as `Trust(keys)`;
    - `allow_unsigned_params`: accept params nobody signed (otherwise refused);
    - `max_params_age`: params signed (valid_from) at most this long ago;
    - `max_attestation_age`: every attestation made at most this long ago;
    - `required_custodians`: these custodians must each have attested part of the book;
    - `attested_only`: refuse self-declared books (no attestation at all).

    An attestation dated more than `CLOCK_SKEW` after `now` is always refused.
    """

    level: str | None = None
    min_excess: Decimal = Decimal(0)
    trust: Trust = field(default_factory=Trust)
    allow_unsigned_params: bool = False
    max_params_age: timedelta | None = None
    max_attestation_age: timedelta | None = None
    required_custodians: frozenset[str] = frozenset()
    attested_only: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_excess", parse_threshold(self.min_excess, "policy: min_excess"))
        if isinstance(self.trust, (list, tuple)):
            object.__setattr__(self, "trust", Trust(self.trust))
        require_argument(
            self.trust, Trust, "Policy(trust=...)", "a Trust (Trust.load(paths), or Trust([PublicKey.load(path)]))"
        )
        for name in ("max_params_age", "max_attestation_age"):
            age = getattr(self, name)
            if age is not None and age <= timedelta(0):
                raise InputError(f"policy: {name} must be a positive duration")
        object.__setattr__(self, "required_custodians", frozenset(self.required_custodians))

    def check_params(self, params: RiskParams, now: datetime | None = None) -> ParamsAuthority | None:
        """The params' verified authority (signature, window and age), or None if unsigned and allowed."""
        now = aware_now(now)
        authority = check_params(params, self.trust, now=now, allow_unsigned=self.allow_unsigned_params)
        if authority is not None and self.max_params_age is not None and now - authority.valid_from > self.max_params_age:
            raise StaleAnchor(
                f"params: epoch {authority.epoch} of {authority.issuer!r} was published at "
                f"{authority.valid_from:%Y-%m-%dT%H:%M:%SZ}, more than {self.max_params_age} ago"
            )
        return authority

    def require(self, verified: VerifiedStatement, params: RiskParams, now: datetime | None = None) -> None:
        """Refuse (`PolicyViolation`) a verified statement that does not give what is required."""
        now = aware_now(now)
        if self.level is not None and not params.level_covers(verified.level, self.level):
            raise PolicyViolation(
                f"the proof is for the {verified.level} level, which does not cover {self.level} under these "
                f"params; the policy requires {self.level}"
            )
        if verified.threshold < self.min_excess:
            raise PolicyViolation(
                f"the proof shows excess ≥ {verified.threshold} {verified.currency}; the policy requires "
                f"≥ {self.min_excess} {verified.currency}"
            )
        attestations = verified.attestations
        if self.attested_only and not attestations:
            raise PolicyViolation("the book is self-declared (no custodian attested it); the policy requires attestations")
        missing = sorted(self.required_custodians - {a.custodian for a in attestations})
        if missing:
            raise PolicyViolation(f"no attestation by {', '.join(map(repr, missing))}, which the policy requires")
        for attestation in attestations:
            if attestation.time > now + CLOCK_SKEW:
                raise PolicyViolation(
                    f"the attestation by {attestation.custodian!r} (sequence {attestation.sequence}) is dated "
                    f"{attestation.time:%Y-%m-%dT%H:%M:%SZ}, in the future"
                )
            if self.max_attestation_age is not None and now - attestation.time > self.max_attestation_age:
                raise PolicyViolation(
                    f"the attestation by {attestation.custodian!r} (sequence {attestation.sequence}) was made "
                    f"at {attestation.time:%Y-%m-%dT%H:%M:%SZ}, more than {self.max_attestation_age} ago"
                )
