"""Pictures of a book: its P&L across each underlying's prices, and its P&L per scenario.

`profiles` computes the data (no matplotlib needed): for every underlying the book holds,
the book's P&L when that underlying alone moves to each point of a price grid (±`width`
around today, `points` points), every other underlying unchanged — the market's own
models, as in the scenarios. `draw_profile` and `draw_scenarios` draw with matplotlib's
object API (a `Figure`, no pyplot and no global backend: headless, Agg for PNG), which is
the optional extra `zkmargin[plot]`; without it they raise `MissingExtra` naming it.
`save_plot` writes PNG or SVG (by the file's suffix) atomically; `plot_profile` and
`plot_scenarios` are the public recipes (zm.plot_profile, zm.plot_scenarios).

The lines of a profile's axes, in order: the book's P&L, −requirement (the loss the
requirement covers), −equity (the loss that leaves no equity), today's price (vertical).
A scenarios picture has one bar per scenario in the params' order; the binding scenario
is red and, for the expected-shortfall model, the tail scenarios orange.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zkmargin.engine.assess import MarginReport, assess
from zkmargin.engine.market import Market
from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio
from zkmargin.errors import InputError, MissingExtra
from zkmargin.files import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")
BINDING_COLOR, TAIL_COLOR, BAR_COLOR = "tab:red", "tab:orange", "tab:blue"
TICKED_SCENARIOS = 40
"""Scenario names are written under the bars up to this many scenarios."""


@dataclass(frozen=True)
class Profile:
    """The book's P&L (currency units) at each price of one underlying's grid."""

    underlying: str
    price: float
    prices: np.ndarray
    pnl: np.ndarray


def profiles(portfolio: Portfolio, market: Market, width: float = 0.3, points: int = 61) -> tuple[Profile, ...]:
    """One profile per underlying held, in `underlying_ids()` order."""
    if not 0 < width < 1 or points < 2:
        raise InputError(f"profile: width must be in (0, 1) and points ≥ 2, got {width} and {points}")
    ids = market.instrument_ids()
    portfolio.check_universe(ids)
    quantity = np.array([float(portfolio.positions.get(i, 0)) for i in ids])
    if not quantity.any():
        raise InputError("profile: the portfolio holds no positions, so there is nothing to draw")
    underlyings = market.underlying_ids()
    grid = np.linspace(1 - width, 1 + width, points)
    # Every underlying moves along the grid at once: an instrument depends on its own only.
    moved = market.revalue(np.tile(grid, (len(underlyings), 1)), np.zeros((len(underlyings), points)))
    today = market.revalue(np.ones((len(underlyings), 1)), np.zeros((len(underlyings), 1)))
    change = quantity[:, None] * (moved - today)
    underlying_of = np.array([market.instruments[i].underlying for i in ids])
    result = []
    for underlying in underlyings:
        rows = (underlying_of == underlying) & (quantity != 0)
        if rows.any():
            price = market.underlyings[underlying].price
            result.append(Profile(underlying, price, price * grid, change[rows].sum(axis=0)))
    return tuple(result)


def draw_profile(report: MarginReport, drawn: tuple[Profile, ...]) -> Figure:
    """One panel per underlying: P&L across its prices, with −requirement and −equity."""
    figure = new_figure((7.0, 2.8 * len(drawn) + 0.6))
    for axes, profile in zip(figure.subplots(len(drawn), 1, squeeze=False)[:, 0], drawn):
        axes.plot(profile.prices, profile.pnl, color=BAR_COLOR, label="book P&L")
        axes.axhline(-float(report.requirement), color=TAIL_COLOR, linestyle="--",
                     label=f"− requirement ({report.level})")
        axes.axhline(-float(report.equity), color=BINDING_COLOR, linestyle=":", label="− equity")
        axes.axvline(profile.price, color="grey", linewidth=0.8, label="today")
        axes.set_title(f"{report.account}: {profile.underlying} moving alone")
        axes.set_xlabel(f"{profile.underlying} price")
        axes.set_ylabel(f"P&L ({report.currency})")
        axes.legend(fontsize="small")
    return figure


def draw_scenarios(report: MarginReport) -> Figure:
    """A bar per scenario; the binding one (and an ES tail) coloured."""
    if not report.scenario_pnl:
        raise InputError(f"scenarios: model {report.model!r} has no scenarios to draw")
    names = [name for name, _ in report.scenario_pnl]
    tail = {name for name, _ in report.var.tail} if report.var and report.var.in_requirement else set()
    colors = [BINDING_COLOR if name == report.binding else TAIL_COLOR if name in tail else BAR_COLOR
              for name in names]
    figure = new_figure((min(max(7.0, 0.18 * len(names)), 14.0), 4.2))
    axes = figure.subplots()
    axes.bar(range(len(names)), [float(pnl) for _, pnl in report.scenario_pnl], color=colors)
    axes.axhline(-float(report.requirement), color=TAIL_COLOR, linestyle="--", label="− requirement")
    if len(names) <= TICKED_SCENARIOS:
        axes.set_xticks(range(len(names)), names, rotation=90, fontsize="x-small")
    axes.set_title(f"{report.account}: P&L per scenario ({report.model}; binding: {report.binding})")
    axes.set_ylabel(f"P&L ({report.currency})")
    axes.legend(fontsize="small")
    return figure


def new_figure(size: tuple[float, float]) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtra(
            "plots need matplotlib: install the extra with pip install 'zkmargin[plot]'"
        ) from None
    return Figure(figsize=size, layout="constrained")


def plot_profile(
    portfolio: Portfolio, params: RiskParams, market: Market, level: str = "maintenance",
    threshold: Decimal | int | float = 0,
) -> Figure:
    """The profile picture of `portfolio` (today's requirement from `params` at `level`)."""
    drawn = profiles(portfolio, market)
    return draw_profile(assess(portfolio, params, level=level, threshold=threshold), drawn)


def plot_scenarios(
    portfolio: Portfolio, params: RiskParams, level: str = "maintenance",
    threshold: Decimal | int | float = 0,
) -> Figure:
    """The per-scenario picture of `portfolio` under `params` at `level`."""
    return draw_scenarios(assess(portfolio, params, level=level, threshold=threshold))


def save_plot(figure: Any, path: str | Path, overwrite: bool = False) -> Path:
    """Write `figure` as PNG or SVG, chosen by the suffix, atomically."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise InputError(f"{path}: a picture must end in .png or .svg")
    buffer = io.BytesIO()
    # No date in the file, so the same book draws the same bytes.
    figure.savefig(buffer, format=kind, metadata={"Date": None} if kind == "svg" else {"Software": None})
    return write_atomic(path, buffer.getvalue(), overwrite=overwrite)
