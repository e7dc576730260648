"""`zkmargin attest`: a custodian signs commitments to a book it holds."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

import zkmargin as zm
from zkmargin.cli.anchoring import (
    allow_unsigned_option,
    load_trusted_params,
    trust_option,
)
from zkmargin.cli.books import load_portfolio
from zkmargin.cli.common import backend_option, emit_json, refuse_existing
from zkmargin.cli.options import AsciiInt, json_option, params_option, portfolio_option
from zkmargin.console import shown


@click.command(
    epilog="""\b
Example (custodian B, for the account the venue knows as "alice"):
  zkmargin attest --key custodian-b.key.json --params params.json --portfolio alice-at-b.json \\
      --sequence 9 -o alice.b.attestation.json --openings alice.b.openings.json
\b
The attestation (commitments, signed) goes with the trader's proofs; the openings file
(0600: every value and blinding) goes to the trader only. --sequence must rise with every
attestation you make for this account. The book must lie inside the params' universe.
The params must be signed by a venue key you trust (--trust, $ZKMARGIN_TRUST): the
attestation names that venue, and only its params will accept it.""",
)
@click.option("--key", "key_path", type=click.Path(path_type=Path), required=True, help="Your signing key (zkmargin keys new).")
@params_option
@portfolio_option
@click.option("--sequence", type=AsciiInt(1, 2**63 - 1), required=True, help="Rises with each attestation for this account.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Attestation file to write (public).")
@click.option(
    "--openings", "openings_path", type=click.Path(path_type=Path), required=True,
    help="Openings file to write for the trader (secret, 0600).",
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@trust_option
@allow_unsigned_option
@json_option
@backend_option
def attest(
    key_path: Path, params_path: Path, portfolio_path: Path, sequence: int, output: Path,
    openings_path: Path, force: bool, trust_paths: tuple[Path, ...], allow_unsigned: bool, as_json: bool,
) -> None:
    """Attest a book you hold as custodian: signed commitments, openings for the trader."""
    for path in (output, openings_path):
        refuse_existing(path, force)
    key = zm.SigningKey.load(key_path)
    params = load_trusted_params(params_path, trust_paths, allow_unsigned)
    book = load_portfolio(portfolio_path, params)
    attestation, openings = zm.attest(key, params, book, sequence=sequence, time=datetime.now(timezone.utc))
    openings.save(openings_path, overwrite=force)
    attestation.save(output, overwrite=force)
    if as_json:
        emit_json({"attestation": str(output), "openings": str(openings_path), "custodian": key.issuer,
                   "account": book.account, "sequence": sequence, "time": attestation.time, "digest": attestation.digest()})
        return
    click.echo(
        f"wrote {output} ({len(attestation.positions) + 1} signed commitments for {shown(book.account)}, "
        f"sequence {sequence}) and {openings_path} (secret: hand it to the trader only)"
    )
