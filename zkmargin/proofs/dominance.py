"""Scenario inequalities that the others imply, found so that they cost no range-proof bits.

Under max aggregation a scenario group g states m_g ≥ 0 and m_g + profit_s(w) ≥ 0 for each
scenario s of g, where profit_s is linear in the committed positions (compiler.py). Call
m_g ≥ 0 the item of the zero profit. Suppose that for every witness the circuit accepts

    profit_s(w) ≥ Σ_k λ_k·profit_k(w),   λ_k ≥ 0,  Σ_k λ_k = 1,            (*)

over items k of g that stay stated. Then m_g + profit_s ≥ Σ_k λ_k·(m_g + profit_k) ≥ 0:
item s holds for every accepted witness, and stating it proves nothing more.

(*) is checked coefficient by coefficient on coordinates whose sign the circuit fixes. An
instrument with a short part u_i (compiler.py "rated") enters profit_s as
pnl_is·(q_i + u_i) − pshort_is·u_i, and every accepted witness has q_i + u_i ≥ 0 and
u_i ≥ 0 (its long_part and own range, or for a strategy leg its covers, pairing.py). On
those two *non-negative* coordinates, item s needs a coefficient at least the combination's.
Any other instrument enters as pnl_is·q_i with q_i of either sign: a *free* coordinate,
where the coefficients must be equal. The λ are exact rationals, searched over pairs of
stated items (a single item is the pair (k, k)), which catches what margin models produce:
exact duplicates (SPAN's volatility-up and -down rows of a future), moves between two others
on a line (a group of futures moved to ten prices: only the extremes stay), and m_g ≥ 0
itself once an up and a down move bracket zero.

Removing items one at a time is sound in any order: each removed item is implied by items
stated when it was removed; if one of those is removed later, it is implied by items still
stated then, and convex combinations of convex combinations are convex combinations, with
the inequalities on non-negative coordinates adding up in the same direction.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from zkmargin.proofs.compiler import CircuitParams


PAIR_SEARCH_BUDGET = 2_000_000
"""Largest items³ × coordinates of a group searched for pairs (about a tenth of a second);
a larger group is searched for single rows only (rows another one dominates)."""

SINGLE_ROW_BUDGET = 20_000_000
"""Largest items² × coordinates of a group searched for single dominating rows; a larger one
(years of daily history in one group) only for exact duplicates, by hashing the rows, so
compiling stays fast for every params file the prover or the verifier may meet."""

EXACT_CHECKS_PER_ITEM = 8
"""Candidate pairs checked in exact arithmetic per item at most. The screen is exact but for
the last rounding of one division, so an honest candidate is almost always the first; the
cap keeps rows built to defeat the screen from costing a check per pair."""

COEFFICIENT_LIMIT = 1 << 62
"""Params coefficients stay below 2^62 (engine/param_tables.py), so every difference of two
fits an int64; a group with larger ones is left as it is."""


def implied_items(rows: Sequence[Sequence[int]], free: Sequence[bool]) -> list[int]:
    """Indices of the rows (items of one group) implied by pairs of rows still kept.

    `rows[k][j]` is item k's coefficient on coordinate j; `free[j]` says coordinate j may
    take either sign (equality needed), otherwise it is non-negative for every accepted
    witness. Items are tried in order; the first of two duplicates is the one dropped.
    Above `PAIR_SEARCH_BUDGET` only single rows are tried as the combination, above
    `SINGLE_ROW_BUDGET` only equal rows (all but the last of each kind are dropped).
    """
    if any(abs(x) >= COEFFICIENT_LIMIT for row in rows for x in row):
        return []
    if len(rows) ** 2 * max(len(free), 1) > SINGLE_ROW_BUDGET:
        last = {tuple(row): k for k, row in enumerate(rows)}
        return [k for k, row in enumerate(rows) if last[tuple(row)] != k]
    kept = list(range(len(rows)))
    dropped = []
    integers = np.array(rows, dtype=np.int64).reshape(len(rows), -1)
    exact_only = np.array(free, dtype=bool)
    search_pairs = len(rows) ** 3 * max(len(free), 1) <= PAIR_SEARCH_BUDGET
    for s in range(len(rows)):
        others = np.array([k for k in kept if k != s], dtype=int)
        pairs = _screen(integers[s], integers[others], exact_only, search_pairs)[:EXACT_CHECKS_PER_ITEM]
        if any(_between(rows[s], rows[others[a]], rows[others[b]], free) for a, b in pairs):
            kept.remove(s)
            dropped.append(s)
    return dropped


def implied_scenarios(params: CircuitParams, short_part: dict[int, int]) -> frozenset[int | str]:
    """The scenarios whose inequality the rest of their group implies, and the groups whose
    m_g ≥ 0 is implied: each group's items over its instruments' coordinates,
    q_i + u_i and u_i (non-negative) for an instrument with a short part, q_i (free) otherwise.

    The answer depends on the P&L and on which instruments have a short part, never on the
    threshold, so it is cached on those: a verifier handed proofs naming many thresholds
    searches once per params and level."""
    return _implied_by_rows(
        tuple(params.scenario_groups),
        tuple(map(tuple, params.pnl)),
        tuple(map(tuple, params.short_pnl)),
        frozenset(short_part),
    )


@functools.lru_cache(maxsize=16)
def _implied_by_rows(
    groups: tuple[str, ...], pnl: tuple[tuple[int, ...], ...], short_pnl: tuple[tuple[int, ...], ...], rated: frozenset[int]
) -> frozenset[int | str]:
    implied: set[int | str] = set()
    for group in dict.fromkeys(groups):
        members = [s for s, g in enumerate(groups) if g == group]
        rows: list[list[int]] = [[] for _ in range(len(members) + 1)]  # row 0: m_g ≥ 0
        free: list[bool] = []
        for i, (long, short) in enumerate(zip(pnl, short_pnl)):
            if not any(long[s] or short[s] for s in members):
                continue
            sides = ((long, False), ([-p for p in short], False)) if i in rated else ((long, True),)
            for profits, exact in sides:
                free.append(exact)
                rows[0].append(0)
                for row, s in zip(rows[1:], members):
                    row.append(profits[s])
        for item in implied_items(rows, free):
            implied.add(members[item - 1] if item else group)
    return frozenset(implied)


def _screen(target: np.ndarray, others: np.ndarray, exact_only: np.ndarray, search_pairs: bool) -> list[tuple[int, int]]:
    """Pairs (a ≤ b) of rows of `others` that `_between` may accept, all at once: every
    difference is an exact int64 and every sign test exact, only the bounds on λ (one
    division each) are floating point, compared with a margin. With `search_pairs` False,
    the single rows (a, a) only, which this tests exactly."""
    if len(others) == 0:
        return []
    room = target[None, :] - others  # target − b, per b
    if not search_pairs:
        single = ((room >= 0) & (~exact_only | (room == 0))).all(axis=1)
        return [(int(a), int(a)) for a in np.nonzero(single)[0]]
    gap = others[:, None, :] - others[None, :, :]  # a − b
    room = np.broadcast_to(room[None, :, :], gap.shape)
    flat = gap == 0
    flat_ok = np.where(flat, (room >= 0) & (~exact_only | (room == 0)), True).all(axis=2)
    bound = room.astype(float) / np.where(flat, 1, gap).astype(float)
    margin = 1e-9 * (np.abs(bound) + 1.0)
    lower = np.where(~flat & ((gap < 0) | exact_only), bound - margin, -np.inf).max(axis=2, initial=-np.inf)
    upper = np.where(~flat & ((gap > 0) | exact_only), bound + margin, np.inf).min(axis=2, initial=np.inf)
    feasible = flat_ok & (np.maximum(lower, 0.0) <= np.minimum(upper, 1.0))
    return [(int(a), int(b)) for a, b in zip(*np.nonzero(np.triu(feasible)))]


def _between(target: Sequence[int], a: Sequence[int], b: Sequence[int], free: Sequence[bool]) -> bool:
    """Whether some λ ∈ [0, 1] has target ≥ λ·a + (1 − λ)·b on non-negative coordinates and
    equality on free ones.

    Per coordinate, λ·(a − b) ≤ target − b (or = on a free coordinate) bounds λ from one
    side, or fixes it, or holds or fails whatever λ is; the answer is the intersection.
    """
    low, high = Fraction(0), Fraction(1)
    for t, x, y, exact in zip(target, a, b, free):
        gap, room = x - y, t - y
        if gap == 0:
            if room < 0 or (exact and room != 0):
                return False
            continue
        bound = Fraction(room, gap)
        if exact:
            low, high = max(low, bound), min(high, bound)
        elif gap > 0:
            high = min(high, bound)
        else:
            low = max(low, bound)
        if low > high:
            return False
    return True
