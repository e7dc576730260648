"""`zkmargin ledger`: the venue's system of record — accounts, money, params epochs, proofs.

Here: the group, the database (init), params epochs (publish) and proofs (submit,
challenge). The account commands (open, deposit, withdraw, export, accounts) are in
zkmargin.cli.ledger_accounts and join the group at the end of this module.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from zkmargin.cli.anchoring import (
    allow_unsigned_option,
    load_trusted_params,
    trust_option,
)
from zkmargin.cli.common import (
    backend_option,
    in_cli_words,
    load_trust,
    open_ledger,
    respond,
    table,
)
from zkmargin.cli.ledger_accounts import (
    ledger_accounts,
    ledger_deposit,
    ledger_export,
    ledger_open,
    ledger_withdraw,
)
from zkmargin.cli.monitor import call_document
from zkmargin.cli.options import (
    AsciiInt,
    account_name,
    db_option,
    duration,
    json_option,
    params_option,
    spread_executor,
    spread_options,
)
from zkmargin.console import counted, progress_callback, shown
from zkmargin.files import files_under, path_text
from zkmargin.venue import anchoring, intake


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
params under an epoch number already published, is refused (exit 2). Only a trusted key
with the params role may sign them (a custodian's custody key may not: exit 2). One issuer
signs the ledger's params: params another trusted params key signed (another venue's) are
refused (exit 2) unless --new-issuer says the venue now signs under that name; so are
unsigned params (--allow-unsigned) once the latest epoch is signed, unless --new-issuer
says the venue leaves signed params behind deliberately.""",
)
@params_option
@trust_option
@allow_unsigned_option
@click.option(
    "--new-issuer", is_flag=True,
    help="Let these params' issuer replace the ledger's params issuer (the venue's signing name changed), or unsigned params follow signed ones.",
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
    "submit",
    epilog="""\b
Examples:
  zkmargin ledger submit inbox/
  zkmargin ledger submit inbox/ late/alice.proof.json --jobs 2 --json
\b
Directories are walked recursively. Every file gets one row: valid, invalid (reason) or
bad input (reason); a stray file never blocks the others, and a newer valid proof from an
account supersedes its older one (a refused proof supersedes nothing; one of an earlier book
than the current proof's is recorded valid but superseded on arrival). Files recorded valid
(or as a replay) are skipped, so rerunning after a crash finishes the job; other refused
files are checked again; the text output counts the files already recorded and names the
first three (--json lists them all). Two runs at once record each file once (the other
run's files are already recorded). Exit 0 once every file is recorded, whatever the verdicts.
\b
Refused as invalid, by what the ledger remembers: a proof for a superseded margin epoch
(unless --allow-superseded); for an attested account, a proof over other attestations
(checked against --trust); a challenge the venue did not issue to the account, expired,
or already answered by an earlier proof (a replay); no challenge under --require-challenge
or while one issued to the account is outstanding (unexpired, unanswered);
signed params outside their validity window now (unless --allow-expired-params).
\b
A proof of isolated buckets (zkmargin prove --pad-buckets) is checked against the one
commitment per variable the ledger holds: the buckets' commitments must add up to it.
The output shows the bucket count the proof claims (padded), never how many are real.
\b
Then the open margin calls are settled, as monitor run does: the output names the calls
the proofs met and those found past their deadline (--json: "calls").""",
)
@click.argument("paths", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--chunk",
    type=AsciiInt(min=1),
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
    files = files_under(paths)
    rules = dict(
        trust=load_trust(trust_paths), allow_superseded=allow_superseded, require_challenge=require_challenge,
        allow_expired=allow_expired,
    )
    with open_ledger(database) as ledger, spread_executor(jobs, scheduler) as executor:
        with click.progressbar(length=len(files), label="verifying", file=sys.stderr, show_pos=True) as bar:
            report = intake.submit(ledger, files, executor=executor, chunk=chunk, progress=progress_callback(bar), **rules)
    rows = [
        {"file": path_text(row.file), "account": row.account, "epoch": row.epoch, "status": row.status,
         "reason": row.reason and in_cli_words(row.reason), "buckets": row.buckets}
        for row in report.rows
    ]
    counts = {status: report.count(status) for status in (intake.VALID, intake.INVALID, intake.BAD_INPUT, intake.ALREADY)}
    closed = {"met": [call_document(c) for c in report.met], "overdue": [call_document(c) for c in report.overdue]}
    document = {"epoch": report.epoch, "counts": counts, "files": rows, "silent": report.silent, "calls": closed}
    respond(as_json, document, _submit_summary(rows, counts, report))


ALREADY_NAMED = 3
"""Files recorded before that the text summary names; it counts the rest."""


def _submit_summary(rows: list[dict[str, Any]], counts: dict[str, int], report: intake.IntakeReport) -> str:
    lines = [table(("", "files"), [(status, str(count)) for status, count in counts.items() if count], "<>")]
    # File names come from whoever fills the inbox: a newline in one must not forge a row.
    refused = [
        (shown(r["file"]), shown(r["account"] or "-"), r["status"], shown(r["reason"] or ""))
        for r in rows if r["status"] not in (intake.VALID, intake.ALREADY)
    ]
    if refused:
        lines += ["", table(("file", "account", "status", "reason"), refused, "<<<<")]
    # A rerun after a crash skips most of the inbox: a line each would bury the rest (--json has them all).
    already = [shown(r["file"]) for r in rows if r["status"] == intake.ALREADY]
    if already:
        named = ", ".join(already[:ALREADY_NAMED])
        more = f" and {len(already) - ALREADY_NAMED} more" if len(already) > ALREADY_NAMED else ""
        lines += ["", f"already recorded (same bytes as a file recorded before): {counted(len(already), 'file')}: {named}{more}"]
    # A valid row carries a reason only when a proof of a later book was already current.
    not_current = [f"{shown(r['file'])} ({shown(r['account'])})" for r in rows if r["status"] == intake.VALID and r["reason"]]
    if not_current:
        lines += ["", f"valid but superseded on arrival (a proof of a later book of the account is current): {', '.join(not_current)}"]
    isolated = [f"{shown(r['account'])} ({r['buckets']})" for r in rows if r["status"] == intake.VALID and (r["buckets"] or 1) > 1]
    if isolated:
        lines += ["", f"valid proofs of isolated buckets (count as shown, padded): {', '.join(isolated)}"]
    if report.epoch is not None:
        silent = ", ".join(report.silent) if report.silent else "none"
        lines += ["", f"accounts that sent nothing for epoch {report.epoch}: {silent}"]
    for status, calls in (("met", report.met), ("found overdue", report.overdue)):
        if calls:
            named = ", ".join(f"{call.account} (epoch {call.epoch})" for call in calls)
            lines += ["", f"margin calls {status}: {named}"]
    return "\n".join(lines)


@ledger_group.command(
    "challenge",
    epilog="""\b
Example:
  zkmargin ledger challenge alice --valid-for 2h          # venue: hand the line to alice
  zkmargin prove --params params.json --portfolio alice.json --challenge HEX -o proof.json  # alice: HEX as handed
\b
The challenge is stored with its expiry. The first valid proof that answers it, received
before it expires, consumes it; any later proof answering it is refused as a replay. Until
it is answered or expires, the account's proofs that answer no challenge are refused.""",
)
@click.argument("account", callback=account_name)
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


for command in (ledger_open, ledger_deposit, ledger_withdraw, ledger_export, ledger_accounts):
    ledger_group.add_command(command)
