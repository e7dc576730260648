"""`zkmargin verify` and `verify-batch`: the venue checks proofs against its params."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

import zkmargin as zm
from zkmargin.cli.anchoring import build_policy, challenge_option, policy_options
from zkmargin.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FALSE,
    backend_option,
    blame,
    emit_json,
    fail,
    short_digest,
    table,
)
from zkmargin.cli.options import (
    json_option,
    params_option,
    spread_executor,
    spread_options,
)
from zkmargin.console import format_money, progress_callback, shown
from zkmargin.files import require_regular_file
from zkmargin.jsonio import read_json
from zkmargin.validation import named_kind
from zkmargin.venue.verdicts import BAD_INPUT, INVALID, VALID

_UNPINNED_NOTE = (
    "note: self-declared and not pinned — nothing ties this proof to a book anyone holds; "
    "ask for custodian attestations (--attested-only), or pin with --commitments"
)


def _policy_and_params(options: dict[str, Any], params_path: Path) -> tuple[zm.Policy, zm.RiskParams]:
    """The venue's policy, and the params it accepts (signature, epoch and age checked)."""
    policy = build_policy(options)
    params = zm.RiskParams.load(params_path)
    with blame(params_path):
        policy.check_params(params)
    return policy, params


def _load_proof(path: Path) -> Any:
    """The proof file parsed, its statement's threshold included: a statement that cannot be
    read is a malformed file (exit 2), whatever the verifier would make of the rest."""
    proof = zm.MarginProof.load(path)
    proof.to_statement()
    return proof


def _require_same_params(proof: Any, proof_path: Path, params: Any, params_path: Path) -> None:
    """A proof made for other params is a wrong question (exit 2), not a false statement."""
    digest = params.digest()
    if proof.params_digest != digest:
        raise zm.InputError(
            f"{proof_path}: params_digest {short_digest(proof.params_digest)} does not match "
            f"{params_path} ({short_digest(digest)}); the proof was made for other params{_epochs_apart(proof, params)}"
        )


def _epochs_apart(proof: Any, params: Any) -> str:
    """Which epoch each side names, when both are signed epochs: the usual mismatch is an old
    proof against today's params, and the fix (prove again) depends on which side is older."""
    claimed, authority = proof.statement, params.epoch
    if claimed.epoch is None or authority is None or claimed.epoch == authority.epoch:
        return ""
    return (
        f" (the proof names epoch {claimed.epoch} of {shown(claimed.issuer or '?')!r}, "
        f"the params are epoch {authority.epoch} of {shown(authority.issuer)!r})"
    )


def statement_document(statement: Any) -> dict[str, Any]:
    authority = statement.params_authority
    return {
        "account": statement.account,
        "model": statement.model,
        "level": statement.level,
        "threshold": statement.threshold,
        "currency": statement.currency,
        "params_digest": statement.params_digest,
        # Only what a trusted signature vouched for: a statement's own issuer and epoch are the
        # prover's words when the params are unsigned.
        "issuer": authority.issuer if authority else None,
        "epoch": authority.epoch if authority else None,
        "challenge": statement.challenge,
        "self_declared": statement.self_declared,
        "provenance": statement.provenance,
        "attestations": [attestation.document() for attestation in statement.attestations],
        "buckets": statement.buckets,
        "circuit_digest": statement.circuit_digest,
    }


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
short of the policy (--require-*, --max-*, --attested-only, --challenge) is exit 1.
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
    policy, params = _policy_and_params(policy, params_path)
    proof = _load_proof(proof_path)
    _require_same_params(proof, proof_path, params, params_path)
    commitments = zm.AccountCommitments.load(commitments_path) if commitments_path else None
    try:
        statement = zm.verify(proof, params, commitments=commitments, challenge=challenge, policy=policy)
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
        click.echo(_UNPINNED_NOTE, err=True)


def format_statement(document: dict[str, Any]) -> str:
    threshold = format_money(document["threshold"], document["currency"])
    # the count is padded: some of these buckets may be empty ones the prover added
    isolated = (
        f" in each of {document['buckets']} isolated buckets (a padded count: some may be empty)"
        if document["buckets"] > 1 else ""
    )
    return (
        f"account {shown(document['account'])} meets the {shown(document['level'])} requirement of "
        f"{shown(document['model'])}{isolated} with excess ≥ {threshold} "
        f"(params {short_digest(document['params_digest'])}{_epoch(document)})"
    )


def _epoch(document: dict[str, Any]) -> str:
    if document["epoch"] is None:
        return ", unsigned"
    return f", epoch {document['epoch']} of {shown(document['issuer'])}"


# ---------------------------------------------------------------------------------------------
# verify-batch


