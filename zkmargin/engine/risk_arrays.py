"""risk.json: scenario P&L published by the venue instead of computed from a market.

    {"currency": "USD",
     "scenarios": ["s1", "s2"],
     "instruments": {"ES DEC": {"mark": 0, "multiplier": 500, "pnl": [3330.0, -3330.0],
                                "delta": 1.0}},     delta optional, per contract
     "quantity_decimals": 0,          optional, decimals of a position (0..8)
     "as_of": "2026-11-27",           optional
     "scenario_groups": ["ES", "ES"], optional, the group of each scenario
     "scan_ranges": {"ES": {"price": 3330.0, "vol": 0.04}},          optional, per group
     "inter_commodity_spreads": [{"priority": 1, "credit_rate": 0.5,  optional
         "legs": [{"group": "ES", "ratio": 1, "side": "A"}, {"group": "NQ", "ratio": 1, "side": "B"}]}],
     "intra_commodity_spreads": [{"group": "ES", "charge": 150.0,     optional
         "tiers": [{"ES DEC": 1.0, "ES DEC C 6000": 0.52}, {"ES MAR": 1.0}]}],
     "short_option_minimums": [{"group": "ES", "rates": {"ES DEC C 6000": 25.0}}]}   optional

`pnl[s]` is the profit (positive) or loss (negative) of ONE LONG whole unit in scenario s,
in currency units, multiplier already applied (SPAN risk arrays publish losses positive:
negate them). `mark` is the price per unit, so one unit is worth `mark × multiplier`.

Scenario groups: the requirement adds up each group's worst loss (docs/margin-models.md,
"Scenario groups"), so a hedge across groups (long SP, short NQ) is charged both legs'
worst cases instead of their joint one. A group is usually one combined commodity (SPAN)
or one currency (Deribit), and its scenarios move that group alone: instruments of other
groups carry P&L 0 there. Without `scenario_groups` every scenario is in the one group
"all", as before. `scan_ranges`, `inter_commodity_spreads`, `intra_commodity_spreads` and
`short_option_minimums` are the SPAN file's public tables, carried for the rules that use them (docs/margin-models.md);
the groups and instruments they name must exist. An intra-commodity spread lists, per tier
(delivery months that net against each other), each member's delta per contract, signed
(SPAN's composite delta); `charge` is the currency charged per spread of one delta a side.
A short option minimum gives a group's options their charge per short contract: the group
needs at least their sum over the book's short options, whatever its scan risk. An
instrument's `delta` (per contract, signed) says which side of an inter-commodity spread a
position is on: a spread is credited only between groups whose every instrument has one.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from zkmargin.formats import (
    Currency,
    FiniteFloat,
    IsoDate,
    JsonFile,
    Label,
    NonNegativeFloat,
    PositiveFloat,
    QuantityDecimals,
    StrictModel,
)
from zkmargin.validation import quote_key


class RiskInstrument(StrictModel):
    """One instrument's mark, multiplier and per-scenario profit of one long unit."""

    mark: NonNegativeFloat = Field(description="Price per unit; a unit is worth mark x multiplier.")
    multiplier: PositiveFloat = Field(1.0, description="Units per contract.")
    pnl: Annotated[list[FiniteFloat], Field(min_length=1)] = Field(
        description="Profit of one long unit per scenario, currency units, multiplier applied."
    )
    delta: FiniteFloat | None = Field(
        None, description="Delta of one contract (SPAN composite delta), for inter-commodity spreads."
    )


ONE_GROUP = "all"
"""The group of every scenario of a file without `scenario_groups`."""


class ScanRange(StrictModel):
    """A group's scan ranges as the risk file publishes them (SPAN `scanRate`)."""

    price: NonNegativeFloat = Field(description="Price scan range (SPAN priceScan), as published.")
    vol: NonNegativeFloat = Field(0.0, description="Volatility scan range (SPAN volScan), as published.")


