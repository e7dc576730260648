"""`zkmargin plot`: pictures of a book (needs the extra zkmargin[plot])."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import click

import zkmargin as zm
from zkmargin.cli.anchoring import (
    allow_unsigned_option,
    load_trusted_params,
    trust_option,
)
from zkmargin.cli.books import load_market_for, load_portfolio
from zkmargin.cli.common import emit_json, open_ledger, refuse_existing
from zkmargin.cli.options import (
    account_name,
    level_option,
    min_excess_option,
    output_options,
    params_option,
    portfolio_option,
)
from zkmargin.venue.history import HistoryPoint, draw_history, history


@click.group(
    "plot",
    epilog="""\b
Examples:
  zkmargin plot profile --params params.json --portfolio portfolio.json \\
      --market examples/market.json -o profile.png
  zkmargin plot scenarios --params params.json --portfolio portfolio.json -o scenarios.svg
  zkmargin plot history alice --db zkmargin.db --portfolio portfolio.json -o history.png
\b
Needs matplotlib: pip install 'zkmargin[plot]'.""",
)
def plot_group() -> None:
    """Draw a book's risk: P&L profile per underlying, P&L per scenario, margin over time."""


def written(kind: str, output: Path, figure: Any, force: bool, as_json: bool, **details: Any) -> None:
    """Save the picture; say so, or print its JSON document (with the data `details` drawn)."""
    refuse_existing(output, force)
    zm.save_plot(figure, output, overwrite=force)
    if as_json:
        emit_json({"plot": kind, "file": str(output), "format": output.suffix.lstrip(".").lower(), **details})
    else:
        click.echo(f"wrote {output} ({kind})")


@plot_group.command(
    "profile",
    epilog="""\b
Example:
  zkmargin plot profile --params params.json --portfolio portfolio.json \\
      --market examples/market.json -o profile.png
\b
One panel per underlying held: the book's P&L as that underlying alone moves ±30%,
with −requirement and −equity as horizontal lines and today's price as a vertical one.""",
)
@params_option
@trust_option
@allow_unsigned_option
@portfolio_option
@click.option("--market", "market_path", type=click.Path(path_type=Path), required=True,
              help="market.json the params were built from (prices the grid).")
@level_option
@min_excess_option
@output_options("Picture (.png or .svg)")
def plot_profile(
    params_path: Path, trust_paths: tuple[Path, ...], allow_unsigned: bool, portfolio_path: Path, market_path: Path, level: str, min_excess: Decimal,
    output: Path, force: bool, as_json: bool,
) -> None:
    """Draw the book's P&L across each underlying's prices."""
    params = load_trusted_params(params_path, trust_paths, allow_unsigned)
    portfolio = load_portfolio(portfolio_path, params)
    figure = zm.plot_profile(portfolio, params, load_market_for(market_path, [portfolio]), level=level, threshold=min_excess)
    written("profile", output, figure, force, as_json)


@plot_group.command(
    "scenarios",
    epilog="""\b
Example:
  zkmargin plot scenarios --params params.json --portfolio portfolio.json -o scenarios.svg
\b
One bar per scenario; the binding scenario is red (for expected shortfall, the tail is orange).""",
)
@params_option
@trust_option
@allow_unsigned_option
@portfolio_option
@level_option
@min_excess_option
@output_options("Picture (.png or .svg)")
def plot_scenarios(
    params_path: Path, trust_paths: tuple[Path, ...], allow_unsigned: bool, portfolio_path: Path, level: str, min_excess: Decimal,
    output: Path, force: bool, as_json: bool,
) -> None:
    """Draw the book's P&L in every scenario of the params."""
    params = load_trusted_params(params_path, trust_paths, allow_unsigned)
    portfolio = load_portfolio(portfolio_path, params)
    written("scenarios", output, zm.plot_scenarios(portfolio, params, level=level, threshold=min_excess),
            force, as_json)


@plot_group.command(
    "history",
    epilog="""\b
Examples:
  zkmargin plot history alice --db zkmargin.db -o history.svg
  zkmargin plot history alice --db postgresql://venue@db/zkmargin \\
      --portfolio portfolio.json -o history.png --json
\b
From the proofs the ledger recorded for ACCOUNT: the proved excess bound (what the venue
learns: equity − requirement ≥ it) as steps, refused proofs as red crosses. With
--portfolio (your book; it never leaves this machine) also its equity, requirement and
excess under each proof's epoch params, as the ledger stored them.""",
)
@click.argument("account", callback=account_name)
@click.option("--db", "--ledger", "database", metavar="PATH|URL",
              help="The ledger: SQLite file or postgresql:// URL (default: $ZKMARGIN_DB, else ./zkmargin.db).")
@click.option("--portfolio", "portfolio_path", type=click.Path(path_type=Path),
              help="Your book, to draw its equity, requirement and excess at every proof.")
@output_options("Picture (.png or .svg)")
def plot_history(
    account: str, database: str | None, portfolio_path: Path | None, output: Path, force: bool, as_json: bool
) -> None:
    """Draw an account's margin over time from the proofs the ledger recorded."""
    refuse_existing(output, force)
    portfolio = zm.Portfolio.load(portfolio_path) if portfolio_path else None
    with open_ledger(database) as ledger:
        drawn = history(ledger, account, portfolio)
    written("history", output, draw_history(drawn), force, as_json,
            account=account, currency=drawn.currency, points=[_point(p) for p in drawn.points])


def _point(point: HistoryPoint) -> dict[str, Any]:
    return {"at": point.at.isoformat(), "epoch": point.epoch, "level": point.level, "status": point.status,
            "proved_excess": point.proved_excess, "equity": point.equity, "requirement": point.requirement,
            "excess": point.excess, "buckets": point.buckets}
