"""Properties of the generic requirement over random params and positions (hypothesis)."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.models.conftest import account
from zkmargin.engine.assess import assess, expected_shortfall
from zkmargin.engine.params import RiskParams

INSTRUMENTS = ["A", "B", "C"]
SCENARIOS = [f"s{s}" for s in range(7)]
money = st.integers(-10**6, 10**6)
quantity = st.integers(-1000, 1000)


@st.composite
def scenario_params(draw, aggregation=st.sampled_from(["max", "expected_shortfall"])):
    mode = draw(aggregation)
    return RiskParams(
        model="random", currency="USD", as_of=None, money_scale=100, quantity_scale=1,
        instruments=INSTRUMENTS,
        values=draw(st.lists(st.integers(0, 10**5), min_size=3, max_size=3)),
        scenarios=SCENARIOS,
        scenario_groups=draw(groups) if mode == "max" else ["all"] * len(SCENARIOS),
        pnl=draw(st.lists(st.lists(money, min_size=7, max_size=7), min_size=3, max_size=3)),
        aggregation=mode,
        es_confidence=draw(st.sampled_from(["0.5", "0.6", "0.8", "0.9"])) if mode != "max" else None,
        addon_long=[0, 0, 0], addon_short=[0, 0, 0],
        levels={"maintenance": "1", "initial": "1.1"},
    )


positions = st.lists(quantity, min_size=3, max_size=3)
groups = st.lists(st.sampled_from(["X", "Y", "Z"]), min_size=len(SCENARIOS), max_size=len(SCENARIOS))


def requirement(params, q):
    return assess(account(0, dict(zip(INSTRUMENTS, q))), params).required_fine


@given(scenario_params(), positions)
@settings(max_examples=60, deadline=None)
def test_requirement_doubles_when_every_position_doubles(params, q):
    assert requirement(params, [2 * x for x in q]) == 2 * requirement(params, q)


@given(scenario_params(), positions, positions)
@settings(max_examples=60, deadline=None)
def test_requirement_is_subadditive_when_books_are_merged(params, q1, q2):
    merged = [a + b for a, b in zip(q1, q2)]
    assert requirement(params, merged) <= requirement(params, q1) + requirement(params, q2)


@given(scenario_params(), positions, st.sampled_from(["maintenance", "initial"]))
@settings(max_examples=60, deadline=None)
def test_excess_is_zero_and_one_cent_less_fails_when_equity_equals_requirement(params, q, level):
    held = dict(zip(INSTRUMENTS, q))
    report = assess(account(0, held), params, level=level)
    # quantity_scale 1: fine units are cents; hold exactly the requirement rounded up to a cent
    required_cents = -(-report.required_fine.numerator // report.required_fine.denominator)
    cash = Decimal(required_cents - report.equity_fine) / 100
    exact = assess(account(cash, held), params, level=level)
    assert exact.meets and exact.excess == 0
    short = assess(account(cash - Decimal("0.01"), held), params, level=level)
    assert not short.meets and short.excess == Decimal("-0.01")


@given(st.lists(st.integers(-100, 100), min_size=1, max_size=12), st.sampled_from(
    ["0.01", "0.3", "0.5", "0.6", "0.75", "0.9", "0.975", "0.99"]))
@settings(max_examples=200, deadline=None)
def test_expected_shortfall_is_the_minimum_over_thresholds_when_losses_random(losses, confidence):
    tail = len(losses) * (1 - Fraction(confidence))

    def objective(t):
        return t + sum(max(loss - t, 0) for loss in losses) / tail

    es, t = expected_shortfall(losses, confidence)
    assert es == objective(t) == min(objective(candidate) for candidate in losses)
    assert Fraction(sum(losses), len(losses)) <= es <= max(losses)


@given(scenario_params(aggregation=st.just("max")), positions)
@settings(max_examples=60, deadline=None)
def test_requirement_is_at_least_one_group_maximum_when_scenarios_grouped(params, q):
    single = params.model_copy(update={"scenario_groups": ["all"] * len(SCENARIOS)})
    group_count = len(set(params.scenario_groups))
    assert requirement(single, q) <= requirement(params, q) <= group_count * requirement(single, q)
