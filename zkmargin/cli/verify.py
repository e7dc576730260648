"""`zkmargin verify`: the venue checks one proof against its params.

Also what verify-batch reads the same way: the venue's policy and the params it accepts, and
a proof file with its statement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import zkmargin as zm
from zkmargin.cli.anchoring import build_policy, challenge_option, policy_options
from zkmargin.cli.common import (
    EXIT_FALSE,
    backend_option,
    blame,
    emit_json,
    fail,
)
from zkmargin.cli.options import json_option, params_option
from zkmargin.cli.verify_view import UNPINNED_NOTE, format_statement, statement_document
from zkmargin.console import shown


def policy_and_params(options: dict[str, Any], params_path: Path) -> tuple[zm.Policy, zm.RiskParams]:
    """The venue's policy, and the params it accepts (signature, epoch and age checked)."""
    policy = build_policy(options)
    params = zm.RiskParams.load(params_path)
    with blame(params_path):
        policy.check_params(params)
    return policy, params


def load_proof(path: Path) -> Any:
    """The proof file parsed, its statement's threshold included: a statement that cannot be
    read is a malformed file (exit 2), whatever the verifier would make of the rest."""
    proof = zm.MarginProof.load(path)
    proof.to_statement()
    return proof


@click.command(
    epilog="""\b
Examples:
  zkmargin verify --params params.json --trust venue-a.pub.json proof.json
  zkmargin verify --params params.json --trust keys/ --require-level initial \\
      --require-excess 5000 --attested-only --require-custodian custodian-b \\
      --max-attestation-age 1d --challenge HEX proof.json   # HEX: the 64 hex digits you handed out
\b
The venue learns the account label, the model, the level, the threshold, the params epoch
and which custodians attested the book (if any) — no position. A valid proof that falls
short of the policy (--require-*, --max-attestation-age, --attested-only, --challenge) is
exit 1; params older than --max-params-age are the wrong params to ask with, exit 2.
Exit 0 valid, 1 invalid (with the reason), 2 bad input (e.g. a proof for other params).""",
)
@params_option
@click.argument("proof_path", metavar="PROOF", type=click.Path(path_type=Path))
@click.option(
    "--commitments",
    "commitments_path",
    type=click.Path(path_type=Path),
    help="The account's account.json (zkmargin account open): the proof must be about it.",
)
@challenge_option
@policy_options
@json_option
@backend_option
def verify(
    params_path: Path,
    proof_path: Path,
    commitments_path: Path | None,
    challenge: str | None,
    as_json: bool,
    **policy: Any,
) -> None:
    """Verify one margin proof against the published params (venue side)."""
    policy, params = policy_and_params(policy, params_path)
    proof = load_proof(proof_path)
    commitments = zm.AccountCommitments.load(commitments_path) if commitments_path else None
    try:
        statement = zm.verify(proof, params, commitments=commitments, challenge=challenge, policy=policy)
    except zm.WrongParams as error:
        raise zm.WrongParams(f"{proof_path} against {params_path}: {error}") from None
    except zm.InvalidProof as error:
        if as_json:
            emit_json({"valid": False, "proof": str(proof_path), "reason": error.reason})
            raise click.exceptions.Exit(EXIT_FALSE) from None
        fail(f"{proof_path}: INVALID: {error.reason}", EXIT_FALSE)
    document = statement_document(statement)
    if as_json:
        emit_json(
            {"valid": True, "proof": str(proof_path), "pinned": commitments is not None, **document}
        )
        return
    click.echo(f"VALID: {format_statement(document)}")
    click.echo(f"provenance: {shown(statement.provenance)}")
    if commitments is None and statement.self_declared:
        click.echo(UNPINNED_NOTE, err=True)
