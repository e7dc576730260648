"""Proof intake: verify every proof file received and record one row per file.

`submit(ledger, paths)` takes files and directories (walked recursively, hidden entries
skipped) and records each file as

- `valid` — the proof verifies against its epoch's params and the account's commitments
  as the ledger holds them now (the row keeps their digest and book version, read in one
  statement: what the proof speaks for, whenever the chunk's clock was read);
- `invalid` (reason) — it does not, or the ledger holds no such account, or it is refused
  by what the ledger remembers (docs/trust-model.md): made for a margin epoch a later one
  superseded (unless `allow_superseded`), resting on other attestations than the ones the
  ledger holds for an attested account, answering a challenge the venue did not issue to
  the account, that expired or that an earlier proof already answered (a replay), or
  answering none when `require_challenge` or while a challenge issued to the account is
  outstanding (unexpired, unanswered); made under signed params outside their
  validity window at intake (unless `allow_expired`: the venue failed to publish the next
  day's params and says the old ones still hold);
- `bad input` (reason) — unreadable, not a proof, or made for params never published.

A bad file costs only its own row, and a short one: files are parsed one by one and the
verifiable ones checked in one batch per epoch, which bisects so every bad proof is named;
a name's bytes that are not UTF-8 are recorded escaped, a reason quotes at most `QUOTED`
characters of the file (non-printable ones escaped), and only a proof that verified has its
statement kept. The files go in chunks of `chunk` and each chunk's rows are written in one
transaction, so a crash loses at most the chunk in flight, and a rerun skips the files
already recorded (same bytes, by SHA-256) and finishes the job. Only final verdicts are
skipped: `valid`, and a replay; any other refusal may stop holding (params published later,
an account opened or re-anchored, a key trusted), so the same bytes are checked again and
get a new row. A newer valid proof for an account, epoch and level supersedes the older
ones (a refused proof supersedes nothing: anybody can send a file naming any account);
files are taken oldest first (modification time, then path). Newer counts in book versions
first: a proof checked against an earlier book than the current proof's (an intake that
read the book before a movement, recording after another intake recorded a proof of the
book after it) is recorded `valid` but superseded on arrival, its reason saying so. Two
intakes at once count each file once: the database's unique indexes refuse the slower one's
chunk, which is judged again (`_take`).
After each chunk the open margin calls are settled (`monitor.settle`): the report names the
calls its proofs met and those found past their deadline meanwhile, which the next
`monitor run` does not report again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, func, select

import zkmargin as zm
from zkmargin.anchors.signed_params import require_params_role
from zkmargin.console import shown
from zkmargin.files import files_under, path_text, read_bounded, require_regular_file
from zkmargin.venue.account_rows import AccountRow, account_row
from zkmargin.venue.anchoring import REPLAYED, consume_challenge
from zkmargin.venue.database import ConflictingWrite, now_utc
from zkmargin.venue.ledger import Epoch, Ledger, outside_window
from zkmargin.venue.monitor import Call, lock_margin_epoch, settle, silent_accounts
from zkmargin.venue.schema import accounts, challenges, current_valid_proof, proofs
from zkmargin.venue.verdicts import ALREADY, BAD_INPUT, INVALID, VALID

DEFAULT_CHUNK = 1000
RACES_LOST = 5
"""How many times a chunk is judged before intake gives up losing races to other writers."""
QUOTED = 1000
"""Most characters of a reason intake records, beyond its file's name (which it may quote):
a reason can quote the file itself (an unknown field's name, a statement field), and a
refused file is recorded again on every run."""


@dataclass(frozen=True)
class Received:
    """What the ledger made of one file."""

    file: str  # the path as Python holds it (any bytes); the ledger records `files.path_text` of it
    status: str
    account: str | None = None
    epoch: int | None = None
    reason: str | None = None  # why refused; on a valid row, why it is not current (superseded on arrival)
    buckets: int | None = None  # isolated buckets the proof shows (padded; 1: cross margin); None: no proof read


@dataclass
class IntakeReport:
    rows: list[Received] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)  # accounts with no proof for the current epoch
    epoch: int | None = None
    met: list[Call] = field(default_factory=list)  # calls the recorded proofs met
    overdue: list[Call] = field(default_factory=list)  # calls found past their deadline meanwhile

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)


def submit(
    ledger: Ledger,
    paths: Iterable[str | os.PathLike],
    *,
    executor: Executor | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    now: Callable[[], datetime] = now_utc,
    trust: zm.Trust | None = None,
    allow_superseded: bool = False,
    require_challenge: bool = False,
    allow_expired: bool = False,
) -> IntakeReport:
    """Verify and record every proof file under `paths`, `chunk` files per transaction.

    `executor` spreads each chunk's verification (see `zm.verify_batch`); `progress(done,
    total)` counts files; `now()` is read when a chunk starts (validity windows, challenges)
    and again when its rows are written, under the margin epoch's lock that `monitor run`
    takes: that second time is each row's `received_at`, what a call's deadline is held
    against, so a run that found a call overdue never sees a proof stamped before it
    recorded later. `trust` holds the custodian keys
    attested proofs are checked against; `allow_superseded` accepts proofs for a margin
    epoch a later one replaced; `require_challenge` refuses proofs that answer no challenge;
    `allow_expired` accepts proofs under signed params outside their window at `now()`.
    """
    files = files_under(paths)
    epochs = {epoch.params_digest: epoch for epoch in ledger.epochs()}
    current = max((e for e in epochs.values() if e.kind == "margin"), key=lambda e: e.epoch, default=None)
    rules = _Rules(trust or zm.Trust(), current if not allow_superseded else None, require_challenge, allow_expired)
    report = IntakeReport()
    for start in range(0, len(files), chunk):
        rows, met, overdue = _take(ledger, files[start : start + chunk], epochs, executor, now, rules)
        report.rows += rows
        report.met += met
        report.overdue += overdue
        if progress is not None:
            progress(min(start + chunk, len(files)), len(files))
    with ledger.transaction() as connection:
        if current is not None:
            report.epoch = current.epoch
            report.silent = silent_accounts(connection, current.epoch)
    return report


def _signer_refusal(epoch: Epoch, trust: zm.Trust) -> str | None:
    """Why proofs under this epoch cannot count, when `trust` holds the key that signed its
    params but not for params (a custodian's key, or one re-scoped since publishing)."""
    try:
        require_params_role(epoch.params(), trust)
    except zm.UntrustedSignature as error:
        return f"made under params epoch {epoch.epoch}, which the trusted keys do not vouch for: {error}"
    return None


@dataclass(frozen=True)
class _Rules:
    """What intake enforces beyond a valid proof; `current` is None when superseded epochs pass,
    `windows` caches each epoch's signed validity window as proofs name it."""

    trust: zm.Trust
    current: Epoch | None
    require_challenge: bool
    allow_expired: bool
    windows: dict[str, tuple[datetime, datetime, str] | None] = field(default_factory=dict)
    signers: dict[str, str | None] = field(default_factory=dict)

    def refusal(self, entry: _Entry, held: AccountRow | None, at: datetime, outstanding: datetime | None) -> str | None:
        """Why the ledger refuses `entry` at time `at` before verifying it, or None; `outstanding`
        is when the account's unanswered challenge expires, if it has one."""
        epoch, statement = entry.epoch, entry.proof.statement
        if self.current is not None and epoch.kind == "margin" and epoch.epoch < self.current.epoch:
            return f"made for epoch {epoch.epoch}, which epoch {self.current.epoch} superseded"
        if epoch.params_digest not in self.signers:
            self.signers[epoch.params_digest] = _signer_refusal(epoch, self.trust)
        if self.signers[epoch.params_digest] is not None:
            return self.signers[epoch.params_digest]
        if epoch.params_digest not in self.windows:
            self.windows[epoch.params_digest] = None if self.allow_expired else epoch.signed_window()
        outside = outside_window(self.windows[epoch.params_digest], at)
        if outside is not None:
            return f"made under {outside}"
        if self.require_challenge and statement.challenge is None:
            return f"answers no challenge; the venue requires one (zkmargin ledger challenge {entry.proof.account})"
        if outstanding is not None and statement.challenge is None:
            # The venue asked for a fresh proof: an old one re-sent must not stand in for it.
            until = f"{outstanding:%Y-%m-%d %H:%M:%S} UTC"
            return f"answers no challenge, while the one issued to {entry.proof.account!r} is outstanding until {until}"
        if held is not None and held.attested:
            if sorted(statement.attestations or ()) != sorted(a.digest() for a in held.attestations):
                return f"the ledger holds {entry.proof.account}'s book as {held.provenance}; the proof rests on other attestations"
        return None


@dataclass
class _Entry:
    """One file of a chunk on its way to the ledger."""

    path: Path
    digest: str  # SHA-256 of the bytes read
    row: Received
    proof: zm.MarginProof | None = None
    epoch: Epoch | None = None
    commitments_digest: str | None = None
    book_version: int | None = None  # the account's, read in the same row as the commitments verified against


def _take(
    ledger: Ledger,
    files: list[Path],
    epochs: dict[str, Epoch],
    executor: Executor | None,
    now: Callable[[], datetime],
    rules: _Rules,
) -> tuple[list[Received], list[Call], list[Call]]:
    """Parse, verify and record one chunk of files; (its rows, the calls met, the calls
    found overdue).

    Another intake running at the same time (cron's runs overlapping) may record some of the
    same files or accounts first: the database refuses our rows (`ConflictingWrite`), and
    the chunk is judged again against what it holds now, its files reported `already recorded`.
    """
    at = now()
    parsed = [_parse(path, epochs) for path in files]
    for _ in range(RACES_LOST - 1):
        try:
            return _judge_and_record(ledger, [replace(entry) for entry in parsed], executor, at, now, rules)
        except ConflictingWrite:
            pass  # the other writer committed: judge the chunk again against its rows
    return _judge_and_record(ledger, parsed, executor, at, now, rules)


def _judge_and_record(
    ledger: Ledger, entries: list[_Entry], executor: Executor | None, at: datetime, now: Callable[[], datetime],
    rules: _Rules,
) -> tuple[list[Received], list[Call], list[Call]]:
    """Refuse (as of `at`), verify and record parsed files against what the ledger holds now;
    one transaction writes, stamping the rows with `now()` once it holds the margin epoch's lock."""
    named = {entry.proof.account for entry in entries if entry.proof is not None}
    with ledger.transaction() as connection:
        held = connection.execute(select(accounts).where(accounts.c.account.in_(named)))
        pinned = {row.account: row for row in map(account_row, held)}
        final = (proofs.c.status == VALID) | proofs.c.reason.startswith(f"{REPLAYED}:")
        query = select(proofs.c.file_digest, proofs.c.file).where(final)
        seen = dict(connection.execute(query.where(proofs.c.file_digest.in_({e.digest for e in entries}))).all())
        outstanding = dict(connection.execute(
            select(challenges.c.account, func.max(challenges.c.expires_at))
            .where(challenges.c.account.in_(named), challenges.c.used_by.is_(None), challenges.c.expires_at > at)
            .group_by(challenges.c.account)
        ).all())
    for entry in entries:
        if entry.digest in seen:
            entry.row = Received(entry.row.file, ALREADY, entry.row.account, reason=f"same bytes as {seen[entry.digest]}")
        seen.setdefault(entry.digest, path_text(entry.row.file))

    verifiable = []
    for entry in entries:
        if entry.epoch is None or entry.row.status == ALREADY:
            continue
        account = entry.proof.account
        refused = rules.refusal(entry, pinned.get(account), at, outstanding.get(account))
        if refused is None:
            verifiable.append(entry)
        else:
            entry.row = replace(entry.row, status=INVALID, reason=refused)
    commitments = {name: row.commitments for name, row in pinned.items()}
    for epoch in {entry.epoch for entry in verifiable}:
        group = [entry for entry in verifiable if entry.epoch == epoch]
        result = zm.verify_batch(
            [entry.proof for entry in group], epoch.params(), commitments=commitments, executor=executor, trust=rules.trust
        )
        reasons = {failure.index: failure.reason for failure in result.failures}
        for index, entry in enumerate(group):
            status = INVALID if index in reasons else VALID
            entry.row = replace(entry.row, status=status, reason=reasons.get(index))
            if entry.proof.account in pinned:
                entry.commitments_digest = pinned[entry.proof.account].commitments_digest
                entry.book_version = pinned[entry.proof.account].book_version

    with ledger.transaction() as connection:
        current = lock_margin_epoch(connection)
        recorded = now()
        for entry in entries:
            if entry.row.status != ALREADY:
                _record(connection, entry, recorded)
        met, overdue = settle(connection, recorded, current)
    return [entry.row for entry in entries], met, overdue


def _parse(path: Path, epochs: dict[str, Epoch]) -> _Entry:
    """The file read and parsed; a `bad input` row unless it is a proof for a published epoch."""
    name = path_text(path)  # as reasons quote it; `Received.file` keeps the path itself
    try:
        require_regular_file(path)
        data = read_bounded(path, name, "a proof file")
    except zm.InputError as error:
        digest = hashlib.sha256(os.fsencode(path)).hexdigest()
        return _Entry(path, digest, Received(str(path), BAD_INPUT, reason=str(error)))
    digest = hashlib.sha256(data).hexdigest()
    try:
        proof = zm.MarginProof.from_json(data, what=name)
        proof.to_statement()
    except zm.InputError as error:
        return _Entry(path, digest, Received(str(path), BAD_INPUT, reason=str(error)))
    epoch = epochs.get(proof.params_digest)
    if epoch is None:
        reason = f"made for params {proof.params_digest[:16]}…, which the venue never published"
        return _Entry(path, digest, Received(str(path), BAD_INPUT, proof.account, reason=reason), proof)
    received = Received(str(path), VALID, proof.account, epoch.epoch, buckets=proof.buckets)
    return _Entry(path, digest, received, proof, epoch)


def _quoted(text: str, longest: int) -> str:
    """`text`, which may quote a trader's file, as intake records and reports it: cut to
    `longest` characters (an ellipsis says so) and every non-printable character escaped
    (PostgreSQL text holds no NUL; a lone surrogate, which a JSON escape can spell, encodes
    in neither database)."""
    if len(text) > longest:
        text = text[: longest - 1] + "…"
    return shown(text)


def _record(connection: Connection, entry: _Entry, at: datetime) -> None:
    file = path_text(entry.row.file)
    if entry.row.reason is not None:
        entry.row = replace(entry.row, reason=_quoted(entry.row.reason, len(file) + QUOTED))
    row, proof = entry.row, entry.proof
    level = proof.level if proof is not None else None
    # A valid row goes in superseded and becomes current last, once the challenge it answers
    # (if any) is its own and the older proofs are superseded: the database holds one current
    # valid proof per account, epoch and level (schema v3).
    proof_id = connection.execute(
        proofs.insert().values(
            file=file,
            file_digest=entry.digest,
            account=row.account,
            epoch=row.epoch,
            level=level,
            threshold=proof.statement.threshold if proof is not None else None,
            # Only a verified statement: a refused one's strings are as long as its sender likes.
            statement=proof.statement.model_dump_json() if row.status == VALID else None,
            status=row.status,
            reason=row.reason,
            commitments_digest=entry.commitments_digest,
            book_version=entry.book_version,
            superseded=row.status == VALID,
            received_at=at,
        )
    ).inserted_primary_key[0]
    if row.status != VALID:
        return
    this_row = proofs.update().where(proofs.c.id == proof_id)
    if proof.statement.challenge is not None:
        refused = consume_challenge(connection, proof.statement.challenge, row.account, proof_id, at)
        if refused is not None:
            # A replay supersedes nothing: the proof that answered first keeps its standing.
            entry.row = replace(row, status=INVALID, reason=refused)
            connection.execute(this_row.values(status=INVALID, reason=refused, superseded=False))
            return
    # This row is not current yet; refused rows and rows superseded before are left alone, or
    # every proof would rewrite the account's whole history, junk that names it included.
    current = (proofs.c.account == row.account) & (proofs.c.epoch == row.epoch) & (proofs.c.level == level) & (
        current_valid_proof
    )
    # An intake that read the book before a movement may record after another one recorded a
    # proof of the book that movement left: the proof of the later book stays current.
    current_version = connection.execute(select(func.max(proofs.c.book_version)).where(current)).scalar_one()
    if current_version is not None and current_version > entry.book_version:
        reason = (
            f"superseded on arrival: checked against book version {entry.book_version} of {row.account!r}; "
            f"the proof of book version {current_version} is current"
        )
        entry.row = replace(row, reason=reason)
        connection.execute(this_row.values(reason=reason))
        return
    # Only a proof that verifies speaks for the account: proof files are not authenticated,
    # so a refused one naming it (junk, a replay) must not take away its standing (R1).
    connection.execute(proofs.update().where(current).values(superseded=True))
    connection.execute(this_row.values(superseded=False))