@dataclass(frozen=True)
class _Verdict:
    """What verify-batch made of one file, in the words of `ledger submit`: valid, invalid
    (the proof does not verify or falls short of the policy) or bad input (not a proof, a
    proof for other params, an attestation by a key not trusted: the question was wrong,
    as `verify` would say with exit 2)."""

    file: Path
    status: str
    account: str | None = None
    reason: str | None = None
    proof: Any = None


def _json_files(sources: tuple[Path, ...], params_path: Path, what: str) -> list[Path]:
    """Every named file, and every *.json in every named directory except the params file.

    A directory that cannot be listed, a named file that is not there, or no file at all is
    bad input before anything is read: the venue's command line is wrong, not a file sent in."""
    # realpath, not Path.resolve: a symlink loop among the files is bad input when read, not a RuntimeError here
    params_file = os.path.realpath(params_path)
    files: list[Path] = []
    for source in sources:
        if source.is_dir():
            files += sorted(
                path for path in source.iterdir()
                if path.name.endswith(".json") and os.path.realpath(path) != params_file
            )
        elif os.path.lexists(source):  # a dangling link is one more unreadable file, judged as such
            files.append(source)
        else:
            fail(f"{source}: no such file or directory", EXIT_BAD_INPUT)
    if not files:
        fail(f"no {what} in {', '.join(map(str, sources))}", EXIT_BAD_INPUT)
    return files


def _load_pinned(
    sources: tuple[Path, ...], params_path: Path
) -> dict[str, zm.AccountCommitments]:
    """Account label → commitments, from account.json files; a label twice is bad input."""
    pinned: dict[str, zm.AccountCommitments] = {}
    for path in _json_files(sources, params_path, "account files"):
        commitments = zm.AccountCommitments.load(path)
        if commitments.account in pinned:
            fail(f"{path}: a second account file for {commitments.account!r}", EXIT_BAD_INPUT)
        pinned[commitments.account] = commitments
    return pinned


def _read_for_batch(path: Path, params: zm.RiskParams, params_path: Path) -> _Verdict:
    """The file's proof, provisionally valid until verified, or its bad input verdict: one
    file sent in never stops the batch (a FIFO among them is refused unread: it would block)."""
    proof = None
    try:
        require_regular_file(path)
        proof = _load_proof(path)
        _require_same_params(proof, path, params, params_path)
    except zm.InputError as error:
        return _Verdict(path, BAD_INPUT, proof.account if proof else None, str(error))
    return _Verdict(path, VALID, proof.account, proof=proof)


