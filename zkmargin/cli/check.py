"""`zkmargin check`: margin in the clear, on the trader's own machine."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import click

import zkmargin as zm
from zkmargin.cli.anchoring import allow_unsigned_option, load_trusted_params, trust_option
from zkmargin.cli.common import (
    EXIT_FALSE,
    emit_json,
    level_option,
    load_portfolio,
    min_excess_option,
    params_option,
    portfolio_option,
    table,
)
from zkmargin.console import format_money, shown


@click.command(
    epilog="""\b
Examples:
  zkmargin check --params params.json --portfolio examples/portfolio.json
  zkmargin check --params params.json --portfolio examples/portfolio.json --level initial --json
  zkmargin check --params params.json --trust venue-a.pub.json --portfolio examples/portfolio.json
\b
The params must be signed by a key you trust (--trust, or $ZKMARGIN_TRUST) and within
their validity window; --allow-unsigned accepts params nobody vouches for.
\b
Nothing leaves your machine: this is margin in the clear, computed locally.
Exit 0 when the account meets the requirement, 1 when it is short.""",
)
@params_option
@trust_option
@allow_unsigned_option
@portfolio_option
@level_option
@min_excess_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def check(
    params_path: Path,
    trust_paths: tuple[Path, ...],
    allow_unsigned: bool,
    portfolio_path: Path,
    level: str,
    min_excess: Decimal,
    as_json: bool,
) -> None:
    """Compute margin in the clear: equity, requirement, excess and every scenario."""
    params = load_trusted_params(params_path, trust_paths, allow_unsigned)
    portfolio = load_portfolio(portfolio_path, params)
    report = zm.assess(portfolio, params, level=level, threshold=min_excess)
    document = report_document(report, params)
    if as_json:
        emit_json(document)
    else:
        click.echo(format_report(document))
    if not report.meets:
        raise click.exceptions.Exit(EXIT_FALSE)


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
        "strategies": [{"strategy": name, "count": count} for name, count in report.pairing],
        "credits": [{"groups": pair, "credit": credit} for pair, credit in report.group_credits],
    }


def format_report(document: dict[str, Any]) -> str:
    currency = document["currency"]
    lines = [
        f"account      {shown(document['account'])}",
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
        lines += ["", table(("group", f"worst loss ({currency})"), rows, "<>")]
    if document["strategies"]:
        rows = [(row["strategy"], str(row["count"])) for row in document["strategies"]]
        lines += ["", table(("strategy pairing (cheapest)", "count"), rows, "<>")]
    credited = [row for row in document["credits"] if row["credit"]]
    if credited:
        rows = [(row["groups"], format_money(row["credit"], "")) for row in credited]
        lines += ["", table(("spread credit", f"credit ({currency})"), rows, "<>")]
    moving = [row for row in document["scenarios"] if row["pnl"]]
    if moving:
        rows = [(row["scenario"], format_money(row["pnl"], "")) for row in moving]
        lines += ["", table(("scenario", f"P&L ({currency})"), rows, "<>")]
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
