"""`zkmargin schema`: the JSON Schema of every file a user writes or receives."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

import zkmargin as zm
from zkmargin.cli.options import json_option

SCHEMAS: dict[str, Callable[[], Any]] = {
    "market": lambda: zm.Market.json_schema(),
    "portfolio": lambda: zm.Portfolio.json_schema(),
    "portfolio-buckets": lambda: zm.BucketedPortfolio.json_schema(),
    "risk-arrays": lambda: zm.RiskArrays.json_schema(),
    "proof": lambda: zm.MarginProof.json_schema(),
}


@click.command(
    epilog="""\b
Examples:
  zkmargin schema portfolio > portfolio.schema.json
  zkmargin schema market""",
)
@click.argument("kind", type=click.Choice(list(SCHEMAS), case_sensitive=False))
@json_option
def schema(kind: str, as_json: bool) -> None:
    """Print the JSON Schema of an input or proof file (JSON either way; --json is accepted
    like on every command)."""
    click.echo(json.dumps(SCHEMAS[kind](), indent=2))
