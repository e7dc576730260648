"""What the ledger remembers so that anchors cannot be replayed (docs/trust-model.md).

- **Attested accounts.** `open_attested` opens (or re-anchors) an account on custodians'
  attestations: each signature is checked against the trusted keys and the current epoch's
  params (universe, currency, venue), the account's commitments become the per-instrument
  sum, and the attestations are kept verbatim. A custodian's sequence number must rise per
  account: an attestation at or below the highest one recorded for that custodian is an
  old book sent again (`OutOfOrder`), unless it is the very attestation already held.
  A re-anchor names every custodian the ledger holds for the account: a custodian's part
  of the book (a loan, say) leaves only through that custodian's own newer attestation
  (of an empty book, when it holds nothing any more), never by being left out. A
  re-anchor raises the account's book version, even onto the same commitments: a proof
  rests on the attestations it names, so none made before it stands any more. A new
  attestation is refused when dated more than `CLOCK_SKEW` ahead of the ledger's clock or
  more than `max_attestation_age` (default `DEFAULT_MAX_ATTESTATION_AGE`) behind it: the
  sequence numbers only stop a book older than the one this ledger holds.
- **Challenges.** `issue_challenge` hands an account a fresh nonce with an expiry; the
  trader proves with `prove --challenge`, and intake lets the first valid proof that
  answers it consume it (`consume_challenge`). A second proof answering the same challenge
  is a replay and is refused with the first one named.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

import zkmargin as zm
from zkmargin.errors import LedgerError, OutOfOrder
from zkmargin.proofs.attested import check_attestations, summed_commitments
from zkmargin.proofs.policy import CLOCK_SKEW
from zkmargin.venue.account_rows import commitments_digest, stored_attestations
from zkmargin.venue.database import now_utc
from zkmargin.venue.ledger import Ledger, schema_check_label
from zkmargin.venue.schema import accounts, attestations, challenges, proofs

DEFAULT_CHALLENGE_LIFETIME = timedelta(hours=1)
REPLAYED = "replayed"
"""How the reason of a proof refused for answering a consumed challenge begins."""
DEFAULT_MAX_ATTESTATION_AGE = timedelta(days=1)
"""How old a custodian's attestation may be when the ledger first takes it: custodians
attest at least daily, as venues sign params for a day."""


def open_attested(
    ledger: Ledger,
    attested: list[zm.Attestation],
    trust: zm.Trust,
    *,
    now: datetime | None = None,
    max_attestation_age: timedelta = DEFAULT_MAX_ATTESTATION_AGE,
) -> bool:
    """Open `attested`'s account on their sum, or re-anchor it; False when nothing changes.

    All attestations are for one account, at most one per custodian, each signed by a
    trusted custodian key over the current margin epoch's params; a re-anchor names every
    custodian already held. Each attestation not held yet is dated at most `CLOCK_SKEW`
    ahead of `now` and at most `max_attestation_age` before it.
    """
    if max_attestation_age <= timedelta(0):
        raise zm.InputError("max_attestation_age must be a positive duration")
    names = sorted({a.account for a in attested})
    if len(names) != 1:
        raise LedgerError(f"attestations for {', '.join(map(repr, names)) or 'no account'}: open one account at a time")
    account = names[0]
    schema_check_label(account, "account")
    params = ledger.current_epoch().params()
    ordered = sorted(attested, key=lambda a: a.custodian)
    try:
        check_attestations(ordered, params, account, trust)
    except zm.InvalidProof as error:  # here the question is malformed: nothing is being proved
        raise LedgerError(f"cannot open {account!r}: {error.reason}") from None
    commitments = summed_commitments(ordered, params)
    digest = commitments_digest(commitments)
    document = json.dumps([json.loads(a.to_json()) for a in ordered], sort_keys=True)
    at = now or now_utc()
    with ledger.transaction() as connection:
        held = connection.execute(select(accounts).where(accounts.c.account == account).with_for_update()).one_or_none()
        if held is not None and held.commitments_digest == digest and held.attestation == document:
            return False
        current = stored_attestations(held.attestation, account) if held is not None else ()
        _require_every_custodian_held(current, ordered)
        values = dict(commitments=commitments.to_json(), commitments_digest=digest, attestation=document, updated_at=at)
        if held is None:
            connection.execute(accounts.insert().values(account=account, opened_at=at, **values))
        else:  # a new book: proofs checked against the one it replaces lose their standing
            connection.execute(
                accounts.update().where(accounts.c.account == account).values(book_version=held.book_version + 1, **values)
            )
        for attestation in ordered:  # a refusal here rolls the account back too
            if attestation.digest() not in {a.digest() for a in current}:
                _require_recent(attestation, at, max_attestation_age)
                _record_attestation(connection, attestation, at)
    return True


def _require_every_custodian_held(held: tuple[zm.Attestation, ...], new: list[zm.Attestation]) -> None:
    left_out = sorted({a.custodian for a in held} - {a.custodian for a in new})
    if left_out:
        raise LedgerError(
            f"cannot re-anchor {new[0].account!r} without {', '.join(map(repr, left_out))}: the ledger holds its part "
            "of the book, which leaves only through that custodian's newer attestation (of an empty book, if it "
            "holds nothing any more)"
        )


def _require_recent(attestation: zm.Attestation, now: datetime, max_age: timedelta) -> None:
    """Refuse an attestation dated ahead of the ledger's clock, or older than `max_age`."""
    named = f"attestation {attestation.sequence} by {attestation.custodian!r} for {attestation.account!r}"
    made = attestation.moment
    if made > now + CLOCK_SKEW:
        raise LedgerError(f"{named} is dated {attestation.time}, in the future")
    if now - made > max_age:
        raise LedgerError(f"{named} was made at {attestation.time}, more than {max_age} ago; ask the custodian for a fresh one")


