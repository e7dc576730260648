"""The generic form every margin-model family reduces to, before it is rounded to integers.

A family turns a market (or venue-supplied risk arrays) into `MarginTerms`: per instrument
and per scenario the profit of one long whole unit, the group of every scenario, per
instrument the add-on rates of the long and short parts, named floors, and the aggregation
(`max` or `expected_shortfall`). `zkmargin.engine.params.build_params` rounds these to money units
and publishes them as `RiskParams`; the requirement of a position vector q is then
(docs/architecture.md, "params")

    core = Σ_g max(0, max_{s∈g} loss_s)   or   max(0, ES_α(loss)),
    loss_s = −Σ_i pnl_is·q_i⁺ + pnl_short_is·q_i⁻
    A    = Σ_i addon_long_i·q_i⁺ + addon_short_i·q_i⁻
    F_f  = Σ_i long_f,i·q_i⁺ + short_f,i·q_i⁻
    base = max(core + A, max_f F_f)

Every term is linear in q, a maximum of linear pieces, or a sum of such maxima, which is
what lets the proof layer state it as linear inequalities with auxiliary witnesses.

A family built from a market gives every underlying that has instruments its own group of
scenarios, each moving that underlying alone (FINRA 4210(g) class groups, SPAN combined
commodities, Deribit's per-currency portfolios), so losses on different underlyings add
up instead of offsetting. Supplied risk arrays keep the groups the file gives (one group,
`ONE_GROUP`, when it gives none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

import numpy as np
from pydantic import AfterValidator, Field

from zkmargin.errors import InputError
from zkmargin.formats import Label, StrictModel
from zkmargin.units import parse_decimal
from zkmargin.engine.risk_arrays import ONE_GROUP

if TYPE_CHECKING:
    from zkmargin.engine.market import Market
    from zkmargin.engine.risk_arrays import RiskArrays

Aggregation = Literal["max", "expected_shortfall"]

class ParameterTable(StrictModel):
    """A TOML table of a margin model: every key known, types exact (no "0.1" for 0.1), frozen."""


class PerAssetClass(ParameterTable):
    """One number per asset class of market.json (`underlyings[*].asset_class`)."""

    equity: float = Field(ge=0)
    narrow_index: float = Field(ge=0)
    broad_index: float = Field(ge=0)
    crypto: float = Field(ge=0)
    commodity: float = Field(ge=0)

    def of(self, asset_class: str) -> float:
        return getattr(self, asset_class)


@dataclass(frozen=True)
class FloorRates:
    """A named floor: the requirement is at least Σ long_i·q_i⁺ + short_i·q_i⁻ (currency units).

    With a `group`, the floor is that scenario group's: the group's term is at least it
    (SPAN's short option minimum per combined commodity, 4210(g)'s per-contract minimum per
    class group), instead of the whole requirement.
    """

    name: str
    long: np.ndarray
    short: np.ndarray
    group: str | None = None


class TierMember(NamedTuple):
    """An instrument in a calendar tier: its row, its side (+1 when a long unit adds to the
    tier's net delta, −1 when it subtracts: a put) and the size of its spread charge per
    whole unit (currency units, ≥ 0). The side is kept apart from the size so that the
    sign comes from the contract (call or put), not from a delta's rounding."""

    row: int
    side: int
    charge: float


@dataclass(frozen=True)
class CalendarTiers:
    """A SPAN intra-commodity (calendar) spread charge on scenario group `group`: per tier
    (one month of futures expiries) its members, futures and the options on them."""

    group: str
    tiers: tuple[tuple[TierMember, ...], ...]
    scale: int = 1  # the params' weights count 1/scale money units (param_tables.IntraSpread)


@dataclass(frozen=True)
class CreditTerms:
    """An inter-group spread credit on groups `a`, `b` at the decimal `rate`, with each
    group's delta per whole unit of every instrument (underlying units; 0 off the group),
    whose signed sums over a book must be opposite for the credit to apply."""

    a: str
    b: str
    rate: str
    delta_a: np.ndarray
    delta_b: np.ndarray


@dataclass(frozen=True)
class MarginTerms:
    """A model's requirement in the generic form, in currency units per whole unit.

    `pnl` has shape (instruments, scenarios) and `scenario_groups` names the group of each
    scenario; `pnl_short`, of the same shape and ≥ `pnl`, is the profit of one long unit as
    a short unit is charged it where the sides differ (`scenario_pnl`), `pnl` when left
    out; `addon_long`, `addon_short` and each floor's rates have one entry per
    instrument, in the order of the source's instrument ids. An add-on left out is zero
    for every instrument. `level_addons` maps a level to the (long, short) add-on rates
    that replace these at that level (Reg T initial). `group_credits` lists the
    inter-group spread credits, `intra_spreads` the
    intra-commodity spread charges.
    """

    scenarios: tuple[str, ...]
    scenario_groups: tuple[str, ...]
    pnl: np.ndarray
    pnl_short: np.ndarray | None = None
    addon_long: np.ndarray | None = None
    addon_short: np.ndarray | None = None
    floors: tuple[FloorRates, ...] = ()
    aggregation: Aggregation = "max"
    es_confidence: str | None = None
    level_addons: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    group_credits: tuple[CreditTerms, ...] = ()
    strategies: tuple = ()  # StrategyTerms of engine/models/strategies.py
    intra_spreads: tuple[CalendarTiers, ...] = ()

    def __post_init__(self) -> None:
        for name in ("addon_long", "addon_short"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.zeros(self.pnl.shape[0]))
        if self.pnl_short is None:
            object.__setattr__(self, "pnl_short", self.pnl)


class SidedPnl(NamedTuple):
    """Scenario profit of one long whole unit per (instrument, scenario), as each side is
    charged it: `long` for a long position, `short` (≥ `long`) for a short one."""

    long: np.ndarray
    short: np.ndarray

    def weighted(self, weight: np.ndarray) -> SidedPnl:
        """Both sides scaled by a positive per-scenario weight (which keeps short ≥ long)."""
        return SidedPnl(self.long * weight, self.short * weight)


def scenario_pnl(market: Market, price_factors: np.ndarray, vol_shifts: np.ndarray) -> SidedPnl:
    """Profit of one long whole unit of every instrument in every scenario, per side,
    currency units.

    `price_factors` and `vol_shifts` are (underlyings, scenarios) arrays over
    `market.underlying_ids()`. P&L is measured from the mark: a marked option is revalued
    at its implied volatility (shocked relatively), so today's model value V_0 is its mark,
    and a marked stock's price change is scaled to its mark. The profit is the value V_s
    under the scenario minus the value today at those same inputs, the same for both sides.

    A marked option whose mark M no volatility reproduces (`Market.implied`) has V_0 ≠ M,
    and the gap would sit in equity (which counts M) and in no scenario. Each side is then
    charged the less favourable of the move from the mark and the move from the model:
    long min(V_s − M, V_s − V_0), short max(V_s − M, V_s − V_0). A long marked above every
    model value so loses M − V_0 in every scenario, a short marked below it V_0 − M: with
    equity M, each side ends a scenario at the model value V_s, or worse for itself.
    """
    count = len(market.underlying_ids())
    vols, unreachable = market.implied()
    base = market.revalue(np.ones((count, 1)), np.zeros((count, 1)), vols)[:, 0]
    moved = market.revalue(price_factors, vol_shifts, vols) - base[:, None]
    gap = np.where(unreachable, market_values(market) - base, 0.0)[:, None]
    scale = market.mark_scale()[:, None]
    return SidedPnl((moved - np.maximum(gap, 0.0)) * scale, (moved + np.maximum(-gap, 0.0)) * scale)


def one_group(count: int) -> tuple[str, ...]:
    """`count` scenarios, all in `ONE_GROUP`."""
    return (ONE_GROUP,) * count


def supplied_scenarios(arrays: RiskArrays) -> MarginTerms:
    """The venue's own scenario P&L (risk.json), already per long unit with cover applied,
    in the file's scenario groups."""
    return MarginTerms(
        scenarios=tuple(arrays.scenarios),
        scenario_groups=tuple(arrays.groups()),
        pnl=arrays.pnl_matrix(),
    )


@dataclass(frozen=True)
class Move:
    """One generated scenario shape, applied to each underlying in turn.

    The underlying's price moves by `price` times its price range (its up range when
    `price` > 0, its down range when < 0) and its volatility by `vol` times its vol range
    (relative: +1 means vol·(1 + vol_up)); the scenario's P&L counts at `weight` (the SPAN
    cover fraction of an extreme move, the dampener of a tail move).
    """

    name: str
    price: float
    vol: float = 0.0
    weight: float = 1.0


@dataclass(frozen=True)
class Ranges:
    """Per-underlying move sizes over `market.underlying_ids()`, as fractions."""

    price_up: np.ndarray
    price_down: np.ndarray
    vol_up: float
    vol_down: float


@dataclass(frozen=True)
class GroupedScenarios:
    """Scenarios grouped by underlying: names, the group (underlying) of each, and P&L per side."""

    names: tuple[str, ...]
    groups: tuple[str, ...]
    pnl: SidedPnl

    def terms(self, **fields: Any) -> MarginTerms:
        """`MarginTerms` over these scenarios; `fields` sets the others (add-ons, floors)."""
        return MarginTerms(scenarios=self.names, scenario_groups=self.groups,
                           pnl=self.pnl.long, pnl_short=self.pnl.short, **fields)


def per_underlying_scenarios(market: Market, moves: list[Move], ranges: Ranges) -> GroupedScenarios:
    """Every move applied to one underlying at a time: one group per underlying held.

    For each underlying u with instruments (in `underlying_ids()` order) the group u holds
    the scenarios "u <move>", in which u moves and every other underlying stays put, so
    instruments on other underlyings have P&L 0 there: S = len(moves) × underlyings.
    An instrument's value depends on its own underlying only, so each instrument is
    revalued once per move and its row copied into its underlying's block of columns.
    """
    together = move_pnl(market, moves, ranges)
    underlying_of, groups = held_underlyings(market)
    width = len(moves)
    sides = SidedPnl(*(np.zeros((len(underlying_of), width * len(groups))) for _ in SidedPnl._fields))
    for block, underlying in enumerate(groups):
        rows = underlying_of == underlying
        for side, moved in zip(sides, together):
            side[rows, block * width:(block + 1) * width] = moved[rows]
    return GroupedScenarios(
        names=tuple(f"{underlying} {move.name}" for underlying in groups for move in moves),
        groups=tuple(underlying for underlying in groups for _ in moves),
        pnl=sides,
    )


def held_underlyings(market: Market) -> tuple[np.ndarray, list[str]]:
    """The underlying of every instrument (`instrument_ids()` order), and the underlyings
    that have instruments, in `underlying_ids()` order: the groups of a market-built model."""
    underlying_of = np.array([market.instruments[i].underlying for i in market.instrument_ids()])
    held = set(underlying_of.tolist())
    return underlying_of, [u for u in market.underlying_ids() if u in held]


def group_floors(market: Market, name: str, long: np.ndarray, short: np.ndarray) -> tuple[FloorRates, ...]:
    """The floor `name` applied within each underlying's group, over that underlying's
    instruments only ("<underlying> <name>"); a group whose instruments all have rate 0
    gets none (its term is ≥ 0 already)."""
    underlying_of, groups = held_underlyings(market)
    floors = []
    for underlying in groups:
        own = underlying_of == underlying
        if np.any(own & ((long != 0) | (short != 0))):
            floors.append(FloorRates(f"{underlying} {name}", np.where(own, long, 0.0),
                                     np.where(own, short, 0.0), group=underlying))
    return tuple(floors)


def move_pnl(market: Market, moves: list[Move], ranges: Ranges) -> SidedPnl:
    """(instruments, moves) profit of one long whole unit per side, every underlying moving at once.

    Column j is move j applied to every underlying together; since an instrument's value
    depends on its own underlying only, row i is also instrument i under move j of its
    own underlying alone (what `per_underlying_scenarios` builds its groups from).
    """
    underlyings = market.underlying_ids()
    price_multiple = np.array([move.price for move in moves])
    vol_multiple = np.array([move.vol for move in moves])
    weight = np.array([move.weight for move in moves])
    price_range = np.where(
        price_multiple > 0, ranges.price_up[:, None], ranges.price_down[:, None]
    )
    factors = 1.0 + price_multiple[None, :] * price_range
    bad = np.argwhere(factors <= 0)
    if bad.size:
        u, s = bad[0]
        raise InputError(
            f"scenario {moves[s].name!r} moves underlying {underlyings[u]!r} to a price "
            f"factor of {factors[u, s]:.4g}; price moves must stay above −100%"
        )
    vol_range = np.where(vol_multiple > 0, ranges.vol_up, ranges.vol_down)
    vols = np.array([market.underlyings[u].vol for u in underlyings])
    shifts = vols[:, None] * (vol_multiple * vol_range)[None, :]
    return scenario_pnl(market, factors, shifts).weighted(weight[None, :])


MAX_LEVEL_FACTOR = 100
LEVEL_PLACES = 6
"""Bounds of a level factor: "1e999999" would overflow the requirement's arithmetic, and each
digit of a factor widens the proof's constraints (soundness budget); real levels read 1.1 or 1.5."""


def check_levels(levels: dict[str, str]) -> dict[str, str]:
    """Levels map a name to a decimal factor from 1 to 100 (at most 6 places); "maintenance" is exactly 1."""
    if "maintenance" not in levels:
        raise ValueError('must define the "maintenance" level (factor "1")')
    for name, text in levels.items():
        if not name:
            raise ValueError("level names must not be empty")
        try:
            factor = parse_decimal(text) if isinstance(text, str) else Decimal(text)
        except (InputError, InvalidOperation, TypeError):
            raise ValueError(f"level {name!r}: {text!r} is not a decimal number") from None
        if not factor.is_finite() or not 1 <= factor <= MAX_LEVEL_FACTOR or factor.normalize().as_tuple().exponent < -LEVEL_PLACES:
            raise ValueError(f"level {name!r}: factor {text!r} must be a decimal from 1 to {MAX_LEVEL_FACTOR} "
                             f"with at most {LEVEL_PLACES} decimal places")
    if Decimal(levels["maintenance"]) != 1:
        raise ValueError(f'the "maintenance" level must have factor "1", got {levels["maintenance"]!r}')
    return levels


Levels = Annotated[dict[Label, str], AfterValidator(check_levels)]
"""A `levels` table: margin level name → decimal factor, checked by `check_levels`."""


@dataclass(frozen=True)
class Contracts:
    """The instrument facts the add-on rules need, one entry per `market.instrument_ids()`."""

    kind: np.ndarray  # "stock" | "future" | "option"
    is_call: np.ndarray  # bool; False for non-options
    strike: np.ndarray  # NaN for non-options
    multiplier: np.ndarray
    underlying_price: np.ndarray
    asset_class: np.ndarray

    @property
    def is_option(self) -> np.ndarray:
        return self.kind == "option"

    @classmethod
    def of(cls, market: Market) -> Contracts:
        rows = [market.instruments[i] for i in market.instrument_ids()]
        underlyings = [market.underlyings[row.underlying] for row in rows]
        return cls(
            kind=np.array([row.kind for row in rows]),
            is_call=np.array([row.right == "call" for row in rows]),
            strike=np.array([np.nan if row.strike is None else row.strike for row in rows]),
            multiplier=np.array([row.multiplier for row in rows]),
            underlying_price=np.array([u.price for u in underlyings]),
            asset_class=np.array([u.asset_class for u in underlyings]),
        )


def market_values(market: Market) -> np.ndarray:
    """Net liquidation value of one whole unit per instrument (futures 0), currency units."""
    values = market.values()
    return np.array([values[i] for i in market.instrument_ids()])
