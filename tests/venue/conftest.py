"""A throwaway PostgreSQL 15 server for the session, and a fresh database per test.

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
