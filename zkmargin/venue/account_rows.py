"""The ledger's account rows read back, and checked: a row can be swapped or edited in the
database, and a custodian's signature does not say which row it was stored in.

An attested row holds its custodians' attestations verbatim (`accounts.attestation`, a
JSON list); reading it, each must name the row's account, and their per-instrument sum
must be the row's commitments. Otherwise the row is refused (`LedgerError`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import reduce
from operator import add

import zkmargin as zm
from zkmargin.canonical import encode_base64
from zkmargin.errors import LedgerError


@dataclass(frozen=True)
class AccountRow:
    account: str
    commitments: zm.AccountCommitments
    commitments_digest: str
    attestations: tuple[zm.Attestation, ...]
    """The custodians' attestations the commitments are the sum of; empty = self-declared."""
    opened_at: datetime
    updated_at: datetime
    book_version: int
    """How many times the commitments changed since the account opened (schema v4)."""

    @property
    def attested(self) -> bool:
        return bool(self.attestations)

    @property
    def provenance(self) -> str:
        if not self.attestations:
            return "self-declared"
        return "attested by " + ", ".join(f"{a.custodian} (sequence {a.sequence})" for a in self.attestations)


def commitments_digest(commitments: zm.AccountCommitments) -> str:
    return hashlib.sha256(commitments.model_dump_json().encode()).hexdigest()


def book_before(held: zm.AccountCommitments, amounts: Sequence[str]) -> zm.AccountCommitments:
    """`held` with the money movements of `amounts` (signed decimal text, in book order)
    undone, the latest first and one at a time: each fitted the committed cash's fixed point
    when it was applied, their sum need not."""
    book = held
    for amount in reversed(amounts):
        book = book.deposit(-Decimal(amount))
    return book


def account_row(row) -> AccountRow:
    commitments = zm.AccountCommitments.from_json(row.commitments, what=f"commitments of {row.account}")
    attested = stored_attestations(row.attestation, row.account)
    if attested and _attested_sum(attested) != (commitments.collateral, commitments.positions):
        raise LedgerError(
            f"the ledger's commitments for {row.account!r} are not the sum of the attestations it holds for it "
            "(the database was edited): re-anchor it with `zkmargin ledger open`"
        )
    return AccountRow(
        account=row.account,
        commitments=commitments,
        commitments_digest=row.commitments_digest,
        attestations=attested,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        book_version=row.book_version,
    )


def stored_attestations(text: str | None, account: str) -> tuple[zm.Attestation, ...]:
    """The `accounts.attestation` column: NULL, or a JSON list of signed attestations, each
    for `account`."""
    if text is None:
        return ()
    attested = tuple(zm.Attestation.from_json(json.dumps(item), what=f"attestation of {account}") for item in json.loads(text))
    for attestation in attested:
        if attestation.account != account:
            raise LedgerError(
                f"the ledger holds {account!r} as attested by {attestation.custodian!r}, but that attestation is "
                f"for {attestation.account!r} (the database was edited): re-anchor it with `zkmargin ledger open`"
            )
    return attested


def _attested_sum(attested: tuple[zm.Attestation, ...]) -> tuple[str, dict[str, str]]:
    """The per-instrument sums of the attested commitments, encoded as an account file's."""
    points = [attestation.points() for attestation in attested]
    names = set().union(*(positions for _, positions in points))
    try:
        collateral = reduce(add, (c for c, _ in points))
        positions = {name: reduce(add, (p[name] for _, p in points)) for name in names}
    except KeyError:
        return "", {}  # an instrument one custodian attests and another does not: no sum of one book
    return encode_base64(collateral.to_bytes()), {name: encode_base64(p.to_bytes()) for name, p in positions.items()}
