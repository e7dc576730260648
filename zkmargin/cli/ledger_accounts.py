"""`zkmargin ledger open | deposit | withdraw | export | accounts`: the accounts the ledger holds.

An account's commitments are self-declared (an account file) or the sum of its custodians'
attestations; its committed cash moves with public deposits and withdrawals. The group
itself, params epochs and proof intake are in zkmargin.cli.ledger.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

import zkmargin as zm
from zkmargin.cli.anchoring import trust_option
from zkmargin.cli.common import backend_option, load_trust, open_ledger, respond, table
from zkmargin.cli.options import (
    account_name,
    db_option,
    decimal_amount,
    duration,
    json_option,
)
from zkmargin.files import files_under
from zkmargin.jsonio import read_json
from zkmargin.venue import anchoring
from zkmargin.venue.account_rows import AccountRow


@click.command(
    "open",
    epilog="""\b
Examples:
  zkmargin ledger open alice.account.json bob.account.json          # self-declared
  zkmargin ledger open --trust custodians/ alice.a.attestation.json alice.b.attestation.json
  zkmargin ledger open accounts/                                     # every file under it
\b
An account file (zkmargin account open) holds commitments the trader made: the book is
SELF-DECLARED. Attestation files (zkmargin attest) hold commitments a custodian signed: the
signatures are checked against --trust and the current epoch's params, and the account's
commitments are the sum of its attestations (one per custodian). A newer attestation
re-anchors the account; its sequence number must rise (an older one is refused, exit 2),
and the re-anchor must name every custodian the ledger holds for the account (a custodian
leaves by attesting an empty book). An attestation dated in the future, or older than
--max-attestation-age, is refused (exit 2). Importing the same files again changes nothing.
Directories are walked recursively (hidden entries skipped), as by ledger submit; every
file under them must be an account or attestation file.""",
)
@click.argument("files", metavar="FILE_OR_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@trust_option
@click.option(
    "--max-attestation-age", callback=duration, metavar="DURATION", default="1d", show_default=True,
    help="Refuse attestations made longer ago than this (e.g. 12h).",
)
@db_option
@json_option
@backend_option
def ledger_open(
    files: tuple[Path, ...], trust_paths: tuple[Path, ...], max_attestation_age: timedelta, database: str | None,
    as_json: bool,
) -> None:
    """Import accounts: self-declared commitments, or custodians' attestations."""
    declared, attested = _account_files(files)
    with open_ledger(database) as ledger:
        rows = [{"account": c.account, "files": [str(path)], "provenance": "self-declared", "new": ledger.open_account(c)}
                for path, c in declared]
        if attested:
            trust = load_trust(trust_paths)
            for account, group in attested.items():
                new = anchoring.open_attested(
                    ledger, [attestation for _, attestation in group], trust, max_attestation_age=max_attestation_age
                )
                rows.append({"account": account, "files": [str(path) for path, _ in group],
                             "provenance": ledger.account(account).provenance, "new": new})
    lines = [
        f"{row['account']}: {'opened' if row['new'] else 'already open'} from {', '.join(row['files'])} ({row['provenance']})"
        for row in rows
    ]
    respond(as_json, {"accounts": rows}, "\n".join(lines))


def _account_files(
    files: tuple[Path, ...],
) -> tuple[list[tuple[Path, zm.AccountCommitments]], dict[str, list[tuple[Path, zm.Attestation]]]]:
    """Account files, and attestation files grouped by account (told apart by their format)."""
    declared, attested = [], {}
    for path in files_under(files):
        document = read_json(path)
        if isinstance(document, dict) and document.get("format") == "zkmargin-attestation":
            attestation = zm.Attestation.load(path)
            attested.setdefault(attestation.account, []).append((path, attestation))
        else:
            declared.append((path, zm.AccountCommitments.load(path)))
    return declared, attested


def _movement(database: str | None, account: str, amount: Decimal, reference: str, as_json: bool, sign: int) -> None:
    with open_ledger(database) as ledger:
        move = ledger.deposit if sign > 0 else ledger.withdraw
        movement = move(account, amount, reference)
    respond(
        as_json,
        {"account": account, "amount": movement.amount, "reference": reference, "at": movement.at.isoformat()},
        f"{account}: {'deposit' if sign > 0 else 'withdrawal'} of {abs(movement.amount):,} recorded as {reference!r}",
    )


_reference_option = click.option(
    "--ref",
    "reference",
    required=True,
    help="Your unique reference for this movement (wire id, ticket; printable, no surrounding spaces): a replay is refused.",
)


def _movement_options(command):
    """ACCOUNT AMOUNT --ref REF, --db, --json, --backend: what deposit and withdraw take."""
    for option in (backend_option, json_option, db_option, _reference_option):
        command = option(command)
    command = click.argument("amount", callback=decimal_amount)(command)
    return click.argument("account", callback=account_name)(command)


@click.command(
    "deposit",
    epilog="""\b
Example:
  zkmargin ledger deposit alice 5000 --ref wire-20261201-17
\b
Com(c) + d·B opens to c + d under the same blinding: the committed balance moves without
the venue learning it. Sending the same --ref again is refused (exit 2), never credited twice.
The account keeps standing on the proof it has (more cash keeps its statement true); a
proof made before the deposit and sent after it is refused: prove again.""",
)
@_movement_options
def ledger_deposit(account: str, amount: Decimal, reference: str, database: str | None, as_json: bool) -> None:
    """Credit a public deposit to an account's committed cash."""
    _movement(database, account, amount, reference, as_json, +1)


@click.command(
    "withdraw",
    epilog="""\b
Example:
  zkmargin ledger withdraw alice 2500 --ref payout-8812
\b
The account's earlier proofs no longer speak for it, even after an equal deposit: the
monitor calls it again.""",
)
@_movement_options
def ledger_withdraw(account: str, amount: Decimal, reference: str, database: str | None, as_json: bool) -> None:
    """Debit a public withdrawal from an account's committed cash."""
    _movement(database, account, amount, reference, as_json, -1)


@click.command(
    "export",
    epilog="""\b
Example:
  zkmargin ledger export alice -o alice.account.json
\b
Writes the commitments as they stand now (atomically); the file is a copy, the ledger stays
the record. The output says who vouches for them: self-declared, or the custodians (and
sequence numbers) whose attestations they are the sum of.""",
)
@click.argument("account", callback=account_name)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="account.json to write.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@db_option
@json_option
def ledger_export(account: str, output: Path, force: bool, database: str | None, as_json: bool) -> None:
    """Export an account's current commitments as account.json."""
    with open_ledger(database) as ledger:
        ledger.export_account(account, output, overwrite=force)
        row = ledger.account(account)
    respond(as_json, {**provenance_document(row), "file": str(output)}, f"wrote {output}: {row.provenance}")


@click.command(
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
    documents = [{**provenance_document(row), "updated_at": row.updated_at.isoformat()} for row in rows]
    lines = [(row.account, row.provenance, row.updated_at.isoformat()) for row in rows]
    respond(as_json, {"accounts": documents}, table(("account", "commitments", "updated"), lines, "<<<"))


def provenance_document(row: AccountRow) -> dict[str, Any]:
    """Who vouches for an account's commitments: nobody (self-declared), or its custodians."""
    return {
        "account": row.account,
        "provenance": "attested" if row.attested else "self-declared",
        "attestations": [
            {"custodian": a.custodian, "key_id": a.key_id, "sequence": a.sequence, "time": a.time, "digest": a.digest()}
            for a in row.attestations
        ],
    }
