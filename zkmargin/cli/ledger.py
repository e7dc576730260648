"""`zkmargin ledger`: the venue's system of record — accounts, money, params epochs, proofs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
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
from zkmargin.cli.anchoring import allow_unsigned_option, duration, load_trusted_params, trust_option
from zkmargin.console import progress_callback
from zkmargin.jsonio import read_json
from zkmargin.venue import anchoring, intake
from zkmargin.venue.account_rows import AccountRow
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
  zkmargin ledger open --trust custodians/ dave.a.attestation.json   # or a custodian's
  zkmargin ledger deposit alice 5000 --ref wire-20261201-17
  zkmargin ledger challenge alice                   # her next proof must answer it, once""",
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
knows which epoch a proof answers. Publishing the same params again changes nothing.
The signature is checked against --trust; signed epochs must rise: an older epoch, or other
params under an epoch number already published, is refused (exit 2). One issuer signs the
ledger's params: params another trusted key signed (a custodian's) are refused (exit 2)
unless --new-issuer says the venue now signs under that name.""",
)
@params_option
@trust_option
@allow_unsigned_option
@click.option(
    "--new-issuer", is_flag=True,
    help="Let these params' issuer replace the ledger's params issuer (the venue's signing name changed).",
)
@db_option
@json_option
def ledger_publish(
    params_path: Path, trust_paths: tuple[Path, ...], allow_unsigned: bool, new_issuer: bool, database: str | None,
    as_json: bool,
) -> None:
    """Record params as the next epoch (the one margin calls refer to)."""
    params = load_trusted_params(params_path, trust_paths, allow_unsigned)
    with open_ledger(database) as ledger:
        epoch, new = ledger.publish(params, new_issuer=new_issuer)
    respond(
        as_json,
        {"epoch": epoch.epoch, "kind": epoch.kind, "params_digest": epoch.params_digest, "new": new},
        f"epoch {epoch.epoch}: {params_path} ({epoch.params_digest[:16]}…){'' if new else ', already published'}",
    )


@ledger_group.command(
    "open",
    epilog="""\b
Examples:
  zkmargin ledger open alice.account.json bob.account.json          # self-declared
  zkmargin ledger open --trust custodians/ alice.a.attestation.json alice.b.attestation.json
\b
An account file (zkmargin account open) holds commitments the trader made: the book is
SELF-DECLARED. Attestation files (zkmargin attest) hold commitments a custodian signed: the
signatures are checked against --trust and the current epoch's params, and the account's
commitments are the sum of its attestations (one per custodian). A newer attestation
re-anchors the account; its sequence number must rise (an older one is refused, exit 2),
and the re-anchor must name every custodian the ledger holds for the account (a custodian
leaves by attesting an empty book). An attestation dated in the future, or older than
--max-attestation-age, is refused (exit 2). Importing the same files again changes nothing.""",
)
@click.argument("files", metavar="ACCOUNT_OR_ATTESTATION_JSON...", nargs=-1, required=True, type=click.Path(path_type=Path))
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
            trust = zm.Trust.load(trust_paths)
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
    for path in files:
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
the record. The output says who vouches for them: self-declared, or the custodians (and
sequence numbers) whose attestations they are the sum of.""",
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
        row = ledger.account(account)
    respond(as_json, {**provenance_document(row), "file": str(output)}, f"wrote {output}: {row.provenance}")


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


@ledger_group.command(
    "submit",
    epilog="""\b
Examples:
  zkmargin ledger submit inbox/
  zkmargin ledger submit inbox/ late/alice.proof.json --jobs 2 --json
\b
Directories are walked recursively. Every file gets one row: valid, invalid (reason) or
bad input (reason); a stray file never blocks the others, and a newer valid proof from an
account supersedes its older one (a refused proof supersedes nothing). Files recorded valid
(or as a replay) are skipped, so rerunning after a crash finishes the job; other refused
files are checked again. Exit 0 once every file is recorded, whatever the verdicts.
\b
Refused as invalid, by what the ledger remembers: a proof for a superseded margin epoch
(unless --allow-superseded); for an attested account, a proof over other attestations
(checked against --trust); a challenge the venue did not issue to the account, expired,
or already answered by an earlier proof (a replay); no challenge under --require-challenge
or while one issued to the account is outstanding (unexpired, unanswered);
signed params outside their validity window now (unless --allow-expired-params).""",
)
@click.argument("paths", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--chunk",
    type=click.IntRange(min=1),
    default=intake.DEFAULT_CHUNK,
    show_default=True,
    help="Files verified and recorded per transaction (a crash loses at most one chunk).",
)
@trust_option
@click.option(
    "--allow-superseded", is_flag=True,
    help="Accept proofs for a margin epoch that a later one superseded (refused by default).",
)
@click.option(
    "--require-challenge", is_flag=True,
    help="Refuse proofs that answer no challenge (zkmargin ledger challenge).",
)
@click.option(
    "--allow-expired-params", "allow_expired", is_flag=True,
    help="Accept proofs under signed params outside their validity window (refused by default).",
)
@db_option
@spread_options
@json_option
@backend_option
def ledger_submit(
    paths: tuple[Path, ...], chunk: int, trust_paths: tuple[Path, ...], allow_superseded: bool,
    require_challenge: bool, allow_expired: bool, database: str | None, jobs: int | None, scheduler: str | None,
    as_json: bool,
) -> None:
    """Verify proof files in batch and record one row per file."""
    files = intake.proof_files(paths)
    rules = dict(
        trust=zm.Trust.load(trust_paths), allow_superseded=allow_superseded, require_challenge=require_challenge,
        allow_expired=allow_expired,
    )
    with open_ledger(database) as ledger, spread_executor(jobs, scheduler) as executor:
        with click.progressbar(length=len(files), label="verifying", file=sys.stderr, show_pos=True) as bar:
            report = intake.submit(ledger, files, executor=executor, chunk=chunk, progress=progress_callback(bar), **rules)
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


@ledger_group.command(
    "challenge",
    epilog="""\b
Example:
  zkmargin ledger challenge alice --valid-for 2h          # venue: hand the line to alice
  zkmargin prove --params params.json --portfolio alice.json --challenge 6f1c… -o proof.json
\b
The challenge is stored with its expiry. The first valid proof that answers it, received
before it expires, consumes it; any later proof answering it is refused as a replay. Until
it is answered or expires, the account's proofs that answer no challenge are refused.""",
)
@click.argument("account")
@click.option(
    "--valid-for", callback=duration, default="1h", show_default=True, metavar="DURATION",
    help="How long the trader has to answer (90s, 30m, 12h, 7d).",
)
@db_option
@json_option
def ledger_challenge(account: str, valid_for: timedelta, database: str | None, as_json: bool) -> None:
    """Issue a fresh challenge to an account: its next proof must answer it."""
    with open_ledger(database) as ledger:
        issued = anchoring.issue_challenge(ledger, account, valid_for=valid_for)
    document = {"account": account, "challenge": issued.challenge, "expires_at": issued.expires_at.isoformat()}
    respond(as_json, document, issued.challenge)  # alone on stdout: C=$(zkmargin ledger challenge alice)
    if not as_json:
        click.echo(f"for {account}, valid until {issued.expires_at:%Y-%m-%d %H:%M:%S} UTC", err=True)
