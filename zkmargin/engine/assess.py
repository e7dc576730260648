"""`assess`: an account's margin in the clear, from the same integers a proof states.

With q the position vector (quantity units), c the cash (money units, rounded down) and
QS the quantity scale, every amount is first computed exactly in fine units (money units
/ QS), following docs/architecture.md ("params"):

    E        = QS·c + Σ values_i·q_i⁺ − values_short_i·q_i⁻
    loss_s   = −Σ pnl_is·q_i⁺ − pnl_short_is·q_i⁻      (each side rounded against its holder)
    core     = Σ_g max(0, max_{s∈g} loss_s) − credits  or  max(0, ES_α(loss))   (g: scenario_groups)
    A        = Σ addon_long_i·q_i⁺ + addon_short_i·q_i⁻ − Σ_j saving_j·n_j ,   F_f = Σ long_f,i·q_i⁺ + short_f,i·q_i⁻
               (n: the cheapest pairing into strategy templates, engine/strategies.py)
    base     = max(core + A, max_f F_f) ,   required = λ_level·base (a Fraction)

and the account meets the level when E ≥ required + X (X: the threshold rounded up to a
money unit). That exact comparison decides `meets`; the Decimals of the report are for
people: equity rounded down to the money unit, requirement and threshold rounded up.

Groups are summed in the order they first appear in `scenario_groups`. When the scenario
term sets the requirement, `binding` names the worst scenario of the group contributing
most (the first such group on a tie).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from zkmargin.errors import InputError
from zkmargin.engine.credits import group_credits
from zkmargin.engine.strategies import cheapest_pairing, pairing_saving
from zkmargin.engine.models.expected_shortfall import expected_shortfall
from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio
from zkmargin.units import from_fixed, to_fixed

__all__ = ["MarginReport", "assess", "expected_shortfall", "scenario_losses"]

ZERO_SCENARIO = "addons"
"""`binding` when no scenario loses money: the requirement is the add-ons alone (maybe 0)."""


@dataclass(frozen=True)
class MarginReport:
    """An account against one margin level of one set of params.

    `equity`, `requirement`, `threshold` and `excess` are Decimals in currency units;
    `equity_fine` and `required_fine` are the exact numbers (fine units) behind `meets`.
    `binding` names the term that sets the requirement: a scenario (the worst one of the
    group contributing most to core), "expected_shortfall", "addons" (no scenario loses)
    or a floor. `scenario_pnl` is the portfolio's profit in each scenario, exact.
    `group_losses` is each scenario group's share of core, exact, in order of first
    appearance: max(0, worst loss in the group) with aggregation `max`, max(0, ES) rounded
    up to a fine unit (money unit / quantity scale) for the one group of
    `expected_shortfall`. `group_credits` is each inter-group spread credit ("a|b"),
    already taken off core (engine/credits.py). `pairing` lists the strategies the
    positions were paired into (name, count in whole units), the cheapest valid pairing
    (engine/strategies.py), already taken off the add-ons.
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
    group_losses: tuple[tuple[str, Decimal], ...]
    equity_fine: int
    required_fine: Fraction
    group_credits: tuple[tuple[str, Decimal], ...] = ()
    pairing: tuple[tuple[str, Decimal], ...] = ()

    @property
    def shortfall(self) -> Decimal:
        """Equity missing to meet the level, currency units: 0 when met, else −excess > 0.

        (When E < required + X exactly, equity rounded down minus the requirement and
        threshold rounded up is negative, so −excess is positive.)
        """
        return Decimal(0) if self.meets else -self.excess


def scenario_losses(params: RiskParams, q: list[int]) -> list[int]:
    """loss_s = −Σ_i pnl_is·q_i⁺ − pnl_short_is·q_i⁻ per scenario, fine units (exact ints)."""
    losses = [0] * len(params.scenarios)
    for quantity, long_row, short_row in zip(q, params.pnl, params.short_pnl):
        if quantity:
            for s, profit in enumerate(long_row if quantity > 0 else short_row):
                losses[s] -= quantity * profit
    return losses


