"""The `zkmargin` command line: venue and trader workflows on top of the public API.

Exit codes are the contract scripts rely on:

- 0 — the account meets the requirement / the proof is valid;
- 1 — the statement is false: `InsufficientMargin` (with the shortfall) or `InvalidProof`
  (with the reason), or a batch with at least one failure;
- 2 — the question was malformed: missing or unreadable file, bad JSON, unknown field,
  a proof made for other params, unknown backend, an output that exists without --force.

Bad input is one line on stderr that names the file and the field; `--debug` re-raises so the
traceback shows. `--json` prints exactly one JSON document on stdout whose money values are
decimal strings.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

import click

import zkmargin as zm
from zkmargin import demo as walkthrough
from zkmargin.demo import format_money, progress_callback
from zkmargin.jsonio import write_atomic

_EXIT_FALSE = 1
_EXIT_BAD_INPUT = 2
_BACKENDS = ("arkworks", "py_ecc")
_UNPINNED_NOTE = (
    "note: not pinned — a proof alone shows that its prover knows some account meeting the "
    "statement; pass --commitments with the account files you hold to tie it to the account"
)
_SCHEMAS: dict[str, Callable[[], Any]] = {
    "market": lambda: zm.Market.json_schema(),
    "portfolio": lambda: zm.Portfolio.json_schema(),
    "risk-arrays": lambda: zm.RiskArrays.json_schema(),
    "proof": lambda: zm.MarginProof.json_schema(),
}


class _ZkMarginGroup(click.Group):
    """A click group that turns zkmargin's deliberate errors into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except zm.ZkMarginError as error:
            if ctx.meta.get("zkmargin.debug"):
                raise
            code = (
                _EXIT_FALSE
                if isinstance(error, (zm.InvalidProof, zm.InsufficientMargin))
                else _EXIT_BAD_INPUT
            )
            _fail(str(error), code)
        except OSError as error:
            if ctx.meta.get("zkmargin.debug"):
                raise
            where = f"{error.filename}: " if error.filename else ""
            _fail(f"{where}{error.strerror or error}", _EXIT_BAD_INPUT)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"zkmargin: error: {message}", err=True)
    raise click.exceptions.Exit(code)


def _select_backend(ctx: click.Context, _param: click.Parameter, name: str | None) -> None:
    if name is None:
        return
    from zkmargin.hazmat import groups

    try:
        groups.use(name)
    except zm.ZkMarginError as error:
        if ctx.meta.get("zkmargin.debug"):
            raise
        _fail(f"--backend {name}: {error}", _EXIT_BAD_INPUT)


_backend_option = click.option(
    "--backend",
    metavar="|".join(_BACKENDS),
    callback=_select_backend,
    expose_value=False,
    help="Curve backend (default: $ZKMARGIN_BACKEND, else arkworks when installed).",
)


def _set_debug(ctx: click.Context, _param: click.Parameter, debug: bool) -> None:
    ctx.meta["zkmargin.debug"] = debug


