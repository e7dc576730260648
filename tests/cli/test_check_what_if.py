"""`check --what-if` and the per-position marginal requirement."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import zkmargin as zm
from tests.cli.conftest import REPO

BOOK = REPO / "examples" / "portfolio_covered_call.json"


@pytest.fixture(scope="module")
def params_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("what-if") / "params.json"
    zm.build_params(zm.Market.load(REPO / "examples" / "market.json"),
                    zm.MarginModel.load(REPO / "circuits" / "span.toml")).save(path)
    return path


def test_check_what_if_shows_the_account_after_the_changes_when_given(invoke, params_path):
    changes = ["close XYZ 2026-12-18 100 C", "deposit 1000"]
    args = ["check", "--allow-unsigned", "--params", str(params_path), "--portfolio", str(BOOK)]
    for change in changes:
        args += ["--what-if", change]
    document = json.loads(invoke(*args, "--json").stdout)
    expected = zm.what_if(zm.Portfolio.load(BOOK), zm.RiskParams.load(params_path), changes)
    assert document["what_if"]["changes"] == changes
    assert Decimal(document["what_if"]["requirement"]) == expected.after.requirement
    assert Decimal(document["what_if"]["freed"]) == expected.freed
    assert Decimal(document["what_if"]["equity"]) == Decimal(document["equity"]) + 1000
    text = invoke(*args).stdout.splitlines()
    assert "what-if: close XYZ 2026-12-18 100 C; deposit 1000" in text
    section = text[text.index("what-if: close XYZ 2026-12-18 100 C; deposit 1000"):]
    row = next(line for line in section if line.startswith("requirement "))
    assert row.split()[1:] == [f"{expected.before.requirement:,.2f}", f"{expected.after.requirement:,.2f}",
                               f"{-expected.freed:,.2f}"]


def test_check_lists_marginal_requirements_most_freed_first_when_book_has_positions(invoke, params_path):
    document = json.loads(invoke("check", "--allow-unsigned", "--params", str(params_path), "--portfolio", str(BOOK), "--json").stdout)
    freed = [Decimal(m["freed"]) for m in document["marginal"]]
    assert freed == sorted(freed, reverse=True) and len(freed) == 3
    expected = {m.instrument: m.freed for m in zm.marginal_requirements(zm.Portfolio.load(BOOK), zm.RiskParams.load(params_path))}
    assert {m["instrument"]: Decimal(m["freed"]) for m in document["marginal"]} == expected


def test_check_exits_2_naming_the_change_when_what_if_text_is_bad(invoke, params_path):
    result = invoke("check", "--allow-unsigned", "--params", str(params_path), "--portfolio", str(BOOK), "--what-if", "buy 5 XYZ")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("zkmargin: error: what-if 'buy 5 XYZ': expected")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("amount", ["١٠٠٠", "1_000"])
def test_check_exits_2_naming_the_change_when_what_if_amount_is_not_ascii_digits(invoke, params_path, amount):
    result = invoke("check", "--allow-unsigned", "--params", str(params_path), "--portfolio", str(BOOK), "--what-if", f"deposit {amount}")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"zkmargin: error: what-if 'deposit {amount}': {amount!r} is not a positive number"
