"""`zkmargin ledger`: the venue's system of record — accounts, money, params epochs, proofs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

import zkmargin as zm
from zkmargin.cli.common import (
    backend_option,
    decimal_amount,
    respond,
    json_option,
    params_option,
    spread_executor,
    spread_options,
    table,
)
from zkmargin.console import progress_callback
from zkmargin.venue import intake
from zkmargin.venue.ledger import Ledger

db_option = click.option(
    "--db",
    "database",
    metavar="PATH|URL",
    help="SQLite file or postgresql://user@host/db URL (default: $ZKMARGIN_DB, else ./zkmargin.db).",
)


@contextmanager
def open_ledger(database: str | None) -> Iterator[Ledger]:
    ledger = Ledger(database)
    try:
        yield ledger
    finally:
        ledger.close()


@click.group(
    "ledger",
    epilog="""\b
The venue's daily routine:
  zkmargin ledger publish --params params.json     # a new params epoch
  zkmargin ledger submit inbox/                     # verify and record every proof received
  zkmargin monitor run --deadline 2h                # call the accounts without a valid proof
\b
Setting up:
  zkmargin ledger init                              # creates ./zkmargin.db (or --db URL)
  zkmargin ledger open alice.account.json           # the trader's public commitments
  zkmargin ledger deposit alice 5000 --ref wire-20261201-17""",
)
def ledger_group() -> None:
    """The venue's ledger: accounts, money movements, params epochs and proofs received."""


@ledger_group.command(
    "init",
    epilog="""\b
Examples:
  zkmargin ledger init
  zkmargin ledger init --db postgresql://venue@db.internal/zkmargin
\b
Creates the tables, or brings an older schema up to date; running it again is harmless.""",
)
@db_option
@json_option
def ledger_init(database: str | None, as_json: bool) -> None:
    """Create or upgrade the ledger's database."""
    with open_ledger(database) as ledger:
        found, version = ledger.init()
        where = str(ledger.engine.url.render_as_string(hide_password=True))
    change = "up to date" if found == version else f"was {found}"
    respond(as_json, {"database": where, "from_version": found, "version": version}, f"{where}: schema version {version}, {change}")


@ledger_group.command(
    "publish",
    epilog="""\b
Example:
  zkmargin ledger publish --params params.json
\b
Each new params file is the next epoch; proofs name their params by digest, so the ledger
knows which epoch a proof answers. Publishing the same params again changes nothing.""",
)
@params_option
@db_option
@json_option
def ledger_publish(params_path: Path, database: str | None, as_json: bool) -> None:
    """Record params as the next epoch (the one margin calls refer to)."""
    params = zm.RiskParams.load(params_path)
    with open_ledger(database) as ledger:
        epoch, new = ledger.publish(params)
    respond(
        as_json,
        {"epoch": epoch.epoch, "kind": epoch.kind, "params_digest": epoch.params_digest, "new": new},
        f"epoch {epoch.epoch}: {params_path} ({epoch.params_digest[:16]}…){'' if new else ', already published'}",
    )


