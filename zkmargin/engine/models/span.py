"""CME SPAN: sixteen scan scenarios plus the short option minimum.

Formula: per underlying (a combined commodity: every instrument on it) a price scan range
R (a fraction of the price: the market's `scan_range` for that underlying, else the TOML
default of its asset class) and a relative volatility scan range V. The sixteen scenarios,
each moving that underlying alone, are

    1–2    price unchanged,             vol up / down
    3–14   price ±1/3, ±2/3, ±3/3 of R, vol up / down
    15–16  price ±m·R (the extreme moves, vol unchanged), P&L counted at the cover fraction c

(m = 2, c = 0.35 in McMillan's example; CME uses m = 3 for some products). Each
underlying's scan risk is its worst scenario loss (floored at 0), less its share of the
inter-commodity spread credits of the TOML's public table (per pair of underlyings a, b
whose net deltas are opposite: rate × min(scan risk a, scan risk b), rounded down); each underlying then needs at least
its own short option minimum, which charges each of its short option contracts a fixed
amount or a fraction of the underlying's notional, whichever is larger (SPAN compares
per combined commodity, not for the account: one commodity's scan risk must not hide
another's minimum); the requirement is the sum.

Source: CME Group, "CME SPAN: Standard Portfolio Analysis of Risk" (scenario table and
short option minimum); McMillan, Options as a Strategic Investment, ch. 34 (worked
numbers). With risk arrays (risk.json) the venue's own scenarios are the scan scenarios, the
file's short option minimums the group floors (`file_short_option_minimums`; none when the
file has none: risk.json does not say which instruments are options), and its
inter-commodity spreads the credits (`file_credits`).

Intra-commodity (calendar) spreads: per underlying whose futures expire in at least two
calendar months (tiers), a charge of min(long, short), the long and short totals of the
tiers' net charge-weighted deltas. Each future's weight is its spread charge per
contract, the TOML's `intra_commodity` rate (per asset class) × the underlying's price ×
its multiplier, rounded up to the money unit like every per-contract rate: one spread of
1,000-barrel crude at 1% of $70 is $700 a side, and a 500-barrel contract weighs half of
that. An option on a future (`on_future`) joins the tier of the earliest future expiring
on or after it (the serial and quarterly convention: market.json does not name the
future), weighed rate × price × its Black-76 delta per contract, its size rounded up to
the money unit and its sign kept (a put's is negative), unless it weighs less than
`OPTION_WEIGHT_FLOOR` a contract; one that outlives every future joins none, and options
never make a tier. Options on the spot, stocks and perpetuals are in no tier. Risk arrays
are charged when the file publishes the tiers and deltas (SPAN XML does:
`intra_commodity_spreads`, `file_calendar_spreads`). Proof reduction: docs/margin-models.md ("span") and
proofs/intra_spread.py.

Reduction to the generic form: aggregation `max`, one group of 16 scenarios per
underlying (the proof's per-group witness m_g ≥ 0, m_g ≥ loss_s for s ∈ g), no add-ons, and
per underlying with options a floor "<underlying> short_option_minimum" of that group,
with short rate r_i on its options and 0 elsewhere: m_g − Σ_i r_i·u_i ≥ 0, with witnesses
u_i ≥ −q_i and u_i ≥ 0, and a credit on g bounded by m_g − Σ_i r_i·u_i. Any u_i the prover
picks is ≥ q_i⁻, so the proved floor is ≥ the true one (r_i ≥ 0): the witness can only
make the statement harder.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

import numpy as np
from pydantic import Field

from zkmargin.engine.models.base import (
    CalendarTiers,
    Contracts,
    CreditTerms,
    FloorRates,
    MarginTerms,
    Move,
    ParameterTable,
    PerAssetClass,
    TierMember,
    group_floors,
    held_underlyings,
    per_underlying_scenarios,
    supplied_scenarios,
)
from zkmargin.engine.models.scenario import scan_moves, scan_ranges
from zkmargin.engine.money_units import MONEY_SCALE, POSITION_BITS
from zkmargin.errors import FixedPointOverflow, InputError

if TYPE_CHECKING:
    from zkmargin.engine.instruments import Instrument
    from zkmargin.engine.market import Market
    from zkmargin.engine.risk_arrays import RiskArrays

SCAN_STEPS = 3

Tier = tuple[int, ...]
"""A calendar tier's key: futures with equal keys net against each other, keys sort the tiers."""


