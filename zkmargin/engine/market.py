"""market.json: the venue's public market data, and repricing every instrument under scenarios.

Format (DESIGN.md §5, plus the optional fields marked *):

    {"as_of": "2026-11-27", "currency": "USD", "rate": 0.05,
     "quantity_decimals": 0,                                   * decimals of a position (0..8)
     "underlyings": {"XYZ": {"price": 95.0, "vol": 0.30, "asset_class": "equity",
                             "high_cap": false,                * broad_index only (FINRA PM)
                             "scan_range": 0.15,               * SPAN price scan range, fraction
                             "dividend_yield": 0.013}},        * continuous yield q (default 0)
     "instruments": {"XYZ 2026-12-18 80 P": {"kind": "option", "underlying": "XYZ",
                     "right": "put", "strike": 80, "expiry": "2026-12-18",
                     "multiplier": 100, "mark": 2.0,
                     "on_future": false,                       * option on a futures price
                     "exercise": "american"}}}                 * or "european"; default below

Pricing rules, one each:
- An underlying's `price` is the price of whatever its instruments reference: the spot price
  for stocks (any asset held outright, crypto spot included) and index options, the futures
  price for a future (basis is not modelled: a future moves by `price change × multiplier`).
  A future may carry an `expiry` (a perpetual has none); a stock may not.
- An option is priced with Black-Scholes-Merton on the underlying's price and its
  continuous `dividend_yield` q, unless it sets `"on_future": true`, in which case the
  underlying's price is a futures price and the option is priced with Black-76 (options on
  commodity or index futures; q does not apply: a futures price already nets it out).
- An American option is worth at least what exercising it pays, so its model value is the
  European price floored at its exercise value (max(X − K, 0) for a call, max(K − X, 0) for
  a put, X the spot or futures price), today and in every scenario. `exercise` names the
  style; without it equity options and options on futures (crypto excepted) are American,
  index and crypto options European (`instruments.default_exercise`).
- Time to expiry is ACT/365 from `as_of`; an option that has expired (expiry ≤ as_of) is
  an error, not a zero.
- `mark` is the price per unit the venue marks the instrument at; without one, the model
  price is the mark. Equity counts `mark × multiplier` per unit for stocks and options and
  nothing for futures, whose gains and losses are already in cash (`values`). Scenario P&L
  is measured from the mark: a marked option is revalued at its own implied volatility
  (`instrument_vols`, solved so that the model reproduces the mark, then shocked by the
  same relative amount as its underlying's), and a marked stock moves by its mark × the
  price change (`mark_scale`). A mark no volatility reproduces (outside the no-arbitrage
  bounds: `implied`) is measured both ways, per side (models/base.py `scenario_pnl`).
"""

from __future__ import annotations

import math
from datetime import date
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field, model_validator

from zkmargin.errors import InputError
from zkmargin.formats import Currency, IsoDate, JsonFile, Label, QuantityDecimals, StrictModel
from zkmargin.validation import did_you_mean, quote_key, validate
from zkmargin.engine.implied_vol import VOL_FLOOR, ImpliedVols, implied_vols
from zkmargin.engine.instruments import Instrument, Underlying, default_exercise
from zkmargin.engine.pricing import (
    black76,
    black76_greeks,
    black_scholes,
    black_scholes_greeks,
    exercise_value,
)

DAYS_PER_YEAR = 365


class _Arrays(NamedTuple):
    """The market flattened into arrays over `instrument_ids()` for vectorised repricing."""

    underlying_index: NDArray[np.intp]
    multiplier: NDArray[np.float64]
    price: NDArray[np.float64]
    vol: NDArray[np.float64]
    dividend_yield: NDArray[np.float64]
    spot_options: NDArray[np.intp]
    future_options: NDArray[np.intp]
    strike: NDArray[np.float64]
    years: NDArray[np.float64]
    is_call: NDArray[np.bool_]
    american: NDArray[np.bool_]


