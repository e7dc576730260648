"""Strategy templates for `standard`: the Cboe / FINRA spreads, covered and straddle positions.

A template is a public combination of legs (instrument, units per strategy unit; + long,
− short) and a rate per strategy unit that replaces the legs' naked rates when the prover
pairs its positions into it (engine/strategies.py finds the cheapest pairing, the proof
checks it: proofs/pairing.py). Every rate is the deposit the rule asks for with the
proceeds of short legs applied, which is exactly the requirement on net liquidation value
(equity counts long legs at their value and short legs at minus theirs). With v the value
of one unit (mark × M), S the underlying price, K strikes, M the option multiplier:

    vertical (long l, short s; one underlying, expiry, right)
        v_l − v_s + M·max(K_l − K_s, 0) for calls, M·max(K_s − K_l, 0) for puts
        (a debit spread is paid in full; a credit spread holds its maximum loss)
    covered call (long M/M_stock shares, short 1 call)
        maintenance S·M − v_c − 75%·min(S, K)·M (25% of the stock valued at no more than
        the strike); initial (Reg T) 50%·S·M − v_c; no requirement on the call
    long butterfly (+1 at K − w, −2 at K, +1 at K + w; one underlying, expiry, right)
        v_low + v_high − 2·v_mid: the net debit, paid in full (its maximum loss)
    short straddle or strangle (short 1 call, short 1 put; one underlying and expiry)
        the naked rate of the side whose requirement plus premium is greater (the rule:
        greater side plus the other side's premium, proceeds applied)
    covered put (short M/M_stock shares, short 1 put)
        the short stock's rate on those shares + M·max(K − S, 0) − v_p: the stock's
        requirement plus the put's in-the-money amount, none on the put, its proceeds
        applied (initial: the stock's Reg T rate instead of its maintenance rate)
    protective put (long M/M_stock shares, long 1 put)
        maintenance v_p + M·min(10%·K + max(S − K, 0), the long stock rate per share):
        the put paid in full, the stock's requirement capped by what the put guarantees;
        initial (Reg T) the naked legs (50% of the stock, the put in full)
    iron condor (long put a < short put b ≤ short call c < long call d; one expiry;
        K_b − K_a = K_d − K_c, as the exchange rule requires to recognise one)
        M·(K_b − K_a) − (v_b + v_c − v_a − v_d): the greater spread, credit applied — its
        maximum loss

A short butterfly (−1 low, +2 middle, −1 high) needs no template of its own: its rule
(the short spread's maximum loss, the long spread paid) is the credit vertical
(+middle, −low) plus the debit vertical (+middle, −high) exactly, which the pairing finds.

The shares of a covered call, covered put or protective put are the options' deliverable:
a stock pairs with the options on its underlying only when it is priced at the
underlying's price (`delivers`); an ETF marked on an index covers nothing.

Rates are floored at 0. A template is published only where it is cheaper than its legs'
naked rates, and only for the families the TOML lists (`strategies`): each template is a
committed count in every proof over the params, so the venue trades recognition for proof
size. Source: Cboe Margin Manual (spreads, butterflies,
covered calls and puts, long put with long underlying, straddles, iron condors); FINRA
Rule 4210(f)(2); Regulation T for the 50% initial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING

import numpy as np

from zkmargin.engine.money_units import MONEY_SCALE, money_up

if TYPE_CHECKING:
    from zkmargin.engine.market import Market


@dataclass(frozen=True)
class StrategyTerms:
    """A template in currency units: legs (row of `instrument_ids()`, signed units)."""

    name: str
    legs: tuple[tuple[int, int], ...]
    rate: float
    level_rates: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Book:
    """What the templates need per instrument row, with the naked rates to beat."""

    market: Market
    values: np.ndarray
    naked_long: np.ndarray
    naked_short: np.ndarray
    stock_long_rate: float
    stock_initial_rate: float
    protective_put_strike_rate: float

    def naked(self, legs: tuple[tuple[int, int], ...]) -> float:
        return sum(u * self.naked_long[i] if u > 0 else -u * self.naked_short[i] for i, u in legs)


FAMILIES = ("vertical", "butterfly", "covered_call", "covered_put", "protective_put", "straddle", "iron_condor")
"""The strategy families a `standard` TOML may list."""


def templates(book: Book, families: tuple[str, ...] = FAMILIES) -> tuple[StrategyTerms, ...]:
    """Every template of the listed families that is cheaper than its legs charged naked."""
    market = book.market
    ids = market.instrument_ids()
    rows = {name: row for row, name in enumerate(ids)}
    options: dict[tuple, list[int]] = {}
    stocks: dict[str, list[int]] = {}
    for name in ids:
        item = market.instruments[name]
        if item.kind == "option":
            options.setdefault((item.underlying, item.expiry, item.right, item.multiplier), []).append(rows[name])
        elif item.kind == "stock":
            stocks.setdefault(item.underlying, []).append(rows[name])
    found: list[StrategyTerms] = []
    for (underlying, expiry, right, multiplier), chain in options.items():
        if "vertical" in families:
            found += verticals(book, chain, right, multiplier)
        if "butterfly" in families:
            found += butterflies(book, chain)
        if right == "put":
            for stock in stocks.get(underlying, []):
                if "covered_put" in families:
                    found += covered_puts(book, stock, chain, multiplier)
                if "protective_put" in families:
                    found += protective_puts(book, stock, chain, multiplier)
            continue
        if "covered_call" in families:
            for stock in stocks.get(underlying, []):
                found += covered_calls(book, stock, chain, multiplier)
        puts = options.get((underlying, expiry, "put", multiplier), [])
        if "straddle" in families:
            found += straddles(book, chain, puts)
        if "iron_condor" in families:
            found += iron_condors(book, puts, chain, multiplier)
    return tuple(strategy for strategy in found if strategy.rate < book.naked(strategy.legs) - 1e-9)


def rounded_up(amount: float) -> float:
    """`amount` rounded up to the money unit, as build_params publishes a rate."""
    return money_up(amount) / MONEY_SCALE


def strike(book: Book, row: int) -> float:
    return book.market.instruments[book.market.instrument_ids()[row]].strike


def label(book: Book, legs: tuple[tuple[int, int], ...]) -> str:
    ids = book.market.instrument_ids()
    return ", ".join(f"{'+' if units > 0 else '−'}{abs(units)} {ids[row]}" for row, units in legs)


def vertical_rate(book: Book, long: int, short: int, right: str, multiplier: float) -> float:
    width = strike(book, long) - strike(book, short)
    loss = multiplier * max(width if right == "call" else -width, 0.0)
    return max(loss + book.values[long] - book.values[short], 0.0)


def verticals(book: Book, chain: list[int], right: str, multiplier: float) -> list[StrategyTerms]:
    found = []
    for long, short in product(chain, chain):
        if long == short:
            continue
        legs = ((long, 1), (short, -1))
        rate = vertical_rate(book, long, short, right, multiplier)
        found.append(StrategyTerms(f"vertical: {label(book, legs)}", legs, rate))
    return found


def butterflies(book: Book, chain: list[int]) -> list[StrategyTerms]:
    by_strike = {strike(book, row): row for row in chain}
    found = []
    for low, middle in product(chain, chain):
        wing = strike(book, middle) - strike(book, low)
        high = by_strike.get(strike(book, middle) + wing)
        if wing <= 0 or high is None:
            continue
        legs = ((low, 1), (middle, -2), (high, 1))
        rate = max(book.values[low] + book.values[high] - 2 * book.values[middle], 0.0)
        found.append(StrategyTerms(f"long butterfly: {label(book, legs)}", legs, rate))
    return found


def delivers(market: Market, stock: str) -> bool:
    """Whether `stock` is the deliverable of the options on its underlying: priced at the
    underlying's price (no mark of its own, or that price). A stock marked elsewhere is
    another security listed on the underlying (an ETF on an index: SPY at 600 on SPX at
    6,000), which covers no option (Cboe Margin Manual: the short call is covered by the
    underlying it delivers)."""
    item = market.instruments[stock]
    return item.mark is None or item.mark == market.underlyings[item.underlying].price


def stock_lot(book: Book, stock: int, multiplier: float) -> tuple[int, float] | None:
    """(stock units per option, price per share), or None when the stock is not the
    options' deliverable or an option does not cover a whole number of stock units."""
    name = book.market.instrument_ids()[stock]
    if not delivers(book.market, name):
        return None
    stock_multiplier = book.market.instruments[name].multiplier
    units = multiplier / stock_multiplier
    return (int(units), book.values[stock] / stock_multiplier) if units == int(units) else None


