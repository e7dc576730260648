"""The rules that tie the fields of `RiskParams` together, checked whenever params are made.

Each field alone is checked by its type (`engine/params.py`, `engine/param_tables.py`); the
rules here compare fields: lengths against the universe and the scenarios, the short side
against the long one, every integer against `COEFFICIENT_BITS`, and each optional table
against the groups, instruments and levels it names. A broken rule is a `ValueError` naming
the field, which `RiskParams` reports as an `InputError`. Where a rule is what keeps the
proof sound, its docstring says why.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from zkmargin.engine.models.expected_shortfall import parse_confidence
from zkmargin.engine.param_tables import COEFFICIENT_BITS
from zkmargin.errors import InputError

if TYPE_CHECKING:
    from zkmargin.engine.params import RiskParams


def require_consistent(params: RiskParams) -> None:
    """Raise a `ValueError` naming the first field that disagrees with the others."""
    k, count = len(params.instruments), len(params.scenarios)
    if params.instruments != sorted(set(params.instruments)):
        raise ValueError("instruments: must be sorted and without duplicates")
    if len(set(params.scenarios)) != count:
        raise ValueError("scenarios: duplicate scenario name")
    if len(params.scenario_groups) != count:
        raise ValueError(
            f"scenario_groups: has {len(params.scenario_groups)} entries but there are "
            f"{count} scenarios"
        )
    per_instrument = {"values": params.values, "pnl": params.pnl,
                      "addon_long": params.addon_long, "addon_short": params.addon_short}
    for floor in params.floors:
        per_instrument[f"floors[{floor.name}].long"] = floor.long
        per_instrument[f"floors[{floor.name}].short"] = floor.short
    for level, rates in params.level_rates.items():
        if level not in params.levels:
            raise ValueError(f"level_rates: {level!r} is not one of the levels ({', '.join(params.levels)})")
        per_instrument[f"level_rates[{level}].addon_long"] = rates.addon_long
        per_instrument[f"level_rates[{level}].addon_short"] = rates.addon_short
    if params.values_short is not None:
        per_instrument["values_short"] = params.values_short
    if params.pnl_short is not None:
        per_instrument["pnl_short"] = params.pnl_short
    for field, entries in per_instrument.items():
        if len(entries) != k:
            raise ValueError(f"{field}: has {len(entries)} entries but there are {k} instruments")
    for field, matrix in (("pnl", params.pnl), ("pnl_short", params.pnl_short or [])):
        for i, row in enumerate(matrix):
            if len(row) != count:
                raise ValueError(f"{field}[{i}]: has {len(row)} entries but there are {count} scenarios")
    _short_side_not_cheaper(params)
    rates = {field: entries for field, entries in per_instrument.items()
             if field not in ("values", "pnl", "values_short", "pnl_short")}
    for field, entries in rates.items():
        negative = next((i for i, rate in enumerate(entries) if rate < 0), None)
        if negative is not None:
            raise ValueError(f"{field}[{negative}]: rate {entries[negative]} must be ≥ 0")
    limit = 1 << COEFFICIENT_BITS
    numbers = {"values": params.values, "values_short": params.short_values, **rates,
               **{f"pnl[{i}]": row for i, row in enumerate(params.pnl)},
               **{f"pnl_short[{i}]": row for i, row in enumerate(params.pnl_short or [])}}
    for field, entries in numbers.items():
        if entries and max(map(abs, entries)) >= limit:
            raise ValueError(f"{field}: an entry does not fit in {COEFFICIENT_BITS} bits")
    if len({floor.name for floor in params.floors}) != len(params.floors):
        raise ValueError("floors: duplicate floor name")
    for n, floor in enumerate(params.floors):
        if floor.group is not None and (params.aggregation != "max" or floor.group not in params.scenario_groups):
            raise ValueError(f"floors[{n}].group: {floor.group!r} is not a scenario group "
                             "(a group's floor needs aggregation max)")
    if params.aggregation == "expected_shortfall":
        if params.es_confidence is None:
            raise ValueError("es_confidence: required when aggregation is expected_shortfall")
        try:
            parse_confidence(params.es_confidence)
        except InputError as error:
            raise ValueError(str(error)) from None
        if count == 0:
            raise ValueError("scenarios: expected_shortfall needs at least one scenario")
        groups = list(dict.fromkeys(params.scenario_groups))
        if len(groups) > 1:
            raise ValueError(
                f"scenario_groups: expected_shortfall is portfolio-level, so every scenario "
                f"must be in one group; got {len(groups)}: {', '.join(map(repr, groups[:3]))}"
                f"{', …' if len(groups) > 3 else ''}"
            )
    elif params.es_confidence is not None:
        raise ValueError("es_confidence: only allowed when aggregation is expected_shortfall")
    _credits_are_sound(params)
    _strategies_name_known_legs(params)
    _intra_spreads_are_well_formed(params)


def _short_side_not_cheaper(params: RiskParams) -> None:
    """A short unit must owe at least what a long unit is worth, in equity and in every
    scenario: the proof charges the difference on the short-part witness u_i, which is
    only sound when that difference is ≥ 0 (docs/protocol.md)."""
    for i, (long, short) in enumerate(zip(params.values, params.short_values)):
        if short < long:
            raise ValueError(f"values_short[{i}]: {short} is below values[{i}] = {long}")
    if params.pnl_short is not None:
        for i, (longs, shorts) in enumerate(zip(params.pnl, params.pnl_short)):
            s = next((s for s, (a, b) in enumerate(zip(longs, shorts)) if b < a), None)
            if s is not None:
                raise ValueError(f"pnl_short[{i}][{s}]: {shorts[s]} is below pnl[{i}][{s}] = {longs[s]}")


def _credits_are_sound(params: RiskParams) -> None:
    """Each credit names two scenario groups of the same size, its rate is a decimal in
    [0, 1], and no group is in two credits: a prover that overstates m_g by δ then gains
    at most δ in credits, never lowering its requirement (docs/margin-models.md,
    "Inter-group spread credits"). Its deltas weigh known instruments, each in one group."""
    if params.group_credits and params.aggregation != "max":
        raise ValueError("group_credits: only with aggregation max")
    sizes: dict[str, int] = {}
    for group in params.scenario_groups:
        sizes[group] = sizes.get(group, 0) + 1
    used: set[str] = set()
    known = set(params.instruments)
    for n, credit in enumerate(params.group_credits):
        a, b = credit.groups
        if a == b or a not in sizes or b not in sizes or sizes[a] != sizes[b]:
            raise ValueError(
                f"group_credits[{n}]: groups {a!r}, {b!r} must be two distinct scenario "
                "groups with as many scenarios each"
            )
        if used & {a, b}:
            raise ValueError(f"group_credits[{n}]: a group may be in one credit only")
        used |= {a, b}
        try:
            rate = Fraction(Decimal(credit.rate))
        except (ArithmeticError, ValueError):
            raise ValueError(f"group_credits[{n}]: rate {credit.rate!r} is not a decimal") from None
        if not 0 <= rate <= 1:
            raise ValueError(f"group_credits[{n}]: rate {credit.rate} must be in [0, 1]")
        if credit.deltas is None:
            continue
        if set(credit.deltas) != {a, b}:
            raise ValueError(f"group_credits[{n}].deltas: must give the deltas of groups {a!r} and {b!r}, "
                             f"got {sorted(credit.deltas)}")
        for group, weights in credit.deltas.items():
            unknown = next((instrument for instrument in weights if instrument not in known), None)
            if unknown is not None:
                raise ValueError(f"group_credits[{n}].deltas[{group!r}]: unknown instrument {unknown!r}")
        if credit.deltas[a].keys() & credit.deltas[b].keys():
            raise ValueError(f"group_credits[{n}].deltas: an instrument may weigh in one group only")


def _strategies_name_known_legs(params: RiskParams) -> None:
    known = set(params.instruments)
    for n, strategy in enumerate(params.strategies):
        for instrument, units in strategy.legs.items():
            if instrument not in known:
                raise ValueError(f"strategies[{n}].legs: unknown instrument {instrument!r}")
            if not 0 < abs(units) < 1 << 20:
                raise ValueError(f"strategies[{n}].legs[{instrument!r}]: units must be non-zero and below 2^20")
        for level in strategy.level_rates:
            if level not in params.levels:
                raise ValueError(f"strategies[{n}].level_rates: {level!r} is not one of the levels")


def _intra_spreads_are_well_formed(params: RiskParams) -> None:
    """Intra-commodity spreads need aggregation `max` (the proof adds their charges to
    that requirement); each charges a distinct scenario group, and each instrument sits
    in one tier of one spread, as a market-built `span` makes them (docs/margin-models.md,
    "Intra-commodity spread charges")."""
    if params.intra_spreads and params.aggregation != "max":
        raise ValueError("intra_spreads: only with aggregation max")
    known, groups, tiered = set(params.instruments), set(), set()
    for n, spread in enumerate(params.intra_spreads):
        if spread.group not in params.scenario_groups or spread.group in groups:
            raise ValueError(f"intra_spreads[{n}].group: {spread.group!r} must be a scenario group "
                             "with one intra spread only")
        groups.add(spread.group)
        for tier in spread.tiers:
            for instrument in tier:
                if instrument not in known or instrument in tiered:
                    raise ValueError(f"intra_spreads[{n}].tiers: {instrument!r} must be a known "
                                     "instrument in one tier only")
                tiered.add(instrument)
