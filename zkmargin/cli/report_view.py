"""What `check` shows: a `MarginReport` as a JSON-ready document and as text that adds up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import zkmargin as zm
from zkmargin.cli.common import short_digest, table
from zkmargin.console import format_money, shown

WORST_SHOWN = 10
"""Scenarios the text lists, worst first, unless --all-scenarios."""


def params_document(params: zm.RiskParams) -> dict[str, Any]:
    """Digest and date, and who signed them for which epoch when the params are signed.

    Signed params (issue 10) carry `epoch` (issuer, key, epoch number, validity window);
    unsigned ones do not, and nothing is made up for them.
    """
    document = {"digest": params.digest(), "as_of": params.as_of}
    signed = getattr(params, "epoch", None)
    if signed is not None:
        document["epoch"] = signed.model_dump(mode="json")
    return document


def term_document(term: Any) -> dict[str, Any]:
    """A requirement term (or floor) with only the details it has."""
    document = {"term": term.kind, "name": term.name}
    for field in ("scenario", "instrument", "side", "quantity", "rate", "factor"):
        value = getattr(term, field)
        if value is not None:
            document[field] = value
    document["amount"] = term.amount
    return document


GREEK_NAMES = ("delta", "gamma", "vega", "theta")


def var_document(var: Any) -> dict[str, Any]:
    return {
        "confidence": var.confidence, "var": var.var, "scenario": var.scenario,
        "expected_shortfall": var.expected_shortfall, "in_requirement": var.in_requirement,
        "tail": [{"scenario": name, "loss": loss} for name, loss in var.tail],
    }


def format_var(var: dict[str, Any], currency: str) -> list[str]:
    percent = f"{(Decimal(var['confidence']) * 100).normalize():f}%"
    role = ("ES is the requirement's core; VaR ≤ ES" if var["in_requirement"]
            else "information: over all scenarios as equally likely; not the requirement")
    worst = ", ".join(f"{name} {format_money(loss, '')}" for name, loss in
                      ((row["scenario"], row["loss"]) for row in var["tail"][:5]))
    more = f" and {len(var['tail']) - 5} more" if len(var["tail"]) > 5 else ""
    return [
        "",
        f"VaR {percent}    {format_money(var['var'], currency)} (scenario {var['scenario']})",
        f"ES {percent}     {format_money(var['expected_shortfall'], currency)} ({role})",
        f"tail ({len(var['tail'])} worst losses): {worst}{more}",
    ]


def greeks_document(greeks: Any) -> dict[str, Any]:
    """Positions, underlyings and the book's totals; floats (JSON numbers)."""
    return {
        "positions": [
            {"instrument": p.instrument, "underlying": p.underlying, "quantity": p.quantity,
             **{name: getattr(p, name) for name in GREEK_NAMES}}
            for p in greeks.positions
        ],
        "underlyings": [
            {"underlying": u.underlying, "price": u.price,
             **{name: getattr(u, name) for name in GREEK_NAMES},
             "delta_value": u.delta_value, "gamma_value": u.gamma_value}
            for u in greeks.underlyings
        ],
        "book": {name: getattr(greeks, name)
                 for name in ("delta_value", "gamma_value", "vega", "theta")},
    }


def what_if_document(what: zm.WhatIf) -> dict[str, Any]:
    after = what.after
    return {
        "changes": list(what.changes), "equity": after.equity, "requirement": after.requirement,
        "excess": after.excess, "meets": after.meets, "shortfall": after.shortfall,
        "binding": after.binding, "freed": what.freed,
    }


def report_document(
    report: zm.MarginReport,
    params: zm.RiskParams,
    marginal: tuple[zm.Marginal, ...] = (),
    what: zm.WhatIf | None = None,
) -> dict[str, Any]:
    """The stable, JSON-ready view of a `MarginReport` that `check` prints.

    `terms` add up to `requirement` exactly; `scenarios` are every scenario, worst first;
    `greeks` is there when the report has them (check --market); `marginal` is what closing
    each position frees, most first; `what_if` the account after the --what-if changes.
    """
    group_of = dict(zip(params.scenarios, params.scenario_groups))
    # a group's floor that sets its group's term binds there, whatever binds overall
    group_minimums = {t.scenario for t in report.terms if t.kind == "scenario_group"}
    ranked = sorted(report.scenario_pnl, key=lambda row: row[1])
    extra = {} if report.var is None else {"var": var_document(report.var)}
    if report.greeks is not None:
        extra["greeks"] = greeks_document(report.greeks)
    if what is not None:
        extra["what_if"] = what_if_document(what)
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
        "scenarios": [
            {"scenario": name, "group": group_of[name], "pnl": pnl} for name, pnl in ranked
        ],
        "strategies": [{"strategy": name, "count": count} for name, count in report.pairing],
        "credits": [{"groups": pair, "credit": credit} for pair, credit in report.group_credits],
        "params": params_document(params),
        "level_factor": Decimal(params.levels[report.level]),
        "terms": [term_document(term) for term in report.terms],
        "floors": [
            {**term_document(floor), "binding": floor.name == report.binding or floor.name in group_minimums}
            for floor in report.floors
        ],
        "marginal": [
            {"instrument": m.instrument, "quantity": m.quantity,
             "requirement_without": m.requirement_without, "freed": m.freed}
            for m in sorted(marginal, key=lambda m: m.freed, reverse=True)
        ],
        **extra,
    }


