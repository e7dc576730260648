"""`assess`: an account's margin in the clear, from the same integers a proof states.

With q the position vector (quantity units), c the cash (money units, rounded down) and
QS the quantity scale, every amount is first computed exactly in fine units (money units
/ QS), following docs/architecture.md ("params"):

    E        = QS·c + Σ values_i·q_i⁺ − values_short_i·q_i⁻
    loss_s   = −Σ pnl_is·q_i⁺ + pnl_short_is·q_i⁻      (each side rounded against its holder)
    core     = Σ_g max(0, max_{s∈g} loss_s) − credits + intra  or  max(0, ES_α(loss))   (g: scenario_groups;
               intra: the calendar spread charges, engine/intra_spread.py)
    A        = Σ addon_long_i·q_i⁺ + addon_short_i·q_i⁻ − Σ_j QS·saving_j·n_j ,   F_f = Σ long_f,i·q_i⁺ + short_f,i·q_i⁻
               (n: the cheapest pairing into strategy templates in whole strategies, engine/strategies.py)
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
from zkmargin.engine.buckets import BucketedPortfolio
from zkmargin.engine.breakdown import SCENARIO_KINDS, Book, Term, requirement, scenario_losses
from zkmargin.engine.greeks import BookGreeks, book_greeks
from zkmargin.engine.market import Market
from zkmargin.engine.models.expected_shortfall import expected_shortfall
from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio
from zkmargin.engine.tail import ValueAtRisk, value_at_risk
from zkmargin.units import from_fixed, number_argument, to_fixed
from zkmargin.validation import require_argument

__all__ = ["MarginReport", "assess", "expected_shortfall", "scenario_losses"]

@dataclass(frozen=True)
class MarginReport:
    """An account against one margin level of one set of params.

    `equity`, `requirement`, `threshold` and `excess` are Decimals in currency units;
    `equity_fine` and `required_fine` are the exact numbers (fine units) behind `meets`.
    `binding` names the term that sets the requirement: a scenario (the worst one of the
    group contributing most to core), "expected_shortfall", "<group> intra-commodity
    spread" (a calendar spread charge above every group's scenario term), "addons" (no
    scenario loses) or a floor. `scenario_pnl` is the portfolio's profit in each scenario, exact.
    `group_losses` is each scenario group's share of core, exact, in order of first
    appearance: max(0, worst loss in the group) with aggregation `max`, max(0, ES) rounded
    up to a fine unit (money unit / quantity scale) for the one group of
    `expected_shortfall`. `terms` are the addends of the requirement in currency units
    (`zkmargin.engine.breakdown`): they add up to `requirement` exactly, the last one
    being the rounding up to the money unit; `floors` lists every floor's amount.
    `greeks` are the book's Greeks when `assess` was given the market (else None); `var`
    the VaR, ES and tail scenarios of the losses (`zkmargin.engine.tail`; None without
    scenarios).
    `group_credits` is each inter-group spread credit ("a|b"), already taken off core
    (engine/credits.py; the "credit" terms). `pairing` lists the strategies the positions
    were paired into (name, count in whole units), the cheapest valid pairing
    (engine/strategies.py; the "pairing" terms), already taken off the add-ons.
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
    terms: tuple[Term, ...]
    floors: tuple[Term, ...]
    greeks: BookGreeks | None = None
    var: ValueAtRisk | None = None
    group_credits: tuple[tuple[str, Decimal], ...] = ()
    pairing: tuple[tuple[str, Decimal], ...] = ()

    @property
    def shortfall(self) -> Decimal:
        """Equity missing to meet the level, currency units: 0 when met, else −excess > 0.

        (When E < required + X exactly, equity rounded down minus the requirement and
        threshold rounded up is negative, so −excess is positive.)
        """
        return Decimal(0) if self.meets else -self.excess


def account_equity(params: RiskParams, q: list[int], cash_units: int) -> int:
    """E = QS·c + Σ values_i·q_i⁺ − values_short_i·q_i⁻, fine units."""
    return params.quantity_scale * cash_units + sum(
        quantity * (long if quantity > 0 else short)
        for quantity, long, short in zip(q, params.values, params.short_values)
        if quantity
    )


def assess(
    portfolio: Portfolio,
    params: RiskParams,
    level: str = "maintenance",
    threshold: Decimal | int | float = 0,
    market: Market | None = None,
) -> MarginReport:
    """Equity, requirement and excess of `portfolio` under `params` at `level`.

    With the `market` the params were built from, the report carries the book's Greeks.

    Never raises `InsufficientMargin`: `meets` says whether E ≥ λ·base + threshold.
    A `BucketedPortfolio` is refused: assess each bucket (`book.portfolios()`), as `prove`
    checks them, or the cross-margin book (`book.merged()`).
    """
    if isinstance(portfolio, BucketedPortfolio):
        raise InputError(
            "assess takes one Portfolio, not a BucketedPortfolio: assess each isolated bucket "
            "([assess(bucket, params) for bucket in book.portfolios()]) or the cross-margin book (assess(book.merged(), params))"
        )
    require_argument(portfolio, Portfolio, "assess", "a Portfolio (Portfolio.load(path))")
    require_argument(params, RiskParams, "assess", "RiskParams as params (RiskParams.load(path))")
    q = params.position_vector(portfolio)
    QS, MS = params.quantity_scale, params.money_scale
    threshold_units = to_fixed(number_argument(threshold, "threshold"), MS, rounding="up", what="threshold")
    if threshold_units < 0:
        raise InputError(f"threshold: must be ≥ 0, got {threshold}")
    equity_fine = account_equity(params, q, params.cash_units(portfolio))
    book = Book.of(params, q, level)
    explained = requirement(book)
    required_fine = explained.required
    equity = from_fixed(equity_fine // QS, MS)
    requirement_amount = from_fixed(ceil_div(required_fine, QS), MS)
    threshold_amount = from_fixed(threshold_units, MS)
    return MarginReport(
        account=portfolio.account,
        model=params.model,
        level=level,
        currency=params.currency,
        equity=equity,
        requirement=requirement_amount,
        threshold=threshold_amount,
        excess=equity - requirement_amount - threshold_amount,
        meets=equity_fine >= required_fine + QS * threshold_units,
        binding=explained.binding,
        scenario_pnl=tuple(
            (name, from_fixed(-loss, QS * MS)) for name, loss in zip(params.scenarios, book.losses)
        ),
        group_losses=tuple(
            (part.name, from_fixed(ceil_div(part.exact, 1), QS * MS))
            for part in explained.parts if part.kind in SCENARIO_KINDS
        ),
        equity_fine=equity_fine,
        required_fine=required_fine,
        terms=explained.shown(requirement_amount, book),
        floors=explained.floors,
        greeks=None if market is None else book_greeks(portfolio, market),
        var=value_at_risk(params, book.losses),
        group_credits=tuple((t.name, -t.amount) for t in explained.parts if t.kind == "credit"),
        pairing=tuple((t.name, t.quantity) for t in explained.parts if t.kind == "pairing"),
    )


def ceil_div(amount: Fraction, divisor: int) -> int:
    """⌈amount / divisor⌉ for a Fraction and a positive int."""
    return -((-amount.numerator) // (amount.denominator * divisor))