def account_equity(params: RiskParams, q: list[int], cash_units: int) -> int:
    """E = QS·c + Σ values_i·q_i⁺ − values_short_i·q_i⁻, fine units."""
    return params.quantity_scale * cash_units + sum(
        quantity * (long if quantity > 0 else short)
        for quantity, long, short in zip(q, params.values, params.short_values)
        if quantity
    )


def rated(long_rates: list[int], short_rates: list[int], q: list[int]) -> int:
    """Σ long_i·q_i⁺ + short_i·q_i⁻."""
    return sum(
        (long_rate * quantity if quantity > 0 else -short_rate * quantity)
        for long_rate, short_rate, quantity in zip(long_rates, short_rates, q)
        if quantity
    )


@dataclass(frozen=True)
class Core:
    """The scenario term: its amount, what sets it, and each group's share (fine units)."""

    amount: Fraction
    binding: str
    group_amounts: tuple[tuple[str, Fraction], ...]
    credits: tuple[tuple[str, int], ...] = ()


def worst_per_group(params: RiskParams, losses: list[int]) -> dict[str, int]:
    """Group → index of its worst scenario (the first on a tie), in order of first appearance."""
    worst: dict[str, int] = {}
    for s, group in enumerate(params.scenario_groups):
        if group not in worst or losses[s] > losses[worst[group]]:
            worst[group] = s
    return worst


def core_requirement(params: RiskParams, losses: list[int]) -> Core:
    """core = Σ_g max(0, max_{s∈g} loss_s), or max(0, ES_α) over the one group."""
    if params.aggregation == "expected_shortfall":
        shortfall, _ = expected_shortfall(losses, params.es_confidence)
        amount = max(shortfall, Fraction(0))
        binding = "expected_shortfall" if amount else ZERO_SCENARIO
        return Core(amount, binding, ((params.scenario_groups[0], amount),))
    worst = worst_per_group(params, losses)
    shares = {group: max(losses[s], 0) for group, s in worst.items()}
    largest = max(shares, key=shares.__getitem__, default=None)
    if largest is None or not shares[largest]:
        binding = ZERO_SCENARIO
    else:
        binding = params.scenarios[worst[largest]]
    credits = tuple(group_credits(params, losses, shares))
    return Core(
        Fraction(sum(shares.values()) - sum(credit for _, credit in credits)),
        binding,
        tuple((group, Fraction(share)) for group, share in shares.items()),
        credits,
    )


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
    equity = account_equity(params, q, params.cash_units(portfolio))
    losses = scenario_losses(params, q)
    core = core_requirement(params, losses)
    binding = core.binding
    counts = cheapest_pairing(params, q, level)
    base = core.amount + rated(*params.addons(level), q) - pairing_saving(params, counts, level)
    for floor in params.floors:
        floor_amount = rated(floor.long, floor.short, q)
        if floor_amount > base:
            base, binding = Fraction(floor_amount), floor.name
    required_fine = factor * base
    equity_amount = from_fixed(equity // QS, MS)
    requirement = from_fixed(ceil_div(required_fine, QS), MS)
    threshold_amount = from_fixed(threshold_units, MS)
    return MarginReport(
        account=portfolio.account,
        model=params.model,
        level=level,
        currency=params.currency,
        equity=equity_amount,
        requirement=requirement,
        threshold=threshold_amount,
        excess=equity_amount - requirement - threshold_amount,
        meets=equity >= required_fine + QS * threshold_units,
        binding=binding,
        scenario_pnl=tuple(
            (name, from_fixed(-loss, QS * MS)) for name, loss in zip(params.scenarios, losses)
        ),
        group_losses=tuple(
            (group, from_fixed(ceil_div(amount, 1), QS * MS)) for group, amount in core.group_amounts
        ),
        equity_fine=equity,
        required_fine=required_fine,
        group_credits=tuple((pair, from_fixed(credit, QS * MS)) for pair, credit in core.credits),
        pairing=tuple(
            (strategy.name, from_fixed(n, QS)) for strategy, n in zip(params.strategies, counts) if n
        ),
    )


def ceil_div(amount: Fraction, divisor: int) -> int:
    """⌈amount / divisor⌉ for a Fraction and a positive int."""
    return -((-amount.numerator) // (amount.denominator * divisor))
