"""Proof intake: verify every proof file received and record one row per file.

`submit(ledger, paths)` takes files and directories (walked recursively, hidden entries
skipped) and records each file as

- `valid` — the proof verifies against its epoch's params and the account's commitments
  as the ledger holds them now;
- `invalid` (reason) — it does not, or the ledger holds no such account;
- `bad input` (reason) — unreadable, not a proof, or made for params never published.

A bad file costs only its own row: files are parsed one by one and the verifiable ones
checked in one batch per epoch, which bisects so every bad proof is named. The files go
in chunks of `chunk` and each chunk's rows are written in one transaction, so a crash
loses at most the chunk in flight, and a rerun skips the files already recorded (same
bytes, by SHA-256) and finishes the job. A newer proof for an account, epoch and level
supersedes the older one; files are taken oldest first (modification time, then path).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, select

import zkmargin as zm
from zkmargin.errors import LedgerError
from zkmargin.venue.ledger import Epoch, Ledger, account_row, now_utc
from zkmargin.venue.monitor import settle, silent_accounts
from zkmargin.venue.schema import accounts, proofs

VALID, INVALID, BAD_INPUT, ALREADY = "valid", "invalid", "bad input", "already recorded"
DEFAULT_CHUNK = 1000


@dataclass(frozen=True)
class Received:
    """What the ledger made of one file."""

    file: str
    status: str
    account: str | None = None
    epoch: int | None = None
    reason: str | None = None


@dataclass
class IntakeReport:
    rows: list[Received] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)  # accounts with no proof for the current epoch
    epoch: int | None = None

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)


def proof_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Named files, and every regular file under named directories, oldest first."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for root, directories, names in os.walk(path):
                directories[:] = sorted(name for name in directories if not name.startswith("."))
                found += [Path(root, name) for name in names if not name.startswith(".")]
        elif path.exists():
            found.append(path)
        else:
            raise LedgerError(f"{path}: no such file or directory")
    return sorted(set(found), key=_age)


def _age(path: Path) -> tuple[float, str]:
    try:
        return path.stat().st_mtime, str(path)
    except OSError:
        return 0.0, str(path)


def submit(
    ledger: Ledger,
    paths: Iterable[str | os.PathLike],
    *,
    executor: Executor | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    now: Callable[[], datetime] = now_utc,
) -> IntakeReport:
    """Verify and record every proof file under `paths`, `chunk` files per transaction.

    `executor` spreads each chunk's verification (see `zm.verify_batch`); `progress(done,
    total)` counts files; `now()` stamps each chunk's rows.
    """
    files = proof_files(paths)
    epochs = {epoch.params_digest: epoch for epoch in ledger.epochs()}
    report = IntakeReport()
    for start in range(0, len(files), chunk):
        report.rows += _take(ledger, files[start : start + chunk], epochs, executor, now)
        if progress is not None:
            progress(min(start + chunk, len(files)), len(files))
    with ledger.transaction() as connection:
        current = max((e for e in epochs.values() if e.kind == "margin"), key=lambda e: e.epoch, default=None)
        if current is not None:
            report.epoch = current.epoch
            report.silent = silent_accounts(connection, current.epoch)
    return report


@dataclass
class _Entry:
    """One file of a chunk on its way to the ledger."""

    path: Path
    digest: str  # SHA-256 of the bytes read
    row: Received
    proof: zm.MarginProof | None = None
    epoch: Epoch | None = None
    commitments_digest: str | None = None


def _take(
    ledger: Ledger,
    files: list[Path],
    epochs: dict[str, Epoch],
    executor: Executor | None,
    now: Callable[[], datetime],
) -> list[Received]:
    """Parse, verify and record one chunk of files."""
    entries = [_parse(path, epochs) for path in files]
    named = {entry.proof.account for entry in entries if entry.proof is not None}
    with ledger.transaction() as connection:
        held = connection.execute(select(accounts).where(accounts.c.account.in_(named)))
        pinned = {row.account: row for row in map(account_row, held)}
        query = select(proofs.c.file_digest, proofs.c.file)
        seen = dict(connection.execute(query.where(proofs.c.file_digest.in_({e.digest for e in entries}))).all())
    for entry in entries:
        if entry.digest in seen:
            entry.row = Received(entry.row.file, ALREADY, entry.row.account, reason=f"same bytes as {seen[entry.digest]}")
        seen.setdefault(entry.digest, entry.row.file)

    verifiable = [entry for entry in entries if entry.epoch is not None and entry.row.status != ALREADY]
    commitments = {name: row.commitments for name, row in pinned.items()}
    for epoch in {entry.epoch for entry in verifiable}:
        group = [entry for entry in verifiable if entry.epoch == epoch]
        result = zm.verify_batch([entry.proof for entry in group], epoch.params(), commitments=commitments, executor=executor)
        reasons = {failure.index: failure.reason for failure in result.failures}
        for index, entry in enumerate(group):
            status = INVALID if index in reasons else VALID
            entry.row = Received(entry.row.file, status, entry.proof.account, epoch.epoch, reasons.get(index))
            if entry.proof.account in pinned:
                entry.commitments_digest = pinned[entry.proof.account].commitments_digest

    with ledger.transaction() as connection:
        at = now()
        for entry in entries:
            if entry.row.status != ALREADY:
                _record(connection, entry, at)
        settle(connection, at)
    return [entry.row for entry in entries]


def _parse(path: Path, epochs: dict[str, Epoch]) -> _Entry:
    """The file read and parsed; a `bad input` row unless it is a proof for a published epoch."""
    try:
        data = path.read_bytes()
    except OSError as error:
        digest = hashlib.sha256(os.fsencode(path)).hexdigest()
        return _Entry(path, digest, Received(str(path), BAD_INPUT, reason=f"cannot read: {error.strerror}"))
    digest = hashlib.sha256(data).hexdigest()
    try:
        proof = zm.MarginProof.from_json(data, what=str(path))
        proof.to_statement()
    except zm.InputError as error:
        return _Entry(path, digest, Received(str(path), BAD_INPUT, reason=str(error)))
    epoch = epochs.get(proof.params_digest)
    if epoch is None:
        reason = f"made for params {proof.params_digest[:16]}…, which the venue never published"
        return _Entry(path, digest, Received(str(path), BAD_INPUT, proof.account, reason=reason), proof)
    return _Entry(path, digest, Received(str(path), VALID, proof.account, epoch.epoch), proof, epoch)


def _record(connection: Connection, entry: _Entry, at: datetime) -> None:
    row, proof = entry.row, entry.proof
    level = proof.level if proof is not None else None
    if row.status in (VALID, INVALID):
        connection.execute(
            proofs.update()
            .where(proofs.c.account == row.account, proofs.c.epoch == row.epoch, proofs.c.level == level)
            .values(superseded=True)
        )
    connection.execute(
        proofs.insert().values(
            file=row.file,
            file_digest=entry.digest,
            account=row.account,
            epoch=row.epoch,
            level=level,
            threshold=proof.statement.threshold if proof is not None else None,
            statement=proof.statement.model_dump_json() if proof is not None else None,
            status=row.status,
            reason=row.reason,
            commitments_digest=entry.commitments_digest,
            superseded=False,
            received_at=at,
        )
    )
