"""What-if: the requirement after trades or cash moves, and what closing each position frees.

A change is one line of text:

    close <instrument>          the position goes to 0
    +<quantity> <instrument>    buy that many whole units (e.g. "+5 SPX 2026-12-18 5800 P")
    -<quantity> <instrument>    sell that many ("-0.5 BTC" when the market has decimals)
    deposit <amount>            cash in (currency units)
    withdraw <amount>           cash out

Trades happen at the params' `values` (the venue's marks): cash moves by −Δq × value, so
a trade leaves equity unchanged (a future, worth 0, moves no cash) and only the
requirement moves; deposits and withdrawals move equity. Instrument names may contain
spaces: everything after the first word is the name. Text that fits none of these, an
instrument outside the params, closing a position that is not held, or a quantity that is
not a positive number is an `InputError` naming the change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from zkmargin.engine.assess import MarginReport, assess
from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio
from zkmargin.errors import InputError, UnknownInstrument
from zkmargin.units import from_fixed, parse_decimal
from zkmargin.validation import did_you_mean

TRADE = re.compile(r"([+-])(\S+)\s+(\S.*)")
CASH = re.compile(r"(deposit|withdraw)\s+(\S+)")
CLOSE = re.compile(r"close\s+(\S.*)")


@dataclass(frozen=True)
class WhatIf:
    """The account before and after `changes`, at the same level and threshold."""

    changes: tuple[str, ...]
    portfolio: Portfolio
    before: MarginReport
    after: MarginReport

    @property
    def freed(self) -> Decimal:
        """How much the requirement falls (negative: rises)."""
        return self.before.requirement - self.after.requirement


@dataclass(frozen=True)
class Marginal:
    """What closing one position (at its value) does to the requirement."""

    instrument: str
    quantity: Decimal
    requirement_without: Decimal
    freed: Decimal


def apply_change(portfolio: Portfolio, params: RiskParams, change: str) -> Portfolio:
    """`portfolio` after one change (grammar in the module docstring)."""
    text = " ".join(str(change).split())
    positions, cash = dict(portfolio.positions), portfolio.cash
    if match := CLOSE.fullmatch(text):
        instrument = known(params, match[1], change)
        if not positions.get(instrument):
            raise InputError(f"what-if {change!r}: no position in {instrument!r} to close")
        delta = -positions[instrument]
    elif match := TRADE.fullmatch(text):
        instrument = known(params, match[3], change)
        delta = positive(match[2], change) * (1 if match[1] == "+" else -1)
    elif match := CASH.fullmatch(text):
        amount = positive(match[2], change)
        cash += amount if match[1] == "deposit" else -amount
        return Portfolio(account=portfolio.account, cash=cash, positions=positions)
    else:
        raise InputError(
            f"what-if {change!r}: expected 'close <instrument>', '+N <instrument>', "
            f"'-N <instrument>', 'deposit <amount>' or 'withdraw <amount>'"
        )
    value = from_fixed(params.values[params.instruments.index(instrument)], params.money_scale)
    quantity = positions.get(instrument, Decimal(0)) + delta
    if quantity:
        positions[instrument] = quantity
    else:
        positions.pop(instrument, None)
    return Portfolio(account=portfolio.account, cash=cash - delta * value, positions=positions)


def known(params: RiskParams, instrument: str, change: str) -> str:
    if instrument not in params.instruments:
        raise UnknownInstrument(
            f"what-if {change!r}: unknown instrument {instrument!r}{did_you_mean(instrument, params.instruments)}"
        )
    return instrument


def positive(text: str, change: str) -> Decimal:
    try:
        number = parse_decimal(text)
    except InputError:
        number = Decimal("NaN")
    if not number.is_finite() or number <= 0:
        raise InputError(f"what-if {change!r}: {text!r} is not a positive number")
    return number


def what_if(
    portfolio: Portfolio,
    params: RiskParams,
    changes: str | Iterable[str],
    level: str = "maintenance",
    threshold: Decimal | int | float = 0,
) -> WhatIf:
    """The account before and after `changes` (one change or several, applied in order)."""
    changes = (changes,) if isinstance(changes, str) else tuple(changes)
    after = portfolio
    for change in changes:
        after = apply_change(after, params, change)
    return WhatIf(
        changes=changes,
        portfolio=after,
        before=assess(portfolio, params, level=level, threshold=threshold),
        after=assess(after, params, level=level, threshold=threshold),
    )


def marginal_requirements(
    portfolio: Portfolio, params: RiskParams, level: str = "maintenance"
) -> tuple[Marginal, ...]:
    """For every position held, the requirement without it and how much that frees."""
    requirement = assess(portfolio, params, level=level).requirement
    marginals = []
    for instrument, quantity in portfolio.positions.items():
        if quantity:
            without = assess(apply_change(portfolio, params, f"close {instrument}"), params, level=level)
            marginals.append(Marginal(instrument, quantity, without.requirement,
                                      requirement - without.requirement))
    return tuple(marginals)
