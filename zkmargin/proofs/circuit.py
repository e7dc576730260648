"""Margin statement → a system of linear inequalities over committed integers.

Every margin model of `circuits/` reaches this module in one generic integer form (see
docs/architecture.md, "params"): equity E, scenario losses, per-instrument add-ons and
floors, a level factor λ = P/Q and a public threshold X. `compile_circuit` turns that into

    variables  w_i with their own ranges   w_i + shift_i ∈ [0, 2^bits_i)
    constraints                            a_j · w + b_j ∈ [0, 2^bits_j)

with public integer coefficients. A range proof over every such *range item* proves the
margin statement; why that is sound is in docs/protocol.md ("Soundness budget").

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
           by r_k·m_a, r_k·m_b, every joint loss and m_g − F_f for a floor f of a or b
           (group_credit_constraints)
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

import hashlib
import json
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cached_property
from typing import Callable, Protocol, Sequence

from zkmargin.errors import UnsoundStatement
from zkmargin.hazmat.scalar import ORDER
from zkmargin.proofs.dominance import implied_scenarios

POSITION_BITS = 32
MONEY_BITS = 64
LIMB_BITS = 32
"""Every range item is proved in 32-bit limbs; a 64-bit item is two limbs (see prover.py)."""

SIGNED_SHIFT = {POSITION_BITS: 1 << (POSITION_BITS - 1), MONEY_BITS: 1 << (MONEY_BITS - 1)}


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

    def credit_rates(self) -> list[tuple[str, str, Fraction]]: ...

    def joint_scenarios(self, a: str, b: str) -> list[tuple[int, int]]: ...


@dataclass(frozen=True)
class Variable:
    """A committed integer with its own range: `value + shift ∈ [0, 2^bits)`.

    With `own_range` False the variable gets no range item of its own: some constraint
    bounds it instead, one in which it has coefficient ±1 and every other variable is
    bounded already (its *anchor*, found by `Circuit.bounds`). Its value is then that
    constraint's slack less a bounded integer combination, itself a bounded integer, so
    one limb is saved and nothing is lost (docs/protocol.md, section 4).
    """

    name: str
    role: str
    shift: int
    bits: int
    own_range: bool = True

    @property
    def lower(self) -> int:
        return -self.shift

    @property
    def upper(self) -> int:
        """Exclusive upper bound."""
        return (1 << self.bits) - self.shift


@dataclass(frozen=True)
class Constraint:
    """`Σ coefficient·w[index] + constant ∈ [0, 2^bits)`: an inequality with a bounded slack."""

    name: str
    terms: tuple[tuple[int, int], ...]
    constant: int
    bits: int

    def evaluate(self, witness: Sequence[int]) -> int:
        return sum(coefficient * witness[index] for index, coefficient in self.terms) + self.constant


@dataclass(frozen=True)
class Circuit:
    variables: tuple[Variable, ...]
    constraints: tuple[Constraint, ...]

    @cached_property
    def range_items(self) -> tuple[Constraint, ...]:
        """Everything the range proof covers: each variable's own range, then each constraint."""
        own = tuple(
            Constraint(f"range({variable.name})", ((index, 1),), variable.shift, variable.bits)
            for index, variable in enumerate(self.variables)
            if variable.own_range
        )
        return own + self.constraints

    def evaluate(self, witness: Sequence[int]) -> list[int]:
        """Every range item's value for a clear-text witness (what the prover commits to)."""
        if len(witness) != len(self.variables):
            raise ValueError(f"witness has {len(witness)} values, the circuit {len(self.variables)} variables")
        return [item.evaluate(witness) for item in self.range_items]

    def unsatisfied(self, witness: Sequence[int]) -> list[str]:
        """Names of the range items whose value falls outside [0, 2^bits)."""
        return [
            item.name
            for item, value in zip(self.range_items, self.evaluate(witness))
            if not 0 <= value < 1 << item.bits
        ]

    def bounds(self) -> list[int]:
        """max |w_i| over the integers a valid proof allows, per variable.

        A variable with its own range item is confined to [lower, upper). One without is
        bounded by its anchor: a constraint c·w + Σ a_k·w_k + b ∈ [0, 2^bits) with c = ±1
        whose other variables are bounded already, so |w| < 2^bits + |b| + Σ |a_k|·bound_k.
        Anchors are searched until nothing changes; a variable left without one makes the
        circuit unsound (`UnsoundStatement`): its value could be any field element.
        """
        bound: list[int | None] = [
            max(abs(v.lower), abs(v.upper)) if v.own_range else None for v in self.variables
        ]
        changed = True
        while changed:
            changed = False
            for item in self.constraints:
                loose = [(index, c) for index, c in item.terms if bound[index] is None]
                if len(loose) != 1 or abs(loose[0][1]) != 1:
                    continue
                index = loose[0][0]
                bound[index] = (1 << item.bits) + abs(item.constant) + sum(
                    abs(c) * bound[k] for k, c in item.terms if k != index
                )
                changed = True
        unbounded = [v.name for v, b in zip(self.variables, bound) if b is None]
        if unbounded:
            raise UnsoundStatement(f"variable {unbounded[0]} has no range of its own and no constraint bounds it")
        return bound

    def soundness_budget(self) -> int:
        """The largest |a·w + b| any range item can take over the integers.

        Every variable is confined by its own range item or its anchor (`bounds`), so
        |a·w + b| ≤ |b| + Σ |a_i|·bound_i. If that stays below r/2, a value proved to lie
        in [0, 2^bits) modulo r is that same integer, and no inequality can be met by
        wrapping around the group order.
        """
        bound = self.bounds()
        return max(
            abs(item.constant) + sum(abs(coefficient) * bound[index] for index, coefficient in item.terms)
            for item in self.range_items
        )

    def check_soundness(self) -> None:
        """Refuse a circuit in which some inequality could be satisfied modulo r only."""
        half_order = ORDER // 2
        for item in self.range_items:
            if item.bits % LIMB_BITS or not 0 < item.bits <= MONEY_BITS:
                raise UnsoundStatement(f"range item {item.name} has {item.bits} bits; allowed: 32 or 64")
        budget = self.soundness_budget()
        if budget >= half_order:
            raise UnsoundStatement(
                f"soundness budget exceeded: a constraint can reach 2^{budget.bit_length()} "
                f"but must stay below r/2 ≈ 2^{half_order.bit_length()}; the model's coefficients are too large"
            )

    def digest(self) -> str:
        """sha256 over a canonical encoding of every variable and constraint."""
        encoding = json.dumps(
            {
                "variables": [[v.name, v.role, v.shift, v.bits] + ([] if v.own_range else ["anchored"])
                              for v in self.variables],
                "constraints": [[c.name, [list(t) for t in c.terms], c.constant, c.bits] for c in self.constraints],
            },
            separators=(",", ":"),
        )
        return hashlib.sha256(encoding.encode()).hexdigest()

    def indices(self, role: str) -> list[int]:
        return [index for index, variable in enumerate(self.variables) if variable.role == role]


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

    # pairing.py and intra_spread.py build on this module's Variable and Constraint, so
    # they are imported here
    from zkmargin.proofs.intra_spread import intra_spread_constraints
    from zkmargin.proofs.pairing import leg_instruments, pairing_constraints

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
            {floor.name: (floor.group, rated_terms(floor.long, floor.short)) for floor in group_floors},
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
