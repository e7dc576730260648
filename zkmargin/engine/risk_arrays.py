"""risk.json: scenario P&L published by the venue instead of computed from a market.

    {"currency": "USD",
     "scenarios": ["s1", "s2"],
     "instruments": {"ES DEC": {"mark": 0, "multiplier": 500, "pnl": [3330.0, -3330.0]}},
     "quantity_decimals": 0,          optional, decimals of a position (0..8)
     "as_of": "2026-11-27"}           optional

`pnl[s]` is the profit (positive) or loss (negative) of ONE LONG whole unit in scenario s,
in currency units, multiplier already applied (SPAN risk arrays publish losses positive:
negate them). `mark` is the price per unit, so one unit is worth `mark × multiplier`.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from zkmargin.jsonio import (
    Currency,
    FiniteFloat,
    IsoDate,
    JsonFile,
    Label,
    NonNegativeFloat,
    PositiveFloat,
    QuantityDecimals,
    StrictModel,
    quote_key,
)


class RiskInstrument(StrictModel):
    """One instrument's mark, multiplier and per-scenario profit of one long unit."""

    mark: NonNegativeFloat = Field(description="Price per unit; a unit is worth mark x multiplier.")
    multiplier: PositiveFloat = Field(1.0, description="Units per contract.")
    pnl: Annotated[list[FiniteFloat], Field(min_length=1)] = Field(
        description="Profit of one long unit per scenario, currency units, multiplier applied."
    )


class RiskArrays(StrictModel, JsonFile):
    """risk.json: a scenario P&L table over an instrument universe.

    `load`, `from_json`, `to_json`, `save` and `json_schema` come from `JsonFile`; optional
    fields at their defaults are left out of the file.
    """

    json_what = "risk JSON"

    currency: Currency
    scenarios: Annotated[list[Label], Field(min_length=1)]
    instruments: Annotated[dict[Label, RiskInstrument], Field(min_length=1)]
    quantity_decimals: QuantityDecimals = Field(
        0, description="Decimal places a position may have (0: whole contracts)."
    )
    as_of: IsoDate | None = None

    @model_validator(mode="after")
    def _table_is_rectangular(self) -> RiskArrays:
        seen: set[str] = set()
        for name in self.scenarios:
            if name in seen:
                raise ValueError(f"scenarios: duplicate scenario name {name!r}")
            seen.add(name)
        for instrument_id, instrument in self.instruments.items():
            if len(instrument.pnl) != len(self.scenarios):
                raise ValueError(
                    f"instruments[{quote_key(instrument_id)}].pnl: has {len(instrument.pnl)} values "
                    f"but there are {len(self.scenarios)} scenarios"
                )
        return self

    def instrument_ids(self) -> list[str]:
        """Instrument names, sorted: the row order of `pnl_matrix`."""
        return sorted(self.instruments)

    def pnl_matrix(self) -> NDArray[np.float64]:
        """(k, S) profit of one long unit, rows in `instrument_ids()` order."""
        return np.array(
            [self.instruments[instrument_id].pnl for instrument_id in self.instrument_ids()],
            dtype=np.float64,
        ).reshape(len(self.instruments), len(self.scenarios))

    def values(self) -> dict[str, float]:
        """Value of one whole unit (mark × multiplier) of every instrument."""
        return {
            instrument_id: instrument.mark * instrument.multiplier
            for instrument_id, instrument in self.instruments.items()
        }
