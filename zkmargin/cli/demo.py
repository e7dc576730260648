"""`zkmargin demo`: the narrated walkthrough."""

from __future__ import annotations

import click

from zkmargin import demo as walkthrough
from zkmargin.cli.common import backend_option


@click.command(
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
@backend_option
def demo(fast: bool, accounts: int) -> None:
    """Walk through a trader and a venue: prove, crash, margin call, top-up, batch verify."""
    walkthrough.run(fast=fast, accounts=accounts)
