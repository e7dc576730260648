"""`zkmargin verify-batch`: the venue checks many accounts' proofs at once, a verdict for
every file."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

import zkmargin as zm
from zkmargin.cli.anchoring import policy_options
from zkmargin.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FALSE,
    backend_option,
    blame,
    emit_json,
    fail,
    in_cli_words,
)
from zkmargin.cli.options import (
    json_option,
    params_option,
    spread_executor,
    spread_options,
)
from zkmargin.cli.verify import load_proof, policy_and_params
from zkmargin.cli.verify_view import (
    duplicate_accounts,
    duplicate_warning,
    format_batch_summary,
    statement_document,
    unpinned_batch_note,
)
from zkmargin.console import progress_callback
from zkmargin.files import require_regular_file
from zkmargin.jsonio import read_json
from zkmargin.validation import named_kind
from zkmargin.venue.verdicts import BAD_INPUT, INVALID, VALID


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


def _read_for_batch(path: Path) -> _Verdict:
    """The file's proof, provisionally valid until verified, or its bad input verdict: one
    file sent in never stops the batch (a FIFO among them is refused unread: it would block).
    A proof for other params is the library's to refuse (`WrongParams`, bad input)."""
    proof = None
    try:
        require_regular_file(path)
        proof = load_proof(path)
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
    policy, params = policy_and_params(policy, params_path)
    pinned = _load_pinned(commitment_sources, params_path) if commitment_sources else None
    verdicts = [_read_for_batch(path) for path in _json_files(sources, params_path, "proof files")]
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
        verdicts[index] = replace(verdicts[index], status=status, reason=in_cli_words(failure.reason))
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
    duplicates = duplicate_accounts(verified)
    # pinned: every valid proof is about the commitments the venue holds, attested or not
    unpinned = 0 if pinned is not None else sum(row["self_declared"] for row in verified)
    if as_json:
        emit_json(
            {
                "params_digest": params.digest(),
                "total": len(files),
                "counts": counts,
                "seconds": round(seconds, 3),
                "pinned": pinned is not None,
                "accounts": len({row["account"] for row in verified}),
                "unpinned_self_declared": unpinned,
                "duplicate_accounts": duplicates,
                "statements": verified,
                "files": files,
            }
        )
    else:
        click.echo(format_batch_summary(counts, verified, files, seconds))
        if duplicates:
            click.echo(duplicate_warning(duplicates), err=True)
        if unpinned:
            click.echo(unpinned_batch_note(unpinned, len(verified)), err=True)
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
