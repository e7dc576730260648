"""`zkmargin params`: the venue publishes its risk parameters."""

from __future__ import annotations

from pathlib import Path

import click

import zkmargin as zm
from zkmargin.cli.common import emit_json, refuse_existing
from zkmargin.jsonio import write_atomic


@click.group(
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
    refuse_existing(output, force)
    source = zm.Market.load(market_path) if market_path else zm.RiskArrays.load(risk_path)
    model = zm.MarginModel.load(model_path)
    params = zm.build_params(source, model)
    write_atomic(output, params.to_json(), overwrite=force)
    digest = params.digest()
    if as_json:
        emit_json(
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
