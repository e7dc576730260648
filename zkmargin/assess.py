"""`assess`: an account's margin in the clear, from the same integers a proof states.

With q the position vector (quantity units), c the cash (money units, rounded down) and
QS the quantity scale, every amount is first computed exactly in fine units (money units
/ QS), following docs/architecture.md ("params"):

    E        = QS·c + Σ q_i·values_i
    loss_s   = −Σ q_i·pnl_is
    core     = max(0, max_s loss_s)  or  max(0, ES_α(loss))
    A        = Σ addon_long_i·q_i⁺ + addon_short_i·q_i⁻ ,   F_f = Σ long_f,i·q_i⁺ + short_f,i·q_i⁻
    base     = max(core + A, max_f F_f) ,   required = λ_level·base (a Fraction)

and the account meets the level when E ≥ required + X (X: the threshold rounded up to a
money unit). That exact comparison decides `meets`; the Decimals of the report are for
people: equity rounded down to the money unit, requirement and threshold rounded up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from zkmargin.errors import InputError
from zkmargin.models.expected_shortfall import expected_shortfall
from zkmargin.params import RiskParams
from zkmargin.portfolio import Portfolio
from zkmargin.units import from_fixed, to_fixed

__all__ = ["MarginReport", "assess", "expected_shortfall", "scenario_losses"]

ZERO_SCENARIO = "addons"
"""`binding` when no scenario loses money: the requirement is the add-ons alone (maybe 0)."""


@dataclass(frozen=True)
class MarginReport:
    """An account against one margin level of one set of params.

    `equity`, `requirement`, `threshold` and `excess` are Decimals in currency units;
    `equity_fine` and `required_fine` are the exact numbers (fine units) behind `meets`.
    `binding` names the term that sets the requirement: a scenario, "expected_shortfall",
    "addons" (no scenario loses) or a floor. `scenario_pnl` is the portfolio's profit in
    each scenario, exact.
    """

    account: str
    model: str
    level: str
    currency: str
    equity: Decimal
    requirement: Decimal
    threshold: Decimal
    excess: Decimal
    meets: bool
    binding: str
    scenario_pnl: tuple[tuple[str, Decimal], ...]
    equity_fine: int
    required_fine: Fraction

    @property
    def shortfall(self) -> Decimal:
        """Equity missing to meet the level, currency units: 0 when met, else −excess > 0.

        (When E < required + X exactly, equity rounded down minus the requirement and
        threshold rounded up is negative, so −excess is positive.)
        """
        return Decimal(0) if self.meets else -self.excess


def scenario_losses(params: RiskParams, q: list[int]) -> list[int]:
    """loss_s = −Σ_i q_i·pnl_is for every scenario, fine units (exact Python ints)."""
    losses = [0] * len(params.scenarios)
    for quantity, row in zip(q, params.pnl):
        if quantity:
            for s, profit in enumerate(row):
                losses[s] -= quantity * profit
    return losses


def rated(long_rates: list[int], short_rates: list[int], q: list[int]) -> int:
    """Σ long_i·q_i⁺ + short_i·q_i⁻."""
    return sum(
        (long_rate * quantity if quantity > 0 else -short_rate * quantity)
        for long_rate, short_rate, quantity in zip(long_rates, short_rates, q)
        if quantity
    )


def core_requirement(params: RiskParams, losses: list[int]) -> tuple[Fraction, str]:
    """(core, the term that sets it) — the scenario aggregate, floored at 0."""
    if params.aggregation == "expected_shortfall":
        shortfall, _ = expected_shortfall(losses, params.es_confidence)
        return (shortfall, "expected_shortfall") if shortfall > 0 else (Fraction(0), ZERO_SCENARIO)
    worst = max(range(len(losses)), key=losses.__getitem__, default=None)
    if worst is None or losses[worst] <= 0:
        return Fraction(0), ZERO_SCENARIO
    return Fraction(losses[worst]), params.scenarios[worst]


def assess(
    portfolio: Portfolio,
    params: RiskParams,
    level: str = "maintenance",
    threshold: Decimal | int | str | float = 0,
) -> MarginReport:
    """Equity, requirement and excess of `portfolio` under `params` at `level`.

    Never raises `InsufficientMargin`: `meets` says whether E ≥ λ·base + threshold.
    """
    factor = params.level_factor(level)
    q = params.position_vector(portfolio)
    QS, MS = params.quantity_scale, params.money_scale
    threshold_units = to_fixed(threshold, MS, rounding="up", what="threshold")
    if threshold_units < 0:
        raise InputError(f"threshold: must be ≥ 0, got {threshold}")
    equity_fine = QS * params.cash_units(portfolio) + sum(
        quantity * value for quantity, value in zip(q, params.values) if quantity
    )
    losses = scenario_losses(params, q)
    core, binding = core_requirement(params, losses)
    base = core + rated(params.addon_long, params.addon_short, q)
    for floor in params.floors:
        floor_amount = rated(floor.long, floor.short, q)
        if floor_amount > base:
            base, binding = Fraction(floor_amount), floor.name
    required_fine = factor * base
    equity = from_fixed(equity_fine // QS, MS)
    requirement = from_fixed(ceil_div(required_fine, QS), MS)
    threshold_amount = from_fixed(threshold_units, MS)
    return MarginReport(
        account=portfolio.account,
        model=params.model,
        level=level,
        currency=params.currency,
        equity=equity,
        requirement=requirement,
        threshold=threshold_amount,
        excess=equity - requirement - threshold_amount,
        meets=equity_fine >= required_fine + QS * threshold_units,
        binding=binding,
        scenario_pnl=tuple(
            (name, from_fixed(-loss, QS * MS)) for name, loss in zip(params.scenarios, losses)
        ),
        equity_fine=equity_fine,
        required_fine=required_fine,
    )


def ceil_div(amount: Fraction, divisor: int) -> int:
    """⌈amount / divisor⌉ for a Fraction and a positive int."""
    return -((-amount.numerator) // (amount.denominator * divisor))
