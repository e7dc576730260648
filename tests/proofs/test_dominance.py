"""Scenario inequalities that others imply are left out of the circuit, and nothing else is."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zkmargin as zm
from tests.proofs.conftest import ROOT
from tests.proofs.test_circuit import make_params
from zkmargin.proofs import dominance
from zkmargin.proofs.compiler import compile_circuit
from zkmargin.proofs.dominance import implied_items
from zkmargin.proofs.statement import limb_count


def test_implied_items_drops_the_first_of_two_rows_when_they_are_equal():
    rows = [[0, 0], [5, -3], [7, 1], [5, -3]]
    assert implied_items(rows, [True, True]) == [1]


def test_implied_items_keeps_only_the_extremes_when_every_row_is_a_move_on_one_line():
    # a group of futures moved to ±1, ±2, ±3 steps; row 0 is the group's m_g ≥ 0
    moves = [0, 1, -1, 2, -2, 3, -3]
    rows = [[7 * k, 70 * k] for k in moves]
    assert implied_items(rows, [True, True]) == [0, 1, 2, 3, 4]


def test_implied_items_keeps_a_row_when_a_free_coordinate_is_off_the_line():
    # ½·[−10, −4] + ½·[4, −10] = [−3, −7]; row 3 has a higher profit on coordinate 1
    rows = [[0, 0], [-10, -4], [4, -10], [-3, -6]]
    assert implied_items(rows, [True, True]) == []
    assert implied_items(rows, [False, False]) == [0, 3]  # non-negative: −6 ≥ −7 is enough


def test_implied_items_keeps_a_row_when_a_non_negative_coordinate_is_below_every_combination():
    # [−3, −8] needs λ ≥ ½ on coordinate 0 and λ ≤ ⅓ on coordinate 1
    rows = [[0, 0], [-10, -4], [4, -10], [-3, -8]]
    assert implied_items(rows, [False, False]) == [0]


def test_implied_items_drops_the_higher_profit_when_coordinates_are_non_negative_but_not_when_free():
    assert implied_items([[10], [30]], [True]) == []
    assert implied_items([[10], [30]], [False]) == [1]


@st.composite
def group_and_witness(draw):
    """A group of scenario rows, some on segments between others (so some are implied), and
    a witness: free coordinates of any sign, the others non-negative."""
    width = draw(st.integers(1, 4))
    free = draw(st.lists(st.booleans(), min_size=width, max_size=width))
    coordinate = st.integers(-50, 50)
    base = draw(st.lists(st.lists(coordinate, min_size=width, max_size=width), min_size=2, max_size=4))
    rows = [[0] * width] + [[6 * x for x in row] for row in base]
    for _ in range(draw(st.integers(0, 4))):
        a, b = draw(st.sampled_from(base)), draw(st.sampled_from(base))
        weight = draw(st.integers(0, 6))
        lift = [0 if exact else draw(st.integers(0, 3)) for exact in free]
        rows.append([weight * x + (6 - weight) * y + up for x, y, up in zip(a, b, lift)])
    witness = [draw(st.integers(-10**6, 10**6)) if exact else draw(st.integers(0, 10**6)) for exact in free]
    return rows, free, witness


@settings(max_examples=300, deadline=None)
@given(group_and_witness())
def test_implied_items_drops_only_rows_the_kept_ones_imply_when_the_witness_is_any(case):
    # m + profit_k ≥ 0 for every kept row forces m ≥ −min profit_k; a dropped row needs no more
    rows, free, witness = case
    dropped = implied_items(rows, free)
    profits = [sum(c * x for c, x in zip(row, witness)) for row in rows]
    least_kept = min(p for k, p in enumerate(profits) if k not in dropped)
    assert all(profits[s] >= least_kept for s in dropped)


def demo_params():
    from zkmargin.demo.scenery import DEMO_UNIVERSE

    market = zm.Market.load(ROOT / "examples" / "market.json").listing(DEMO_UNIVERSE)
    return zm.build_params(market, zm.MarginModel.load(ROOT / "circuits" / "portfolio_margin.toml"))


def test_compile_states_the_two_extreme_moves_only_when_a_group_holds_futures_only():
    params = demo_params()
    lean = compile_circuit(params, Fraction(1), 0)
    full = compile_circuit(params, Fraction(1), 0, lean=False)
    stated = {item.name for item in lean.range_items}
    assert {name for name in stated if name.startswith("scenario(SPX")} == {"scenario(SPX up 5/5)", "scenario(SPX down 5/5)"}
    assert len([name for name in stated if name.startswith("scenario(XYZ")]) == 10  # options: no line
    unranged = {v.name for v in lean.variables if not v.own_range}
    assert unranged == {"c", "m[SPX]"} | {f"q[{name}]" for name in params.instruments if name != "XYZ"}
    # each of the two class groups states its own per-contract minimum (two limbs each)
    assert (limb_count(full), limb_count(lean)) == (65, 41)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-10**5, 10**5), min_size=5, max_size=5),
    st.lists(st.integers(0, 10**5), min_size=5, max_size=5),
)
def test_compile_lean_circuit_accepts_only_what_the_full_one_accepts_when_the_witness_overstates(positions, extra):
    # u_i may exceed q_i⁻ (it only raises the requirement); m_g is the least the lean items allow
    params = demo_params()
    lean = compile_circuit(params, Fraction(1), 0)
    full = compile_circuit(params, Fraction(1), 0, lean=False)
    assert [v.name for v in lean.variables] == [v.name for v in full.variables]
    witness = least_worst_losses(lean, params, positions, extra)
    assert lean.unsatisfied(witness) == []
    assert full.unsatisfied(witness) == []


def least_worst_losses(lean, params, positions, extra):
    """A witness of `lean` with q = `positions`, u_i = q_i⁻ + extra_i where i has a short
    part, ample cash, and each m_g the least the lean circuit's stated items allow."""
    names = [v.name for v in lean.variables]
    witness = [0] * len(names)
    for i, instrument in enumerate(params.instruments):
        witness[i] = positions[i]
        if f"u[{instrument}]" in names:
            witness[names.index(f"u[{instrument}]")] = max(-positions[i], 0) + extra[i]
    witness[names.index("c")] = 10**15
    for group in set(params.scenario_groups):
        index = names.index(f"m[{group}]")
        stated = [item for item in lean.range_items
                  if index in dict(item.terms) and item.name.startswith(("scenario(", "floor("))]
        floor = 0 if lean.variables[index].own_range else None
        needs = [-item.evaluate(witness) for item in stated] + ([floor] if floor is not None else [])
        witness[index] = max(needs)
    return witness