class Market(StrictModel, JsonFile):
    """market.json: everything public a margin model needs to value the instruments.

    `load`, `from_json`, `to_json`, `save` and `json_schema` come from `JsonFile`; optional
    fields at their defaults are left out of the file.
    """

    json_what = "market JSON"

    as_of: IsoDate = Field(description="Valuation date, YYYY-MM-DD.")
    currency: Currency = Field(description="ISO 4217 code of every amount.")
    rate: Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False)] = Field(
        description="Continuously compounded risk-free rate (0.05 = 5%)."
    )
    quantity_decimals: QuantityDecimals = Field(
        0, description="Decimal places a position may have (0: whole contracts)."
    )
    underlyings: Annotated[dict[Label, Underlying], Field(min_length=1)] = Field(
        description="Underlying -> its price, volatility and asset class."
    )
    instruments: Annotated[dict[Label, Instrument], Field(min_length=1)] = Field(
        description="Instrument -> what it is (stock, future, option), its underlying and terms."
    )

    @model_validator(mode="after")
    def _instruments_are_consistent(self) -> Market:
        for instrument_id, instrument in self.instruments.items():
            where = f"instruments[{quote_key(instrument_id)}]"
            if instrument.underlying not in self.underlyings:
                raise ValueError(
                    f"{where}.underlying: unknown underlying {instrument.underlying!r} "
                    f"(known: {', '.join(sorted(self.underlyings))})"
                )
            if instrument.expiry is not None and instrument.expiry <= self.as_of:
                raise ValueError(
                    f"{where}.expiry: {instrument.expiry.isoformat()} is not after "
                    f"as_of {self.as_of.isoformat()} (expired)"
                )
        return self

    # --- queries -------------------------------------------------------------------------

    def instrument_ids(self) -> list[str]:
        """Instrument names, sorted: the order of every per-instrument array."""
        return sorted(self.instruments)

    def underlying_ids(self) -> list[str]:
        """Underlying names, sorted: the row order of `revalue`'s scenario arrays."""
        return sorted(self.underlyings)

    def years_to_expiry(self, expiry: date) -> float:
        """ACT/365 year fraction from `as_of` to `expiry`."""
        return (expiry - self.as_of).days / DAYS_PER_YEAR

    def marks(self) -> dict[str, float]:
        """Price per unit of every instrument: its `mark`, or the model price without one."""
        model_values = self.revalue(
            np.ones((len(self.underlyings), 1)), np.zeros((len(self.underlyings), 1))
        )[:, 0]
        arrays = self._arrays()
        result = {}
        for row, instrument_id in enumerate(self.instrument_ids()):
            mark = self.instruments[instrument_id].mark
            result[instrument_id] = mark if mark is not None else float(
                model_values[row] / arrays.multiplier[row]
            )
        return result

    def values(self) -> dict[str, float]:
        """Net liquidation value of one whole unit of every instrument, for equity.

        `mark × multiplier` for stocks and options. A future is worth 0: its gains and
        losses are settled into cash every day (variation margin), so an open future adds
        nothing to equity beyond the cash it has already paid or received. Its scenario P&L
        is still linear in the price (see `revalue`).
        """
        marks = self.marks()
        return {
            instrument_id: 0.0
            if self.instruments[instrument_id].kind == "future"
            else marks[instrument_id] * self.instruments[instrument_id].multiplier
            for instrument_id in self.instrument_ids()
        }

    def instrument_vols(self) -> NDArray[np.float64]:
        """Volatility per instrument over `instrument_ids()`: a marked option's implied
        volatility (zkmargin.engine.implied_vol), else its underlying's."""
        return self.implied().vol

    def implied(self) -> ImpliedVols:
        """Per instrument over `instrument_ids()`, `instrument_vols()` and whether it is a
        marked option whose mark no volatility reproduces (`unreachable`: the vol is then the
        nearest end of the bracket and the model value today is not the mark)."""
        arrays = self._arrays()
        vols = arrays.vol[arrays.underlying_index]
        unreachable = np.zeros(len(vols), dtype=bool)
        ids = self.instrument_ids()
        marked = np.array(
            [row for row, i in enumerate(ids)
             if self.instruments[i].kind == "option" and self.instruments[i].mark is not None],
            dtype=np.intp,
        )
        if marked.size:
            vols[marked], unreachable[marked] = implied_vols(
                [self.instruments[ids[row]].mark for row in marked],
                arrays.price[arrays.underlying_index[marked]],
                arrays.strike[marked],
                arrays.years[marked],
                self.rate,
                arrays.is_call[marked],
                [self.instruments[ids[row]].on_future for row in marked],
                q=arrays.dividend_yield[arrays.underlying_index[marked]],
                american=arrays.american[marked],
            )
        return ImpliedVols(vols, unreachable)

    def mark_scale(self) -> NDArray[np.float64]:
        """Per instrument, mark ÷ underlying price for a marked stock (1 elsewhere): the
        factor that turns its modelled price change into a change of the marked value."""
        return np.array([
            item.mark / self.underlyings[item.underlying].price
            if item.kind == "stock" and item.mark is not None else 1.0
            for item in (self.instruments[i] for i in self.instrument_ids())
        ])

    def listing(self, instruments: Iterable[str]) -> Market:
        """This market with only `instruments` listed, and the underlyings they reference.

        A proof commits to every instrument of the params' universe, so a venue that lists
        fewer products proves and verifies smaller statements (the demo lists five).
        """
        names = list(instruments)
        unknown = [name for name in names if name not in self.instruments]
        if unknown or not names:
            raise InputError(
                f"listing: unknown instrument {', '.join(map(repr, unknown))}"
                f"{did_you_mean(unknown[0], self.instruments)}" if unknown
                else "listing: name at least one instrument"
            )
        data = self.model_dump()
        data["instruments"] = {name: data["instruments"][name] for name in names}
        used = {spec["underlying"] for spec in data["instruments"].values()}
        data["underlyings"] = {name: spec for name, spec in data["underlyings"].items() if name in used}
        return validate(type(self), data, "listed market")

    def shocked(self, price_factor: float, vol_shift: float = 0.0) -> Market:
        """This market after every underlying moved: price × `price_factor`, vol + `vol_shift`.

        Option marks are dropped, so options are re-marked at the model price of the new
        market; stocks keep no stale mark either. Futures still count 0 in equity: the
        variation margin of a shock (quantity × multiplier × price change) is a cash flow
        the caller books into the portfolio's cash.
        """
        numbers = all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in (price_factor, vol_shift)
        )
        if not (numbers and math.isfinite(price_factor) and price_factor > 0 and math.isfinite(vol_shift)):
            raise InputError(
                f"shocked: price_factor must be finite and > 0 and vol_shift finite, "
                f"got {price_factor!r} and {vol_shift!r}"
            )
        data = self.model_dump()
        for underlying in data["underlyings"].values():
            underlying["price"] *= price_factor
            underlying["vol"] = max(underlying["vol"] + vol_shift, VOL_FLOOR)
        for instrument in data["instruments"].values():
            instrument["mark"] = None
        return validate(type(self), data, "shocked market")

    def revalue(
        self, price_factors: ArrayLike, vol_shifts: ArrayLike, vols: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Model value of one whole unit (price × multiplier) of every instrument per scenario.

        `price_factors` and `vol_shifts` are (U, S) arrays over `underlying_ids()`: in
        scenario s the underlying u is at price·price_factors[u, s] with volatility
        vol + vol_shifts[u, s] (floored at VOL_FLOOR). With `vols` (one per instrument, e.g.
        `instrument_vols()`), instrument i of underlying u has volatility
        vols_i·(vol_u + vol_shifts[u, s]) / vol_u instead: its own level, shifted by the same
        relative amount. Returns a (k, S) array over `instrument_ids()`. Stocks and futures
        move linearly; options are repriced, an American one floored at its exercise value.
        """
        factors, shifts = self._scenario_arrays(price_factors, vol_shifts)
        arrays = self._arrays()
        prices = (arrays.price[:, None] * factors)[arrays.underlying_index]
        relative = ((arrays.vol[:, None] + shifts) / arrays.vol[:, None])[arrays.underlying_index]
        own = arrays.vol[arrays.underlying_index] if vols is None else np.asarray(vols, dtype=np.float64)
        vols = np.maximum(own[:, None] * relative, VOL_FLOOR)
        values = prices.copy()
        for rows, price in self._options(arrays, prices, vols, black_scholes, black76):
            values[rows] = np.maximum(price, self._exercise_floor(arrays, rows, prices[rows]))
        return values * arrays.multiplier[:, None]

    def unit_greeks(self, vols: ArrayLike | None = None) -> dict[str, NDArray[np.float64]]:
        """Δ, Γ, ν, Θ of one whole unit of every instrument today, over `instrument_ids()`.

        Per whole unit (× multiplier): Δ in units of the underlying per unit of its price
        (1 × multiplier for a stock or a future; a marked stock's × its `mark_scale`, so 10
        SPY shares on SPX count one SPX), Γ per unit of price squared, ν per 1.00 of
        volatility and Θ per year (pricing.py); 0 for what is linear in the price. Options
        are at their underlying's volatility, or at `vols` (one per instrument, e.g.
        `instrument_vols()`) when given. An American option worth more exercised than its
        European price has the exercise payoff's: Δ ±1 per unit, Γ, ν, Θ 0.
        """
        arrays = self._arrays()
        prices = arrays.price[arrays.underlying_index][:, None]
        own = arrays.vol[arrays.underlying_index] if vols is None else np.asarray(vols, dtype=np.float64)
        vols = own[:, None]
        greeks = {"delta": np.ones(len(prices)), "gamma": np.zeros(len(prices)),
                  "vega": np.zeros(len(prices)), "theta": np.zeros(len(prices))}
        for rows, option in self._options(arrays, prices, vols, black_scholes_greeks, black76_greeks):
            exercised = (self._exercise_floor(arrays, rows, prices[rows]) > option.price)[:, 0]
            payoff_slope = np.where(arrays.is_call[rows], 1.0, -1.0)
            for name, values in greeks.items():
                values[rows] = np.where(exercised, payoff_slope if name == "delta" else 0.0,
                                        getattr(option, name)[:, 0])
        per_unit = arrays.multiplier * self.mark_scale()  # a marked stock moves by its mark's share of the price
        return {name: values * per_unit for name, values in greeks.items()}

    def _options(
        self, arrays: _Arrays, prices: NDArray[np.float64], vols: NDArray[np.float64],
        spot_model: Callable[..., Any], futures_model: Callable[..., Any],
    ) -> Iterator[tuple[NDArray[np.intp], Any]]:
        """(rows, model output) for the spot options (with their yield), then the futures options."""
        spot, futures = arrays.spot_options, arrays.future_options
        if spot.size:
            yield spot, spot_model(
                prices[spot], arrays.strike[spot, None], arrays.years[spot, None], self.rate,
                vols[spot], arrays.is_call[spot, None],
                q=arrays.dividend_yield[arrays.underlying_index[spot], None],
            )
        if futures.size:
            yield futures, futures_model(
                prices[futures], arrays.strike[futures, None], arrays.years[futures, None],
                self.rate, vols[futures], arrays.is_call[futures, None],
            )

    @staticmethod
    def _exercise_floor(arrays: _Arrays, rows: NDArray[np.intp], prices: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per option row and price column, the least value of one unit: its exercise value
        where it is American, −∞ (no floor) where it is European."""
        payoff = exercise_value(prices, arrays.strike[rows, None], arrays.is_call[rows, None])
        return np.where(arrays.american[rows, None], payoff, -np.inf)

    def _scenario_arrays(
        self, price_factors: ArrayLike, vol_shifts: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        underlyings = len(self.underlyings)
        try:
            factors = np.asarray(price_factors, dtype=np.float64)
            shifts = np.asarray(vol_shifts, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("revalue: scenario arrays must be numeric") from None
        for name, array in (("price_factors", factors), ("vol_shifts", shifts)):
            if array.ndim != 2 or array.shape[0] != underlyings:
                raise InputError(
                    f"revalue: {name} must have shape ({underlyings}, scenarios), got {array.shape}"
                )
            if not np.all(np.isfinite(array)):
                raise InputError(f"revalue: {name} contains NaN or infinity")
        if factors.shape != shifts.shape:
            raise InputError(
                f"revalue: price_factors {factors.shape} and vol_shifts {shifts.shape} differ"
            )
        if np.any(factors < 0):
            raise InputError("revalue: price_factors must be >= 0 (a price cannot go negative)")
        return factors, shifts

    def _arrays(self) -> _Arrays:
        # Rebuilt per call (about a millisecond for 500 instruments) rather than cached on
        # the model, so copies, equality and pickling never meet a stale or array-valued cache.
        ids = self.instrument_ids()
        underlying_row = {name: row for row, name in enumerate(self.underlying_ids())}
        instruments = [self.instruments[instrument_id] for instrument_id in ids]
        options = [row for row, item in enumerate(instruments) if item.kind == "option"]
        return _Arrays(
            underlying_index=np.array(
                [underlying_row[item.underlying] for item in instruments], dtype=np.intp
            ),
            multiplier=np.array([item.multiplier for item in instruments], dtype=np.float64),
            price=np.array([self.underlyings[name].price for name in self.underlying_ids()]),
            vol=np.array([self.underlyings[name].vol for name in self.underlying_ids()]),
            dividend_yield=np.array(
                [self.underlyings[name].dividend_yield for name in self.underlying_ids()]
            ),
            spot_options=np.array(
                [row for row in options if not instruments[row].on_future], dtype=np.intp
            ),
            future_options=np.array(
                [row for row in options if instruments[row].on_future], dtype=np.intp
            ),
            strike=np.array([item.strike or 0.0 for item in instruments], dtype=np.float64),
            years=np.array(
                [self.years_to_expiry(item.expiry) if item.expiry else 0.0 for item in instruments],
                dtype=np.float64,
            ),
            is_call=np.array([item.right == "call" for item in instruments], dtype=bool),
            american=np.array([
                item.kind == "option" and (item.exercise or default_exercise(
                    self.underlyings[item.underlying].asset_class, item.on_future)) == "american"
                for item in instruments
            ], dtype=bool),
        )