def _decimal(_ctx: click.Context, param: click.Parameter, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise click.BadParameter(f"{text!r} is not a decimal number", param=param) from None
    if not value.is_finite() or value < 0:
        raise click.BadParameter(f"{text!r} must be a finite amount ≥ 0", param=param)
    return value


# Options shared by several commands (click.option already returns a decorator).
_params_option = click.option(
    "--params",
    "params_path",
    type=click.Path(path_type=Path),
    required=True,
    help="params.json published by the venue (zkmargin params build).",
)
_portfolio_option = click.option(
    "--portfolio",
    "portfolio_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Your portfolio.json (zkmargin schema portfolio); it never leaves this machine.",
)
_level_option = click.option(
    "--level",
    default="maintenance",
    show_default=True,
    help="Margin level of the params: maintenance or initial.",
)
_min_excess_option = click.option(
    "--min-excess",
    callback=_decimal,
    default="0",
    metavar="AMOUNT",
    help="Require equity − requirement ≥ AMOUNT as well (public threshold, currency units).",
)


@contextmanager
def _blame(path: Path) -> Iterator[None]:
    """Prefix an input error with the file it came from, when the message does not name it."""
    try:
        yield
    except zm.InputError as error:
        if str(path) in str(error):
            raise
        raise type(error)(f"{path}: {error}") from error


def _load_portfolio(path: Path, params: zm.RiskParams) -> zm.Portfolio:
    """The portfolio, checked against the params' universe and fixed-point ranges."""
    portfolio = zm.Portfolio.load(path)
    with _blame(path):
        params.position_vector(portfolio)
    return portfolio


def _refuse_existing(output: Path, force: bool) -> None:
    if output.exists() and not force:
        _fail(f"{output} already exists; pass --force to overwrite it", _EXIT_BAD_INPUT)


def _interactive(stream: Any) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def _emit_json(document: dict[str, Any]) -> None:
    click.echo(json.dumps(_json_ready(document), indent=2))


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    return value


def _short_digest(digest: str) -> str:
    return f"{digest[:16]}…"


def _table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], align: str) -> str:
    """Columns padded to their widest cell; `align` has one "<" or ">" per column."""
    rows = [header, *rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if side == "<" else cell.rjust(width)
            for cell, width, side in zip(row, widths, align)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the group


@click.group(
    cls=_ZkMarginGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Example — the whole story in under a minute:
  zkmargin demo --fast
\b
Trader:  zkmargin check --params params.json --portfolio portfolio.json
         zkmargin prove --params params.json --portfolio portfolio.json -o proof.json
Venue:   zkmargin params build --market market.json --model circuits/span.toml -o params.json
         zkmargin verify --params params.json proof.json
\b
Exit codes: 0 meets / valid, 1 short / invalid, 2 bad input.""",
)
@click.version_option(zm.__version__, prog_name="zkmargin")
@click.option(
    "--debug",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_set_debug,
    help="Show the full traceback instead of a one-line error.",
)
@_backend_option
def cli() -> None:
    """Prove that an account meets its margin requirement without showing its positions."""


# ---------------------------------------------------------------------------------------------
# params


@cli.group(
    "params",
    epilog="""\b
Example:
  zkmargin params build --market examples/market.json \\
      --model circuits/span.toml -o params.json""",
)
def params_group() -> None:
    """Publish risk parameters (venue side)."""


@params_group.command(
    "build",
    epilog="""\b
Examples:
  zkmargin params build --market examples/market.json --model circuits/span.toml -o params.json
  zkmargin params build --risk-arrays examples/risk_spx.json \\
      --model circuits/scenario.toml -o params.json
\b
Traders check and prove against params.json; its digest names it in every proof.""",
)
@click.option(
    "--market", "market_path", type=click.Path(path_type=Path), help="market.json to price from."
)
@click.option(
    "--risk-arrays",
    "risk_path",
    type=click.Path(path_type=Path),
    help="risk.json with scenario P&L supplied by the venue (instead of --market).",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Margin model spec, e.g. circuits/span.toml.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="params.json to write."
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def params_build(
    market_path: Path | None,
    risk_path: Path | None,
    model_path: Path,
    output: Path,
    force: bool,
    as_json: bool,
) -> None:
    """Build the public risk parameters from market data and a margin model."""
    if (market_path is None) == (risk_path is None):
        raise click.UsageError("give exactly one of --market or --risk-arrays")
    _refuse_existing(output, force)
    source = zm.Market.load(market_path) if market_path else zm.RiskArrays.load(risk_path)
    model = zm.MarginModel.load(model_path)
    params = zm.build_params(source, model)
    write_atomic(output, params.to_json(), overwrite=force)
    digest = params.digest()
    if as_json:
        _emit_json(
            {
                "params": str(output),
                "digest": digest,
                "model": params.model,
                "currency": params.currency,
                "instruments": len(params.instruments),
                "scenarios": len(params.scenarios),
            }
        )
        return
    click.echo(
        f"wrote {output}: model {params.model}, {len(params.instruments)} instruments, "
        f"{len(params.scenarios)} scenarios"
    )
    click.echo(f"digest {digest}")


# ---------------------------------------------------------------------------------------------
# account


@cli.group(
    "account",
    epilog="""\b
Example — pin an account so its proofs are about exactly this book:
  zkmargin account open --params params.json --portfolio portfolio.json \\
      -o account.json --openings openings.json       # trader; account.json goes to the venue
  zkmargin account deposit account.json 5000         # venue, when the money arrives
  zkmargin prove --params params.json --portfolio portfolio.json \\
      --openings openings.json -o proof.json          # trader
  zkmargin verify --params params.json --commitments account.json proof.json   # venue""",
)
def account_group() -> None:
    """Commit to an account once, and move its committed cash (pinning)."""


@account_group.command(
    "open",
    epilog="""\b
Example:
  zkmargin account open --params params.json --portfolio portfolio.json \\
      -o account.json --openings openings.json
\b
account.json (public commitments) goes to the venue; openings.json (the blindings) stays
with you and is passed to `zkmargin prove --openings`.""",
)
@_params_option
@_portfolio_option
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
@_backend_option
def account_open(
    params_path: Path, portfolio_path: Path, output: Path, openings_path: Path, force: bool
) -> None:
    """Commit to the cash and every position of the universe (trader side)."""
    for path in (output, openings_path):
        _refuse_existing(path, force)
    params = zm.RiskParams.load(params_path)
    portfolio = _load_portfolio(portfolio_path, params)
    commitments, openings = zm.open_account(portfolio, params)
    openings.save(openings_path, overwrite=force)
    commitments.save(output, overwrite=force)
    click.echo(
        f"wrote {output} ({len(commitments.positions) + 1} commitments, for the venue) and "
        f"{openings_path} (secret: keep it, prove with --openings)"
    )


def _move_committed_cash(path: Path, amount: Decimal) -> None:
    with _blame(path):
        commitments = zm.AccountCommitments.load(path)
        commitments.deposit(amount).save(path, overwrite=True)
    click.echo(f"{path}: committed cash of {commitments.account} moved by {amount:,}")


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
@click.argument("amount", callback=_decimal)
@_backend_option
def account_deposit(account_path: Path, amount: Decimal) -> None:
    """Add a deposit to an account's committed cash, in place (venue side)."""
    _move_committed_cash(account_path, amount)


@account_group.command(
    "withdraw",
    epilog="""\b
Example:
  zkmargin account withdraw account.json 2500""",
)
@click.argument("account_path", metavar="ACCOUNT", type=click.Path(path_type=Path))
@click.argument("amount", callback=_decimal)
@_backend_option
def account_withdraw(account_path: Path, amount: Decimal) -> None:
    """Take a withdrawal off an account's committed cash, in place (venue side)."""
    _move_committed_cash(account_path, -amount)


# ---------------------------------------------------------------------------------------------
# check


@cli.command(
    epilog="""\b
Examples:
  zkmargin check --params params.json --portfolio examples/portfolio.json
  zkmargin check --params params.json --portfolio examples/portfolio.json --level initial --json
\b
Nothing leaves your machine: this is margin in the clear, computed locally.
Exit 0 when the account meets the requirement, 1 when it is short.""",
)
@_params_option
@_portfolio_option
@_level_option
@_min_excess_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def check(
    params_path: Path, portfolio_path: Path, level: str, min_excess: Decimal, as_json: bool
) -> None:
    """Compute margin in the clear: equity, requirement, excess and every scenario."""
    params = zm.RiskParams.load(params_path)
    portfolio = _load_portfolio(portfolio_path, params)
    report = zm.assess(portfolio, params, level=level, threshold=min_excess)
    document = report_document(report, params)
    if as_json:
        _emit_json(document)
    else:
        click.echo(format_report(document))
    if not report.meets:
        raise click.exceptions.Exit(_EXIT_FALSE)


def report_document(report: zm.MarginReport, params: zm.RiskParams) -> dict[str, Any]:
    """The stable, JSON-ready view of a `MarginReport` that `check` prints."""
    return {
        "account": report.account,
        "model": report.model,
        "level": report.level,
        "currency": report.currency,
        "params_digest": params.digest(),
        "equity": report.equity,
        "requirement": report.requirement,
        "threshold": report.threshold,
        "excess": report.excess,
        "meets": report.meets,
        "shortfall": report.shortfall,
        "binding": report.binding,
        "groups": [{"group": name, "loss": loss} for name, loss in report.group_losses],
        "scenarios": [{"scenario": name, "pnl": pnl} for name, pnl in report.scenario_pnl],
    }


def format_report(document: dict[str, Any]) -> str:
    currency = document["currency"]
    lines = [
        f"account      {document['account']}",
        f"model        {document['model']} ({document['level']} level)",
        f"equity       {format_money(document['equity'], currency)}",
        f"requirement  {format_money(document['requirement'], currency)}",
    ]
    if document["threshold"]:
        lines.append(f"threshold    {format_money(document['threshold'], currency)}")
    lines += [
        f"excess       {format_money(document['excess'], currency)}",
        f"binding      {document['binding']}",
    ]
    losing_groups = [row for row in document["groups"] if row["loss"]]
    if len(losing_groups) > 1:
        rows = [(row["group"], format_money(row["loss"], "")) for row in losing_groups]
        lines += ["", _table(("group", f"worst loss ({currency})"), rows, "<>")]
    moving = [row for row in document["scenarios"] if row["pnl"]]
    if moving:
        rows = [(row["scenario"], format_money(row["pnl"], "")) for row in moving]
        lines += ["", _table(("scenario", f"P&L ({currency})"), rows, "<>")]
    unmoved = len(document["scenarios"]) - len(moving)
    if unmoved:
        lines.append(f"({unmoved} scenarios with no P&L for this book are not shown; --json lists all)")
    lines.append("")
    if document["meets"]:
        lines.append("MEETS the requirement.")
    else:
        lines.append(
            f"SHORT by {format_money(document['shortfall'], currency)}: "
            "deposit at least that much, or reduce the positions."
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# prove


@cli.command(
    epilog="""\b
Examples:
  zkmargin prove --params params.json --portfolio examples/portfolio.json -o proof.json
  zkmargin prove --params params.json --portfolio examples/portfolio.json \\
      --level initial --min-excess 5000 -o proof.json
\b
proof.json holds commitments and the proof, never a quantity: send it to the venue.
Exit 1 with the shortfall when the account does not meet the requirement.""",
)
@_params_option
@_portfolio_option
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="proof.json to write."
)
@_level_option
@_min_excess_option
@click.option(
    "--openings",
    "openings_path",
    type=click.Path(path_type=Path),
    help="openings.json from `zkmargin account open`: prove about the pinned account.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@_backend_option
def prove(
    params_path: Path,
    portfolio_path: Path,
    output: Path,
    level: str,
    min_excess: Decimal,
    openings_path: Path | None,
    force: bool,
    as_json: bool,
) -> None:
    """Prove, in zero knowledge, that a portfolio meets the margin requirement."""
    _refuse_existing(output, force)
    params = zm.RiskParams.load(params_path)
    portfolio = _load_portfolio(portfolio_path, params)
    openings = zm.AccountOpenings.load(openings_path) if openings_path else None
    if not as_json and _interactive(sys.stderr):
        click.echo(
            f"proving {portfolio.account} against {params.model} ({level}), "
            f"{len(params.instruments)} instruments × {len(params.scenarios)} scenarios …",
            err=True,
        )
    started = time.perf_counter()
    try:
        proof = zm.prove(
            portfolio, params, level=level, min_excess=min_excess, openings=openings
        )
    except zm.InsufficientMargin as error:
        if as_json:
            _emit_json(
                {
                    "account": portfolio.account,
                    "proved": False,
                    "level": level,
                    "currency": params.currency,
                    "shortfall": error.shortfall,
                    "reason": str(error),
                }
            )
            raise click.exceptions.Exit(_EXIT_FALSE) from None
        _fail(
            f"cannot prove: {portfolio.account} is short by "
            f"{format_money(error.shortfall, params.currency)} ({error})",
            _EXIT_FALSE,
        )
    seconds = time.perf_counter() - started
    write_atomic(output, proof.to_json(), overwrite=force)
    if as_json:
        _emit_json(
            {
                "account": proof.account,
                "proved": True,
                "proof": str(output),
                "model": proof.model,
                "level": proof.level,
                "threshold": proof.threshold,
                "params_digest": proof.params_digest,
                "commitments": len(proof.commitments),
                "size": proof.size,
                "seconds": round(seconds, 3),
            }
        )
        return
    click.echo(
        f"wrote {output}: {len(proof.commitments)} commitments, range proof {proof.size:,} bytes, "
        f"proved in {seconds:.2f} s"
    )


# ---------------------------------------------------------------------------------------------
# verify


def _load_proof(path: Path) -> Any:
    return zm.MarginProof.load(path)


def _require_same_params(proof: Any, proof_path: Path, params: Any, params_path: Path) -> None:
    """A proof made for other params is a wrong question (exit 2), not a false statement."""
    digest = params.digest()
    if proof.params_digest != digest:
        _fail(
            f"{proof_path}: params_digest {_short_digest(proof.params_digest)} does not match "
            f"{params_path} ({_short_digest(digest)}); the proof was made for other params",
            _EXIT_BAD_INPUT,
        )


def statement_document(statement: Any) -> dict[str, Any]:
    return {
        "account": statement.account,
        "model": statement.model,
        "level": statement.level,
        "threshold": statement.threshold,
        "currency": statement.currency,
        "params_digest": statement.params_digest,
    }


@cli.command(
    epilog="""\b
Example:
  zkmargin verify --params params.json proof.json
\b
The venue learns the account label, the model, the level and the threshold — no position.
Exit 0 valid, 1 invalid (with the reason), 2 bad input (e.g. a proof for other params).""",
)
@_params_option
@click.argument("proof_path", metavar="PROOF", type=click.Path(path_type=Path))
@click.option(
    "--commitments",
    "commitments_path",
    type=click.Path(path_type=Path),
    help="The account's account.json (zkmargin account open): the proof must be about it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@_backend_option
def verify(
    params_path: Path, proof_path: Path, commitments_path: Path | None, as_json: bool
) -> None:
    """Verify one margin proof against the published params (venue side)."""
    params = zm.RiskParams.load(params_path)
    proof = _load_proof(proof_path)
    _require_same_params(proof, proof_path, params, params_path)
    commitments = zm.AccountCommitments.load(commitments_path) if commitments_path else None
    try:
        statement = zm.verify(proof, params, commitments=commitments)
    except zm.InvalidProof as error:
        if as_json:
            _emit_json({"valid": False, "proof": str(proof_path), "reason": error.reason})
            raise click.exceptions.Exit(_EXIT_FALSE) from None
        _fail(f"{proof_path}: INVALID: {error.reason}", _EXIT_FALSE)
    document = statement_document(statement)
    if as_json:
        _emit_json(
            {"valid": True, "proof": str(proof_path), "pinned": commitments is not None, **document}
        )
        return
    click.echo(f"VALID: {format_statement(document)}")
    if commitments is None:
        click.echo(_UNPINNED_NOTE, err=True)


def format_statement(document: dict[str, Any]) -> str:
    threshold = format_money(document["threshold"], document["currency"])
    return (
        f"account {document['account']} meets the {document['level']} requirement of "
        f"{document['model']} with excess ≥ {threshold} "
        f"(params {_short_digest(document['params_digest'])})"
    )


# ---------------------------------------------------------------------------------------------
# verify-batch


@dataclass(frozen=True)
class _BatchEntry:
    path: Path
    proof: Any


def _json_files(sources: tuple[Path, ...], params_path: Path, what: str) -> list[Path]:
    """Every named file, and every *.json in every named directory except the params file."""
    params_file = params_path.resolve()
    files: list[Path] = []
    for source in sources:
        if source.is_dir():
            files += sorted(
                path for path in source.glob("*.json") if path.resolve() != params_file
            )
        else:
            files.append(source)
    if not files:
        _fail(f"no {what} in {', '.join(map(str, sources))}", _EXIT_BAD_INPUT)
    return files


def _load_pinned(
    sources: tuple[Path, ...], params_path: Path
) -> dict[str, zm.AccountCommitments]:
    """Account label → commitments, from account.json files; a label twice is bad input."""
    pinned: dict[str, zm.AccountCommitments] = {}
    for path in _json_files(sources, params_path, "account files"):
        commitments = zm.AccountCommitments.load(path)
        if commitments.account in pinned:
            _fail(f"{path}: a second account file for {commitments.account!r}", _EXIT_BAD_INPUT)
        pinned[commitments.account] = commitments
    return pinned


@cli.command(
    "verify-batch",
    epilog="""\b
Examples:
  zkmargin verify-batch --params params.json proofs/
  zkmargin verify-batch --params params.json alice.json bob.json --json
\b
All proofs are checked in one multi-scalar multiplication; a failing batch is bisected so
every bad proof is named. Exit 0 when all are valid, 1 when any fails.""",
)
@_params_option
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
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@_backend_option
def verify_batch(
    params_path: Path,
    sources: tuple[Path, ...],
    commitment_sources: tuple[Path, ...],
    as_json: bool,
) -> None:
    """Verify many accounts' proofs at once and list the failures (venue side)."""
    params = zm.RiskParams.load(params_path)
    entries = [
        _BatchEntry(path, _load_proof(path))
        for path in _json_files(sources, params_path, "proof files")
    ]
    pinned = _load_pinned(commitment_sources, params_path) if commitment_sources else None
    started = time.perf_counter()
    with click.progressbar(
        length=len(entries), label="verifying", file=sys.stderr, show_pos=True
    ) as bar:
        result = zm.verify_batch(
            [entry.proof for entry in entries],
            params,
            commitments=pinned,
            progress=progress_callback(bar),
        )
    seconds = time.perf_counter() - started
    failures = [
        {
            "file": str(entries[failure.index].path),
            "account": failure.account,
            "reason": failure.reason,
        }
        for failure in result.failures
    ]
    verified = [
        {"file": str(entry.path), **statement_document(statement)}
        for entry, statement in zip(entries, result.statements)
        if statement is not None
    ]
    if as_json:
        _emit_json(
            {
                "params_digest": params.digest(),
                "total": len(entries),
                "valid": len(verified),
                "failed": len(failures),
                "seconds": round(seconds, 3),
                "pinned": pinned is not None,
                "statements": verified,
                "failures": failures,
            }
        )
    else:
        click.echo(format_batch_summary(len(entries), verified, failures, seconds))
        if pinned is None:
            click.echo(_UNPINNED_NOTE, err=True)
    if failures:
        raise click.exceptions.Exit(_EXIT_FALSE)


def format_batch_summary(
    total: int, verified: list[dict[str, Any]], failures: list[dict[str, Any]], seconds: float
) -> str:
    """Counts, then what the valid proofs state (grouped), then every failure."""
    per_proof = 1000 * seconds / total if total else 0.0
    counts = [("proofs", total), ("valid", len(verified)), ("failed", len(failures))]
    lines = [
        _table(("", "count"), [(name, str(count)) for name, count in counts], "<>"),
        f"verified in {seconds:.2f} s ({per_proof:.1f} ms per proof)",
    ]
    claims = Counter(
        (row["model"], row["level"], format_money(row["threshold"], row["currency"]))
        for row in verified
    )
    if claims:
        rows = [
            (model, level, f"≥ {threshold}", str(count))
            for (model, level, threshold), count in sorted(claims.items())
        ]
        lines += ["", "valid proofs state:",
                  _table(("model", "level", "excess", "accounts"), rows, "<<>>")]
    if failures:
        rows = [(row["file"], row["account"], row["reason"]) for row in failures]
        lines += ["", "failures:", _table(("file", "account", "reason"), rows, "<<<")]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# schema


@cli.command(
    epilog="""\b
Examples:
  zkmargin schema portfolio > portfolio.schema.json
  zkmargin schema market""",
)
@click.argument("kind", type=click.Choice(list(_SCHEMAS)))
def schema(kind: str) -> None:
    """Print the JSON Schema of an input or proof file."""
    click.echo(json.dumps(_SCHEMAS[kind](), indent=2))


# ---------------------------------------------------------------------------------------------
# demo


@cli.command(
    epilog="""\b
Examples:
  zkmargin demo            # narrated, pauses between steps
  zkmargin demo --fast     # no pauses
  zkmargin demo --fast --accounts 50""",
)
@click.option("--fast", is_flag=True, help="Do not pause between steps.")
@click.option(
    "--accounts",
    type=click.IntRange(min=1),
    default=walkthrough.DEFAULT_ACCOUNTS,
    show_default=True,
    help="Generated accounts the venue batch-verifies at the end.",
)
@_backend_option
def demo(fast: bool, accounts: int) -> None:
    """Walk through a trader and a venue: prove, crash, margin call, top-up, batch verify."""
    walkthrough.run(fast=fast, accounts=accounts)


def main() -> None:
    """Console-script entry point (`zkmargin` and `python -m zkmargin`)."""
    cli.main(prog_name="zkmargin")