@ledger_group.command(
    "open",
    epilog="""\b
Example:
  zkmargin ledger open alice.account.json bob.account.json
\b
An account file (zkmargin account open) holds public commitments only; the ledger keeps
them current as money moves. Importing the same file again changes nothing.""",
)
@click.argument("files", metavar="ACCOUNT_JSON...", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@json_option
def ledger_open(files: tuple[Path, ...], database: str | None, as_json: bool) -> None:
    """Import accounts' public commitments (self-declared until attested)."""
    imported = [zm.AccountCommitments.load(path) for path in files]
    with open_ledger(database) as ledger:
        rows = [{"account": c.account, "file": str(path), "new": ledger.open_account(c)} for c, path in zip(imported, files)]
    lines = [f"{row['account']}: {'opened' if row['new'] else 'already open'} from {row['file']}" for row in rows]
    respond(as_json, {"accounts": rows}, "\n".join(lines))


def _movement(database: str | None, account: str, amount: Decimal, reference: str, as_json: bool, sign: int) -> None:
    with open_ledger(database) as ledger:
        move = ledger.deposit if sign > 0 else ledger.withdraw
        movement = move(account, amount, reference)
    respond(
        as_json,
        {"account": account, "amount": movement.amount, "reference": reference, "at": movement.at.isoformat()},
        f"{account}: {'deposit' if sign > 0 else 'withdrawal'} of {amount:,} recorded as {reference!r}",
    )


_reference_option = click.option(
    "--ref",
    "reference",
    required=True,
    help="Your unique reference for this movement (wire id, ticket): a replay is refused.",
)


def _movement_options(command):
    """ACCOUNT AMOUNT --ref REF, --db, --json, --backend: what deposit and withdraw take."""
    for option in (backend_option, json_option, db_option, _reference_option):
        command = option(command)
    command = click.argument("amount", callback=decimal_amount)(command)
    return click.argument("account")(command)


@ledger_group.command(
    "deposit",
    epilog="""\b
Example:
  zkmargin ledger deposit alice 5000 --ref wire-20261201-17
\b
Com(c) + d·B opens to c + d under the same blinding: the committed balance moves without
the venue learning it. Sending the same --ref again is refused (exit 2), never credited twice.""",
)
@_movement_options
def ledger_deposit(account: str, amount: Decimal, reference: str, database: str | None, as_json: bool) -> None:
    """Credit a public deposit to an account's committed cash."""
    _movement(database, account, amount, reference, as_json, +1)


@ledger_group.command(
    "withdraw",
    epilog="""\b
Example:
  zkmargin ledger withdraw alice 2500 --ref payout-8812
\b
The account's earlier proofs no longer speak for it: the monitor calls it again.""",
)
@_movement_options
def ledger_withdraw(account: str, amount: Decimal, reference: str, database: str | None, as_json: bool) -> None:
    """Debit a public withdrawal from an account's committed cash."""
    _movement(database, account, amount, reference, as_json, -1)


@ledger_group.command(
    "export",
    epilog="""\b
Example:
  zkmargin ledger export alice -o alice.account.json
\b
Writes the commitments as they stand now (atomically); the file is a copy, the ledger stays
the record.""",
)
@click.argument("account")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="account.json to write.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@db_option
@json_option
def ledger_export(account: str, output: Path, force: bool, database: str | None, as_json: bool) -> None:
    """Export an account's current commitments as account.json."""
    with open_ledger(database) as ledger:
        ledger.export_account(account, output, overwrite=force)
    respond(as_json, {"account": account, "file": str(output)}, f"wrote {output}")


@ledger_group.command(
    "accounts",
    epilog="""\b
Example:
  zkmargin ledger accounts --json""",
)
@db_option
@json_option
def ledger_accounts(database: str | None, as_json: bool) -> None:
    """List the accounts and where their commitments come from."""
    with open_ledger(database) as ledger:
        rows = ledger.accounts()
    documents = [
        {
            "account": row.account,
            "provenance": "attested" if row.attested else "self-declared",
            "updated_at": row.updated_at.isoformat(),
        }
        for row in rows
    ]
    text = table(("account", "commitments", "updated"), [tuple(d.values()) for d in documents], "<<<")
    respond(as_json, {"accounts": documents}, text)


@ledger_group.command(
    "submit",
    epilog="""\b
Examples:
  zkmargin ledger submit inbox/
  zkmargin ledger submit inbox/ late/alice.proof.json --jobs 2 --json
\b
Directories are walked recursively. Every file gets one row: valid, invalid (reason) or
bad input (reason); a stray file never blocks the others, and a newer proof from an account
supersedes its older one. Files already recorded are skipped, so rerunning after a crash
finishes the job. Exit 0 once every file is recorded, whatever the verdicts.""",
)
@click.argument("paths", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--chunk",
    type=click.IntRange(min=1),
    default=intake.DEFAULT_CHUNK,
    show_default=True,
    help="Files verified and recorded per transaction (a crash loses at most one chunk).",
)
@db_option
@spread_options
@json_option
@backend_option
def ledger_submit(
    paths: tuple[Path, ...], chunk: int, database: str | None, jobs: int | None, scheduler: str | None, as_json: bool
) -> None:
    """Verify proof files in batch and record one row per file."""
    files = intake.proof_files(paths)
    with open_ledger(database) as ledger, spread_executor(jobs, scheduler) as executor:
        with click.progressbar(length=len(files), label="verifying", file=sys.stderr, show_pos=True) as bar:
            report = intake.submit(ledger, files, executor=executor, chunk=chunk, progress=progress_callback(bar))
    rows = [
        {"file": row.file, "account": row.account, "epoch": row.epoch, "status": row.status, "reason": row.reason}
        for row in report.rows
    ]
    counts = {status: report.count(status) for status in (intake.VALID, intake.INVALID, intake.BAD_INPUT, intake.ALREADY)}
    document = {"epoch": report.epoch, "counts": counts, "files": rows, "silent": report.silent}
    respond(as_json, document, _submit_summary(rows, counts, report))


def _submit_summary(rows: list[dict[str, Any]], counts: dict[str, int], report: intake.IntakeReport) -> str:
    lines = [table(("", "files"), [(status, str(count)) for status, count in counts.items() if count], "<>")]
    shown = [(r["file"], r["account"] or "-", r["status"], r["reason"] or "") for r in rows if r["status"] != intake.VALID]
    if shown:
        lines += ["", table(("file", "account", "status", "reason"), shown, "<<<<")]
    if report.epoch is not None:
        silent = ", ".join(report.silent) if report.silent else "none"
        lines += ["", f"accounts that sent nothing for epoch {report.epoch}: {silent}"]
    return "\n".join(lines)
