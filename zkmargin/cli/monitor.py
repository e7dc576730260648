"""`zkmargin monitor`: margin calls for missing proofs, their deadlines, and stress surveys."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from zkmargin.cli.anchoring import (
    allow_unsigned_option,
    load_trusted_params,
    trust_option,
)
from zkmargin.cli.common import emit_json, open_ledger, respond, table
from zkmargin.cli.options import (
    any_duration,
    db_option,
    json_option,
    margin_level,
    params_option,
)
from zkmargin.console import counted
from zkmargin.venue import monitor


def call_document(call: monitor.Call) -> dict:
    return {
        "account": call.account,
        "epoch": call.epoch,
        "level": call.level,
        "status": call.status,
        "issued_at": call.issued_at.isoformat(),
        "deadline": call.deadline.isoformat(),
        "closed_at": call.closed_at.isoformat() if call.closed_at else None,
        "request": call.request,
    }


def _calls_table(calls: list[monitor.Call]) -> str:
    rows = [(c.account, str(c.epoch), c.status, f"{c.deadline:%Y-%m-%d %H:%M:%S}Z", c.request) for c in calls]
    return table(("account", "epoch", "status", "deadline", "request"), rows, "<><<<")


@click.group(
    "monitor",
    epilog="""\b
Example — after the day's proofs are in:
  zkmargin monitor run --deadline 2h
  zkmargin monitor calls --status overdue --json     # the liquidation list""",
)
def monitor_group() -> None:
    """Margin calls: the venue asks for a proof, since it never learns a shortfall."""


@monitor_group.command(
    "run",
    epilog="""\b
Example:
  zkmargin monitor run --deadline 2h
\b
Every account without a valid proof for the current epoch, made against the commitments
the ledger holds now (or before deposits only), gets a call: "prove maintenance margin for
epoch E by D". A valid proof received by D meets it (ledger submit): at the level or one
that covers it, for epoch E or the current epoch; a call still open after D is overdue.
Refused (exit 2) while the current params are past their validity window.""",
)
@click.option("--deadline", "deadline", callback=any_duration, default="2h", show_default=True, help="Time to answer a new call.")
@click.option(
    "--level", default=monitor.MAINTENANCE, show_default=True, callback=margin_level,
    help="The margin level the proofs must meet (one the current epoch's params define; any case); "
    "a proof at a level that covers it counts.",
)
@click.option(
    "--allow-expired-params", "allow_expired", is_flag=True,
    help="Call even when the current epoch's signed params are outside their validity window "
    "(refused otherwise: intake refuses the answers too, unless given the same option).",
)
@db_option
@json_option
def monitor_run(deadline: timedelta, level: str, allow_expired: bool, database: str | None, as_json: bool) -> None:
    """Issue calls for missing proofs, meet the answered ones, mark the expired ones overdue."""
    with open_ledger(database) as ledger:
        report = monitor.run(ledger, deadline, level=level, allow_expired=allow_expired)
    if as_json:
        emit_json(
            {
                "epoch": report.epoch,
                "level": report.level,
                "standing": report.standing,
                "counts": report.counts,
                **{name: [call_document(c) for c in getattr(report, name)] for name in ("issued", "met", "overdue", "open")},
            }
        )
        return
    counts = report.counts
    click.echo(
        f"epoch {report.epoch}, {report.level}: {counted(report.standing, 'account')} "
        f"{'stands' if report.standing == 1 else 'stand'} on a valid proof; this run: "
        f"{counted(len(report.issued), 'call')} issued, {len(report.met)} met, {len(report.overdue)} overdue\n"
        f"all calls now: {counts['open']} open, {counts['met']} met, {counts['overdue']} overdue "
        "(with those ledger submit closed; monitor calls lists them)"
    )
    issued = {(call.account, call.epoch, call.level) for call in report.issued}
    earlier = [call for call in report.open if (call.account, call.epoch, call.level) not in issued]
    for name, calls in (("issued", report.issued), ("overdue", report.overdue), ("still open from earlier runs", earlier)):
        if calls:
            click.echo(f"\n{name}:\n{_calls_table(calls)}")


@monitor_group.command(
    "calls",
    epilog="""\b
Examples:
  zkmargin monitor calls
  zkmargin monitor calls --status overdue --json""",
)
@click.option("--status", type=click.Choice(["open", "met", "overdue"], case_sensitive=False), help="Only calls in this state.")
@db_option
@json_option
def monitor_calls(status: str | None, database: str | None, as_json: bool) -> None:
    """List margin calls and their state."""
    with open_ledger(database) as ledger:
        calls = monitor.list_calls(ledger, status=status)
    respond(as_json, {"calls": [call_document(c) for c in calls]}, _calls_table(calls) if calls else "no margin calls")


@monitor_group.command(
    "stress",
    epilog="""\b
Example (stressed params are signed like any others):
  zkmargin params build --market shocked-market.json --model circuits/span.toml -o stressed.unsigned.json
  zkmargin params sign stressed.unsigned.json --key venue-a.key.json --epoch 8 --valid-for 1d -o stressed.json
  zkmargin monitor stress --params stressed.json --trust venue-a.pub.json   # publish; traders prove under it
  zkmargin ledger submit inbox/                                             # their stressed proofs
  zkmargin monitor stress --params stressed.json --trust venue-a.pub.json   # how many could
\b
The venue learns how many accounts would survive the stress, never a balance.""",
)
@params_option
@trust_option
@allow_unsigned_option
@db_option
@json_option
def monitor_stress(
    params_path: Path, trust_paths: tuple[Path, ...], allow_unsigned: bool, database: str | None, as_json: bool
) -> None:
    """Ask every account to prove under stressed params; report how many did."""
    params = load_trusted_params(params_path, trust_paths, allow_unsigned)
    with open_ledger(database) as ledger:
        report = monitor.stress(ledger, params)
    total = len(report.proved) + len(report.missing)
    text = (
        f"stress epoch {report.epoch}{' published' if report.new else ''}: "
        f"{len(report.proved)} of {counted(total, 'account')} proved maintenance margin under {params_path}"
    )
    if report.missing:
        text += f"\nno proof yet: {', '.join(report.missing)}"
    document = {"epoch": report.epoch, "new": report.new, "proved": report.proved, "missing": report.missing}
    respond(as_json, document, text)
