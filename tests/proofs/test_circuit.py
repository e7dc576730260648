"""The compiled circuit accepts exactly the accounts the margin formula accepts."""

from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkmargin.proofs.compiler import compile_circuit
from zkmargin.errors import UnsoundStatement


def make_params(
    pnl, values, addon_long, addon_short, floors=(), aggregation="max", es_confidence=None, qs=1, groups=None,
    short_values=None, short_pnl=None,
):
    k = len(values)
    scenario_count = len(pnl[0]) if pnl else 0
    return SimpleNamespace(
        scenario_groups=list(groups or ["all"] * scenario_count),
        quantity_scale=qs,
        instruments=[f"I{i}" for i in range(k)],
        values=list(values),
        short_values=list(short_values or values),
        short_pnl=[list(row) for row in (short_pnl or pnl)],
        scenarios=[f"s{s}" for s in range(len(pnl[0]) if pnl else 0)],
        pnl=[list(row) for row in pnl],
        aggregation=aggregation,
        es_confidence=es_confidence,
        addon_long=list(addon_long),
        addon_short=list(addon_short),
        addons=lambda level: (list(addon_long), list(addon_short)),
        credit_rates=lambda: [],
        strategies=[],
        intra_spreads=[],
        floors=[SimpleNamespace(name=f"f{j}", long=list(lo), short=list(sh), group=group)
                for j, (lo, sh, group) in enumerate((*floor, None)[:3] for floor in floors)],
    )


def side(q, long, short):
    """The long number for a long position, the short one for a short position."""
    return long if q > 0 else short


def reference_losses(params, q):
    return [
        -sum(q[i] * side(q[i], params.pnl[i][s], params.short_pnl[i][s]) for i in range(len(q)))
        for s in range(len(params.scenarios))
    ]


def reference_equity(params, q):
    return sum(q[i] * side(q[i], params.values[i], params.short_values[i]) for i in range(len(q)))


def reference_minimum_equity(params, q, level, threshold):
    """The margin formula of docs/architecture.md evaluated directly, in fine units."""
    k = len(q)
    losses = reference_losses(params, q)
    addon = sum(params.addon_long[i] * max(q[i], 0) + params.addon_short[i] * max(-q[i], 0) for i in range(k))
    floors = [
        (f.group, sum(f.long[i] * max(q[i], 0) + f.short[i] * max(-q[i], 0) for i in range(k))) for f in params.floors
    ]
    if params.aggregation == "max":
        worst = {}
        for group, loss in zip(params.scenario_groups, losses):
            worst[group] = max(worst.get(group, 0), loss)
        for group, amount in floors:  # a group's floor raises its own term
            if group is not None:
                worst[group] = max(worst[group], amount)
        core = sum(worst.values())
    else:
        tail = len(losses) * (1 - Fraction(params.es_confidence))
        core = max(0, min(t + sum(max(loss - t, 0) for loss in losses) / tail for t in losses))
    return level * max([core + addon] + [amount for group, amount in floors if group is None]) + threshold


def minimal_witness(circuit, params, q, c):
    k = len(q)
    values = {f"q[I{i}]": q[i] for i in range(k)}
    values["c"] = c
    values.update({f"u[I{i}]": max(-q[i], 0) for i in range(k)})
    losses = reference_losses(params, q)
    for group, loss in zip(params.scenario_groups, losses):
        values[f"m[{group}]"] = max(values.get(f"m[{group}]", 0), loss)
    for floor in params.floors:
        if floor.group is not None:
            amount = sum(floor.long[i] * max(q[i], 0) + floor.short[i] * max(-q[i], 0) for i in range(k))
            values[f"m[{floor.group}]"] = max(values[f"m[{floor.group}]"], amount)
    if params.aggregation == "expected_shortfall":
        tail = len(losses) * (1 - Fraction(params.es_confidence))
        t = min(losses, key=lambda t: t + sum(max(loss - t, 0) for loss in losses) / tail)
        values["t"] = t
        values.update({f"v[s{s}]": max(loss - t, 0) for s, loss in enumerate(losses)})
    return [values[v.name] for v in circuit.variables]


money = st.integers(-5_000, 5_000)
rate = st.integers(0, 3_000)


@st.composite
def accounts(draw):
    k = draw(st.integers(1, 3))
    scenarios = draw(st.integers(1, 5))
    pnl = [[draw(money) for _ in range(scenarios)] for _ in range(k)]
    # the short side of a value or profit is rounded up: the same number or a little more
    rounding = st.integers(0, 1) if draw(st.booleans()) else st.just(0)
    short_pnl = [[profit + draw(rounding) for profit in row] for row in pnl]
    values = [draw(st.integers(0, 10_000)) for _ in range(k)]
    es = draw(st.booleans())
    groups = None if es else draw(st.lists(st.sampled_from("ab"), min_size=scenarios, max_size=scenarios))
    # a floor of no group, or (max aggregation) of one of the scenario groups
    floor_group = st.sampled_from([None] + sorted(set(groups or ())))
    floors = draw(st.lists(st.tuples(st.lists(rate, min_size=k, max_size=k), st.lists(rate, min_size=k, max_size=k),
                                     floor_group), max_size=2))
    params = make_params(
        pnl,
        groups=groups,
        values=values,
        short_values=[value + draw(rounding) for value in values],
        short_pnl=short_pnl,
        addon_long=[draw(rate) for _ in range(k)],
        addon_short=[draw(rate) for _ in range(k)],
        floors=floors,
        aggregation="expected_shortfall" if es else "max",
        es_confidence=draw(st.sampled_from(["0.5", "0.6", "0.75", "0.975"])) if es else None,
    )
    q = [draw(st.integers(-50, 50)) for _ in range(k)]
    level = draw(st.sampled_from([Fraction(1), Fraction(11, 10), Fraction(5, 4)]))
    threshold = draw(st.integers(0, 1_000))
    return params, q, level, threshold


