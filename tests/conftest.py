"""Shared by the venue and review tests: a throwaway PostgreSQL 15 server for the session, a
fresh database per test, and the venue's files.

PostgreSQL refuses to run as root, and CI runs as root: then initdb and the server run as
`nobody` (runuser) in a private temporary directory it owns. The server listens on a
unix socket in that directory only (no TCP port to collide with anything else on the
machine). Ledger tests take `ledger_url`, parametrized over SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import zkmargin as zm
from zkmargin.venue.ledger import Ledger

PG_BIN = Path("/usr/local/bin")
PG_USER = "zkmargin"
PORT = 5432  # names the socket file only; the server has no TCP listener
_databases = itertools.count(1)


def _server_binary(name: str) -> str:
    found = shutil.which(name) or (str(PG_BIN / name) if (PG_BIN / name).exists() else None)
    if found is None:
        pytest.skip(f"PostgreSQL server binary {name!r} is not installed")
    return found


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


@pytest.fixture(scope="session")
def postgres_server():
    """The SQLAlchemy URL prefix of a running throwaway server (append a database name)."""
    initdb, pg_ctl = _server_binary("initdb"), _server_binary("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="zkm-pg-"))
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        base.chmod(0o755)  # nobody must reach its own directories inside
        for path in (base, socket_dir):
            shutil.chown(path, "nobody")
    log = base / "server.log"
    try:
        _run([initdb, "-D", str(data), "-U", PG_USER, "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
        options = f"-k {socket_dir} -c listen_addresses='' -p {PORT} -F"
        _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"])
        yield f"postgresql+psycopg://{PG_USER}@/{{database}}?host={socket_dir}&port={PORT}"
        _run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty database on the session's server."""
    name = f"ledger_{os.getpid()}_{next(_databases)}"
    admin = create_engine(postgres_server.format(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_server.format(database=name)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "zkmargin.db")
    return request.getfixturevalue("postgres_url")


STRESSED_FUT = [2_000.0, -2_000.0, -6_000.0, 5_000.0]


@pytest.fixture(scope="session")
def venue_files(tmp_path_factory):
    """Params, stressed params, three accounts' public commitments and pinned proofs.

    alice (10,000 cash, one future) proves twice under the params and once under the
    stressed ones; bob proves once; carol (4,000) could prove but has not sent anything.
    """
    from tests.proofs.conftest import portfolio, small_params

    root = tmp_path_factory.mktemp("venue")
    params, stressed = small_params(), small_params(FUT=STRESSED_FUT)
    params.save(root / "params.json")
    stressed.save(root / "stressed.json")
    books = {"alice": portfolio(10_000, account="alice", FUT=1), "bob": portfolio(9_000, account="bob", FUT=-1),
             "carol": portfolio(4_000, account="carol", FUT=1)}
    for name, book in books.items():
        commitments, openings = zm.open_account(book, params)
        commitments.save(root / f"{name}.account.json")
        openings.save(root / f"{name}.openings.json")
    for name, tag in (("alice", "first"), ("alice", "second"), ("bob", "first")):
        openings = zm.AccountOpenings.load(root / f"{name}.openings.json")
        zm.prove(books[name], params, openings=openings).save(root / f"{name}.{tag}.proof.json")
    openings = zm.AccountOpenings.load(root / "alice.openings.json")
    zm.prove(books["alice"], stressed, openings=openings).save(root / "alice.stressed.proof.json")
    return root


@pytest.fixture
def venue(ledger_url, venue_files, tmp_path):
    """A ledger with the params published and alice, bob and carol open; an empty inbox."""
    ledger = Ledger(ledger_url)
    ledger.init()
    ledger.publish(zm.RiskParams.load(venue_files / "params.json"))
    for name in ("alice", "bob", "carol"):
        ledger.open_account(zm.AccountCommitments.load(venue_files / f"{name}.account.json"))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    yield ledger, inbox
    ledger.close()


def deliver(venue_files, inbox, name, as_name=None, mtime=None):
    """Copy a file of `venue_files` into the inbox, optionally renamed and back-dated."""
    target = inbox / (as_name or name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(venue_files / name, target)
    if mtime is not None:
        os.utime(target, (mtime, mtime))
    return target
