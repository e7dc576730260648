"""VaR beside ES in `check`: the Rockafellar–Uryasev threshold, the tail, and which one is proved."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

import zkmargin as zm
from tests.cli.conftest import REPO

EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    root = tmp_path_factory.mktemp("var")
    market = zm.Market.load(EXAMPLES / "market.json")
    paths = {}
    for model in ("expected_shortfall", "span", "standard"):
        paths[model] = root / f"{model}.json"
        zm.build_params(market, zm.MarginModel.load(REPO / "circuits" / f"{model}.toml")).save(paths[model])
    return paths


def check(invoke, params_path, book="portfolio_hedged", *extra):
    result = invoke("check", "--allow-unsigned", "--params", str(params_path), "--portfolio", str(EXAMPLES / f"{book}.json"), *extra)
    assert result.exit_code in (0, 1), result.output
    return result


def test_check_var_is_the_tail_threshold_below_es_when_model_is_expected_shortfall(invoke, params):
    document = json.loads(check(invoke, params["expected_shortfall"], "portfolio_hedged", "--json").stdout)
    var = document["var"]
    losses = sorted((-Decimal(row["pnl"]) for row in document["scenarios"]), reverse=True)
    k = math.ceil(len(losses) * (1 - Decimal(var["confidence"])))
    assert Decimal(var["var"]) == losses[k - 1]
    assert [Decimal(row["loss"]) for row in var["tail"]] == losses[:k]
    assert var["tail"][-1]["scenario"] == var["scenario"]
    es = next(term for term in document["terms"] if term["term"] == "expected_shortfall")
    assert Decimal(var["expected_shortfall"]) - Decimal(es["amount"]) < Decimal("0.01")
    assert Decimal(var["var"]) <= Decimal(var["expected_shortfall"])
    assert var["in_requirement"] is True
    text = check(invoke, params["expected_shortfall"]).stdout
    assert f"VaR 97.5%    {Decimal(var['var']):,.2f} USD (scenario {var['scenario']})" in text


def test_check_var_is_information_when_model_takes_worst_losses(invoke, params):
    document = json.loads(check(invoke, params["span"], "portfolio_hedged", "--json").stdout)
    assert document["var"]["in_requirement"] is False and document["var"]["confidence"] == "0.975"
    assert Decimal(document["var"]["var"]) <= Decimal(document["var"]["expected_shortfall"])
    assert "information: over all scenarios as equally likely" in check(invoke, params["span"]).stdout


def test_check_has_no_var_when_model_has_no_scenarios(invoke, params):
    document = json.loads(check(invoke, params["standard"], "portfolio_hedged", "--json").stdout)
    assert "var" not in document
