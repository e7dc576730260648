"""`zkmargin check`: margin in the clear, on the trader's own machine."""

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
from zkmargin.cli.books import load_book, load_market_for
from zkmargin.cli.common import EXIT_FALSE, emit_json
from zkmargin.cli.options import (
    json_option,
    level_option,
    min_excess_option,
    params_option,
    portfolio_option,
)
from zkmargin.cli.report_view import (
    buckets_document,
    format_buckets,
    format_report,
    report_document,
)


@click.command(
    epilog="""\b
Examples:
  zkmargin check --params params.json --portfolio examples/portfolio.json
  zkmargin check --params params.json --portfolio examples/portfolio.json --level initial --json
  zkmargin check --params params.json --trust venue-a.pub.json --portfolio examples/portfolio.json
  zkmargin check --params params.json --portfolio examples/portfolio.json --all-scenarios
  zkmargin check --params params.json --portfolio examples/portfolio.json --market examples/market.json
  zkmargin check --params params.json --portfolio examples/portfolio.json \\
      --what-if "close XYZ 2026-12-18 80 P" --what-if "+1 XYZ 2026-12-18 85 P" --what-if "deposit 500"
  zkmargin check --params params.json --portfolio examples/portfolio_buckets.json
\b
The requirement is printed as the terms it adds up from: each underlying's worst loss
(and its scenario), each add-on, the floor when one binds, the level factor, rounding.
\b
The params must be signed by a key you trust (--trust, or $ZKMARGIN_TRUST) and within
their validity window; --allow-unsigned accepts params nobody vouches for.
\b
A portfolio with "buckets" (isolated margin) is reported bucket by bucket: each must meet
its own requirement with its own cash; --what-if takes a portfolio without buckets.
\b
Nothing leaves your machine: this is margin in the clear, computed locally.
Trades in --what-if happen at the venue's marks (equity unchanged, cash moves); the exit
code is about the account as it is: 0 when it meets the requirement, 1 when it is short.""",
)
@params_option
@trust_option
@allow_unsigned_option
@portfolio_option
@level_option
@min_excess_option
@click.option(
    "--market", "market_path", type=click.Path(path_type=Path),
    help="market.json the params were built from: adds the Greeks of every position.",
)
@click.option(
    "--what-if", "changes", multiple=True, metavar="CHANGE",
    help="Also show the account after CHANGE (repeatable): 'close <instrument>', "
    "'+N <instrument>', '-N <instrument>', 'deposit <amount>', 'withdraw <amount>'.",
)
@click.option(
    "--all-scenarios", is_flag=True,
    help="List every scenario that moves the book, not only the worst ten.",
)
@json_option
def check(
    params_path: Path, trust_paths: tuple[Path, ...], allow_unsigned: bool, portfolio_path: Path,
    level: str, min_excess: Decimal,
    market_path: Path | None, changes: tuple[str, ...], all_scenarios: bool, as_json: bool,
) -> None:
    """Margin in the clear: the requirement term by term, excess, worst scenarios, VaR, what-if."""
    params = load_trusted_params(params_path, trust_paths, allow_unsigned)
    book = load_book(portfolio_path, params)
    bucketed = isinstance(book, zm.BucketedPortfolio)
    if bucketed and changes:
        raise zm.InputError(f"{portfolio_path}: --what-if takes a portfolio without buckets")
    books = book.portfolios() if bucketed else [book]
    market = None if market_path is None else load_market_for(market_path, books)
    documents = []
    for portfolio in books:
        report = zm.assess(portfolio, params, level=level, threshold=min_excess, market=market)
        marginal = zm.marginal_requirements(portfolio, params, level=level)
        what = zm.what_if(portfolio, params, changes, level=level, threshold=min_excess) if changes else None
        documents.append(report_document(report, params, marginal, what))
    if bucketed:
        cross = zm.assess(book.merged(), params, level=level, threshold=min_excess)
        document = buckets_document(book, documents, cross)
    else:
        document = documents[0]
    if as_json:
        emit_json(document)
    else:
        click.echo((format_buckets if bucketed else format_report)(document, all_scenarios))
    if not document["meets"]:
        raise click.exceptions.Exit(EXIT_FALSE)