def term_label(term: dict[str, Any], floors: set[str]) -> str:
    """What `term` is, in words; `floors` are the floors' names (a group's term may be its floor)."""
    kind = term["term"]
    if kind == "scenario_group":
        return f"{term['name']} {'minimum' if term['scenario'] in floors else 'worst loss'} ({term['scenario']})"
    if kind == "expected_shortfall":
        return "expected shortfall"
    if kind == "addon":
        return (f"add-on {term['side']} {abs(term['quantity'])} {term['instrument']} "
                f"@ {format_money(term['rate'], '')}")
    if kind == "pairing":
        return f"pairing {term['quantity']} {term['name']} (saves {format_money(-term['rate'], '')} each)"
    if kind == "credit":
        return f"spread credit {term['name']}"
    if kind == "intra_spread":
        return term["name"]
    if kind == "floor":
        return f"floor {term['name']}"
    if kind == "level":
        return f"level {term['name']} (×{term['factor']})"
    if kind == "rounding":
        return "rounding up to the money unit"
    return f"{kind} {term['name']}"


def format_terms(document: dict[str, Any]) -> list[str]:
    currency = document["currency"]
    floors = {floor["name"] for floor in document["floors"]}
    rows = [(term_label(term, floors), format_money(term["amount"], ""))
            for term in document["terms"] if term["amount"] or term["term"] == "level"]
    rows.append(("= requirement", format_money(document["requirement"], "")))
    lines = ["", table(("requirement terms", f"amount ({currency})"), rows, "<>")]
    idle = [floor for floor in document["floors"] if not floor["binding"]]
    if idle:
        lines.append("floors below the terms (not binding): " + ", ".join(
            f"{floor['name']} {format_money(floor['amount'], currency)}" for floor in idle))
    return lines


def format_pairing_and_credits(document: dict[str, Any]) -> list[str]:
    """The cheapest strategy pairing and the spread credits earned, when there are some."""
    lines = []
    if document["strategies"]:
        rows = [(row["strategy"], str(row["count"])) for row in document["strategies"]]
        lines += ["", table(("strategy pairing (cheapest)", "count"), rows, "<>")]
    credited = [row for row in document["credits"] if row["credit"]]
    if credited:
        rows = [(row["groups"], format_money(row["credit"], "")) for row in credited]
        lines += ["", table(("spread credit", f"credit ({document['currency']})"), rows, "<>")]
    return lines


def format_scenarios(document: dict[str, Any], all_scenarios: bool) -> list[str]:
    currency = document["currency"]
    moving = [row for row in document["scenarios"] if row["pnl"]]
    shown = moving if all_scenarios else moving[:WORST_SHOWN]
    lines = []
    if shown:
        rows = [(row["scenario"], format_money(row["pnl"], "")) for row in shown]
        lines += ["", table(("scenario (worst first)", f"P&L ({currency})"), rows, "<>")]
    if len(shown) < len(moving):
        lines.append(f"({len(moving) - len(shown)} more scenarios; --all-scenarios lists them)")
    unmoved = len(document["scenarios"]) - len(moving)
    if unmoved:
        lines.append(f"({unmoved} scenarios with no P&L for this book are not shown; --json lists all)")
    return lines


def number(value: float) -> str:
    return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"


def format_greeks(greeks: dict[str, Any]) -> list[str]:
    header = ("position", "quantity", "delta", "gamma", "vega", "theta/yr")
    rows = [(p["instrument"], str(p["quantity"]), *(number(p[name]) for name in GREEK_NAMES))
            for p in greeks["positions"]]
    rows += [(f"{u['underlying']} (at {number(u['price'])})", "", *(number(u[name]) for name in GREEK_NAMES))
             for u in greeks["underlyings"]]
    book = greeks["book"]
    return [
        "", table(header, rows, "<>>>>>"),
        f"book: delta value {number(book['delta_value'])}, gamma value {number(book['gamma_value'])}, "
        f"vega {number(book['vega'])}, theta {number(book['theta'])}/yr "
        "(Δ per unit of price, ν per 1.00 of vol; values: Σ Δ·S and Σ Γ·S²)",
    ]


def format_marginal(document: dict[str, Any]) -> list[str]:
    rows = [(m["instrument"], str(m["quantity"]), format_money(m["requirement_without"], ""),
             format_money(m["freed"], "")) for m in document["marginal"]]
    header = ("closing one position", "quantity", "requirement without", f"frees ({document['currency']})")
    return ["", table(header, rows, "<>>>")] if rows else []