class InterCommoditySpread(ParameterTable):
    """One `[[span.inter_commodity]]` entry: a credit of `rate` × the smaller scan risk of
    two underlyings (combined commodities) held against each other (opposite net deltas)."""

    underlyings: list[str] = Field(min_length=2, max_length=2)
    rate: str = Field(pattern=r"^(0(\.\d+)?|1(\.0+)?)$")


class SpanParameters(ParameterTable):
    """The `[span]` table."""

    scan_range: PerAssetClass
    vol_scan_range: float = Field(ge=0, lt=1)
    extreme_multiple: float = Field(gt=0)
    extreme_cover: float = Field(gt=0, le=1)
    short_option_minimum_amount: float = Field(ge=0)
    short_option_minimum_fraction: float = Field(ge=0)
    inter_commodity: list[InterCommoditySpread]
    intra_commodity: PerAssetClass


def span_moves(parameters: SpanParameters) -> list[Move]:
    multiple, cover = parameters.extreme_multiple, parameters.extreme_cover
    return scan_moves(SCAN_STEPS) + [
        Move("extreme up", +multiple, 0.0, cover),
        Move("extreme down", -multiple, 0.0, cover),
    ]


def short_option_minimum(contracts: Contracts, parameters: SpanParameters) -> np.ndarray:
    """Per-contract short option minimum: max(fixed amount, fraction × S × multiplier)."""
    notional = contracts.underlying_price * contracts.multiplier
    rate = np.maximum(
        parameters.short_option_minimum_amount,
        parameters.short_option_minimum_fraction * notional,
    )
    return np.where(contracts.is_option, rate, 0.0)


def from_market(market: Market, parameters: SpanParameters) -> MarginTerms:
    ranges = scan_ranges(market, parameters.scan_range, parameters.vol_scan_range)
    grouped = per_underlying_scenarios(market, span_moves(parameters), ranges)
    som = short_option_minimum(Contracts.of(market), parameters)
    floors = group_floors(market, "short_option_minimum", np.zeros_like(som), som)
    return grouped.terms(floors=floors, group_credits=inter_commodity_credits(market, parameters.inter_commodity),
                         intra_spreads=calendar_spreads(market, parameters.intra_commodity.of))


def inter_commodity_credits(market: Market, spreads: list[InterCommoditySpread]) -> tuple[CreditTerms, ...]:
    """The table's credits on pairs of underlyings both held in `market` (a venue's table
    covers its whole product list), each with its groups' deltas per whole unit: a future's
    or a stock's its multiplier, an option's at the volatility its scenarios are priced
    with, as the calendar tiers weigh them."""
    underlying_of, groups = held_underlyings(market)
    held = [spread for spread in spreads if set(spread.underlyings) <= set(groups)]
    if not held:
        return ()
    deltas = market.unit_greeks(market.instrument_vols())["delta"]
    return tuple(
        CreditTerms(*spread.underlyings, spread.rate,
                    *(np.where(underlying_of == underlying, deltas, 0.0) for underlying in spread.underlyings))
        for spread in held
    )


OPTION_WEIGHT_FLOOR = 1.0
"""Currency units per contract below which an option on a future stays out of the tiers.

A weight is rounded up to the money unit, and weights net inside a tier, so a rounding
error times a position can move a tier's net delta: 70,000 worthless puts (delta 10^-149,
weight 1 cent each after rounding) netted a short 1,000-barrel future out of its month and
erased a $700 charge for nothing (review, tests/review/test_intra_options_attack.py). At
$1 or more a contract the rounding is at most 1% of the weight, so netting a future out
takes options carrying nearly its delta; an option lighter than that is too far from the
money to matter in a month's net position, and its risk stays with the scan."""


def expiry_month(future: Instrument) -> Tier | None:
    """(year, month) of a future's expiry, SPAN's tier; a perpetual is in none."""
    return None if future.expiry is None else (future.expiry.year, future.expiry.month)


