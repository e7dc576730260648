"""`zkmargin account`: commit to an account once, and move its committed cash."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click

import zkmargin as zm
from zkmargin.cli.anchoring import (
    allow_unsigned_option,
    load_trusted_params,
    trust_option,
)
from zkmargin.cli.books import load_portfolio
from zkmargin.cli.common import backend_option, blame, emit_json, refuse_existing
from zkmargin.cli.options import (
    decimal_amount,
    json_option,
    params_option,
    portfolio_option,
)
from zkmargin.console import shown
from zkmargin.files import exclusive
from zkmargin.units import plain


@click.group(
    "account",
    epilog="""\b
Pinning ties later proofs to one set of commitments the venue holds, so deposits and fills
the venue sees move them. The trader makes them: the book behind them is SELF-DECLARED
(nobody attested it). For a book a custodian vouches for, see `zkmargin attest`.
\b
Example:
  zkmargin account open --params params.json --portfolio portfolio.json \\
      -o account.json --openings openings.json       # trader; account.json goes to the venue
  zkmargin prove --params params.json --portfolio portfolio.json \\
      --openings openings.json -o proof.json          # trader
  zkmargin verify --params params.json --commitments account.json proof.json   # venue
  zkmargin account deposit account.json 5000         # venue, when the money arrives
\b
After a deposit the trader adds it to portfolio.json's cash too, and the next proof, with the
same openings, matches the moved commitments.""",
)
def account_group() -> None:
    """Pin self-declared commitments to an account, and move its committed cash."""


@account_group.command(
    "open",
    epilog="""\b
Example:
  zkmargin account open --params params.json --portfolio portfolio.json \\
      -o account.json --openings openings.json
\b
account.json (public commitments) goes to the venue; openings.json (the blindings) stays
with you and is passed to `zkmargin prove --openings`. The params must be signed by a key
you trust (--trust, $ZKMARGIN_TRUST) unless you pass --allow-unsigned.""",
)
@params_option
@portfolio_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="account.json to write: the public commitments, for the venue.",
)
@click.option(
    "--openings",
    "openings_path",
    type=click.Path(path_type=Path),
    required=True,
    help="openings.json to write: the secret blindings, for you only.",
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@trust_option
@allow_unsigned_option
@json_option
@backend_option
def account_open(
    params_path: Path, portfolio_path: Path, output: Path, openings_path: Path, force: bool,
    trust_paths: tuple[Path, ...], allow_unsigned: bool, as_json: bool,
) -> None:
    """Commit to the cash and every position of the universe (trader side)."""
    for path in (output, openings_path):
        refuse_existing(path, force)
    params = load_trusted_params(params_path, trust_paths, allow_unsigned)
    portfolio = load_portfolio(portfolio_path, params)
    commitments, openings = zm.open_account(portfolio, params)
    openings.save(openings_path, overwrite=force)
    commitments.save(output, overwrite=force)
    if as_json:
        emit_json({"account": commitments.account, "commitments": str(output),
                   "openings": str(openings_path), "count": len(commitments.positions) + 1})
        return
    click.echo(
        f"wrote {output} ({len(commitments.positions) + 1} commitments, for the venue) and "
        f"{openings_path} (secret: keep it, prove with --openings)"
    )


def _move_committed_cash(path: Path, amount: Decimal, as_json: bool) -> None:
    # Two runs at once must both land: the file is read and rewritten under one lock.
    with blame(path), exclusive(path) as target:
        commitments = zm.AccountCommitments.load(target)
        commitments.deposit(amount).save(target, overwrite=True)
    amount = plain(amount)  # it fitted the committed cash, so it has few digits to write out
    if as_json:
        emit_json({"account": commitments.account, "file": str(path), "moved": amount})
    else:
        click.echo(f"{path}: committed cash of {shown(commitments.account)} moved by {amount:,}")


@account_group.command(
    "deposit",
    epilog="""\b
Example:
  zkmargin account deposit account.json 5000
\b
Com(c) + d·B opens to c + d with the same blinding: the venue updates the committed
balance without learning it, and the trader's openings stay valid.""",
)
@click.argument("account_path", metavar="ACCOUNT", type=click.Path(path_type=Path))
@click.argument("amount", callback=decimal_amount)
@json_option
@backend_option
def account_deposit(account_path: Path, amount: Decimal, as_json: bool) -> None:
    """Add a deposit to an account's committed cash, in place (venue side)."""
    _move_committed_cash(account_path, amount, as_json)


@account_group.command(
    "withdraw",
    epilog="""\b
Example:
  zkmargin account withdraw account.json 2500""",
)
@click.argument("account_path", metavar="ACCOUNT", type=click.Path(path_type=Path))
@click.argument("amount", callback=decimal_amount)
@json_option
@backend_option
def account_withdraw(account_path: Path, amount: Decimal, as_json: bool) -> None:
    """Take a withdrawal off an account's committed cash, in place (venue side)."""
    _move_committed_cash(account_path, -amount, as_json)
