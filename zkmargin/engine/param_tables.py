"""The optional tables of `RiskParams`: floors, per-level rates, inter-group credits,
strategies, intra-commodity spread charges.

Each is validated against the rest of the params by `params_rules.py` when `RiskParams`
is made (docs/margin-models.md says why each is sound).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from zkmargin.formats import NotNull, StrictModel

COEFFICIENT_BITS = 62
"""Every published integer (value, P&L, rate) lies in (−2^62, 2^62)."""


class Floor(StrictModel):
    """A named floor: requirement ≥ Σ long_i·q_i⁺ + short_i·q_i⁻ (money units per whole unit).

    With a `group` (a scenario group, aggregation `max` only) it is that group's floor: the
    group's term max(0, worst loss) becomes max(0, worst loss, floor), as SPAN's short
    option minimum per combined commodity and 4210(g)'s per-contract minimum per class group.
    """

    name: str = Field(min_length=1)
    long: list[int]
    short: list[int]
    group: str | None = None

    def amount(self, q: list[int]) -> int:
        """Σ long_i·q_i⁺ + short_i·q_i⁻ in fine units (money units / quantity scale)."""
        return sum(quantity * (long if quantity > 0 else -short)
                   for quantity, long, short in zip(q, self.long, self.short))


DELTA_SCALE = 10_000
"""Credit delta weights count 1/10,000 of an underlying unit (a future's or a stock's
delta is 10,000 × its multiplier)."""

DELTA_BITS = 40
"""A credit delta weight lies in (−2^40, 2^40): 10^8 underlying units a contract, and the
sign constraints' sums stay far inside the proof's soundness budget."""
DeltaWeight = Annotated[int, Field(gt=-(1 << DELTA_BITS), lt=1 << DELTA_BITS)]


class GroupCredit(StrictModel):
    """An inter-group spread credit (SPAN inter-commodity spread, linear form): when the
    two groups' net deltas Δ_g = Σ_i deltas[g][i]·q_i have opposite signs (neither 0), the
    requirement falls by ⌊min(rate·min(m_a, m_b), min_j (m_a + m_b − loss_aj − loss_bj))⌋,
    m_g being group g's worst loss and j the moves both groups share; otherwise by nothing
    (`credits.py`). `deltas` maps each group to its instruments' deltas per whole unit in
    1/`DELTA_SCALE` underlying units, signed (an instrument left out weighs 0).

    Params built before credits carried deltas have none: they keep their digest, their
    circuit and the credit they stated (granted whatever the deltas' signs), so the proofs
    made for them still verify; `build_params` always writes the deltas."""

    groups: list[str] = Field(min_length=2, max_length=2)
    rate: str
    deltas: Annotated[dict[str, dict[str, DeltaWeight]] | None, NotNull] = None

    def allows(self, position: dict[str, int]) -> bool:
        """Whether the credit may be granted to `position` (instrument → q_i in quantity
        units): its groups' net deltas are opposite, or the params predate deltas."""
        return self.deltas is None or spread_direction(*self.net_deltas(position)) != 0

    def net_deltas(self, position: dict[str, int]) -> tuple[int, int]:
        """(Δ_a, Δ_b) for `position` (instrument → q_i in quantity units); params with deltas only."""
        assert self.deltas is not None
        a, b = (sum(weight * position[instrument] for instrument, weight in self.deltas[group].items())
                for group in self.groups)
        return a, b


def spread_direction(delta_a: int, delta_b: int) -> int:
    """+1 when group a is net long and b net short, −1 the other way, 0 when the net
    deltas are not opposite (a spread needs both legs)."""
    if delta_a > 0 > delta_b:
        return 1
    if delta_a < 0 < delta_b:
        return -1
    return 0


def _non_zero(charge: int) -> int:
    if charge == 0:
        raise ValueError("a spread charge must not be 0 (its sign is the side a long unit takes in its tier)")
    return charge


MAX_WEIGHT_SCALE = 1_000_000
"""Finest unit an intra spread's weights may count: a millionth of a money unit."""

SpreadCharge = Annotated[
    int, Field(gt=-(1 << COEFFICIENT_BITS), lt=1 << COEFFICIENT_BITS), AfterValidator(_non_zero)
]
"""An instrument's intra-commodity spread charge per whole unit: non-zero money units, signed
(a future or a call adds to its tier's net delta, a put subtracts)."""


class IntraSpread(StrictModel):
    """A SPAN intra-commodity (calendar) spread charge on one scenario group (a combined
    commodity): per tier (one month of futures expiries) each of its instruments' spread
    charge per whole unit (money units, its size rounded up; its delta weighted by the
    charge per unit of delta, so signed: a put's is negative). The charge is min(long,
    short) over the tiers' net weighted deltas (`engine/intra_spread.py`).

    With a `scale` above 1 the weights count 1/scale money units, and the charge is
    min(long, short) / scale rounded up: a weight rounded up to a finer unit lets lighter
    contracts count without their rounding netting a heavy one away (a risk file's tiers,
    `models/span.file_calendar_spreads`)."""

    group: str
    tiers: list[Annotated[dict[str, SpreadCharge], Field(min_length=1)]] = Field(min_length=2)
    scale: int = Field(1, ge=1, le=MAX_WEIGHT_SCALE)


class Strategy(StrictModel):
    """A strategy template: legs (instrument → signed units per strategy unit, + long,
    − short), the rate per strategy unit that replaces the legs' naked rates, and
    per-level rates (money units per whole strategy unit, rounded up)."""

    name: str = Field(min_length=1)
    legs: dict[str, int] = Field(min_length=1)
    rate: int = Field(ge=0, lt=1 << COEFFICIENT_BITS)
    level_rates: dict[str, Annotated[int, Field(ge=0, lt=1 << COEFFICIENT_BITS)]] = Field(default_factory=dict)

    def rate_at(self, level: str) -> int:
        return self.level_rates.get(level, self.rate)


class LevelRates(StrictModel):
    """Add-on rates that replace `addon_long` / `addon_short` at one margin level (money
    units per whole unit): Reg T initial charges stock 50% where maintenance charges 25%/30%,
    which no single level factor can express."""

    addon_long: list[int]
    addon_short: list[int]
