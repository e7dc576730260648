"""`zkmargin prove`: the trader proves, in zero knowledge, that the account meets its margin."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path

import click

import zkmargin as zm
from zkmargin.cli.anchoring import (
    allow_unsigned_option,
    challenge_option,
    load_trusted_params,
    trust_option,
)
from zkmargin.cli.books import load_book
from zkmargin.cli.common import (
    EXIT_FALSE,
    backend_option,
    blame,
    emit_json,
    fail,
    interactive,
    refuse_existing,
)
from zkmargin.cli.options import (
    AsciiInt,
    json_option,
    level_option,
    min_excess_option,
    params_option,
)
from zkmargin.console import format_money, running_bar, shown
from zkmargin.files import write_atomic


@click.command(
    epilog="""\b
Examples:
  zkmargin prove --params params.json --portfolio examples/portfolio.json -o proof.json
  zkmargin prove --params params.json --portfolio examples/portfolio.json \\
      --level initial --min-excess 400 -o proof.json
  zkmargin prove --params params.json --portfolio examples/portfolio.json --jobs 1 -o proof.json
  zkmargin prove --params params.json --trust venue-a.pub.json \\
      --attestation alice.a.json --openings alice.a.openings.json \\
      --attestation alice.b.json --openings alice.b.openings.json -o proof.json
  zkmargin prove --params params.json --trust venue-a.pub.json --portfolio portfolio.json \\
      --challenge HEX -o proof.json          # HEX: the 64 hex digits the venue handed you
  zkmargin prove --params params.json --portfolio examples/portfolio_buckets.json \\
      --pad-buckets 8 -o proof.json
  zkmargin prove --params params.json --portfolio examples/portfolio_buckets.json \\
      --openings alice.openings.json --commitments alice.account.json --pad-buckets 4 -o proof.json
  zkmargin prove --params params.json --trust venue-a.pub.json --portfolio buckets.json \\
      --attestation alice.a.json --openings alice.a.openings.json -o proof.json
