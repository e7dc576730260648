"""The `zkmargin` command line: venue and trader workflows on top of the public API.

Exit codes are the contract scripts rely on:

- 0 — the account meets the requirement / the proof is valid;
- 1 — the statement is false: `InsufficientMargin` (with the shortfall) or `InvalidProof`
  (with the reason), or a batch with at least one failure;
- 2 — the question was malformed: missing or unreadable file, bad JSON, unknown field,
  a proof made for other params, unknown backend, an output that exists without --force;
- 130 — interrupted (Ctrl-C).

Bad input is one line on stderr that names the file and the field (a JSON line under
`--json`); `--debug` re-raises so the traceback shows. `--json`, on every command, prints
exactly one JSON document on stdout whose money values are decimal strings.

Each command's module is imported only when that command runs (`ZkMarginGroup`'s
`lazy_commands`), and the heavy libraries are imported where they are used: a script
calling `zkmargin verify` per account starts in a fraction of the time it took when every
invocation imported SQLAlchemy, SciPy's optimizer, the plots and the demo. For the same
reason this package's names are `cli`, `main` and `COMMANDS` only: an embedder reaches a
command through click, `cli.get_command(click.Context(cli), "verify")`, and
`from zkmargin.cli import verify` is the module that defines it.
"""

from __future__ import annotations

import click

import zkmargin as zm
from zkmargin.cli.common import ZkMarginGroup, backend_option, run_interruptibly, set_debug

COMMANDS = {
    "account": "zkmargin.cli.account:account_group",
    "attest": "zkmargin.cli.attest:attest",
    "check": "zkmargin.cli.check:check",
    "demo": "zkmargin.cli.demo:demo",
    "keys": "zkmargin.cli.keys:keys_group",
    "ledger": "zkmargin.cli.ledger:ledger_group",
    "monitor": "zkmargin.cli.monitor:monitor_group",
    "params": "zkmargin.cli.params:params_group",
    "plot": "zkmargin.cli.plot:plot_group",
    "prove": "zkmargin.cli.prove:prove",
    "schema": "zkmargin.cli.schema:schema",
    "verify": "zkmargin.cli.verify:verify",
    "verify-batch": "zkmargin.cli.verify_batch:verify_batch",
}
"""Every top-level command: its name and the "module:attribute" that defines it."""


@click.group(
    cls=ZkMarginGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Example — the whole story in under a minute:
  zkmargin demo --fast
\b
Venue:   zkmargin keys new --issuer venue-a --role params -o venue-a.key.json --public venue-a.pub.json
         zkmargin params build --market market.json --model circuits/span.toml -o unsigned.json
         zkmargin params import --format span-xml cme.spn -o risk.json   # or --format deribit-pme
         zkmargin params sign unsigned.json --key venue-a.key.json --epoch 1 --valid-for 1d -o params.json
Trader:  zkmargin check --params params.json --trust venue-a.pub.json --portfolio portfolio.json
         zkmargin prove --params params.json --trust venue-a.pub.json --portfolio portfolio.json -o proof.json
Venue:   zkmargin verify --params params.json --trust venue-a.pub.json proof.json
\b
Exit codes: 0 meets / valid, 1 short / invalid, 2 bad input.""",
)
@click.version_option(zm.__version__, prog_name="zkmargin")
@click.option(
    "--debug",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=set_debug,
    help="Show the full traceback instead of a one-line error.",
)
@backend_option
def cli() -> None:
    """Prove that an account meets its margin requirement without showing its positions."""


def main() -> None:
    """Console-script entry point (`zkmargin` and `python -m zkmargin`)."""
    run_interruptibly(lambda: cli.main(prog_name="zkmargin"))
