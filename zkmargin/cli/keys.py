"""`zkmargin keys`: an issuer's Ed25519 key pair (a venue signs params, a custodian attestations)."""

from __future__ import annotations

from pathlib import Path

import click

import zkmargin as zm
from zkmargin.cli.common import emit_json, refuse_existing
from zkmargin.console import shown


@click.group(
    "keys",
    epilog="""\b
Example:
  zkmargin keys new --issuer venue-a -o venue-a.key.json --public venue-a.pub.json
\b
Keep the key file (0600) on the signing machine; publish the .pub.json file: whoever
trusts it passes it to --trust.""",
)
def keys_group() -> None:
    """Make signing keys (venues and custodians)."""


@keys_group.command(
    "new",
    epilog="""\b
Example:
  zkmargin keys new --issuer venue-a -o venue-a.key.json --public venue-a.pub.json
\b
The key id is the SHA-256 of the public key; params and attestations name it.
To rotate, make a new key and publish both public keys until the old epoch expires.""",
)
@click.option("--issuer", required=True, help="Your name as signer: a venue or custodian id (a label).")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="Private key file to write (0600)."
)
@click.option(
    "--public", "public_path", type=click.Path(path_type=Path), required=True, help="Public key file to write."
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def keys_new(issuer: str, output: Path, public_path: Path, force: bool, as_json: bool) -> None:
    """Make an Ed25519 key pair: a private key file (0600) and a public key file."""
    for path in (output, public_path):
        refuse_existing(path, force)
    try:
        key = zm.new_key(issuer)
    except zm.InputError as error:
        raise zm.InputError(f"--issuer: {error}") from None
    key.save(output, overwrite=force)
    key.public().save(public_path, overwrite=force)
    if as_json:
        emit_json({"issuer": issuer, "key_id": key.key_id, "key": str(output), "public": str(public_path)})
        return
    click.echo(f"wrote {output} (secret, 0600) and {public_path} (publish it)")
    click.echo(f"issuer {shown(issuer)}, key id {key.key_id}")