\b
The params must be signed by a key you trust (--trust, or $ZKMARGIN_TRUST); the proof
names their issuer and epoch, and the venue's challenge when one is given. Over
attestations, the proved book is the sum of the custodians' books (cross-venue margin);
their signatures are checked when a trusted key has the custody role (else a note).
A portfolio with "buckets" is proved bucket by bucket (isolated margin: each bucket meets
its own requirement with its own cash, --min-excess each); the venue sees only the bucket
count, padded to the next power of two or to --pad-buckets. For a pinned account (a
venue's ledger) the buckets split the pinned book: their cash and positions must add up
to it, and the padding buckets' cash (--min-excess each) comes out of the real buckets'
excess, largest first.
\b
proof.json holds commitments and the proof, never a quantity: send it to the venue.
Exit 1 with the shortfall when the account does not meet the requirement.""",
)
@params_option
@trust_option
@allow_unsigned_option
@click.option(
    "--portfolio",
    "portfolio_path",
    type=click.Path(path_type=Path),
    help="Your portfolio.json (self-declared book). With --attestation, only a file with buckets that split "
    "the attested book. It never leaves this machine.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="proof.json to write."
)
@level_option
@min_excess_option
@click.option(
    "--attestation",
    "attestation_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A custodian's attestation of (part of) your book (repeatable: books at several "
    "custodians add up). Give each one's --openings too.",
)
@click.option(
    "--jobs",
    type=AsciiInt(min=1),
    default=None,
    help="Processes the proof may use (default: 2 on a machine with two cores or more).",
)
@click.option(
    "--openings",
    "openings_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="With --attestation: each attestation's openings file. Without: openings.json from "
    "`zkmargin account open`, to prove about the pinned account.",
)
@click.option(
    "--commitments", "commitments_path", type=click.Path(path_type=Path),
    help="With --openings: the account.json the venue holds (zkmargin ledger export). A book, or "
    "buckets, that does not open it is refused before proving.",
)
@challenge_option
@click.option(
    "--pad-buckets",
    "pad_to",
    type=AsciiInt(min=1, max=64),
    default=None,
    metavar="N",
    help="Show at least N isolated buckets (empty ones are added and proved): the venue "
    "learns N, not how many you hold. Default: the next power of two.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@json_option
@backend_option
def prove(
    params_path: Path,
    trust_paths: tuple[Path, ...],
    allow_unsigned: bool,
    portfolio_path: Path | None,
    output: Path,
    level: str,
    min_excess: Decimal,
    attestation_paths: tuple[Path, ...],
    openings_paths: tuple[Path, ...],
    commitments_path: Path | None,
    jobs: int | None,
    challenge: str | None,
    pad_to: int | None,
    force: bool,
    as_json: bool,
) -> None:
    """Prove, in zero knowledge, that a portfolio meets the margin requirement."""
    refuse_existing(output, force)
    params = load_trusted_params(params_path, trust_paths, allow_unsigned)
    portfolio, openings, attestations = _book(params, portfolio_path, attestation_paths, openings_paths)
    if attestations:
        _check_custodians(params, attestations, attestation_paths, trust_paths)
    if commitments_path is not None and (openings is None or attestations):
        raise click.UsageError("--commitments goes with --portfolio and its --openings (a pinned account)")
    commitments = zm.AccountCommitments.load(commitments_path) if commitments_path else None
    if commitments is not None:
        with blame(commitments_path):
            commitments.require_account(portfolio.account)
    if not as_json and interactive(sys.stderr):
        click.echo(
            f"proving {shown(portfolio.account)} against {params.model} ({level}), "
            f"{len(params.instruments)} instruments × {len(params.scenarios)} scenarios …",
            err=True,
        )
    started = time.perf_counter()
    live = not as_json and interactive(sys.stderr)
    try:
        with running_bar("proving", sys.stderr) if live else nullcontext():
            proof = zm.prove(
                portfolio, params, level=level, min_excess=min_excess, openings=openings, challenge=challenge,
                attestations=attestations, workers=jobs, pad_to=pad_to, commitments=commitments,
            )
    except zm.InsufficientMargin as error:
        reason = short_reason(error, min_excess, params.currency)
        if as_json:
            emit_json(
                {
                    "account": portfolio.account,
                    "proved": False,
                    "level": level,
                    "currency": params.currency,
                    "shortfall": error.shortfall,
                    "reason": reason,
                }
            )
            raise click.exceptions.Exit(EXIT_FALSE) from None
        if isinstance(portfolio, zm.BucketedPortfolio):
            # The library names each short bucket; the total is what a deposit must cover.
            fail(
                f"cannot prove: {shown(portfolio.account)} is short by "
                f"{format_money(error.shortfall, params.currency)} in all ({reason})",
                EXIT_FALSE,
                "InsufficientMargin",
            )
        fail(f"cannot prove: {reason}", EXIT_FALSE, "InsufficientMargin")
    seconds = time.perf_counter() - started
    write_atomic(output, proof.to_json(), overwrite=force)
    if as_json:
        emit_json(
            {
                "account": proof.account,
                "proved": True,
                "proof": str(output),
                "model": proof.model,
                "level": proof.level,
                "threshold": proof.threshold,
                "params_digest": proof.params_digest,
                "issuer": proof.statement.issuer,
                "epoch": proof.statement.epoch,
                "challenge": proof.statement.challenge,
                "attestations": len(attestations),
                "buckets": proof.buckets,
                "commitments": len(proof.commitments),
                "size": proof.size,
                "seconds": round(seconds, 3),
            }
        )
        return
    click.echo(
        f"wrote {output}: {len(proof.commitments)} commitments, range proof {proof.size:,} bytes, "
        f"proved in {seconds:.2f} s{_buckets_note(portfolio, proof)}"
    )


def _buckets_note(book: zm.Portfolio | zm.BucketedPortfolio, proof: zm.MarginProof) -> str:
    if not isinstance(book, zm.BucketedPortfolio):
        return ""
    return f"; {len(book.buckets)} isolated buckets, each meeting its own requirement (the venue sees {proof.buckets})"


def _check_custodians(
    params: zm.RiskParams, attestations: tuple[zm.Attestation, ...], paths: tuple[Path, ...], trust_paths: tuple[Path, ...]
) -> None:
    """Each attestation signed by a trusted custody key, when the trusted keys name any: a
    proof over an untrusted custodian's book would only be refused at the venue. Trusted
    keys for params alone say nothing about custodians, so then a note says what went unchecked."""
    trust = zm.Trust.load(trust_paths)  # load_trusted_params has named any legacy key already
    if not trust.holds_role("custody"):
        click.echo(
            "zkmargin: note: the custodians' signatures on the attestations are not checked: no trusted key "
            "has the custody role; the venue checks them (add --trust <custodian key file> to check them here)",
            err=True,
        )
        return
    for path, attestation in zip(paths, attestations):
        with blame(path):
            attestation.check(params, trust)


def _book(
    params: zm.RiskParams, portfolio_path: Path | None, attestation_paths: tuple[Path, ...], openings_paths: tuple[Path, ...]
) -> tuple[zm.Portfolio | zm.BucketedPortfolio, zm.AccountOpenings | None, tuple[zm.Attestation, ...]]:
    """The book to prove: a self-declared portfolio, or the sum of attested books."""
    if not attestation_paths:
        if portfolio_path is None:
            raise click.UsageError("give --portfolio, or --attestation with --openings")
        if len(openings_paths) > 1:
            raise click.UsageError("without --attestation, give at most one --openings (from `account open`)")
        book = load_book(portfolio_path, params)
        if not openings_paths:
            return book, None, ()
        openings = zm.AccountOpenings.load(openings_paths[0])
        with blame(openings_paths[0]):
            openings.require_account(book.account)
        return book, openings, ()
    split = load_book(portfolio_path, params) if portfolio_path is not None else None
    if split is not None and not isinstance(split, zm.BucketedPortfolio):
        raise click.UsageError("with --attestation, --portfolio may only split the attested book into buckets")
    if len(openings_paths) != len(attestation_paths):
        raise click.UsageError("give one --openings for each --attestation")
    attestations = [zm.Attestation.load(path) for path in attestation_paths]
    by_digest = {}
    for path in openings_paths:
        openings = zm.AttestationOpenings.load(path)
        by_digest[openings.attestation] = openings
    missing = [str(path) for path, a in zip(attestation_paths, attestations) if a.digest() not in by_digest]
    if missing:
        raise zm.InputError(f"no --openings file opens {', '.join(missing)}")
    book = zm.attested_book([(a, by_digest[a.digest()]) for a in attestations], params)
    return split or book.portfolio, book.openings, book.attestations


def short_reason(error: zm.InsufficientMargin, min_excess: Decimal, currency: str) -> str:
    """The library's shortfall, plus the threshold it counts: with --min-excess an account
    whose equity is above the requirement can still be short, which needs saying."""
    if not min_excess:
        return str(error)
    return (
        f"{error}; the shortfall includes --min-excess {format_money(min_excess, currency)}: "
        "equity must reach the requirement plus that threshold"
    )