@settings(max_examples=150, deadline=None)
@given(accounts(), st.integers(-3, 3))
def test_circuit_accepts_exactly_when_equity_meets_the_formula(account, offset):
    params, q, level, threshold = account
    circuit = compile_circuit(params, level, threshold)
    minimum = reference_minimum_equity(params, q, level, threshold)
    equity_without_cash = reference_equity(params, q)
    # cash placed around the exact break-even point: offset 0 is the smallest that meets it
    cash = -((equity_without_cash - minimum).__floor__()) + offset
    meets = cash + equity_without_cash >= minimum
    witness = minimal_witness(circuit, params, q, cash)
    assert (circuit.unsatisfied(witness) == []) == meets
    assert meets == (offset >= 0)


def test_circuit_names_the_requirement_when_one_cent_short():
    params = make_params([[1_000, -1_000]], values=[0], addon_long=[0], addon_short=[0])
    circuit = compile_circuit(params, Fraction(1), 0)
    witness = minimal_witness(circuit, params, [1], 999)
    assert circuit.unsatisfied(witness) == ["scenarios"]
    assert circuit.unsatisfied(minimal_witness(circuit, params, [1], 1_000)) == []


def test_circuit_rejects_lying_short_part_when_it_understates_the_short_position():
    params = make_params([[0]], values=[100], addon_long=[0], addon_short=[500])
    circuit = compile_circuit(params, Fraction(1), 0)
    honest = minimal_witness(circuit, params, [-2], 1_200)
    assert circuit.unsatisfied(honest) == []
    lying = list(honest)
    lying[[v.name for v in circuit.variables].index("u[I0]")] = 0
    assert "long_part(I0)" in circuit.unsatisfied(lying)


def test_circuit_refuses_statement_when_coefficients_could_wrap_modulo_r():
    safe = make_params([[2**150]], values=[1], addon_long=[0], addon_short=[0])
    assert compile_circuit(safe, Fraction(1), 0).soundness_budget() < 2**254
    wrapping = make_params([[2**223]], values=[1], addon_long=[0], addon_short=[0])
    with pytest.raises(UnsoundStatement, match="soundness budget"):
        compile_circuit(wrapping, Fraction(1), 0)


def test_circuit_budget_counts_every_term_when_many_instruments_share_a_constraint():
    k = 4
    params = make_params([[2**219]] * k, values=[0] * k, addon_long=[0] * k, addon_short=[0] * k)
    circuit = compile_circuit(params, Fraction(1), 0)
    # |q| ≤ 2^31 and |m| ≤ 2^64: four position terms of 2^250 plus the group witness term
    assert circuit.soundness_budget() == k * 2**250 + 2**64


def test_circuit_digest_changes_when_one_coefficient_changes():
    one = make_params([[100, -100]], values=[5], addon_long=[0], addon_short=[0])
    other = make_params([[100, -101]], values=[5], addon_long=[0], addon_short=[0])
    assert compile_circuit(one, Fraction(1), 0).digest() != compile_circuit(other, Fraction(1), 0).digest()


def test_circuit_rejects_lying_short_part_when_only_the_short_side_is_valued_apart():
    # no rates at all: the witness exists because a short unit owes 101, a long one is worth 100
    params = make_params([[7]], values=[100], short_values=[101], short_pnl=[[8]], addon_long=[0], addon_short=[0])
    circuit = compile_circuit(params, Fraction(1), 0)
    assert "u[I0]" in [v.name for v in circuit.variables]
    honest = minimal_witness(circuit, params, [-10], 1_010 + 80)
    assert circuit.unsatisfied(honest) == []
    assert circuit.unsatisfied(minimal_witness(circuit, params, [-10], 1_010 + 79)) == ["scenarios"]
    lying = list(honest)
    lying[[v.name for v in circuit.variables].index("u[I0]")] = 0
    assert "long_part(I0)" in circuit.unsatisfied(lying)


def test_circuit_bounds_an_unranged_variable_by_its_anchor_when_it_has_coefficient_one():
    from zkmargin.proofs.circuit import Circuit, Constraint, Variable

    ranged = Variable("x", "witness", 0, 32)
    anchored = Variable("y", "witness", 0, 32, own_range=False)
    # y − 3x + 5 ∈ [0, 2^32): |y| < 2^32 + 5 + 3·2^32
    circuit = Circuit((ranged, anchored), (Constraint("anchor", ((0, -3), (1, 1)), 5, 32),))
    assert circuit.bounds() == [2**32, 2**32 + 5 + 3 * 2**32]
    assert [item.name for item in circuit.range_items] == ["range(x)", "anchor"]


def test_circuit_refuses_an_unranged_variable_when_no_constraint_anchors_it():
    from zkmargin.proofs.circuit import Circuit, Constraint, Variable

    ranged = Variable("x", "witness", 0, 32)
    loose = Variable("y", "witness", 0, 32, own_range=False)
    # coefficient 2 on y: y = (slack + x)/2 could be any field element
    circuit = Circuit((ranged, loose), (Constraint("halves", ((0, 1), (1, 2)), 0, 32),))
    with pytest.raises(UnsoundStatement, match="no constraint bounds it"):
        circuit.check_soundness()
