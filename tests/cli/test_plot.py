"""`zkmargin plot` and the plot recipes: the data drawn, the files written, the missing extra."""

from __future__ import annotations

import json
import sys

import matplotlib.colors
import numpy as np
import pytest

import zkmargin as zm
from tests.cli.conftest import REPO
from zkmargin.engine.pricing import black_scholes

EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def market():
    return zm.Market.load(EXAMPLES / "market.json")


@pytest.fixture(scope="module")
def params(market):
    return zm.build_params(market, zm.MarginModel.load(REPO / "circuits" / "span.toml"))


@pytest.fixture(scope="module")
def params_path(params, tmp_path_factory):
    path = tmp_path_factory.mktemp("plot") / "params.json"
    params.save(path)
    return path


def test_plot_profile_draws_linear_pnl_and_the_lines_when_book_holds_stock(params, market):
    book = zm.Portfolio(account="s", cash=5000, positions={"XYZ": 100})
    figure = zm.plot_profile(book, params, market)
    (axes,) = figure.axes
    prices, pnl = axes.lines[0].get_xydata().T
    np.testing.assert_allclose(pnl, 100 * (prices - 95.0), atol=1e-9)
    assert (prices[0], prices[-1]) == pytest.approx((95 * 0.7, 95 * 1.3))
    report = zm.assess(book, params)
    assert axes.lines[1].get_ydata()[0] == -float(report.requirement)
    assert axes.lines[2].get_ydata()[0] == -float(report.equity)
    assert axes.lines[3].get_xdata()[0] == 95.0


def test_plot_profile_reprices_options_with_black_scholes_floored_when_book_holds_an_american_put(params, market):
    book = zm.Portfolio(account="p", cash=5000, positions={"XYZ 2026-12-18 80 P": -2, "SPX 2026-12-18 5800 P": 1})
    figure = zm.plot_profile(book, params, market)
    assert [axes.get_title() for axes in figure.axes] == ["p: SPX moving alone", "p: XYZ moving alone"]
    prices, pnl = figure.axes[1].lines[0].get_xydata().T
    today = black_scholes(95.0, 80.0, 21 / 365, market.rate, 0.30, False)
    # an equity option is American: never below its exercise value, 80 − S deep in the money
    american = np.maximum(black_scholes(prices, 80.0, 21 / 365, market.rate, 0.30, False), 80.0 - prices)
    assert np.any(american > black_scholes(prices, 80.0, 21 / 365, market.rate, 0.30, False))
    expected = -2 * 100 * (american - today)
    np.testing.assert_allclose(pnl, expected, rtol=1e-12, atol=1e-9)


def test_plot_scenarios_bars_are_the_pnl_with_binding_marked_when_drawn(params):
    book = zm.Portfolio.load(EXAMPLES / "portfolio_covered_call.json")
    report = zm.assess(book, params)
    (axes,) = zm.plot_scenarios(book, params).axes
    heights = [bar.get_height() for bar in axes.patches]
    assert heights == [float(pnl) for _, pnl in report.scenario_pnl]
    red = [i for i, bar in enumerate(axes.patches) if bar.get_facecolor() == matplotlib.colors.to_rgba("tab:red")]
    assert red == [params.scenarios.index(report.binding)]


def test_plot_scenarios_marks_the_tail_when_model_is_expected_shortfall(market):
    params = zm.build_params(market, zm.MarginModel.load(REPO / "circuits" / "expected_shortfall.toml"))
    book = zm.Portfolio.load(EXAMPLES / "portfolio_hedged.json")
    report = zm.assess(book, params)
    (axes,) = zm.plot_scenarios(book, params).axes
    orange = {params.scenarios[i] for i, bar in enumerate(axes.patches)
              if bar.get_facecolor() == matplotlib.colors.to_rgba("tab:orange")}
    assert orange == {name for name, _ in report.var.tail}


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_plot_writes_the_picture_when_cli_asked(invoke, params_path, tmp_path, suffix, magic):
    output = tmp_path / f"scenarios{suffix}"
    result = invoke("plot", "scenarios", "--allow-unsigned", "--params", str(params_path),
                    "--portfolio", str(EXAMPLES / "portfolio_hedged.json"), "-o", str(output), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"plot": "scenarios", "file": str(output), "format": suffix[1:]}
    assert output.read_bytes().startswith(magic)
    again = invoke("plot", "profile", "--allow-unsigned", "--params", str(params_path), "--portfolio", str(EXAMPLES / "portfolio_hedged.json"),
                   "--market", str(EXAMPLES / "market.json"), "-o", str(output))
    assert again.exit_code == 2 and "--force" in again.stderr


def test_plot_exits_2_when_suffix_is_not_a_picture(invoke, params_path, tmp_path):
    result = invoke("plot", "scenarios", "--allow-unsigned", "--params", str(params_path),
                    "--portfolio", str(EXAMPLES / "portfolio.json"), "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2 and "must end in .png or .svg" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_plot_names_the_extra_in_one_line_when_matplotlib_is_missing(invoke, params_path, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # what an install without it raises
    result = invoke("plot", "scenarios", "--allow-unsigned", "--params", str(params_path),
                    "--portfolio", str(EXAMPLES / "portfolio.json"), "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 2
    assert result.stderr == "zkmargin: error: plots need matplotlib: install the extra with pip install 'zkmargin[plot]'\n"
