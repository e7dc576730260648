"""The venue's system of record: accounts, money movements and params epochs in one database.

`Ledger(url)` opens SQLite (a path, default `zkmargin.db`) or PostgreSQL
(`postgresql://…`, through psycopg 3); `$ZKMARGIN_DB` supplies the URL when none is given.
Every write is one transaction (database.py: SQLite's `BEGIN IMMEDIATE` queues writers);
PostgreSQL locks the account row (`SELECT … FOR UPDATE`) before moving its money. Each
movement raises the account's book version by one while it holds that lock, and records
the version it produced: the order of an account's movements is that version, not their
timestamps (taken before the lock is granted).

A money movement carries a caller-supplied reference, unique in the database: the same
deposit sent twice (a retry, a replayed script) is refused, never credited twice.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

import zkmargin as zm
from zkmargin.anchors.signed_params import CLOCK_SKEW
from zkmargin.canonical import parse_timestamp
from zkmargin.errors import LedgerError, OutOfOrder, ReplayedMovement
from zkmargin.formats import check_label
from zkmargin.units import number_argument, plain
from zkmargin.venue import schema
from zkmargin.venue.account_rows import AccountRow, account_row, commitments_digest
from zkmargin.venue.database import (
    LOST_RACE,
    ConflictingWrite,
    database_url,
    engine_for,
    first_line,
    now_utc,
)
from zkmargin.venue.schema import accounts, epochs, movements


@dataclass(frozen=True)
class Movement:
    reference: str
    account: str
    amount: Decimal  # signed: a withdrawal is negative
    at: datetime


@dataclass(frozen=True)
class Epoch:
    epoch: int
    kind: str
    params_digest: str
    published_at: datetime
    params_json: str

    def params(self) -> zm.RiskParams:
        return _parsed_params(self.params_json, self.epoch)

    def signed_window(self) -> tuple[datetime, datetime, str] | None:
        """[valid_from, valid_until) of signed params, and who signed them; None when unsigned."""
        stamp = self.params().epoch
        if stamp is None:
            return None
        return parse_timestamp(stamp.valid_from), parse_timestamp(stamp.valid_until), f"epoch {stamp.epoch} of {stamp.issuer!r}"


@functools.lru_cache(maxsize=4)
def _parsed_params(params_json: str, epoch: int) -> zm.RiskParams:
    """The params of an epoch, parsed once per process: a monitor run asks for the current
    epoch's several times (its window, its levels, standing at each level settled), and a
    large risk-array file takes a while to validate. RiskParams are immutable."""
    return zm.RiskParams.from_json(params_json, what=f"params of epoch {epoch}")


def outside_window(window: tuple[datetime, datetime, str] | None, at: datetime) -> str | None:
    """Why proofs under params with this `Epoch.signed_window` are refused at `at` (signed
    params outside their validity window), or None. The window opens `CLOCK_SKEW` early, as
    `check_params` opens it for the prover, and closes on time."""
    if window is None or window[0] - CLOCK_SKEW <= at < window[1]:
        return None
    valid_from, valid_until, signed = window
    if at < valid_from - CLOCK_SKEW:
        return f"params {signed}, valid only from {valid_from:%Y-%m-%d %H:%M:%S} UTC"
    return f"params {signed}, which expired at {valid_until:%Y-%m-%d %H:%M:%S} UTC"


class Ledger:
    """One database; every method is one transaction."""

    def __init__(self, target: str | os.PathLike | None = None) -> None:
        self.url = database_url(target)
        self.engine = engine_for(self.url)

    def __repr__(self) -> str:
        return f"Ledger({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self, *, initialised: bool = True) -> Iterator[Connection]:
        """A connection inside one transaction; database failures become `LedgerError`."""
        if initialised and self._missing_file():
            raise LedgerError(
                f"no ledger at {self.engine.url.database}: run `zkmargin ledger init`, or name the "
                "venue's ledger with --db PATH|URL (or $ZKMARGIN_DB)"
            )
        try:
            with self.engine.begin() as connection:
                if initialised:
                    found = schema.stored_version(connection)
                    if found != schema.VERSION:
                        raise LedgerError(
                            f"the ledger at {self.engine.url.render_as_string(hide_password=True)} has schema "
                            f"version {found}, this zkmargin needs {schema.VERSION}: run `zkmargin ledger init`"
                        )
                yield connection
        except IntegrityError as error:
            raise ConflictingWrite(f"another writer got there first ({first_line(error)}); run the command again") from None
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) in LOST_RACE:
                raise ConflictingWrite(f"another writer got in the way ({first_line(error)}); run the command again") from None
            raise LedgerError(f"database error: {first_line(error)}") from None

    def _missing_file(self) -> bool:
        """A SQLite path that does not exist (connecting would create an empty file there)."""
        url = self.engine.url
        return url.get_backend_name() == "sqlite" and bool(url.database) and not Path(url.database).exists()

    def init(self) -> tuple[int, int]:
        """Create or upgrade the schema; (version found, version now)."""
        if self._missing_file():
            directory = Path(self.engine.url.database).parent
            if not directory.is_dir():
                raise LedgerError(f"no such directory: {directory}")
        with self.transaction(initialised=False) as connection:
            return schema.upgrade(connection)

    # -- accounts ---------------------------------------------------------------------------

    def open_account(self, commitments: zm.AccountCommitments, *, now: datetime | None = None) -> bool:
        """Import an account's self-declared commitments; False when the same ones are already
        there. (`venue.anchoring.open_attested` opens an account on custodians' attestations.)"""
        schema_check_label(commitments.account, "account")
        digest = commitments_digest(commitments)
        at = now or now_utc()
        with self.transaction() as connection:
            found = connection.execute(
                select(accounts.c.commitments_digest).where(accounts.c.account == commitments.account)
            ).scalar_one_or_none()
            if found == digest:
                return False
            if found is not None:
                # Usually the trader's account.json from before the ledger moved money: the
                # ledger's copy is the current one, and an account label names one book.
                raise LedgerError(
                    f"account {commitments.account!r} is already open with other commitments (deposits and "
                    "withdrawals move the ledger's copy: `zkmargin ledger export ACCOUNT -o FILE` writes it); a new book needs a new account label"
                )
            connection.execute(
                accounts.insert().values(
                    account=commitments.account,
                    commitments=commitments.to_json(),
                    commitments_digest=digest,
                    attestation=None,
                    opened_at=at,
                    updated_at=at,
                )
            )
        return True

    def account(self, name: str) -> AccountRow:
        with self.transaction() as connection:
            return _account_row(connection, name)

    def accounts(self) -> list[AccountRow]:
        with self.transaction() as connection:
            rows = connection.execute(select(accounts).order_by(accounts.c.account)).all()
        return [account_row(row) for row in rows]

    def export_account(self, name: str, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the account's current commitments as account.json (atomically)."""
        self.account(name).commitments.save(path, overwrite=overwrite)
        return Path(path)

    # -- money ------------------------------------------------------------------------------

    def deposit(self, account: str, amount: Decimal, reference: str, *, now: datetime | None = None) -> Movement:
        return self._move(account, _positive(amount), reference, now)

    def withdraw(self, account: str, amount: Decimal, reference: str, *, now: datetime | None = None) -> Movement:
        return self._move(account, -_positive(amount), reference, now)

    def _move(self, account: str, amount: Decimal, reference: str, now: datetime | None) -> Movement:
        schema_check_label(reference, "reference")
        try:
            with self.transaction() as connection:
                _refuse_replay(connection, reference)
                row = _account_row(connection, account, lock=True)
                if row.attested:
                    raise LedgerError(
                        f"{account}'s book is {row.provenance}: its money moves at the custodian, which "
                        "attests again; import the new attestation with `zkmargin ledger open`"
                    )
                at = now or now_utc()  # once the row is ours: movements of an account are stamped in book order
                moved = row.commitments.deposit(amount)
                amount = plain(amount)  # bounded now: it fits the committed cash's fixed point
                digest = commitments_digest(moved)
                version = row.book_version + 1
                connection.execute(
                    movements.insert().values(
                        reference=reference, account=account, amount=str(amount), commitments_digest=digest, at=at,
                        book_version=version,
                    )
                )
                connection.execute(
                    accounts.update()
                    .where(accounts.c.account == account)
                    .values(commitments=moved.to_json(), commitments_digest=digest, updated_at=at, book_version=version)
                )
        except ConflictingWrite:
            # Another process recorded the same reference between our check and our insert.
            with self.transaction() as connection:
                _refuse_replay(connection, reference)
            raise
        return Movement(reference, account, amount, at)

    def movements(self, account: str | None = None) -> list[Movement]:
        query = select(movements).order_by(movements.c.id)
        if account is not None:
            query = query.where(movements.c.account == account)
        with self.transaction() as connection:
            rows = connection.execute(query).all()
        return [Movement(row.reference, row.account, Decimal(row.amount), row.at) for row in rows]

    # -- params epochs ----------------------------------------------------------------------

    def publish(
        self, params: zm.RiskParams, *, kind: str = "margin", now: datetime | None = None, new_issuer: bool = False
    ) -> tuple[Epoch, bool]:
        """Record `params` as the next epoch; (epoch, True) or, when already published, (it, False).

        Signed params must move their issuer's signed epoch forward: an older epoch, or a
        second params document under an epoch number already published, is `OutOfOrder`.
        One issuer signs a ledger's params: the one of the latest signed epoch, unless
        `new_issuer` hands the ledger over (the venue's signing identity changed). A trust
        set may hold other venues' params keys, which must not set this ledger's margin epoch;
        nor may unsigned params follow a signed epoch, unless `new_issuer` says the venue
        leaves signed params behind.
        (Checking the signature itself is the caller's: `zkmargin ledger publish --trust`;
        intake then refuses proofs under params whose key its trust set holds for custody
        only, as after a key is re-scoped.)
        """
        if kind not in ("margin", "stress"):
            raise LedgerError(f"unknown epoch kind {kind!r}: margin or stress")
        digest = params.digest()
        stamp = params.epoch if params.signature is not None else None
        with self.transaction() as connection:
            found = connection.execute(select(epochs).where(epochs.c.params_digest == digest)).one_or_none()
            if found is not None:
                if found.kind != kind:
                    raise LedgerError(f"these params are already epoch {found.epoch}, published as {found.kind}")
                return _as_epoch(found), False
            if stamp is None:
                if not new_issuer:
                    _require_unsigned_ledger(connection)
            else:
                if not new_issuer:
                    _require_the_ledgers_issuer(connection, stamp)
                _require_later_epoch(connection, stamp)
            number = (connection.execute(select(func.max(epochs.c.epoch))).scalar_one() or 0) + 1
            values = dict(
                epoch=number, kind=kind, params_digest=digest, params=params.to_json(), published_at=now or now_utc(),
                issuer=stamp.issuer if stamp else None, issuer_epoch=stamp.epoch if stamp else None,
            )
            connection.execute(epochs.insert().values(**values))
        return _as_epoch(values), True

    def epochs(self) -> list[Epoch]:
        with self.transaction() as connection:
            rows = connection.execute(select(epochs).order_by(epochs.c.epoch)).all()
        return [_as_epoch(row) for row in rows]

    def current_epoch(self, kind: str = "margin") -> Epoch:
        """The latest epoch of `kind`; `LedgerError` when none was published."""
        with self.transaction() as connection:
            row = connection.execute(
                select(epochs).where(epochs.c.kind == kind).order_by(epochs.c.epoch.desc()).limit(1)
            ).one_or_none()
        if row is None:
            raise LedgerError(f"no {kind} params published yet: run `zkmargin ledger publish --params …`")
        return _as_epoch(row)


def schema_check_label(text: str, what: str) -> None:
    """An account or reference spelled as labels are (one spelling: `w-1` and ` w-1` are not
    two references), up to the length the column holds."""
    try:
        check_label(text, longest=schema.LABEL)
    except ValueError as error:
        raise LedgerError(f"{what} {text!r} {error}") from None


def _positive(amount: Decimal) -> Decimal:
    # Text is refused as everywhere in the library; a float is read through repr. A Decimal
    # NaN or infinity passes to the refusal below, which names the rule.
    amount = amount if isinstance(amount, Decimal) else number_argument(amount, "amount")
    if not amount.is_finite() or amount <= 0:
        raise LedgerError(f"an amount must be a finite number above 0, not {amount}")
    return amount


def _require_the_ledgers_issuer(connection: Connection, stamp: zm.ParamsEpoch) -> None:
    latest = connection.execute(
        select(epochs.c.epoch, epochs.c.issuer).where(epochs.c.issuer.is_not(None)).order_by(epochs.c.epoch.desc()).limit(1)
    ).one_or_none()
    if latest is not None and latest.issuer != stamp.issuer:
        raise LedgerError(
            f"params: signed by {stamp.issuer!r}, but this ledger's params issuer is {latest.issuer!r} (ledger epoch "
            f"{latest.epoch}); a trusted key is not a params issuer. If the venue now signs as {stamp.issuer!r}, "
            "hand the ledger over with `zkmargin ledger publish --new-issuer` (margin params)"
        )


def _require_unsigned_ledger(connection: Connection) -> None:
    """Unsigned params follow unsigned ones only: once an issuer signs, anybody able to run
    `publish --allow-unsigned` could otherwise set the margin epoch without its key."""
    latest = connection.execute(select(epochs.c.epoch, epochs.c.issuer).order_by(epochs.c.epoch.desc()).limit(1)).one_or_none()
    if latest is not None and latest.issuer is not None:
        raise LedgerError(
            f"params: unsigned, but this ledger's params issuer is {latest.issuer!r} (ledger epoch {latest.epoch}): sign "
            "them (zkmargin params sign), or leave signed params behind deliberately with `zkmargin ledger publish "
            "--new-issuer` (margin params)"
        )


def _require_later_epoch(connection: Connection, stamp: zm.ParamsEpoch) -> None:
    latest = connection.execute(
        select(epochs.c.epoch, epochs.c.issuer_epoch)
        .where(epochs.c.issuer == stamp.issuer)
        .order_by(epochs.c.issuer_epoch.desc())
        .limit(1)
    ).one_or_none()
    if latest is None or latest.issuer_epoch < stamp.epoch:
        return
    if latest.issuer_epoch == stamp.epoch:
        raise OutOfOrder(
            f"{stamp.issuer!r} already published its epoch {stamp.epoch} (ledger epoch {latest.epoch}) with other "
            "params: one signed epoch names one params document; sign the new params as a later epoch"
        )
    raise OutOfOrder(
        f"params: epoch {stamp.epoch} of {stamp.issuer!r} is older than its epoch {latest.issuer_epoch}, already "
        f"published (ledger epoch {latest.epoch}); a superseded epoch is not published again"
    )


def _refuse_replay(connection: Connection, reference: str) -> None:
    seen = connection.execute(select(movements).where(movements.c.reference == reference)).one_or_none()
    if seen is not None:
        raise ReplayedMovement(
            f"reference {reference!r} was already recorded ({seen.amount} for {seen.account} at "
            f"{seen.at:%Y-%m-%d %H:%M:%S} UTC); not applied again"
        )


def _account_row(connection: Connection, name: str, *, lock: bool = False) -> AccountRow:
    query = select(accounts).where(accounts.c.account == name)
    row = connection.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise LedgerError(f"no account {name!r} in the ledger: import it with `zkmargin ledger open`")
    return account_row(row)


def epoch_at(connection: Connection, epoch: int) -> Epoch:
    """Epoch number `epoch` as published."""
    return _as_epoch(connection.execute(select(epochs).where(epochs.c.epoch == epoch)).one())


def _as_epoch(row) -> Epoch:
    get = row.__getitem__ if isinstance(row, dict) else row._mapping.__getitem__
    return Epoch(get("epoch"), get("kind"), get("params_digest"), get("published_at"), get("params"))