def covered_calls(book: Book, stock: int, calls: list[int], multiplier: float) -> list[StrategyTerms]:
    lot = stock_lot(book, stock, multiplier)
    if lot is None:
        return []
    shares, price = lot
    found = []
    for call in calls:
        legs = ((stock, shares), (call, -1))
        value = price * multiplier
        capped = min(price, strike(book, call)) * multiplier
        # maintenance values the stock at no more than the strike (FINRA); Reg T initial
        # lends 50% of its market value, the call's proceeds applied
        maintenance = max(value - book.values[call] - (1 - book.stock_long_rate) * capped, 0.0)
        initial = max(book.stock_initial_rate * value - book.values[call], 0.0)
        found.append(StrategyTerms(
            f"covered call: {label(book, legs)}", legs, maintenance, {"initial": initial},
        ))
    return found


def stock_lot_rates(
    book: Book, stock: int, multiplier: float, naked: np.ndarray
) -> tuple[int, float, float, float] | None:
    """(units, price per share, maintenance, initial) of the stock units one option covers,
    at the naked rates `naked` (long or short side) and at Reg T's 50% if that is higher."""
    lot = stock_lot(book, stock, multiplier)
    if lot is None:
        return None
    units, price = lot
    initial = units * max(naked[stock], book.stock_initial_rate * book.values[stock])
    return units, price, units * naked[stock], initial


