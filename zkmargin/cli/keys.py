"""`zkmargin keys`: an issuer's Ed25519 key pair, and what it may sign (a venue's params key
signs params, a custodian's custody key attestations)."""

from __future__ import annotations

from pathlib import Path

import click

import zkmargin as zm
from zkmargin.cli.common import emit_json, refuse_existing
from zkmargin.cli.options import json_option
from zkmargin.console import shown
from zkmargin.jsonio import read_json

ROLES_HELP = """\b
Roles (what the key may sign; trusting a key trusts it for its roles only):
  params   margin params (zkmargin params sign): a venue's key
  custody  attestations of books (zkmargin attest): a custodian's key
A key file written before roles existed has no roles field and keeps both roles."""


@click.group(
    "keys",
    epilog=f"""\b
Examples:
  zkmargin keys new --issuer venue-a --role params -o venue-a.key.json --public venue-a.pub.json
  zkmargin keys new --issuer custodian-b --role custody -o custodian-b.key.json --public custodian-b.pub.json
  zkmargin keys show venue-a.pub.json
\b
Keep the key file (0600) on the signing machine; publish the .pub.json file: whoever
trusts it passes it to --trust.
{ROLES_HELP}""",
)
def keys_group() -> None:
    """Make and inspect signing keys (venues and custodians)."""


@keys_group.command(
    "new",
    epilog=f"""\b
Examples:
  zkmargin keys new --issuer venue-a --role params -o venue-a.key.json --public venue-a.pub.json
  zkmargin keys new --issuer custodian-b --role custody -o custodian-b.key.json --public custodian-b.pub.json
\b
--role is required: a default would decide for you which statements a verifier's trust
in this key covers. A venue that is also a custodian makes one key per role, so that
whoever trusts its attestations does not, by the same key, trust it with params.
The key id is the SHA-256 of the public key; params and attestations name it.
To rotate, make a new key and publish both public keys until the old epoch expires.
{ROLES_HELP}""",
)
@click.option("--issuer", required=True, help="Your name as signer: a venue or custodian id (a label).")
@click.option(
    "--role", "roles", type=click.Choice(zm.KEY_ROLES, case_sensitive=False), multiple=True,
    help="Required: what the key may sign, params (venue) or custody (custodian); repeat for both.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="Private key file to write (0600)."
)
@click.option(
    "--public", "public_path", type=click.Path(path_type=Path), required=True, help="Public key file to write."
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@json_option
def keys_new(issuer: str, roles: tuple[str, ...], output: Path, public_path: Path, force: bool, as_json: bool) -> None:
    """Make an Ed25519 key pair: a private key file (0600) and a public key file."""
    if not roles:
        # Not click's required=True: its usage error spans lines and does not say which role is whose.
        raise zm.InputError("--role: required: params for a venue's key (signs params), custody for a custodian's (attests books)")
    for path in (output, public_path):
        refuse_existing(path, force)
    try:
        key = zm.new_key(issuer, *roles)
    except zm.InputError as error:
        raise zm.InputError(f"--issuer: {error}") from None
    key.save(output, overwrite=force)
    key.public().save(public_path, overwrite=force)
    if as_json:
        emit_json({"issuer": issuer, "key_id": key.key_id, "roles": list(key.granted), "key": str(output),
                   "public": str(public_path)})
        return
    click.echo(f"wrote {output} (secret, 0600) and {public_path} (publish it)")
    click.echo(f"issuer {shown(issuer)}, key id {key.key_id}, roles {key.describe_roles()}")


@keys_group.command(
    "show",
    epilog=f"""\b
Examples:
  zkmargin keys show venue-a.pub.json
  zkmargin keys show custodian-b.key.json --json
\b
Prints the issuer, key id and roles of a public or private key file (never the private
key). "legacy": true in --json marks a file without a roles field (both roles).
{ROLES_HELP}""",
)
@click.argument("path", metavar="KEY_FILE", type=click.Path(path_type=Path))
@json_option
def keys_show(path: Path, as_json: bool) -> None:
    """Show who a key file belongs to and what it may sign."""
    document = read_json(path)
    private = isinstance(document, dict) and document.get("format") == "zkmargin-signing-key"
    # A private key file is loaded as one, so that a file others can read is refused here too.
    key = (zm.SigningKey if private else zm.PublicKey).load(path)
    kind = "signing" if private else "public"
    if as_json:
        emit_json({"file": str(path), "kind": kind, "issuer": key.issuer, "key_id": key.key_id,
                   "roles": list(key.granted), "legacy": key.roles is None})
        return
    click.echo(f"{path}: {kind} key of {shown(key.issuer)}, key id {key.key_id}")
    click.echo(f"roles {key.describe_roles()}")
