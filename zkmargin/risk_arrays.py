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

import os
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from zkmargin.jsonio import (
    Currency,
    FiniteFloat,
    IsoDate,
    Label,
    NonNegativeFloat,
    PositiveFloat,
    QuantityDecimals,
    StrictModel,
    dumps,
    loads,
    quote_key,
    read_json,
    validate,
    write_atomic,
)


class RiskInstrument(StrictModel):
    """One instrument's mark, multiplier and per-scenario profit of one long unit."""

    mark: NonNegativeFloat = Field(description="Price per unit; a unit is worth mark x multiplier.")
    multiplier: PositiveFloat = Field(1.0, description="Units per contract.")
    pnl: Annotated[list[FiniteFloat], Field(min_length=1)] = Field(
        description="Profit of one long unit per scenario, currency units, multiplier applied."
    )


class RiskArrays(StrictModel):
    """risk.json: a scenario P&L table over an instrument universe."""

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

    @classmethod
    def load(cls, path: str | os.PathLike) -> RiskArrays:
        """Read and validate a risk.json file."""
        return validate(cls, read_json(Path(path)), str(path))

    @classmethod
    def from_json(cls, text: str | bytes, what: str = "risk JSON") -> RiskArrays:
        """Validate risk JSON text."""
        return validate(cls, loads(text, what), what)

    def to_json(self) -> str:
        """The risk arrays as JSON text; optional fields at their defaults are left out."""
        return dumps(self.model_dump(mode="json", exclude_defaults=True))

    def save(self, path: str | os.PathLike, *, overwrite: bool = True) -> None:
        """Write risk.json atomically."""
        write_atomic(path, self.to_json(), overwrite=overwrite)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema of risk.json."""
        return cls.model_json_schema()

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
