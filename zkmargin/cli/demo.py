"""`zkmargin demo`: the narrated walkthrough."""

from __future__ import annotations

import time

import click

from zkmargin import demo as walkthrough
from zkmargin.cli.common import backend_option, emit_json
from zkmargin.cli.options import AsciiInt, json_option
from zkmargin.demo.venue_side import DEFAULT_VENUE_ACCOUNTS, VenueSide


@click.command(
    epilog="""\b
Examples:
  zkmargin demo            # narrated, pauses between steps
  zkmargin demo --fast     # no pauses
  zkmargin demo --fast --accounts 50
  zkmargin demo --fast --json   # the story on stderr, a summary document on stdout
  zkmargin demo --venue    # the venue's day on its ledger: intake, calls, stress, cascade""",
)
@click.option("--fast", is_flag=True, help="Do not pause between steps.")
@click.option(
    "--accounts",
    type=AsciiInt(min=1),
    default=walkthrough.DEFAULT_ACCOUNTS,
    show_default=True,
    help="Generated accounts the venue batch-verifies at the end.",
)
@click.option("--venue", is_flag=True, help="Tell the venue's day on its ledger instead (12 accounts by default).")
@json_option
@backend_option
@click.pass_context
def demo(ctx: click.Context, fast: bool, accounts: int, venue: bool, as_json: bool) -> None:
    """Walk through a trader and a venue: prove, crash, margin call, top-up, batch verify."""
    if venue:
        if ctx.get_parameter_source("accounts") is click.core.ParameterSource.DEFAULT:
            accounts = DEFAULT_VENUE_ACCOUNTS
        VenueSide(walkthrough.Narrator(pause_seconds=0.0 if fast else 1.5), accounts=accounts).run()
        return
    if not as_json:
        walkthrough.run(fast=fast, accounts=accounts)
        return
    # The story goes to stderr; stdout gets one document about how it ended.
    narrator = walkthrough.Narrator(echo=lambda line: click.echo(line, err=True))
    walk = walkthrough.Walkthrough(narrator, accounts=accounts)
    started = time.perf_counter()
    walk.run()
    emit_json({
        "steps": len(walk.steps), "seconds": round(time.perf_counter() - started, 1),
        "account": walk.proof.account, "proof_size": walk.proof.size,
        "params_digest": walk.proof.params_digest, "picture": walk.picture and str(walk.picture),
    })
