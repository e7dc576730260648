"""Inter-group spread credits (SPAN inter-commodity spreads) as linear constraints on a
committed credit x_k ≥ 0 per credit, bounded as the clear-text credit is (engine/credits.py).

A credit needs opposite net deltas Δ_a = Σ_{i of a} δ_i·q_i and Δ_b (public weights δ_i),
a disjunction: a long and b short, or a short and b long, or no credit. Two direction bits
e⁺, e⁻ and the constant B = `SIDE_SWITCH` state it:

    1 − e⁺ ≥ 0,  1 − e⁻ ≥ 0                     (own 32-bit range; e ∈ [0, 2^32) as well in the full circuit)
    B·e⁺ + B·e⁻ − x_k ≥ 0                       no credit unless a direction is chosen
    Δ_a − 1 + B·(1 − e⁺) ≥ 0,  −Δ_b − 1 + B·(1 − e⁺) ≥ 0      e⁺ = 1: Δ_a ≥ 1, Δ_b ≤ −1
    −Δ_a − 1 + B·(1 − e⁻) ≥ 0,  Δ_b − 1 + B·(1 − e⁻) ≥ 0      e⁻ = 1: Δ_a ≤ −1, Δ_b ≥ 1

**Soundness.** The anchors make each integer e ≤ 1 (the soundness budget rules out a wrap
modulo the group order). x_k > 0 needs e⁺ + e⁻ ≥ 1, so one of them is 1 (an e ≤ 0 adds
nothing), and that e's two constraints hold with B·0: the signs are opposite. Both at 1
would need Δ_a ≥ 1 and Δ_a ≤ −1. An e ≤ 0 only relaxes its own direction's constraints,
which then grant nothing. **Completeness.** The honest prover sets e⁺ = [Δ_a > 0 > Δ_b],
e⁻ = [Δ_a < 0 < Δ_b]; a direction not chosen has slack Δ − 1 + B in [0, 2^64) while
|Δ| < 2^63 (in 1/10,000 underlying units × the quantity scale), and the bound on x_k has
slack B − x_k ≥ 0 for any credit below 2^63 fine units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from zkmargin.proofs.circuit import MONEY_BITS, POSITION_BITS, Constraint, Variable
from zkmargin.proofs.intra_spread import SIDE_SWITCH

if TYPE_CHECKING:
    from zkmargin.proofs.compiler import CircuitParams


def group_credit_constraints(
    params: CircuitParams,
    group_var: dict[str, int],
    variables: list[Variable],
    constraints: list[Constraint],
    scenario_profit: Callable[[int], dict[int, int]],
    group_floors: dict[str, tuple[str, dict[int, int]]],
    lean: bool,
) -> dict[int, int]:
    """Add a credit x_k ≥ 0 per inter-group credit (a, b, r = rn/rd) with

        rn·m_a − rd·x_k ≥ 0,   rn·m_b − rd·x_k ≥ 0,
        m_a + m_b − x_k − loss_aj − loss_bj ≥ 0   for every shared move j,
        m_g − x_k − F_f ≥ 0                       for every floor f of g ∈ {a, b}

    (`group_floors`: floor name → its group and F_f's terms) and the direction bits above,
    and return the terms {x_k: −1} the requirement subtracts. Params allow each group in one credit only and
    r ≤ 1, so overstating m_a, m_b by δ_a, δ_b raises every bound on x_k by at most
    δ_a + δ_b while Σ m_g rises by as much, and overstating u_i only lowers m_g − F_f: no
    witness lowers the requirement.
    """
    credits: dict[int, int] = {}
    position = {name: index for index, name in enumerate(params.instruments)}
    for credit, rate in params.credit_rates():
        a, b = credit.groups
        pair = f"{a}|{b}"
        index = len(variables)
        variables.append(Variable(f"x[{pair}]", "witness", 0, MONEY_BITS))
        credits[index] = -1
        if credit.deltas is not None:  # params from before deltas state the credit without them
            net_deltas = [{position[instrument]: weight for instrument, weight in credit.deltas[group].items()}
                          for group in (a, b)]
            opposite_deltas_constraints(pair, index, net_deltas, variables, constraints, lean)
        for group in (a, b):
            terms = ((group_var[group], rate.numerator), (index, -rate.denominator))
            constraints.append(Constraint(f"credit({pair}, {group})", tuple(sorted(terms)), 0, MONEY_BITS))
        for s, t in params.joint_scenarios(a, b):
            terms = {group_var[a]: 1, group_var[b]: 1, index: -1}
            for profit in (scenario_profit(s), scenario_profit(t)):
                for i, coefficient in profit.items():
                    terms[i] = terms.get(i, 0) + coefficient
            name = f"joint({pair}, {params.scenarios[s]})"
            constraints.append(Constraint(name, tuple(sorted(terms.items())), 0, MONEY_BITS))
        for floor_name, (group, floor_terms) in group_floors.items():
            if group in (a, b):
                terms = {group_var[group]: 1, index: -1}
                for i, coefficient in floor_terms.items():
                    terms[i] = terms.get(i, 0) - coefficient
                name = f"floor_credit({pair}, {floor_name})"
                constraints.append(Constraint(name, tuple(sorted(terms.items())), 0, MONEY_BITS))
    return credits


def opposite_deltas_constraints(
    pair: str, credit: int, net_deltas: list[dict[int, int]],
    variables: list[Variable], constraints: list[Constraint], lean: bool,
) -> None:
    """The direction bits e⁺ ("a long"), e⁻ ("a short") of credit variable `credit` and
    their constraints (module docstring); `net_deltas` holds Δ_a's and Δ_b's terms."""
    bits = []
    for direction, signs in (("a_long", (1, -1)), ("a_short", (-1, 1))):
        bit = len(variables)
        bits.append(bit)
        variables.append(Variable(f"x_{direction}[{pair}]", "witness", 0, POSITION_BITS, own_range=not lean))
        constraints.append(Constraint(f"credit_side({pair}, {direction})", ((bit, -1),), 1, POSITION_BITS))
        for group, sign, terms in zip(pair.split("|"), signs, net_deltas):
            # sign·Δ_g − 1 + B·(1 − e) ≥ 0
            stated = {**{i: sign * weight for i, weight in terms.items()}, bit: -SIDE_SWITCH}
            name = f"credit_delta({pair}, {direction}, {group})"
            constraints.append(Constraint(name, tuple(sorted(stated.items())), SIDE_SWITCH - 1, MONEY_BITS))
    # B·e⁺ + B·e⁻ − x ≥ 0
    terms = ((credit, -1), *((bit, SIDE_SWITCH) for bit in bits))
    constraints.append(Constraint(f"credit_direction({pair})", tuple(sorted(terms)), 0, MONEY_BITS))
