"""`zkmargin plot`: pictures of a book (needs the extra zkmargin[plot])."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import click

import zkmargin as zm
from zkmargin.cli.anchoring import allow_unsigned_option, load_trusted_params, trust_option
from zkmargin.cli.common import (
    emit_json,
    level_option,
    load_portfolio,
    min_excess_option,
    output_options,
    params_option,
    portfolio_option,
    refuse_existing,
)



@click.group(
    "plot",
    epilog="""\b
Examples:
  zkmargin plot profile --params params.json --portfolio portfolio.json \\
      --market examples/market.json -o profile.png
  zkmargin plot scenarios --params params.json --portfolio portfolio.json -o scenarios.svg
\b
Needs matplotlib: pip install 'zkmargin[plot]'.""",
)
def plot_group() -> None:
    """Draw a book's risk: P&L profile per underlying, P&L per scenario."""


def written(kind: str, output: Path, figure: Any, force: bool, as_json: bool) -> None:
    refuse_existing(output, force)
    zm.save_plot(figure, output, overwrite=force)
    if as_json:
        emit_json({"plot": kind, "file": str(output), "format": output.suffix.lstrip(".").lower()})
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
    figure = zm.plot_profile(portfolio, params, zm.Market.load(market_path), level=level, threshold=min_excess)
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
