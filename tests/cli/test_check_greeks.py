"""`check --market`: the Greeks of every position, per underlying and for the book."""

from __future__ import annotations

import json

import pytest

import zkmargin as zm
from tests.cli.conftest import REPO
from zkmargin.engine.greeks import book_greeks

EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def span_params(tmp_path_factory):
    path = tmp_path_factory.mktemp("greeks") / "params.json"
    zm.build_params(zm.Market.load(EXAMPLES / "market.json"),
                    zm.MarginModel.load(REPO / "circuits" / "span.toml")).save(path)
    return path


def test_check_prints_greeks_of_positions_underlyings_and_book_when_market_given(invoke, span_params):
    args = ("check", "--allow-unsigned", "--params", str(span_params), "--portfolio", str(EXAMPLES / "portfolio_hedged.json"),
            "--market", str(EXAMPLES / "market.json"))
    document = json.loads(invoke(*args, "--json").stdout)
    expected = book_greeks(zm.Portfolio.load(EXAMPLES / "portfolio_hedged.json"),
                           zm.Market.load(EXAMPLES / "market.json"))
    assert [(p["instrument"], p["delta"], p["theta"]) for p in document["greeks"]["positions"]] == [
        (p.instrument, p.delta, p.theta) for p in expected.positions]
    assert [u["underlying"] for u in document["greeks"]["underlyings"]] == ["SPX", "XYZ"]
    assert document["greeks"]["book"]["vega"] == pytest.approx(expected.vega)
    text = invoke(*args).stdout.splitlines()
    xyz = next(line for line in text if line.startswith("XYZ (at 95.00)"))
    assert xyz.split()[-4:] == [f"{u:,.2f}" if abs(u) >= 10 else f"{u:,.4f}" for u in (
        expected.underlyings[1].delta, expected.underlyings[1].gamma,
        expected.underlyings[1].vega, expected.underlyings[1].theta)]
    assert any(line.startswith("book: delta value") for line in text)


def test_check_has_no_greeks_when_market_not_given(invoke, span_params):
    result = invoke("check", "--allow-unsigned", "--params", str(span_params), "--portfolio", str(EXAMPLES / "portfolio.json"), "--json")
    assert "greeks" not in json.loads(result.stdout)


def test_check_exits_2_naming_position_when_market_lacks_it(invoke, span_params, tmp_path):
    market = json.loads((EXAMPLES / "market.json").read_text())
    del market["instruments"]["XYZ 2026-12-18 80 P"]
    (tmp_path / "market.json").write_text(json.dumps(market))
    result = invoke("check", "--allow-unsigned", "--params", str(span_params), "--portfolio", str(EXAMPLES / "portfolio.json"),
                    "--market", str(tmp_path / "market.json"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'market.json'}: lacks 'XYZ 2026-12-18 80 P', held in the portfolio" in result.stderr
