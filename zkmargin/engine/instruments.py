"""The entries of market.json: an `Underlying` (a price source) and an `Instrument` on one.

Each entry is checked on its own here (an option has a right, a strike and an expiry; only
a broad index can be high-cap); `Market` checks them against each other and prices them
(zkmargin.engine.market).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from zkmargin.formats import IsoDate, Label, StrictModel

MAX_PRICE = 1e12
MAX_MULTIPLIER = 1e9
"""Bounds of a price (strike, mark) and of a multiplier: far above any listed contract (a yen
future's multiplier is 12.5 million), far below where float P&L over a price grid stops being
a number that can be drawn or fixed-point encoded (a price of 1e308 broke `plot profile`)."""
Price = Annotated[float, Field(gt=0, le=MAX_PRICE, allow_inf_nan=False)]
Mark = Annotated[float, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]
Multiplier = Annotated[float, Field(gt=0, le=MAX_MULTIPLIER, allow_inf_nan=False)]

AssetClass = Literal["equity", "narrow_index", "broad_index", "crypto", "commodity"]
ExerciseStyle = Literal["american", "european"]


def default_exercise(asset_class: AssetClass, on_future: bool) -> ExerciseStyle:
    """The exercise style of an option that does not name one, from what is listed.

    US equity and ETF options (OCC) and options on futures (CME) are American; index
    options settled in cash (SPX, NDX, RUT) and crypto options (Deribit, on spot or on
    futures) are European, and so is any other option on a spot price. An option listed
    otherwise (OEX is American, some weekly futures options are European) names its style.
    """
    if asset_class == "equity" or (on_future and asset_class != "crypto"):
        return "american"
    return "european"


class Underlying(StrictModel):
    """A price source: spot price (or futures price), volatility and asset class.

    `high_cap` marks a high-capitalisation broad-based index (FINRA 4210(g): +6%/−8%
    instead of ±10%); `scan_range` is an optional SPAN price scan range as a fraction of
    the price (0.08 = 8%), for models that take it from the market.
    """

    price: Price = Field(
        description="Spot price, or the futures price for futures and options on_future."
    )
    vol: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = Field(
        description="Annualised volatility as a fraction (0.30 = 30%)."
    )
    asset_class: AssetClass = Field(description="Selects the margin rules that apply.")
    high_cap: bool = Field(False, description="High-cap broad-based index (FINRA PM +6%/-8%).")
    scan_range: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = Field(
        None, description="SPAN price scan range as a fraction of the price (0.08 = 8%)."
    )
    dividend_yield: Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False)] = Field(
        0.0, description="Continuous dividend yield q (0.013 = 1.3%), for Black-Scholes options."
    )

    @model_validator(mode="after")
    def _high_cap_is_a_broad_index(self) -> Underlying:
        if self.high_cap and self.asset_class != "broad_index":
            raise ValueError(
                f"high_cap: only a broad_index can be high-cap (asset_class is {self.asset_class!r})"
            )
        return self


class Instrument(StrictModel):
    """A tradable instrument on one underlying; value of one unit = price × multiplier."""

    kind: Literal["stock", "future", "option"] = Field(description="stock covers any spot asset.")
    underlying: Label = Field(description="Key of market.underlyings.")
    right: Literal["call", "put"] | None = Field(None, description="Options only.")
    strike: Price | None = Field(None, description="Options only.")
    expiry: IsoDate | None = Field(
        None, description="YYYY-MM-DD after as_of; required for options, optional for futures."
    )
    multiplier: Multiplier = Field(1.0, description="Units of the underlying per contract.")
    mark: Mark | None = Field(
        None, description="Price per unit; without it the model price is used."
    )
    on_future: bool = Field(
        False, description="Option on a futures price: priced with Black-76, not Black-Scholes."
    )
    exercise: ExerciseStyle | None = Field(
        None,
        description="Options only: american (its value is floored at its exercise value) or "
        "european; without it american for equity options and options on futures (crypto "
        "excepted), european otherwise.",
    )

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Instrument:
        if self.kind == "option":
            missing = [name for name in ("right", "strike", "expiry") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"{', '.join(missing)}: required for an option")
            return self
        for name in ("right", "strike"):
            if getattr(self, name) is not None:
                raise ValueError(
                    f"{name}: only an option has a {name} "
                    f"(got {getattr(self, name)!r}, kind is {self.kind!r})"
                )
        if self.on_future:
            raise ValueError(f"on_future: only an option can be on a future (kind is {self.kind!r})")
        if self.exercise is not None:
            raise ValueError(f"exercise: only an option has an exercise style (kind is {self.kind!r})")
        if self.kind == "stock" and self.expiry is not None:
            raise ValueError("expiry: a stock has no expiry")
        return self
