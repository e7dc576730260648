"""Margin statement → a `Circuit` (circuit.py) of linear inequalities over committed integers.

Every margin model of `circuits/` reaches this module in one generic integer form (see
docs/architecture.md, "params"): equity E, scenario losses, per-instrument add-ons and
floors, a level factor λ = P/Q and a public threshold X. `compile_circuit` turns that into
variables with their own ranges and constraints with public integer coefficients, each a
*range item*; a range proof over every range item proves the margin statement. Why that
is sound is in docs/protocol.md ("Soundness budget").

Variables, in this order (the proof file lists commitments in the same order):

    q_i    position of instrument i in quantity units, signed 32-bit
    c      collateral (cash) in money units, signed 64-bit
    u_i    short part of q_i, for instruments with an add-on or floor rate or whose short side
           is valued apart (values_short, pnl_short); u_i ≥ 0, u_i + q_i ≥ 0
    n_j    count of strategy template j, β_i sign bit of each strategy leg (pairing.py); a
           leg's u_i and β_i have no range item of their own, a constraint bounds each
           (`Variable.own_range`, `Circuit.bounds`); z_k bonus count of a block of iron
           condors, stated through their spreads' n_j (pairing.py)
    m_g    worst loss of scenario group g (max aggregation); m_g ≥ 0, m_g ≥ loss_s for s ∈ g,
           m_g ≥ F_f for every floor f of group g
    x_k    inter-group spread credit k on groups a, b (max aggregation); x_k ≥ 0, bounded
           by r_k·m_a, r_k·m_b, every joint loss and m_g − F_f for a floor f of a or b,
    e±_k   and by B·(e⁺_k + e⁻_k), its direction bits, each of which states opposite net
           deltas of a and b when 1 (group_credits.py)
    p_g,t  long part of tier t of group g's intra-commodity spread (max aggregation), with
    b_g    its side bit and c_g its charge: p_g,t ≥ 0, p_g,t − D_g,t ≥ 0, 1 − b_g ≥ 0,
           c_g ≥ Σ_t p_g,t − b_g·B, c_g ≥ Σ_t (p_g,t − D_g,t) − (1 − b_g)·B,
           so c_g ≥ min(long, short) (intra_spread.py)
    t      Rockafellar–Uryasev threshold (expected_shortfall only), signed 64-bit
    v_s    excess loss over t in scenario s (expected_shortfall only); v_s ≥ 0, v_s ≥ loss_s − t

With q⁺ = q + u and q⁻ = u, E = QS·c + Σ value_i·(q_i + u_i) − vshort_i·u_i,
loss_s = −Σ pnl_is·(q_i + u_i) + pshort_is·u_i and the add-on
A = Σ along_i·(q_i + u_i) + ashort_i·u_i, the requirement constraints are

    max:  Q·(E − X) − P·(Σ_g m_g − Σ_k x_k + Σ_g c_g + A) ≥ 0
    ES:   Kn·Q·(E − X) − Kn·P·(t + A) − Kd·P·Σ v_s ≥ 0   with N(1 − α) = Kn/Kd
          Q·(E − X) − P·A ≥ 0                      the requirement is never below the add-ons
    both: Q·(E − X) − P·F_f ≥ 0                    for every floor f of no group

Each holds for the prover's witnesses only if it holds for the minimal ones, because the
requirement only grows with u_i, m_g, c_g and the v_s, and E only shrinks with u_i (params
refuse vshort_i < value_i and pshort_is < pnl_is): the prover cannot gain by lying in them.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol, Sequence

from zkmargin.errors import UnsoundStatement
from zkmargin.proofs.circuit import (
    MONEY_BITS,
    POSITION_BITS,
    SIGNED_SHIFT,
    Circuit,
    Constraint,
    Variable,
)
from zkmargin.proofs.dominance import implied_scenarios
from zkmargin.proofs.group_credits import group_credit_constraints
from zkmargin.proofs.intra_spread import intra_spread_constraints
from zkmargin.proofs.pairing import leg_instruments, pairing_constraints

if TYPE_CHECKING:
    from zkmargin.engine.param_tables import GroupCredit


class CircuitParams(Protocol):
    """The fields of RiskParams the compiler reads (params.py owns the real class)."""

    quantity_scale: int
    instruments: list[str]
    values: list[int]
    short_values: list[int]
    scenarios: list[str]
    scenario_groups: list[str]
    pnl: list[list[int]]
    short_pnl: list[list[int]]
    aggregation: str
    es_confidence: str | None
    addon_long: list[int]
    addon_short: list[int]
    floors: list

    strategies: list
    intra_spreads: list

    def addons(self, level: str) -> tuple[list[int], list[int]]: ...

    def credit_rates(self) -> list[tuple[GroupCredit, Fraction]]: ...

    def joint_scenarios(self, a: str, b: str) -> list[tuple[int, int]]: ...



def compile_circuit(
    params: CircuitParams, level_factor: Fraction, threshold_fine: int, level: str = "maintenance", lean: bool = True
) -> Circuit:
    """Compile the margin statement `E ≥ λ·base + X` over `params` into a `Circuit`.

    `level_factor` is λ, `threshold_fine` is X in fine units (money units / quantity_scale);
    the add-on rates are those of `level` (`params.addons(level)`).

    `lean` leaves out the range items that other items imply (docs/protocol.md, section 2a):
    a scenario inequality, or a group's m_g ≥ 0, implied by the group's other scenarios
    (dominance.py), and the own range of a variable some item anchors (`Variable.own_range`):
    q_i of an instrument with a short part (its long_part item with u_i ranged), and c when
    Q·S = 1 (the requirement items). `lean=False` builds the circuit of proofs made before
    (every item stated); if the lean circuit exceeds the soundness budget, that one is built.
    The result is checked against the soundness budget before it is returned.
    """
    if lean:
        try:
            return _compile(params, level_factor, threshold_fine, level, lean=True)
        except UnsoundStatement:
            pass  # anchored bounds are looser; the full circuit may still fit the budget
    return _compile(params, level_factor, threshold_fine, level, lean=False)


def _compile(params: CircuitParams, level_factor: Fraction, threshold_fine: int, level: str, lean: bool) -> Circuit:
    P, Q = level_factor.numerator, level_factor.denominator
    k = len(params.instruments)
    variables: list[Variable] = [
        Variable(f"q[{name}]", "position", SIGNED_SHIFT[POSITION_BITS], POSITION_BITS) for name in params.instruments
    ]
    collateral = len(variables)
    variables.append(
        Variable("c", "collateral", SIGNED_SHIFT[MONEY_BITS], MONEY_BITS, own_range=not (lean and Q * params.quantity_scale == 1))
    )

    floors = list(params.floors)
    addon_long, addon_short = params.addons(level)
    legs = set(leg_instruments(params))
    rated = [
        i
        for i in range(k)
        if i in legs
        or addon_long[i]
        or addon_short[i]
        or any(f.long[i] or f.short[i] for f in floors)
        or params.short_values[i] != params.values[i]
        or params.short_pnl[i] != params.pnl[i]
    ]
    short_part = {}
    for i in rated:
        if lean and i not in legs:  # long_part(i) = q_i + u_i anchors q_i
            variables[i] = replace(variables[i], own_range=False)
        short_part[i] = len(variables)
        # a strategy leg's u_i is bounded by its short_cover (pairing.py): no range of its own
        variables.append(Variable(f"u[{params.instruments[i]}]", "witness", 0, POSITION_BITS, own_range=i not in legs))
    # a strategy leg's long_cover (pairing.py) states long_part with the legs subtracted
    constraints: list[Constraint] = [
        Constraint(f"long_part({params.instruments[i]})", ((short_part[i], 1), (i, 1)), 0, POSITION_BITS)
        for i in rated
        if i not in legs
    ]
    pairing, paired_addons = pairing_constraints(params, level, addon_long, addon_short, short_part, variables)
    constraints += pairing

    def rated_terms(long_rates: Sequence[int], short_rates: Sequence[int]) -> dict[int, int]:
        """Σ long_i·(q_i + u_i) + short_i·u_i as {variable index: coefficient}."""
        terms: dict[int, int] = {}
        for i in rated:
            if long_rates[i]:
                terms[i] = terms.get(i, 0) + long_rates[i]
            if long_rates[i] + short_rates[i]:
                terms[short_part[i]] = long_rates[i] + short_rates[i]
        return terms

    def two_sided(long: Sequence[int], short: Sequence[int]) -> dict[int, int]:
        """Σ long_i·(q_i + u_i) − short_i·u_i (a value or a profit, each side rounded
        against its holder) as {variable index: coefficient}."""
        terms = {i: long[i] for i in range(k) if long[i]}
        for i, index in short_part.items():
            if long[i] != short[i]:
                terms[index] = long[i] - short[i]
        return terms

    equity = two_sided(params.values, params.short_values)
    equity[collateral] = params.quantity_scale
    addons = rated_terms(addon_long, addon_short)
    for index, coefficient in paired_addons.items():
        addons[index] = addons.get(index, 0) + coefficient

    def requirement(name: str, scaled_equity: int, charges: Sequence[tuple[int, dict[int, int]]]) -> Constraint:
        """`scaled_equity·(E − X) − Σ factor·terms ≥ 0` as a sparse constraint."""
        combined: dict[int, int] = {}
        for index, coefficient in equity.items():
            combined[index] = scaled_equity * coefficient
        for factor, terms in charges:
            for index, coefficient in terms.items():
                combined[index] = combined.get(index, 0) - factor * coefficient
        terms = tuple(sorted((index, coefficient) for index, coefficient in combined.items() if coefficient))
        return Constraint(name, terms, -scaled_equity * threshold_fine, MONEY_BITS)

    def scenario_profit(s: int) -> dict[int, int]:
        return two_sided([row[s] for row in params.pnl], [row[s] for row in params.short_pnl])

    if params.aggregation == "max":
        group_var: dict[str, int] = {}
        implied = implied_scenarios(params, short_part) if lean else frozenset()
        for group in params.scenario_groups:
            if group not in group_var:
                group_var[group] = len(variables)
                variables.append(Variable(f"m[{group}]", "witness", 0, MONEY_BITS, own_range=group not in implied))
        for s, (scenario, group) in enumerate(zip(params.scenarios, params.scenario_groups)):
            if s in implied:
                continue
            # m_g − loss_s = m_g + Σ q_i·pnl_is ≥ 0
            terms = {group_var[group]: 1, **scenario_profit(s)}
            constraints.append(Constraint(f"scenario({scenario})", tuple(sorted(terms.items())), 0, MONEY_BITS))
        group_floors = [floor for floor in floors if floor.group is not None]
        for floor in group_floors:
            # m_g − F_f ≥ 0: the group's term is at least its floor
            terms = {group_var[floor.group]: 1}
            for index, coefficient in rated_terms(floor.long, floor.short).items():
                terms[index] = terms.get(index, 0) - coefficient
            constraints.append(Constraint(f"floor({floor.name})", tuple(sorted(terms.items())), 0, MONEY_BITS))
        worst_losses = {index: 1 for index in group_var.values()}
        credits = group_credit_constraints(
            params, group_var, variables, constraints, scenario_profit,
            {floor.name: (floor.group, rated_terms(floor.long, floor.short)) for floor in group_floors}, lean,
        )
        intra_charges = intra_spread_constraints(params, variables, constraints, lean)
        charges = [(P, worst_losses), (P, credits), (P, intra_charges), (P, addons)]
        constraints.append(requirement("scenarios", Q, charges))
    elif params.aggregation == "expected_shortfall":
        tail = len(params.scenarios) * (1 - Fraction(params.es_confidence))
        Kn, Kd = tail.numerator, tail.denominator
        threshold_var = len(variables)
        variables.append(Variable("t", "witness", SIGNED_SHIFT[MONEY_BITS], MONEY_BITS))
        excess_vars = []
        for s, scenario in enumerate(params.scenarios):
            excess_vars.append(len(variables))
            variables.append(Variable(f"v[{scenario}]", "witness", 0, MONEY_BITS))
            # v_s − loss_s + t ≥ 0
            terms = {excess_vars[-1]: 1, threshold_var: 1, **scenario_profit(s)}
            constraints.append(Constraint(f"tail({scenario})", tuple(sorted(terms.items())), 0, MONEY_BITS))
        charges = [(Kn * P, {threshold_var: 1}), (Kn * P, addons), (Kd * P, {v: 1 for v in excess_vars})]
        constraints.append(requirement("expected_shortfall", Kn * Q, charges))
        # ES can be negative; the requirement is max(0, ES) + A.
        constraints.append(requirement("addons", Q, [(P, addons)]))
    else:
        raise UnsoundStatement(f"unknown aggregation {params.aggregation!r}")

    for floor in floors:
        if floor.group is None:
            constraints.append(requirement(f"floor({floor.name})", Q, [(P, rated_terms(floor.long, floor.short))]))

    circuit = Circuit(tuple(variables), tuple(constraints))
    circuit.check_soundness()
    return circuit
