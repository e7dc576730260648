"""The ledger's database connection: SQLite or PostgreSQL URLs, and one transaction per write.

- SQLite runs in WAL mode (readers never block the writer) with a busy timeout, and every
  transaction starts with `BEGIN IMMEDIATE`, so two writers queue instead of both reading
  the same balance and one of them losing its update.
- PostgreSQL's serialization failures and deadlocks, like a uniqueness constraint refusing
  a row, mean another writer won the race: `ConflictingWrite`, and trying again sees its rows.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from zkmargin.errors import LedgerError

DEFAULT_DATABASE = "zkmargin.db"
BUSY_TIMEOUT_SECONDS = 30
"""How long a SQLite writer waits for another one before giving up."""


class ConflictingWrite(LedgerError):
    """A uniqueness constraint, or PostgreSQL's deadlock detector, refused a write that raced
    another writer's; the other one committed, so trying again sees its rows."""


LOST_RACE = ("40001", "40P01")
"""PostgreSQL's serialization failure and deadlock: the transaction lost to another one."""


def first_line(error: DBAPIError) -> str:
    return (str(error.orig) if error.orig is not None else str(error)).strip().splitlines()[0]


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def database_url(target: str | os.PathLike | None = None) -> str:
    """The SQLAlchemy URL for a path or URL, `$ZKMARGIN_DB`, or ./zkmargin.db."""
    target = str(target or os.environ.get("ZKMARGIN_DB") or DEFAULT_DATABASE)
    if not target.isprintable():  # a shell passes bytes that are not UTF-8 as lone surrogates
        raise LedgerError(f"database {target!r}: not a printable UTF-8 path or URL")
    if "://" not in target:
        return f"sqlite:///{target}"
    scheme, rest = target.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return target


def engine_for(url: str) -> Engine:
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise LedgerError(f"cannot use database {url!r}: {error}") from None


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event open transactions (pysqlite's own BEGIN is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