@click.command(
    "verify-batch",
    epilog="""\b
Examples:
  zkmargin verify-batch --params params.json proofs/
  zkmargin verify-batch --params params.json alice.json bob.json --json
  zkmargin verify-batch --params params.json proofs/ --jobs 2
  zkmargin verify-batch --params params.json proofs/ --scheduler tcp://10.0.0.5:8786
  zkmargin verify-batch --params params.json proofs/ --challenge challenges.json
\b
--challenge takes one challenge for every proof (64 hex digits), or a file such as
{"alice": "6f1c…", "bob": "a05e…"}: each proof must answer the challenge handed to its
account (invalid otherwise; an account absent from the file is invalid). A second
proof answering one account's challenge is invalid as replayed: one challenge, one answer.
\b
Every file gets a verdict, as in ledger submit: valid; invalid (the proof does not verify,
or falls short of the policy); bad input (not a proof, unreadable, made for other params,
resting on an attestation by a key no --trust names).
No file stops the others. All proofs are checked in one multi-scalar multiplication; a
failing batch is bisected so every invalid proof is named. Exit 0 when all are valid, 2
when any file is bad input, else 1 when any is invalid; a directory that cannot be read,
or holds no *.json file, is exit 2 before any file is judged.""",
)
@params_option
@click.argument(
    "sources", metavar="DIR_OR_FILES...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option(
    "--commitments",
    "commitment_sources",
    multiple=True,
    type=click.Path(path_type=Path),
    help="account.json files, or directories of them: every proof must be about its "
    "account's pinned commitments (repeatable).",
)
@click.option(
    "--challenge",
    "challenge_source",
    metavar="HEX|FILE",
    help="The challenge every proof must answer (64 hex digits), or a JSON file mapping each "
    "account to the challenge handed to it; a proof for an account missing from it is invalid.",
)
@policy_options
@spread_options
@json_option
@backend_option
def verify_batch(
    params_path: Path,
    sources: tuple[Path, ...],
    commitment_sources: tuple[Path, ...],
    challenge_source: str | None,
    jobs: int | None,
    scheduler: str | None,
    as_json: bool,
    **policy: Any,
) -> None:
    """Verify many accounts' proofs at once: a verdict for every file (venue side)."""
    policy, params = _policy_and_params(policy, params_path)
    pinned = _load_pinned(commitment_sources, params_path) if commitment_sources else None
    verdicts = [_read_for_batch(path, params, params_path) for path in _json_files(sources, params_path, "proof files")]
    readable = [index for index, verdict in enumerate(verdicts) if verdict.status == VALID]
    proofs = [verdicts[index].proof for index in readable]
    challenges = _challenges(challenge_source, [proof.account for proof in proofs])
    started = time.perf_counter()
    with spread_executor(jobs, scheduler) as executor, click.progressbar(
        length=len(proofs), label="verifying", file=sys.stderr, show_pos=True
    ) as bar:
        result = zm.verify_batch(
            proofs,
            params,
            commitments=pinned,
            progress=progress_callback(bar),
            policy=policy,
            executor=executor,
            challenges=challenges,
        )
    seconds = time.perf_counter() - started
    for failure in result.failures:
        index = readable[failure.index]
        status = BAD_INPUT if failure.bad_input else INVALID
        verdicts[index] = replace(verdicts[index], status=status, reason=failure.reason)
    verified = [
        {"file": str(verdicts[index].file), **statement_document(statement)}
        for index, statement in zip(readable, result.statements)
        if statement is not None
    ]
    files = [
        {"file": str(verdict.file), "account": verdict.account, "status": verdict.status, "reason": verdict.reason}
        for verdict in verdicts
    ]
    counts = {status: sum(row["status"] == status for row in files) for status in (VALID, INVALID, BAD_INPUT)}
    if as_json:
        emit_json(
            {
                "params_digest": params.digest(),
                "total": len(files),
                "counts": counts,
                "seconds": round(seconds, 3),
                "pinned": pinned is not None,
                "statements": verified,
                "files": files,
            }
        )
    else:
        click.echo(format_batch_summary(counts, verified, files, seconds))
        if pinned is None and verified:
            click.echo(_UNPINNED_NOTE, err=True)
    if counts[BAD_INPUT]:
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
    if counts[INVALID]:
        raise click.exceptions.Exit(EXIT_FALSE)


def _challenges(source: str | None, accounts: list[str]) -> dict[str, str] | None:
    """Account → the challenge its proof must answer: one for all, or a JSON map from a file."""
    if source is None:
        return None
    if not Path(source).exists():
        try:
            return dict.fromkeys(accounts, zm.check_challenge(source))
        except zm.InputError:
            raise zm.InputError(f"--challenge {source!r}: neither 64 hex digits nor a file") from None
    document = read_json(Path(source))
    if (kind := named_kind(document)) is not None:
        raise zm.InputError(f"{source}: is {kind}, not a JSON object mapping each account to its challenge")
    if not isinstance(document, dict) or not document:
        raise zm.InputError(f"{source}: expected a JSON object mapping each account to its challenge")
    with blame(Path(source)):
        return {str(account): zm.check_challenge(challenge) for account, challenge in document.items()}


def format_batch_summary(
    counts: dict[str, int], verified: list[dict[str, Any]], files: list[dict[str, Any]], seconds: float
) -> str:
    """Counts, then what the valid proofs state (grouped, with provenance), then every file
    that is not valid, with its verdict and reason."""
    checked = counts[VALID] + counts[INVALID]
    per_proof = 1000 * seconds / checked if checked else 0.0
    lines = [
        table(("", "files"), [("total", str(len(files))), *((status, str(count)) for status, count in counts.items())], "<>"),
        f"verified in {seconds:.2f} s ({per_proof:.1f} ms per proof)",
    ]
    # Grouped by provenance too: "valid" alone would read as vouched-for when nobody attested the book.
    claims = Counter(
        (row["model"], row["level"], format_money(row["threshold"], row["currency"]),
         "self-declared" if row["self_declared"] else "attested", row["buckets"])
        for row in verified
    )
    if claims:
        rows = [
            (shown(model), shown(level), f"≥ {threshold}", provenance, str(buckets), str(count))
            for (model, level, threshold, provenance, buckets), count in sorted(claims.items())
        ]
        lines += ["", "valid proofs state:",
                  table(("model", "level", "excess", "provenance", "buckets (padded)", "accounts"), rows, "<<><>>")]
    refused = [
        (shown(row["file"]), shown(row["account"] or "-"), row["status"], shown(row["reason"]))
        for row in files if row["status"] != VALID
    ]
    if refused:
        lines += ["", table(("file", "account", "status", "reason"), refused, "<<<<")]
    return "\n".join(lines)