def _record_attestation(connection: Connection, attestation: zm.Attestation, at: datetime) -> None:
    """Record an attestation the account does not hold yet; its sequence number must rise."""
    mine = (attestations.c.custodian == attestation.custodian, attestations.c.account == attestation.account)
    latest = connection.execute(select(func.max(attestations.c.sequence)).where(*mine)).scalar_one()
    if latest is not None and attestation.sequence <= latest:
        raise OutOfOrder(
            f"attestation {attestation.sequence} by {attestation.custodian!r} for {attestation.account!r}: the ledger "
            f"already holds its attestation {latest}; sequence numbers rise, so this is an older book sent again"
        )
    connection.execute(
        attestations.insert().values(
            account=attestation.account, custodian=attestation.custodian, sequence=attestation.sequence,
            digest=attestation.digest(), attestation=attestation.to_json(), recorded_at=at,
        )
    )


@dataclass(frozen=True)
class Challenge:
    challenge: str
    account: str
    issued_at: datetime
    expires_at: datetime


def issue_challenge(
    ledger: Ledger, account: str, *, valid_for: timedelta = DEFAULT_CHALLENGE_LIFETIME, now: datetime | None = None
) -> Challenge:
    """A fresh challenge for `account`, stored with its expiry, for `prove --challenge`."""
    if valid_for <= timedelta(0):
        raise zm.InputError("a challenge must be valid for a positive duration")
    at = now or now_utc()
    issued = Challenge(zm.new_challenge(), account, at, at + valid_for)
    with ledger.transaction() as connection:
        if connection.execute(select(accounts.c.account).where(accounts.c.account == account)).first() is None:
            raise LedgerError(f"no account {account!r} in the ledger: import it with `zkmargin ledger open`")
        connection.execute(challenges.insert().values(**asdict(issued)))
    return issued


def consume_challenge(connection: Connection, challenge: str, account: str, proof_id: int, at: datetime) -> str | None:
    """Mark `challenge` used by proof `proof_id`; None, or why the proof must be refused."""
    row = connection.execute(select(challenges).where(challenges.c.challenge == challenge)).one_or_none()
    short = f"{challenge[:16]}…"
    if row is None or row.account != account:
        return f"answers challenge {short}, which the venue never issued to {account!r}"
    if at > row.expires_at:
        return f"answers challenge {short}, which expired at {row.expires_at:%Y-%m-%d %H:%M:%S} UTC"
    # Compare-and-set: of two intakes racing on one challenge, exactly one update matches.
    used = connection.execute(
        challenges.update()
        .where(challenges.c.challenge == challenge, challenges.c.used_by.is_(None))
        .values(used_by=proof_id, used_at=at)
    )
    if used.rowcount == 1:
        return None
    first = connection.execute(
        select(proofs.c.file, challenges.c.used_at).join(proofs, proofs.c.id == challenges.c.used_by)
        .where(challenges.c.challenge == challenge)
    ).one()
    return (
        f"{REPLAYED}: challenge {short} was already answered by {first.file} at {first.used_at:%Y-%m-%d %H:%M:%S} UTC; "
        "a challenge is consumed once"
    )
