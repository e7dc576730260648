"""Signed params epochs: the venue signs what it publishes, for a stated time.

The signed message is

    m = "zkmargin params signature v1" ‖ 0x00 ‖ SHA-256(canonical params)

where the canonical params (`RiskParams.canonical_bytes`) hold every field but the
signature, the `epoch` block included: issuer, key id, epoch number and validity window.
Changing any number, name or date changes the digest, so the signature no longer verifies.
A proof's statement names the params digest, issuer and epoch, so a proof made under one
epoch never verifies under another (docs/trust-model.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from zkmargin.anchors.keys import SigningKey, Trust
from zkmargin.canonical import parse_timestamp, timestamp_text
from zkmargin.engine.params import RiskParams
from zkmargin.engine.params_epoch import ParamsEpoch
from zkmargin.errors import (
    ALLOW_UNSIGNED_ADVICE,
    InputError,
    StaleAnchor,
    UntrustedSignature,
)

PARAMS_SIGNATURE_DOMAIN = b"zkmargin params signature v1\x00"

CLOCK_SKEW = timedelta(minutes=5)
"""How far a signer's clock may run ahead of the verifier's: a custodian's attestation dated
further ahead is refused as future-dated (one dated a year ahead would otherwise pass every
age gate), and params are accepted this long before their window opens."""


def params_message(params: RiskParams) -> bytes:
    """What the issuer's key signs: the domain tag, then the 32-byte params digest."""
    return PARAMS_SIGNATURE_DOMAIN + bytes.fromhex(params.digest())


def sign_params(
    params: RiskParams, key: SigningKey, *, epoch: int, valid_from: datetime, valid_for: timedelta
) -> RiskParams:
    """`params` stamped with `key`'s issuer, the epoch and window, and signed; `InputError`
    unless `key` has the role "params"."""
    key.require_role("params")
    if valid_for <= timedelta(0):
        raise InputError("valid-for: must be a positive duration")
    stamped = params.model_copy(
        update={
            "epoch": ParamsEpoch(
                issuer=key.issuer,
                key_id=key.key_id,
                epoch=epoch,
                valid_from=timestamp_text(valid_from),
                valid_until=timestamp_text(valid_from + valid_for),
            ),
            "signature": None,
        }
    )
    # model_copy skips validation: rebuild so the epoch block is checked like a loaded file.
    stamped = RiskParams(**stamped.document())
    return RiskParams(**stamped.document(), signature=key.sign(params_message(stamped)))


def aware_now(now: datetime | None) -> datetime:
    """`now`, or the current UTC time; a naive datetime (`datetime.utcnow()`) is refused
    rather than compared with the aware validity window (a TypeError)."""
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError("now: give a timezone-aware datetime (e.g. datetime.now(timezone.utc)), not a naive one")
    return now


@dataclass(frozen=True)
class ParamsAuthority:
    """Who signed the params and for when: the part of a verified statement they anchor."""

    issuer: str
    key_id: str
    epoch: int
    valid_from: datetime
    valid_until: datetime


def check_params(
    params: RiskParams, trust: Trust, *, now: datetime | None = None, allow_unsigned: bool = False
) -> ParamsAuthority | None:
    """The params' authority, after checking the signature against `trust` and the window.

    Unsigned params are `UntrustedSignature` unless `allow_unsigned` (then `None`), and always
    when they carry an epoch block (an unsigned claim of who published them); a bad or
    untrusted signature is `UntrustedSignature`; outside [valid_from − CLOCK_SKEW, valid_until) is
    `StaleAnchor`.

    The window opens `CLOCK_SKEW` early, as attestations' dates are read: the venue signs
    `valid_from` by its own clock, often "now", and a signing host a few seconds ahead must
    not block publishing and every trader until the verifier's clock catches up. The expiry
    stays strict: `valid_until` is the issuer's promise of how long these numbers may be
    relied on, after which a new epoch is expected (a crash repriced); stretching it by a
    verifier's slow clock would let stale risk numbers stand, while a fast clock only makes
    a trader fetch the new epoch minutes earlier. So skew can admit params early, never late.
    """
    if params.epoch is not None and params.signature is None:
        # An epoch block names an issuer; nobody signed that attribution, so no flag accepts it.
        raise UntrustedSignature(
            f"params: name epoch {params.epoch.epoch} of {params.epoch.issuer!r} but carry no signature"
        )
    if params.epoch is None or params.signature is None:
        if allow_unsigned and params.signature is None:
            return None
        raise UntrustedSignature(
            f"params: not signed; ask the venue for signed params, {ALLOW_UNSIGNED_ADVICE}"
        )
    stamp = params.epoch
    trust.require(stamp.key_id, stamp.issuer, params.signature, params_message(params), "params", role="params")
    now = aware_now(now)
    valid_from, valid_until = parse_timestamp(stamp.valid_from), parse_timestamp(stamp.valid_until)
    if now < valid_from - CLOCK_SKEW:
        raise StaleAnchor(f"params: epoch {stamp.epoch} of {stamp.issuer!r} is valid only from {stamp.valid_from}")
    if now >= valid_until:
        raise StaleAnchor(f"params: epoch {stamp.epoch} of {stamp.issuer!r} expired at {stamp.valid_until}")
    return ParamsAuthority(stamp.issuer, stamp.key_id, stamp.epoch, valid_from, valid_until)


def require_params_role(params: RiskParams, trust: Trust) -> None:
    """Refuse signed params whose signing key `trust` holds, but not with the params role (a
    custodian's key, or a venue key re-scoped to custody since it signed). Keys `trust` does
    not hold are left to whoever published the params (a ledger checks them at publish)."""
    stamp = params.epoch
    if stamp is None or params.signature is None or stamp.key_id not in trust:
        return
    trust.require(stamp.key_id, stamp.issuer, params.signature, params_message(params), "params", role="params")
