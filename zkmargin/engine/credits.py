"""Inter-group spread credits (SPAN inter-commodity spreads) in the clear.

SPAN forms an inter-commodity spread only from opposite net deltas of the two commodities.
With the credit's public delta weights δ_i (params `group_credits[k].deltas`), the groups'
net deltas are Δ_g = Σ_{i of g} δ_i·q_i; when Δ_a and Δ_b have opposite signs (neither
0), two scenario groups a, b (two underlyings) with a public rate r earn the credit

    credit = ⌊ min( r·min(m_a, m_b),  min_j (m_a + m_b − loss_aj − loss_bj) ) ⌋

where m_g = max(0, max_{s∈g} loss_s) and j runs over the moves both groups share (the j-th
scenario of each: the same move of both underlyings, together). The first bound is SPAN's
rate times the smaller scan risk; the second keeps the pair's requirement at least its
worst *joint* loss, so a pair of positions that lose in one move together earns nothing,
while a spread (long one, short the other) earns up to the rate; otherwise (a book long
both, or flat in one) the credit is 0. Rounded down
(against the prover), in fine units. The proof states the same bounds as linear
inequalities on a committed credit x ≥ 0 (proofs/group_credits.py), with the m_g of the
scenario term.

A group with its own floor F_g (SPAN's short option minimum of a combined commodity) has
m_g = max(0, worst loss, F_g), and the credit is further bounded by m_g − F_g for each of
the two groups: SPAN takes the credit off the scan risk and then compares with the minimum,
so a credit never takes a group below its minimum, and a group whose minimum binds earns
nothing (its m_g is not scan risk the rate could apply to).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zkmargin.engine.params import RiskParams


def group_credits(
    params: RiskParams, q: list[int], losses: list[int], worst: dict[str, int], floors: dict[str, int]
) -> list[tuple[str, int]]:
    """("a|b", credit) per credit of `params`, given the positions q, the scenario losses,
    each group's term m_g = max(0, worst loss, its floor) and the floor F_g of each group
    that has one."""
    position = dict(zip(params.instruments, q))
    credits = []
    for credit, rate in params.credit_rates():
        a, b = credit.groups
        if not credit.allows(position):
            credits.append((f"{a}|{b}", 0))
            continue
        total = worst[a] + worst[b]
        joint = min(total - losses[s] - losses[t] for s, t in params.joint_scenarios(a, b))
        above_floors = [worst[g] - floors[g] for g in (a, b) if g in floors]
        credits.append((f"{a}|{b}", math.floor(min(rate * min(worst[a], worst[b]), joint, *above_floors))))
    return credits