def covered_puts(book: Book, stock: int, puts: list[int], multiplier: float) -> list[StrategyTerms]:
    lot = stock_lot_rates(book, stock, multiplier, book.naked_short)
    if lot is None:
        return []
    units, price, maintenance_stock, initial_stock = lot
    found = []
    for put in puts:
        legs = ((stock, -units), (put, -1))
        # assignment buys the shares back at K: the in-the-money amount is the put's charge
        in_the_money = multiplier * max(strike(book, put) - price, 0.0)
        maintenance = max(maintenance_stock + in_the_money - book.values[put], 0.0)
        initial = max(initial_stock + in_the_money - book.values[put], 0.0)
        found.append(StrategyTerms(f"covered put: {label(book, legs)}", legs, maintenance, {"initial": initial}))
    return found


def protective_puts(book: Book, stock: int, puts: list[int], multiplier: float) -> list[StrategyTerms]:
    lot = stock_lot_rates(book, stock, multiplier, book.naked_long)
    if lot is None:
        return []
    units, price, maintenance_stock, initial_stock = lot
    found = []
    for put in puts:
        legs = ((stock, units), (put, 1))
        # below K the put sells the shares at K: the stock's charge is capped by the rule's
        # 10% of the strike plus what the stock can still lose down to it
        capped = book.protective_put_strike_rate * strike(book, put) + max(price - strike(book, put), 0.0)
        maintenance = book.naked_long[put] + min(multiplier * capped, maintenance_stock)
        initial = book.naked_long[put] + initial_stock
        found.append(StrategyTerms(f"protective put: {label(book, legs)}", legs, maintenance, {"initial": initial}))
    return found


def straddles(book: Book, calls: list[int], puts: list[int]) -> list[StrategyTerms]:
    found = []
    for call, put in product(calls, puts):
        legs = ((call, -1), (put, -1))
        call_side = book.naked_short[call] + book.values[call]
        put_side = book.naked_short[put] + book.values[put]
        rate = book.naked_short[call] if call_side >= put_side else book.naked_short[put]
        found.append(StrategyTerms(f"short straddle: {label(book, legs)}", legs, rate))
    return found


def iron_condors(book: Book, puts: list[int], calls: list[int], multiplier: float) -> list[StrategyTerms]:
    found = []
    for long_put, short_put in product(puts, puts):
        if not strike(book, long_put) < strike(book, short_put):
            continue
        for short_call, long_call in product(calls, calls):
            width = strike(book, short_put) - strike(book, long_put)
            if not strike(book, short_put) <= strike(book, short_call) < strike(book, long_call):
                continue
            if strike(book, long_call) - strike(book, short_call) != width:
                continue
            legs = ((long_put, 1), (short_put, -1), (short_call, -1), (long_call, 1))
            # M·W − credit, as the two credit spreads' published (rounded-up) rates less one
            # width: at most a money unit above the rule, and the proof can then state every
            # condor as its two verticals plus one public bonus M·W (proofs/pairing.py)
            spreads = rounded_up(vertical_rate(book, long_put, short_put, "put", multiplier)) + rounded_up(
                vertical_rate(book, long_call, short_call, "call", multiplier)
            )
            rate = max(spreads - multiplier * width, 0.0)
            found.append(StrategyTerms(f"iron condor: {label(book, legs)}", legs, rate))
    return found