def calendar_spreads(
    market: Market, rate_of: Callable[[str], float], tier_of: Callable[[Instrument], Tier | None] = expiry_month,
) -> tuple[CalendarTiers, ...]:
    """Per underlying whose futures fall in two tiers or more (at a non-zero rate), its
    tiers: per tier its futures and the options on them, each with its side and its spread
    charge per contract (currency), rate × price × |delta| (a future's delta is its
    multiplier, an option's its Black-76 delta at the volatility its scenarios are priced
    with, `Market.instrument_vols`). `rate_of` gives the rate of an asset class, `tier_of`
    a future's tier (None: in none), by default its calendar month of expiry.

    SPAN's tier is a calendar month of expiry, not a date: futures of one contract month
    expire within days of each other (a mini a day before its full-size contract), and
    a spread between them carries no delivery-month basis."""
    underlying_of, groups = held_underlyings(market)
    rows = [market.instruments[i] for i in market.instrument_ids()]
    charged = {}
    for underlying in groups:
        futures = [row for row, item in enumerate(rows)
                   if underlying_of[row] == underlying and item.kind == "future" and tier_of(item) is not None]
        if len({tier_of(rows[row]) for row in futures}) >= 2 and rate_of(market.underlyings[underlying].asset_class):
            charged[underlying] = futures
    if not charged:
        return ()
    deltas = market.unit_greeks(market.instrument_vols())["delta"]
    spreads = []
    for underlying, futures in charged.items():
        options = [row for row, item in enumerate(rows) if underlying_of[row] == underlying and item.on_future]
        per_unit = rate_of(market.underlyings[underlying].asset_class) * market.underlyings[underlying].price
        weighty = [row for row in options if per_unit * abs(deltas[row]) >= OPTION_WEIGHT_FLOOR]
        tier_by_row = tier_members(rows, futures, weighty, tier_of)
        tiers = tuple(
            tuple(TierMember(row, -1 if rows[row].right == "put" else 1, per_unit * abs(deltas[row]))
                  for row in sorted(tier_by_row) if tier_by_row[row] == tier)
            for tier in sorted(set(tier_by_row.values()))
        )
        spreads.append(CalendarTiers(underlying, tiers))
    return tuple(spreads)


def tier_members(
    rows: list[Instrument], futures: list[int], options: list[int], tier_of: Callable[[Instrument], Tier | None],
) -> dict[int, Tier]:
    """The tier of every future and of every option on one of them, by row.

    market.json does not name the future an option is on, so the exchange convention for
    serial and quarterly options decides: the earliest dated future expiring on or after
    the option (a January serial option on the March future expires before it). An option
    expiring after every dated future is on none listed and joins no tier: options only
    add to the futures' tiers, never make one."""
    tier_by_row = {row: tier_of(rows[row]) for row in futures}
    dated = sorted((row for row in futures if rows[row].expiry is not None), key=lambda row: rows[row].expiry)
    for option in options:
        future = next((row for row in dated if rows[row].expiry >= rows[option].expiry), None)
        if future is not None:
            tier_by_row[option] = tier_by_row[future]
    return tier_by_row


def from_risk_arrays(arrays: RiskArrays, parameters: SpanParameters) -> MarginTerms:
    return replace(supplied_scenarios(arrays), group_credits=file_credits(arrays),
                   intra_spreads=file_calendar_spreads(arrays), floors=file_short_option_minimums(arrays))


def file_short_option_minimums(arrays: RiskArrays) -> tuple[FloorRates, ...]:
    """The risk file's short option minimums as group floors, "<group> short_option_minimum",
    as `from_market` makes them: the group needs at least Σ rate_i·q_i⁻ over its options."""
    ids = arrays.instrument_ids()
    return tuple(
        FloorRates(f"{minimum.group} short_option_minimum", np.zeros(len(ids)),
                   np.array([minimum.rates.get(instrument, 0.0) for instrument in ids]), group=minimum.group)
        for minimum in arrays.short_option_minimums
    )


FILE_WEIGHT_SCALE = 10_000
"""A risk file's tier weights count 1/10,000 of a money unit (params `scale`) where they
fit (`file_weight_scale`): the file gives each contract's delta, and an option of delta 0.5
on a $1.50 spread weighs 75 cents, which a $1 floor on whole money units would drop."""
WEIGHT_UNITS_KEPT = 100
"""Weight units (1/scale money units) below which a risk file's member stays out of its
tier: from 100 units, rounding a weight up errs by at most 1% (so netting a heavy contract
away takes light ones carrying nearly its delta, as with `OPTION_WEIGHT_FLOOR`); $0.0001 a
contract in a cent currency at the full scale."""
SIDE_ROOM = 1 << 63
"""What the proof lets one side of a spread reach in the weights' unit (its side switch B,
proofs/intra_spread.py)."""
HEAVY_POSITIONS = 4
"""Positions of the largest size (2^31 quantity units) of the heaviest member that one side
of a spread must be able to hold, whatever the scale (`file_weight_scale`): 2^33 units,
eight billion whole contracts at whole-contract quantities."""