class SpreadLeg(StrictModel):
    """One leg of an inter-commodity spread: a group, its delta ratio and its side."""

    group: Label = Field(description="The scenario group of this leg.")
    ratio: PositiveFloat = Field(description="Delta per spread of this leg (SPAN tLeg/i).")
    side: Literal["A", "B"] = Field(description="Relative side (SPAN tLeg/rs): A legs offset B legs.")


class InterCommoditySpread(StrictModel):
    """A public inter-commodity spread credit between scenario groups (SPAN dSpread)."""

    priority: int = Field(ge=1, description="Order in which spreads are formed (SPAN spread).")
    credit_rate: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        description="Fraction of the legs' risk credited per spread formed (SPAN rate/val)."
    )
    legs: Annotated[list[SpreadLeg], Field(min_length=2)] = Field(description="The groups the spread is formed from.")


class IntraCommoditySpread(StrictModel):
    """A group's intra-commodity (calendar) spread charge: its tiers and a charge per spread."""

    group: Label = Field(description="The scenario group the charge is for.")
    charge: PositiveFloat = Field(
        description="Currency per spread of one delta on each side (SPAN intra dSpread rate/val over its ratio)."
    )
    tiers: Annotated[list[dict[Label, FiniteFloat]], Field(min_length=2)] = Field(
        description="Per tier (SPAN intraTiers, or one contract period), each member's delta per contract."
    )

    @model_validator(mode="after")
    def _members_are_distinct(self) -> IntraCommoditySpread:
        placed: set[str] = set()
        for index, tier in enumerate(self.tiers):
            for instrument_id, delta in tier.items():
                member = f"tiers[{index}][{quote_key(instrument_id)}]"
                if instrument_id in placed:
                    raise ValueError(f"{member}: {instrument_id!r} is in two tiers")
                if delta == 0:
                    raise ValueError(f"{member}: a delta of 0 spreads nothing; leave the contract out")
                placed.add(instrument_id)
        return self

    def members(self) -> list[tuple[str, str]]:
        """(path within the entry, instrument) of every instrument it names."""
        return [(f"tiers[{index}][{quote_key(name)}]", name) for index, tier in enumerate(self.tiers) for name in tier]


class ShortOptionMinimum(StrictModel):
    """A group's short option minimum: what each short option contract needs at least."""

    group: Label = Field(description="The scenario group whose short options need it.")
    rates: Annotated[dict[Label, PositiveFloat], Field(min_length=1)] = Field(
        description="Currency per short contract, per option of the group (SPAN somTiers rate/val)."
    )

    def members(self) -> list[tuple[str, str]]:
        """(path within the entry, instrument) of every instrument it names."""
        return [(f"rates[{quote_key(name)}]", name) for name in self.rates]