def test_compile_states_every_item_when_the_lean_circuit_would_exceed_the_soundness_budget():
    # anchored positions are bounded more loosely (|q| < 2^33, not 2^31): near the budget's
    # edge only the full circuit fits, and that is the one compiled
    near = make_params([[2**221]], values=[1], addon_long=[1], addon_short=[1])
    assert compile_circuit(near, Fraction(1), 0).digest() == compile_circuit(near, Fraction(1), 0, lean=False).digest()
    inside = make_params([[2**220]], values=[1], addon_long=[1], addon_short=[1])
    assert compile_circuit(inside, Fraction(1), 0).digest() != compile_circuit(inside, Fraction(1), 0, lean=False).digest()


def test_implied_items_tries_single_rows_only_when_a_group_is_past_the_pair_search_budget(monkeypatch):
    from zkmargin.proofs import dominance

    rows = [[0, 0], [10, 4], [-10, -4], [5, 2], [10, 4]]  # row 3 halfway, row 1 = row 4
    assert implied_items(rows, [True, True]) == [0, 1, 3]
    monkeypatch.setattr(dominance, "PAIR_SEARCH_BUDGET", len(rows) ** 3 * 2 - 1)
    assert implied_items(rows, [True, True]) == [1]


@st.composite
def lined_up_params_and_witness(draw):
    """Params whose scenarios are often convex combinations of others (so the lean circuit
    leaves items out) or another move raised on one instrument (implied only where that
    coordinate is non-negative), some instruments with a short part (add-ons, a short P&L
    rounded up), two groups; and a witness with any q, a short part u ≥ q⁻ (more is allowed)."""
    k = draw(st.integers(1, 3))
    base = [[draw(st.integers(-500, 500)) for _ in range(k)] for _ in range(draw(st.integers(1, 3)))]
    columns = []
    for _ in range(draw(st.integers(2, 6))):
        a, b, weight = draw(st.sampled_from(base)), draw(st.sampled_from(base)), draw(st.integers(0, 4))
        columns.append([weight * x + (4 - weight) * y for x, y in zip(a, b)])
    for _ in range(draw(st.integers(0, 2))):  # a move above another on one instrument
        lifted, i = list(draw(st.sampled_from(columns))), draw(st.integers(0, k - 1))
        lifted[i] += draw(st.integers(1, 50))
        columns.append(lifted)
    pnl = [[column[i] for column in columns] for i in range(k)]
    apart = [draw(st.booleans()) for _ in range(k)]  # a short P&L of its own: a short part
    short_pnl = [[p + (draw(st.integers(0, 1)) if own else 0) for p in row] for row, own in zip(pnl, apart)]
    rates = [draw(st.sampled_from([0, 0, 7])) for _ in range(k)]
    params = make_params(
        pnl, values=[0] * k, addon_long=rates, addon_short=rates, short_pnl=short_pnl,
        groups=draw(st.lists(st.sampled_from("ab"), min_size=len(columns), max_size=len(columns))),
    )
    q = [draw(st.integers(-10**4, 10**4)) for _ in range(k)]
    extra = [draw(st.integers(0, 10**4)) for _ in range(k)]
    return params, q, extra


@pytest.mark.parametrize("budget", [dominance.PAIR_SEARCH_BUDGET, 0], ids=["pairs", "single-rows"])
@settings(max_examples=200, deadline=None)
@given(case=lined_up_params_and_witness())
def test_compile_lean_circuit_holds_every_worst_loss_up_when_the_witness_is_any(budget, case):
    # m set to the least the lean circuit's stated items allow must still meet every item
    # of the circuit with every item stated: whatever is left out is implied (with a budget
    # of 0 every group is past PAIR_SEARCH_BUDGET: single dominating rows only)
    params, q, extra = case
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(dominance, "PAIR_SEARCH_BUDGET", budget)
        lean = compile_circuit(params, Fraction(1), 0)
    full = compile_circuit(params, Fraction(1), 0, lean=False)
    witness = least_worst_losses(lean, params, q, extra)
    assert lean.unsatisfied(witness) == []
    assert full.unsatisfied(witness) == []
