"""SPAN intra-commodity (calendar) spread charges as linear constraints with a bit witness.

The charge of a group (engine/intra_spread.py) is min(long, short), long = Σ_t max(D_t, 0)
and short = Σ_t max(−D_t, 0) over its tiers' charge-weighted net deltas
D_t = Σ_{i in t} w_i·q_i. A minimum is concave, so a lower bound on it needs to know which
side is smaller: a bit b says so. Per group, with public weights w_i (of either sign: a
put's is negative; only their sizes enter the soundness budget) and the constant
B = `SIDE_SWITCH`:

    p_t                 own range [0, 2^64)             the long part of tier t
    p_t − D_t ≥ 0                                       its short part n_t := p_t − D_t ≥ 0
    1 − b ≥ 0           b's anchor (lean), or b ∈ [0, 2^32) as well (full circuit)
    c − Σ_t p_t + b·B ≥ 0                               c's anchor: with b ≤ 0, c ≥ L
    c − Σ_t (p_t − D_t) + (1 − b)·B ≥ 0                 with b = 1, c ≥ S

and the requirement adds c. **Soundness.** Every admissible p_t is ≥ max(D_t, 0) and every
p_t − D_t ≥ max(−D_t, 0), so L := Σ p_t ≥ long and S := Σ (p_t − D_t) ≥ short: the prover
may only overstate both, which only raises min(L, S). The anchor 1 − b ∈ [0, 2^32) makes
the integer b ≤ 1 (the soundness budget rules out wrapping modulo the group order); with
b = 1 the last constraint gives c ≥ S, with b ≤ 0 the one before gives
c ≥ L + |b|·B ≥ L. Either way c ≥ min(L, S) ≥ min(long, short): no witness proves a
charge below the true one. (b < 0 only raises c; the full circuit ranges b
anyway, so there b ∈ {0, 1}.) **Completeness.** The honest prover sets p_t = max(D_t, 0),
b = 1 exactly when short < long, and c = min(long, short): the constraint of the smaller
side has slack 0, the other's slack B − |long − short| lies in [0, 2^64) as long as
|long − short| ≤ B = 2^63 in the weights' unit (fine units / K below; with K = 1,
9·10^16 dollars at quantity scale 1; `models/span.file_weight_scale` picks a K at which
four of the largest positions of the heaviest contract fit, and a book beyond that stops
with an overflow error, never a lower charge).

**Scaled weights.** When the params count the weights in 1/K money units (`scale` K > 1,
a risk file's tiers), c is in those units, and the requirement adds instead a witness C
with its own range [0, 2^64) and K·C − c ≥ 0: C ≥ c / K ≥ min(long, short) / K, the
charge in fine units; the honest C is ⌈c / K⌉, slack below K. Two more items a group
(C's range and the constraint, two limbs each); params with K = 1 keep their circuit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zkmargin.proofs.circuit import MONEY_BITS, POSITION_BITS, Constraint, Variable

if TYPE_CHECKING:
    from zkmargin.proofs.compiler import CircuitParams

SIDE_SWITCH = 1 << (MONEY_BITS - 1)
"""B: added to the constraint of the side the bit does not choose, so that it holds with a
slack below 2^64 whenever the two sides' charges differ by at most B; half the slack's
range, so that a charge overstated by up to 2^63 still proves."""


def intra_spread_constraints(
    params: CircuitParams, variables: list[Variable], constraints: list[Constraint], lean: bool
) -> dict[int, int]:
    """Add the variables and constraints above for every intra spread of `params` and
    return the terms {c_g: 1} the requirement adds."""
    position = {name: index for index, name in enumerate(params.instruments)}
    charges: dict[int, int] = {}
    for spread in params.intra_spreads:
        group = spread.group
        long_parts = []
        # c − S = c − Σ p_t + Σ w_i·q_i: the short side's terms, less c and B
        short_side: dict[int, int] = {}
        for t, tier in enumerate(spread.tiers):
            long_part = len(variables)
            variables.append(Variable(f"intra_long[{group}, {t}]", "witness", 0, MONEY_BITS))
            long_parts.append(long_part)
            terms = {long_part: 1}
            for instrument, weight in tier.items():
                terms[position[instrument]] = -weight
                short_side[position[instrument]] = weight
            constraints.append(Constraint(f"intra_short({group}, {t})", tuple(sorted(terms.items())), 0, MONEY_BITS))
        side = len(variables)
        variables.append(Variable(f"intra_side[{group}]", "witness", 0, POSITION_BITS, own_range=not lean))
        constraints.append(Constraint(f"intra_side({group})", ((side, -1),), 1, POSITION_BITS))
        charge = len(variables)
        variables.append(Variable(f"intra[{group}]", "witness", 0, MONEY_BITS, own_range=not lean))
        long_side = {charge: 1, side: SIDE_SWITCH, **{p: -1 for p in long_parts}}
        constraints.append(Constraint(f"intra_charge({group}, long)", tuple(sorted(long_side.items())), 0, MONEY_BITS))
        short_side |= {charge: 1, side: -SIDE_SWITCH, **{p: -1 for p in long_parts}}
        constraints.append(
            Constraint(f"intra_charge({group}, short)", tuple(sorted(short_side.items())), SIDE_SWITCH, MONEY_BITS)
        )
        if spread.scale > 1:
            # weights in 1/K money units: the requirement adds C ≥ c / K, C with its own range
            in_money = len(variables)
            variables.append(Variable(f"intra_money[{group}]", "witness", 0, MONEY_BITS))
            constraints.append(Constraint(f"intra_money({group})", ((charge, -1), (in_money, spread.scale)), 0, MONEY_BITS))
            charge = in_money
        charges[charge] = 1
    return charges