def file_weight_scale(group: str, charges: list[float]) -> int:
    """The finest of 10,000, 1,000, 100, 10 and 1 at which `HEAVY_POSITIONS` positions of the
    heaviest member (charges: currency per contract), each at the largest size, fit one side
    of the spread in the proof: max |w_i|·K·2^31·4 ≤ 2^63.

    The heaviest member, not the sum: a full clearing-house file lists thousands of options,
    and a sum would coarsen every weight, and so raise the weight below which a light
    contract is left out, for books nobody holds. A book beyond the bound is not understated:
    its prover stops with `FixedPointOverflow`."""
    if not all(math.isfinite(charge) for charge in charges):
        raise InputError(f"intra_commodity_spreads: a spread charge of group {group!r} is not finite")
    heaviest = max(math.ceil(charge * MONEY_SCALE) for charge in charges) * HEAVY_POSITIONS << POSITION_BITS
    if heaviest > SIDE_ROOM:
        raise FixedPointOverflow(f"intra_commodity_spreads: group {group!r} weighs a contract at "
                                 f"{max(charges):g}, more than a proof can hold at the largest positions")
    return next(scale for scale in (10_000, 1_000, 100, 10, 1) if heaviest * scale <= SIDE_ROOM)


def file_calendar_spreads(arrays: RiskArrays) -> tuple[CalendarTiers, ...]:
    """The risk file's intra-commodity spreads as tiers: a member's spread charge per
    contract is the file's charge per delta spread × |its delta|, its side the delta's sign,
    published in 1/K money units (`file_weight_scale`, at most `FILE_WEIGHT_SCALE`).

    A member under `WEIGHT_UNITS_KEPT` units stays out, for the reason a light option on a
    future does from a market: weights are rounded up and net inside a tier. A group left
    with fewer than two tiers is not charged."""
    row_of = {instrument: row for row, instrument in enumerate(arrays.instrument_ids())}
    spreads = []
    for spread in arrays.intra_commodity_spreads:
        members = [[TierMember(row_of[instrument], 1 if delta > 0 else -1, spread.charge * abs(delta))
                    for instrument, delta in tier.items()] for tier in spread.tiers]
        scale = file_weight_scale(spread.group, [member.charge for tier in members for member in tier])
        lightest = WEIGHT_UNITS_KEPT / (MONEY_SCALE * scale)
        tiers = tuple(kept for tier in members if (kept := tuple(sorted(m for m in tier if m.charge >= lightest))))
        if len(tiers) >= 2:
            spreads.append(CalendarTiers(spread.group, tiers, scale))
    return tuple(spreads)


def file_credits(arrays: RiskArrays) -> tuple[CreditTerms, ...]:
    """The risk file's inter-commodity spreads that fit the linear credit form: two legs on
    distinct groups (with as many scenarios each), opposite sides, equal delta ratios,
    every instrument of both groups with its `delta` (the spread's sides are the signs of
    the groups' net deltas). Taken in priority order, each group in one credit only
    (params' soundness rule); a spread left out only leaves the requirement higher."""
    sizes = Counter(arrays.groups())
    deltas = arrays.group_deltas()
    used: set[str] = set()
    credits = []
    for spread in sorted(arrays.inter_commodity_spreads, key=lambda spread: spread.priority):
        if len(spread.legs) != 2:
            continue
        a, b = spread.legs
        pair = {a.group, b.group}
        if len(pair) < 2 or pair & used or a.side == b.side or a.ratio != b.ratio:
            continue
        if sizes[a.group] != sizes[b.group] or deltas[a.group] is None or deltas[b.group] is None:
            continue
        used |= pair
        credits.append(CreditTerms(a.group, b.group, str(Decimal(repr(spread.credit_rate))),
                                   deltas[a.group], deltas[b.group]))
    return tuple(credits)
