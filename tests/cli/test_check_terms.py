"""`check` shows a requirement that adds up: every term, in text and JSON, for every model."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import zkmargin as zm
from tests.cli.conftest import REPO, write_portfolio
from tests.models.test_intra_spread import DECEMBER, MARCH, crude
from zkmargin.cli.report_view import format_report, report_document

EXAMPLES = REPO / "examples"
LISTED_BOOKS = ["portfolio", "portfolio_covered_call", "portfolio_crash_fails",
                "portfolio_hedged", "portfolio_short_strangle"]
LONG_STRANGLE = {"XYZ 2026-12-18 105 C": 10, "XYZ 2026-12-18 85 P": 10}
INDEX_SPREAD = {"ES 2026-12-18": 1, "SOX 2026-12-18 4800 P": 5}  # earns an SPX|SOX credit
CASES = [
    *[(model, "market", book) for model in
      ("scenario", "span", "portfolio_margin", "standard", "expected_shortfall")
      for book in LISTED_BOOKS],
    ("crypto_pm", "market_crypto", "portfolio_crypto"),
    ("portfolio_margin", "market", "long_strangle"),
    ("span", "market", "index_spread"),
]


@pytest.fixture(scope="module")
def params_files(tmp_path_factory) -> dict[tuple[str, str], Path]:
    root = tmp_path_factory.mktemp("terms")
    files = {}
    for model, market, _ in CASES:
        if (model, market) not in files:
            params = zm.build_params(zm.Market.load(EXAMPLES / f"{market}.json"),
                                     zm.MarginModel.load(REPO / "circuits" / f"{model}.toml"))
            files[model, market] = root / f"{model}-{market}.json"
            params.save(files[model, market])
    write_portfolio(root / "long_strangle.json", "buyer", 50000, LONG_STRANGLE)
    write_portfolio(root / "index_spread.json", "spreader", 100000, INDEX_SPREAD)
    return files


def book_path(params_files, book: str) -> Path:
    own = next(iter(params_files.values())).parent / f"{book}.json"
    return own if own.exists() else EXAMPLES / f"{book}.json"


def check_json(invoke, params: Path, book: Path, *extra: str) -> dict:
    result = invoke("check", "--allow-unsigned", "--params", str(params), "--portfolio", str(book), "--json", *extra)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("level", ["maintenance", "initial"])
@pytest.mark.parametrize("model,market,book", CASES)
def test_check_json_terms_sum_exactly_to_requirement_when_model_is_any(
    invoke, params_files, model, market, book, level
):
    document = check_json(invoke, params_files[model, market], book_path(params_files, book),
                          "--level", level)
    amounts = [Decimal(term["amount"]) for term in document["terms"]]
    assert sum(amounts) == Decimal(document["requirement"])
    *addends, rounding = document["terms"]
    assert rounding["term"] == "rounding" and 0 <= Decimal(rounding["amount"]) < Decimal("0.01")
    level_term = next(term for term in addends if term["term"] == "level")
    base = sum(Decimal(term["amount"]) for term in addends if term is not level_term)
    assert Decimal(level_term["factor"]) == Decimal(document["level_factor"])
    assert abs(Decimal(level_term["amount"]) - (Decimal(level_term["factor"]) - 1) * base) < Decimal("0.0001")
    pnl = {row["scenario"]: Decimal(row["pnl"]) for row in document["scenarios"]}
    for term in addends:
        if term["term"] == "scenario_group":
            in_group = [Decimal(row["pnl"]) for row in document["scenarios"] if row["group"] == term["name"]]
            minimum = next((Decimal(f["amount"]) for f in document["floors"] if f["name"] == term["scenario"]), None)
            if minimum is None:
                assert Decimal(term["amount"]) == max(Decimal(0), -min(in_group)) == max(Decimal(0), -pnl[term["scenario"]])
            else:  # the group's floor is above its worst loss
                assert Decimal(term["amount"]) == minimum > max(Decimal(0), -min(in_group))
        if term["term"] == "addon":
            assert Decimal(term["amount"]) == abs(Decimal(term["quantity"])) * Decimal(term["rate"])
    assert [row["pnl"] for row in document["scenarios"]] == sorted(
        (row["pnl"] for row in document["scenarios"]), key=Decimal)


@pytest.mark.parametrize("model,book,kind", [
    ("standard", "portfolio_short_strangle", "pairing"),
    ("span", "index_spread", "credit"),
])
def test_check_terms_take_off_pairing_and_credits_when_book_earns_them(invoke, params_files, model, book, kind):
    document = check_json(invoke, params_files[model, "market"], book_path(params_files, book))
    offsets = [term for term in document["terms"] if term["term"] == kind]
    assert offsets and all(Decimal(term["amount"]) < 0 for term in offsets)
    if kind == "pairing":
        assert [(row["strategy"], Decimal(row["count"])) for row in document["strategies"]] == [
            (term["name"], Decimal(term["quantity"])) for term in offsets]
    else:
        assert [(row["groups"], Decimal(row["credit"])) for row in document["credits"]] == [
            (term["name"], -Decimal(term["amount"])) for term in offsets]
    assert sum(Decimal(term["amount"]) for term in document["terms"]) == Decimal(document["requirement"])


def test_check_shows_crypto_contingency_in_text_and_json_when_short_option(invoke, params_files):
    params = params_files["crypto_pm", "market_crypto"]
    document = check_json(invoke, params, EXAMPLES / "portfolio_crypto.json")
    contingency = [term for term in document["terms"] if term["term"] == "addon"]
    assert [(term["instrument"], term["side"], term["quantity"]) for term in contingency] == [
        ("BTC-25DEC26-110000-C", "short", "-0.5")]
    text = invoke("check", "--allow-unsigned", "--params", str(params), "--portfolio", str(EXAMPLES / "portfolio_crypto.json"))
    line = next(line for line in text.stdout.splitlines() if line.startswith("add-on short 0.5 BTC-25DEC26-110000-C"))
    assert line.endswith(f"{Decimal(contingency[0]['amount']):,.2f}")
    assert next(line for line in text.stdout.splitlines() if line.startswith("= requirement")).endswith(
        f"{Decimal(document['requirement']):,.2f}")


def test_check_terms_are_the_groups_minimum_when_it_exceeds_the_groups_scenarios(invoke, params_files):
    # FINRA 4210(g): XYZ's class group needs at least $37.50 a contract, capped for a long
    # option at its market value: 10 calls at $30 + 10 puts at $15 (examples/market.json)
    document = check_json(invoke, params_files["portfolio_margin", "market"],
                          book_path(params_files, "long_strangle"))
    assert document["binding"] == "XYZ per_contract_minimum"
    groups = [term for term in document["terms"] if term["term"] == "scenario_group" and Decimal(term["amount"])]
    assert [(term["name"], term["scenario"]) for term in groups] == [("XYZ", "XYZ per_contract_minimum")]
    assert Decimal(groups[0]["amount"]) == Decimal(document["requirement"]) == 10 * 30 + 10 * 15
    assert document["floors"] == [{"term": "floor", "name": "XYZ per_contract_minimum",
                                   "amount": "450.00", "binding": True}]


def test_check_lists_worst_ten_then_all_when_asked(invoke, params_files):
    args = ("check", "--allow-unsigned", "--params", str(params_files["expected_shortfall", "market"]),
            "--portfolio", str(EXAMPLES / "portfolio_hedged.json"))
    document = check_json(invoke, *args[3::2])
    worst = [row["scenario"] for row in document["scenarios"] if Decimal(row["pnl"])]
    short = invoke(*args).stdout.splitlines()
    listed = [name for name in worst if any(line.startswith(name + " ") for line in short)]
    assert listed == worst[:10]
    assert f"({len(worst) - 10} more scenarios; --all-scenarios lists them)" in short
    full = invoke(*args, "--all-scenarios").stdout.splitlines()
    assert [name for name in worst if any(line.startswith(name + " ") for line in full)] == worst


def test_check_shows_params_digest_and_as_of_when_text(invoke, params_files):
    params_path = params_files["span", "market"]
    params = zm.RiskParams.load(params_path)
    result = invoke("check", "--allow-unsigned", "--params", str(params_path), "--portfolio", str(EXAMPLES / "portfolio.json"))
    assert f"params       {params.digest()[:16]}… (as of {params.as_of})" in result.stdout
    document = check_json(invoke, params_path, EXAMPLES / "portfolio.json")
    assert document["params"] == {"digest": params.digest(), "as_of": params.as_of}


def test_check_shows_issuer_and_epoch_when_params_are_signed(params_files):
    plain = zm.RiskParams.load(params_files["span", "market"])
    signed = zm.sign_params(plain, zm.new_key("venue-a", "params"), epoch=7,
                            valid_from=datetime(2026, 11, 27, tzinfo=timezone.utc), valid_for=timedelta(days=1))
    report = zm.assess(zm.Portfolio.load(EXAMPLES / "portfolio.json"), signed)
    document = report_document(report, signed)
    assert document["params"]["epoch"]["issuer"] == "venue-a" and document["params"]["epoch"]["epoch"] == 7
    until = document["params"]["epoch"]["valid_until"]
    assert (f"params       {signed.digest()[:16]}… (as of {signed.as_of}, issuer venue-a, epoch 7, "
            f"valid until {until})") in format_report(document)
    assert "epoch" not in report_document(report, plain)["params"]


def test_check_shows_the_intra_commodity_charge_when_the_book_holds_a_calendar_spread(invoke, tmp_path):
    zm.build_params(crude(), zm.MarginModel.load(REPO / "circuits" / "span.toml")).save(tmp_path / "params.json")
    write_portfolio(tmp_path / "calendar.json", "spreader", 1000, {DECEMBER: 1, MARCH: -1})
    args = ("--allow-unsigned", "--params", str(tmp_path / "params.json"), "--portfolio", str(tmp_path / "calendar.json"))
    document = check_json(invoke, *args[2::2])
    charged = [term for term in document["terms"] if term["term"] == "intra_spread"]
    assert charged == [{"term": "intra_spread", "name": "U intra-commodity spread", "amount": "700.00"}]
    assert document["binding"] == "U intra-commodity spread" and document["requirement"] == "700.01"
    text = invoke("check", *args).stdout.splitlines()
    assert next(line for line in text if line.startswith("U intra-commodity spread")).split() == [
        "U", "intra-commodity", "spread", "700.00"]
