"""Inter-group spread credits (SPAN inter-commodity spreads) as linear constraints on a
committed credit x_k ≥ 0 per credit, bounded as the clear-text credit is (engine/credits.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from zkmargin.proofs.circuit import MONEY_BITS, Constraint, Variable

if TYPE_CHECKING:
    from zkmargin.proofs.compiler import CircuitParams


def group_credit_constraints(
    params: CircuitParams,
    group_var: dict[str, int],
    variables: list[Variable],
    constraints: list[Constraint],
    scenario_profit: Callable[[int], dict[int, int]],
    group_floors: dict[str, tuple[str, dict[int, int]]],
) -> dict[int, int]:
    """Add a credit x_k ≥ 0 per inter-group credit (a, b, r = rn/rd) with

        rn·m_a − rd·x_k ≥ 0,   rn·m_b − rd·x_k ≥ 0,
        m_a + m_b − x_k − loss_aj − loss_bj ≥ 0   for every shared move j,
        m_g − x_k − F_f ≥ 0                       for every floor f of g ∈ {a, b}

    (`group_floors`: floor name → its group and F_f's terms), and return the terms
    {x_k: −1} the requirement subtracts. Params allow each group in one credit only and
    r ≤ 1, so overstating m_a, m_b by δ_a, δ_b raises every bound on x_k by at most
    δ_a + δ_b while Σ m_g rises by as much, and overstating u_i only lowers m_g − F_f: no
    witness lowers the requirement.
    """
    credits: dict[int, int] = {}
    for a, b, rate in params.credit_rates():
        pair = f"{a}|{b}"
        index = len(variables)
        variables.append(Variable(f"x[{pair}]", "witness", 0, MONEY_BITS))
        credits[index] = -1
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
