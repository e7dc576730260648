"""The ledger's tables and the migrations that build them, on SQLAlchemy Core.

Versioning is a one-row `schema_version` table and `MIGRATIONS`, a tuple of functions where
migration k turns version k−1 into version k. `upgrade` applies the missing ones and bumps
the version in ONE transaction (DDL is transactional on both SQLite and PostgreSQL), so a
crash leaves the old schema or the new one. Alembic would add a migration-script directory,
an ini file and an env.py to ship inside the wheel for a schema this small, and its own
version table carries no more than ours; the day branching migrations or autogenerate are
needed, the version number here maps one-to-one onto an Alembic baseline.

Times are stored as UTC (`UtcDateTime`): SQLite keeps no zone, so every value is
normalised on the way in and tagged UTC on the way out.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from datetime import datetime, timezone
from functools import cached_property
from typing import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    exists,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.schema import CreateColumn

from zkmargin.errors import LedgerError
from zkmargin.proofs.account import AccountCommitments
from zkmargin.venue.account_rows import book_before, commitments_digest
from zkmargin.venue.verdicts import INVALID, VALID


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every dialect."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise LedgerError("the ledger stores aware datetimes only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


LABEL = 200
"""Longest account label or movement reference the ledger takes."""

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

accounts = Table(
    "accounts",
    metadata,
    Column("account", String(LABEL), primary_key=True),
    # AccountCommitments as JSON, updated homomorphically by every money movement.
    Column("commitments", Text, nullable=False),
    Column("commitments_digest", String(64), nullable=False),
    # Who vouches for the commitments: NULL = self-declared by the trader; otherwise the
    # custodian's signed attestation document (issue 10), kept verbatim.
    Column("attestation", Text, nullable=True),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Schema v4: how many times the book changed since the account opened (each movement,
    # each re-anchor), so proofs and withdrawals are ordered by the book they saw.
    Column("book_version", Integer, nullable=False, server_default=text("0")),
)

movements = Table(
    "movements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Caller-supplied and unique: a replayed deposit hits the constraint and is refused.
    Column("reference", String(LABEL), nullable=False, unique=True),
    Column("account", String(LABEL), ForeignKey("accounts.account"), nullable=False),
    Column("amount", String(64), nullable=False),  # signed decimal text: exact on every dialect
    Column("commitments_digest", String(64), nullable=False),  # the account's, after this movement
    Column("at", UtcDateTime, nullable=False),  # when it was recorded: for display, never for order
    # Schema v4: the account's book version after this movement (UNIQUE per account). The
    # DEFAULT only lets ALTER TABLE add the column to a filled table, which v4 then numbers.
    Column("book_version", Integer, nullable=False, server_default=text("0")),
)

epochs = Table(
    "epochs",
    metadata,
    Column("epoch", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),  # "margin" (calls follow) or "stress" (a survey)
    Column("params_digest", String(64), nullable=False, unique=True),
    Column("params", Text, nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    # Signed params (schema v2): the issuer and the epoch it signed. Each issuer's signed
    # epochs rise, and one signed epoch number names one params document only.
    Column("issuer", String(LABEL), nullable=True),
    Column("issuer_epoch", Integer, nullable=True),
)

proofs = Table(
    "proofs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("file", Text, nullable=False),
    Column("file_digest", String(64), nullable=False, index=True),  # SHA-256 of the bytes received
    Column("account", String(LABEL), nullable=True, index=True),  # NULL when unreadable
    Column("epoch", Integer, ForeignKey("epochs.epoch"), nullable=True),
    Column("level", String(64), nullable=True),
    Column("threshold", String(64), nullable=True),
    Column("statement", Text, nullable=True),  # the statement as the proof states it, JSON
    Column("status", String(16), nullable=False),  # valid | invalid | bad input
    Column("reason", Text, nullable=True),
    # The account's commitments this proof was checked against: a later movement changes
    # them, and the proof no longer speaks for the account as it stands.
    Column("commitments_digest", String(64), nullable=True),
    Column("superseded", Boolean, nullable=False, default=False),
    Column("received_at", UtcDateTime, nullable=False),
    # Schema v4: the account's book version read with those commitments (NULL with them):
    # a withdrawal with a higher version came after the book this proof speaks for.
    Column("book_version", Integer, nullable=True),
)
# Schema v3, partial UNIQUE indexes (see `_one_valid_row_v3`): two intakes racing on one
# inbox cannot both record a file valid, nor leave an account two current valid proofs.
_VALID = f"status = '{VALID}'"
_CURRENT_VALID = f"{_VALID} AND NOT superseded"
ONE_VALID_ROW_PER_FILE = f"CREATE UNIQUE INDEX proofs_valid_file ON proofs (file_digest) WHERE {_VALID}"
ONE_CURRENT_PROOF = f"CREATE UNIQUE INDEX proofs_current_valid ON proofs (account, epoch, level) WHERE {_CURRENT_VALID}"
current_valid_proof = text(_CURRENT_VALID)
"""A `proofs` row that is an account's current valid proof, spelled as the partial index
`proofs_current_valid` is: SQLite uses a partial index only for a query that repeats its
condition (`superseded IS 0`, SQLAlchemy's spelling, does not), and without it finding the
current proof reads every row naming the account, junk included."""

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(LABEL), ForeignKey("accounts.account"), nullable=False),
    Column("epoch", Integer, ForeignKey("epochs.epoch"), nullable=False),
    Column("level", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("deadline", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # open | met | overdue
    Column("met_by", Integer, ForeignKey("proofs.id"), nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
)


attestations = Table(
    "attestations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(LABEL), ForeignKey("accounts.account"), nullable=False),
    Column("custodian", String(LABEL), nullable=False),
    # Rises per (custodian, account): an attestation at or below the highest one recorded
    # is an old book replayed, and is refused.
    Column("sequence", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("attestation", Text, nullable=False),  # the signed document, verbatim
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("custodian", "account", "sequence"),
)

challenges = Table(
    "challenges",
    metadata,
    Column("challenge", String(64), primary_key=True),
    Column("account", String(LABEL), ForeignKey("accounts.account"), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    # Set once, by the first valid proof that answers it: a second one is a replay.
    Column("used_by", Integer, ForeignKey("proofs.id"), nullable=True),
    Column("used_at", UtcDateTime, nullable=True),
)

signed_epochs = Index("epochs_issuer_epoch", epochs.c.issuer, epochs.c.issuer_epoch, unique=True)
one_movement_per_book_version = Index(
    "movements_account_book_version", movements.c.account, movements.c.book_version, unique=True
)
_LATER_COLUMNS = {  # the columns later migrations add to the tables of version 1
    epochs: (epochs.c.issuer, epochs.c.issuer_epoch),
    accounts: (accounts.c.book_version,),
    movements: (movements.c.book_version,),
    proofs: (proofs.c.book_version,),
}


def _add_columns(connection: Connection, columns: tuple[Column, ...]) -> None:
    for column in columns:
        definition = CreateColumn(column).compile(dialect=connection.dialect)
        connection.exec_driver_sql(f"ALTER TABLE {column.table.name} ADD COLUMN {definition}")


def _create_v1(connection: Connection) -> None:
    """Version 1: the tables as they were, without the columns later versions add."""
    v1 = MetaData()
    for table in (accounts, movements, epochs, proofs, calls):
        later = {column.name for column in _LATER_COLUMNS.get(table, ())}
        Table(table.name, v1, *(column._copy() for column in table.columns if column.name not in later))
    v1.create_all(connection)


def _signed_epochs_attestations_challenges_v2(connection: Connection) -> None:
    """Remember what the trust model says the venue must: signed epochs, attestation
    sequence numbers, and the challenges it issued (docs/trust-model.md)."""
    _add_columns(connection, _LATER_COLUMNS[epochs])
    signed_epochs.create(connection)
    metadata.create_all(connection, tables=[attestations, challenges])


def _one_valid_row_v3(connection: Connection) -> None:
    """One valid row per file's bytes, one current valid proof per account, epoch and level,
    held by the database against racing intakes. Rows two intakes doubled before it are
    settled first as intake would have: of two valid proofs for an account, epoch and level,
    the newer supersedes the older; of two valid rows of the same bytes, the later stands
    and the earlier becomes `invalid`, saying why, and a call it met or a challenge it
    answered points at the later one."""
    valid = proofs.c.status == VALID
    newer = proofs.alias("newer")
    same_standing = (newer.c.account == proofs.c.account) & (newer.c.epoch == proofs.c.epoch) & (
        newer.c.level == proofs.c.level
    )
    connection.execute(
        proofs.update()
        .where(valid, proofs.c.superseded.is_(False), exists().where(same_standing, newer.c.status == VALID, newer.c.id > proofs.c.id))
        .values(superseded=True)
    )
    same_bytes = (newer.c.file_digest == proofs.c.file_digest) & (newer.c.status == VALID) & (newer.c.id > proofs.c.id)
    doubled_row = valid & exists().where(same_bytes)
    doubled = select(proofs.c.id).where(doubled_row)
    for table, reference in ((calls, calls.c.met_by), (challenges, challenges.c.used_by)):
        # a call met (a challenge answered) by the row about to be invalid points at the copy that stands
        survivor = select(func.max(newer.c.id)).where(
            newer.c.status == VALID,
            newer.c.file_digest == select(proofs.c.file_digest).where(proofs.c.id == reference).scalar_subquery(),
        )
        connection.execute(table.update().where(reference.in_(doubled)).values({reference.name: survivor.scalar_subquery()}))
    connection.execute(
        proofs.update()
        .where(doubled_row)
        .values(status=INVALID, reason="the same bytes were recorded valid again by an intake running at the same time")
    )
    connection.exec_driver_sql(ONE_VALID_ROW_PER_FILE)
    connection.exec_driver_sql(ONE_CURRENT_PROOF)


def _book_versions_v4(connection: Connection) -> None:
    """Order proofs and withdrawals by the account's book version instead of timestamps.
    Existing movements are numbered per account in the order they were recorded, and each
    account's version is its count of movements. Each proof checked against an account's
    commitments gets the version of the book it names: the one whose digest is the proof's
    (a movement records the digest of the book it left, the account row the one held now,
    and version 0 is the opening book: the held one with every movement undone). Timestamps
    only choose among versions of equal digests (a withdrawal and an equal deposit bring a
    book back): the one nearest the count of movements recorded before the proof was
    received, the earlier on a tie; a proof whose digest names no version (a re-anchor,
    which no movement recorded) gets that count, as schema v3 ordered it.

    Each table is read once and numbered here, then written back in one batch per table
    (`executemany` by primary key): the work grows with the history, not with its square,
    in the transaction that holds the whole ledger."""
    _add_columns(connection, _LATER_COLUMNS[accounts] + _LATER_COLUMNS[movements] + _LATER_COLUMNS[proofs])
    books = {
        row.account: _BookHistory(row.account, row.commitments, row.commitments_digest)
        for row in connection.execute(select(accounts.c.account, accounts.c.commitments, accounts.c.commitments_digest))
    }
    recorded = select(movements.c.id, movements.c.account, movements.c.amount, movements.c.commitments_digest, movements.c.at)
    for move in connection.execute(recorded.order_by(movements.c.id)):
        books[move.account].moves.append(move)
    _write_back(connection, movements.c.id, movements.c.book_version, [
        dict(key=move.id, version=version) for book in books.values() for version, move in enumerate(book.moves, start=1)
    ])
    _write_back(connection, accounts.c.account, accounts.c.book_version, [
        dict(key=name, version=len(book.moves)) for name, book in books.items() if book.moves
    ])
    checked = select(proofs.c.id, proofs.c.account, proofs.c.commitments_digest, proofs.c.received_at).where(
        proofs.c.commitments_digest.is_not(None)
    )
    unknown = _BookHistory(None, None, None)  # a proof naming no account the ledger holds: no movement came before it
    _write_back(connection, proofs.c.id, proofs.c.book_version, [
        dict(key=proof.id, version=books.get(proof.account, unknown).version_of(proof.commitments_digest, proof.received_at))
        for proof in connection.execute(checked)
    ])
    one_movement_per_book_version.create(connection)


def _write_back(connection: Connection, key: Column, version: Column, rows: list[dict]) -> None:
    """Set `version` to each row's "version" where `key` is its "key": one executemany."""
    if rows:
        statement = key.table.update().where(key == bindparam("key")).values({version.name: bindparam("version")})
        connection.execute(statement, rows)


class _BookHistory:
    """One account as schema v3 left it: the commitments held now and its movements as
    recorded, from which v4 reads which book version each of its proofs was checked against."""

    def __init__(self, account: str | None, held: str | None, held_digest: str | None) -> None:
        self.account, self.held, self.held_digest = account, held, held_digest
        self.moves: list = []  # in the order recorded: version k is the k-th

    @cached_property
    def _versions_by_digest(self) -> dict[str, list[int]]:
        """Digest → the versions 1…n whose book it is (n, the held one, by the account row)."""
        found: dict[str, list[int]] = defaultdict(list)
        for version, move in enumerate(self.moves[:-1], start=1):
            found[move.commitments_digest].append(version)
        found[self.held_digest].append(len(self.moves))
        return found

    @cached_property
    def _stamps(self) -> list[datetime]:
        return sorted(move.at for move in self.moves)

    @cached_property
    def _opening_digest(self) -> str:
        held = AccountCommitments.from_json(self.held, what=f"commitments of {self.account}")
        return commitments_digest(book_before(held, [move.amount for move in self.moves]))

    def version_of(self, proved: str, received_at: datetime) -> int:
        """The book version a proof of the book with digest `proved`, received at `received_at`, was checked against."""
        stamped_before = bisect_left(self._stamps, received_at)
        candidates = list(self._versions_by_digest.get(proved, ()))
        if self.moves and proved == self._opening_digest:
            candidates.insert(0, 0)
        if not candidates:
            return stamped_before
        return min(candidates, key=lambda version: (abs(version - stamped_before), version))


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    _create_v1, _signed_epochs_attestations_challenges_v2, _one_valid_row_v3, _book_versions_v4,
)
VERSION = len(MIGRATIONS)


def stored_version(connection: Connection) -> int:
    """The schema version of the database behind `connection`; 0 when never initialised."""
    if not inspect(connection).has_table("schema_version"):
        return 0
    return connection.execute(select(schema_version.c.version)).scalar_one_or_none() or 0


def upgrade(connection: Connection) -> tuple[int, int]:
    """Bring the schema to `VERSION` inside the caller's transaction; (from, to)."""
    metadata.create_all(connection, tables=[schema_version])
    found = stored_version(connection)
    if found > VERSION:
        raise LedgerError(f"the ledger has schema version {found}; this zkmargin knows up to {VERSION}")
    for migration in MIGRATIONS[found:]:
        migration(connection)
    if found == 0:
        connection.execute(schema_version.insert().values(version=VERSION))
    else:
        connection.execute(schema_version.update().values(version=VERSION))
    return found, VERSION