class RiskArrays(StrictModel, JsonFile):
    """risk.json: a scenario P&L table over an instrument universe.

    `load`, `from_json`, `to_json`, `save` and `json_schema` come from `JsonFile`; optional
    fields at their defaults are left out of the file.
    """

    json_what = "risk JSON"

    currency: Currency = Field(description="Currency of every mark and P&L (ISO 4217 code).")
    scenarios: Annotated[list[Label], Field(min_length=1)] = Field(description="Scenario names, in the order of each P&L list.")
    instruments: Annotated[dict[Label, RiskInstrument], Field(min_length=1)] = Field(
        description="Instrument -> its mark, multiplier and P&L per scenario."
    )
    quantity_decimals: QuantityDecimals = Field(
        0, description="Decimal places a position may have (0: whole contracts)."
    )
    as_of: IsoDate | None = Field(None, description="Date the P&L was computed for (YYYY-MM-DD).")
    scenario_groups: list[Label] | None = Field(
        None, description='Group of each scenario; groups\' worst losses add up. Absent: one group "all".'
    )
    scan_ranges: dict[Label, ScanRange] = Field(
        default_factory=dict, description="Scan ranges per group, as the risk file publishes them."
    )
    inter_commodity_spreads: list[InterCommoditySpread] = Field(
        default_factory=list, description="Public inter-commodity spread credit table (SPAN)."
    )
    intra_commodity_spreads: list[IntraCommoditySpread] = Field(
        default_factory=list, description="Public intra-commodity (calendar) spread charges per group (SPAN)."
    )
    short_option_minimums: list[ShortOptionMinimum] = Field(
        default_factory=list, description="Short option minimum per group (SPAN)."
    )

    @model_validator(mode="after")
    def _table_is_rectangular(self) -> RiskArrays:
        seen: set[str] = set()
        for name in self.scenarios:
            if name in seen:
                raise ValueError(f"scenarios: duplicate scenario name {name!r}")
            seen.add(name)
        if self.scenario_groups is not None and len(self.scenario_groups) != len(self.scenarios):
            raise ValueError(
                f"scenario_groups: has {len(self.scenario_groups)} entries but there are "
                f"{len(self.scenarios)} scenarios"
            )
        for instrument_id, instrument in self.instruments.items():
            if len(instrument.pnl) != len(self.scenarios):
                raise ValueError(
                    f"instruments[{quote_key(instrument_id)}].pnl: has {len(instrument.pnl)} values "
                    f"but there are {len(self.scenarios)} scenarios"
                )
        scenario_groups = self.groups()
        groups = set(scenario_groups)
        for group in self.scan_ranges:
            if group not in groups:
                raise ValueError(f"scan_ranges[{quote_key(group)}]: no scenario is in group {group!r}")
        for index, spread in enumerate(self.inter_commodity_spreads):
            for leg_index, leg in enumerate(spread.legs):
                if leg.group not in groups:
                    raise ValueError(
                        f"inter_commodity_spreads[{index}].legs[{leg_index}].group: no scenario "
                        f"is in group {leg.group!r}"
                    )
        for field, kind in (("intra_commodity_spreads", "an intra-commodity spread"),
                            ("short_option_minimums", "a short option minimum")):
            seen: set[str] = set()
            for index, table in enumerate(getattr(self, field)):
                where = f"{field}[{index}]"
                if table.group not in groups:
                    raise ValueError(f"{where}.group: no scenario is in group {table.group!r}")
                if table.group in seen:
                    raise ValueError(f"{where}.group: group {table.group!r} has {kind} already")
                seen.add(table.group)
                for path, instrument_id in table.members():
                    if instrument_id not in self.instruments:
                        raise ValueError(f"{where}.{path}: unknown instrument {instrument_id!r}")
                    self._check_in_group(f"{where}.{path}", instrument_id, table.group, scenario_groups)
        return self

    def _check_in_group(self, where: str, instrument_id: str, group: str, scenario_groups: list[str]) -> None:
        """A group's table may name only the group's own instruments: those whose P&L is 0
        in every scenario of the other groups (else another group's position would net
        against this group's tiers or floor)."""
        pnl = self.instruments[instrument_id].pnl
        if any(value != 0 for value, other in zip(pnl, scenario_groups) if other != group):
            raise ValueError(f"{where}: {instrument_id!r} moves in scenarios outside group {group!r}")

    def groups(self) -> list[str]:
        """The group of every scenario, in scenario order (all "all" when the file has none)."""
        if self.scenario_groups is None:
            return [ONE_GROUP] * len(self.scenarios)
        return list(self.scenario_groups)

    def group_deltas(self) -> dict[str, NDArray[np.float64] | None]:
        """Per group, the `delta` of each instrument that moves in its scenarios (0 for the
        others), in `instrument_ids()` order; None for a group one of whose instruments
        has no delta or moves in another group too (its net delta is then unknown)."""
        groups = np.array(self.groups())
        moves = self.pnl_matrix() != 0
        rows = [self.instruments[instrument_id] for instrument_id in self.instrument_ids()]
        deltas: dict[str, NDArray[np.float64] | None] = {}
        for group in dict.fromkeys(groups.tolist()):
            own = moves[:, groups == group].any(axis=1)
            known = all(row.delta is not None and not moves[i, groups != group].any()
                        for i, row in enumerate(rows) if own[i])
            deltas[group] = np.array([row.delta if own[i] else 0.0 for i, row in enumerate(rows)]) if known else None
        return deltas

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