def format_what_if(document: dict[str, Any]) -> list[str]:
    currency, after = document["currency"], document["what_if"]
    rows = [(name, format_money(document[name], ""), format_money(after[name], ""),
             format_money(after[name] - document[name], ""))
            for name in ("equity", "requirement", "excess")]
    verdict = ("MEETS the requirement" if after["meets"]
               else f"SHORT by {format_money(after['shortfall'], currency)}")
    return [
        "", "what-if: " + "; ".join(after["changes"]),
        table(("", "now", "after", "change"), rows, "<>>>"),
        f"after the changes the account {verdict} (binding {after['binding']}).",
    ]


def format_report(document: dict[str, Any], all_scenarios: bool = False) -> str:
    currency = document["currency"]
    signed = document["params"].get("epoch")
    anchors = "" if signed is None else (
        f", issuer {signed['issuer']}, epoch {signed['epoch']}, valid until {signed['valid_until']}")
    lines = [
        f"account      {shown(document['account'])}",
        f"model        {document['model']} ({document['level']} level, factor {document['level_factor']})",
        f"params       {short_digest(document['params_digest'])} (as of {document['params']['as_of']}{anchors})",
        f"equity       {format_money(document['equity'], currency)}",
        f"requirement  {format_money(document['requirement'], currency)}",
    ]
    if document["threshold"]:
        lines.append(f"threshold    {format_money(document['threshold'], currency)}")
    lines += [
        f"excess       {format_money(document['excess'], currency)}",
        f"binding      {document['binding']}",
    ]
    lines += format_terms(document)
    lines += format_pairing_and_credits(document)
    lines += format_scenarios(document, all_scenarios)
    if "var" in document:
        lines += format_var(document["var"], currency)
    if "greeks" in document:
        lines += format_greeks(document["greeks"])
    lines += format_marginal(document)
    if "what_if" in document:
        lines += format_what_if(document)
    lines.append("")
    if document["meets"]:
        lines.append("MEETS the requirement.")
    else:
        lines.append(
            f"SHORT by {format_money(document['shortfall'], currency)}: "
            "deposit at least that much, or reduce the positions."
        )
    return "\n".join(lines)


def buckets_document(
    book: zm.BucketedPortfolio, documents: list[dict[str, Any]], cross: zm.MarginReport
) -> dict[str, Any]:
    """`check` of isolated buckets: each bucket's own report, and whether all of them meet.

    `shortfall` is the sum of the buckets' shortfalls (each must be deposited in its own
    bucket); `buckets_shown` is the count a proof would show (padded, --pad-buckets aside);
    `cross` is the same book cross-margined (`book.merged()`), for comparison only.
    """
    first = documents[0]
    return {
        "account": book.account,
        "model": first["model"],
        "level": first["level"],
        "currency": first["currency"],
        "params_digest": first["params_digest"],
        "meets": all(document["meets"] for document in documents),
        "shortfall": sum((document["shortfall"] for document in documents), Decimal(0)),
        "buckets_shown": book.shown_count(),
        "cross": {name: getattr(cross, name) for name in ("equity", "requirement", "excess", "meets")},
        "buckets": [{"bucket": name, **document} for name, document in zip(book.names, documents)],
    }


def format_buckets(document: dict[str, Any], all_scenarios: bool = False) -> str:
    """A table of the buckets, then each bucket's report, then the verdict for all of them."""
    currency, buckets = document["currency"], document["buckets"]
    rows = [
        (shown(b["bucket"]), *(format_money(b[name], "") for name in ("equity", "requirement", "excess")),
         "meets" if b["meets"] else f"SHORT by {format_money(b['shortfall'], '')}")
        for b in buckets
    ]
    lines = [
        f"account {shown(document['account'])}: {len(buckets)} isolated buckets, each must meet its own "
        f"requirement with its own cash (a proof shows {document['buckets_shown']})",
        table(("bucket", "equity", "requirement", "excess", "status"), rows, "<>>><"),
        _cross_line(document["cross"], currency),
    ]
    for bucket in buckets:
        lines += ["", f"── bucket {shown(bucket['bucket'])} ──", format_report(bucket, all_scenarios)]
    lines.append("")
    if document["meets"]:
        lines.append(f"ALL {len(buckets)} buckets MEET their requirements.")
    else:
        short = [b for b in buckets if not b["meets"]]
        lines.append(
            f"SHORT by {format_money(document['shortfall'], currency)} in all: "
            + ", ".join(f"{shown(b['bucket'])} {format_money(b['shortfall'], currency)}" for b in short)
            + " — deposit into each short bucket (another bucket's excess does not count)."
        )
    return "\n".join(lines)


def _cross_line(cross: dict[str, Any], currency: str) -> str:
    verdict = "would meet" if cross["meets"] else "would be short too"
    return (
        f"cross-margined, the same book needs {format_money(cross['requirement'], currency)} against equity "
        f"{format_money(cross['equity'], currency)}: excess {format_money(cross['excess'], currency)}, {verdict} "
        "(information only: the buckets are isolated)"
    )
