"""Why the requirement is what it is: the requirement of a book as terms that add up.

With q the position vector, loss_s = −Σ_i pnl_is·q_i⁺ + pnl_short_is·q_i⁻ and λ the
level's factor (docs/margin-models.md, "The generic integer form"):

    parts    = the scenario terms (one per group: max(0, worst loss, the group's floors),
               or max(0, ES_α)),
               minus each inter-group spread credit (engine/credits.py), plus each
               intra-commodity spread charge (engine/intra_spread.py), one add-on per
               instrument (addon_long_i·q_i⁺ or addon_short_i·q_i⁻ at the level), minus
               S·saving_j·n_j per strategy of the cheapest pairing (engine/strategies.py;
               n_j whole strategies, S the quantity scale)
    floors   = F_f = Σ long_f,i·q_i⁺ + short_f,i·q_i⁻ for every floor f (only floors of
               no group compete with the parts below)
    base     = max(Σ parts, max_{f of no group} F_f)
    required = base + (λ − 1)·base

`Requirement.terms` are the addends of `required`, exact (fine units: money units /
quantity scale): the parts, or the one floor above them (strictly: on a tie the parts
set the requirement), then the level's (λ − 1)·base. Every other floor is reported in
`Requirement.floors` for information. `assess` takes its requirement from here, so the
terms add up by construction; `shown` turns them into currency Decimals that add up to
the rounded requirement through one last "rounding" term (≥ 0, < 1 money unit).

Adding a term to the requirement: write `def my_terms(book: Book) -> list[Term]` that
returns the term's addends (negative for a credit) and append it to `PARTS` (it adds to
the scenario terms and add-ons) or `FLOORS` (it is a floor the book must reach); `check`,
its `--json` and the sum tests pick it up without further change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from zkmargin.engine.credits import group_credits
from zkmargin.engine.intra_spread import intra_charges
from zkmargin.engine.models.expected_shortfall import expected_shortfall
from zkmargin.engine.params import RiskParams
from zkmargin.engine.strategies import cheapest_pairing, savings
from zkmargin.units import from_fixed

__all__ = ["Book", "FLOORS", "PARTS", "Requirement", "Term", "requirement", "scenario_losses"]

ZERO_SCENARIO = "addons"
"""`binding` when no scenario loses money: the requirement is the add-ons alone (maybe 0)."""
INEXACT_PLACES = 18
"""Decimal places of a term that has no finite decimal expansion (an ES over thirds)."""
SCENARIO_KINDS = ("scenario_group", "expected_shortfall")
"""Kinds of term that `binding` names a scenario (or ES) for."""


@dataclass(frozen=True)
class Book:
    """A position vector against params at a margin level, its scenario losses computed once."""

    params: RiskParams
    q: list[int]
    level: str
    losses: list[int]

    @classmethod
    def of(cls, params: RiskParams, q: list[int], level: str = "maintenance") -> Book:
        return cls(params, q, level, scenario_losses(params, q))

    @property
    def fine_scale(self) -> int:
        """Fine units per currency unit: money scale × quantity scale."""
        return self.params.money_scale * self.params.quantity_scale


@dataclass(frozen=True)
class Term:
    """One addend of the requirement.

    `exact` is the amount in fine units (money units / quantity scale); `amount` is it in
    currency units, exact when it has a finite decimal expansion (else rounded down to
    10⁻¹⁸). `scenario` names a group's worst scenario; `instrument`, `side`, `quantity`
    (whole units) and `rate` (currency units per whole unit) say where an add-on's amount
    comes from; `factor` is a level's.
    """

    kind: str
    name: str
    exact: Fraction
    amount: Decimal
    scenario: str | None = None
    instrument: str | None = None
    side: str | None = None
    quantity: Decimal | None = None
    rate: Decimal | None = None
    factor: Decimal | None = None


def term(book: Book, kind: str, name: str, exact: Fraction | int, **details) -> Term:
    exact = Fraction(exact)
    cents = len(str(book.params.money_scale)) - 1
    return Term(kind, name, exact, to_decimal(exact / book.fine_scale, cents), **details)


def to_decimal(amount: Fraction, least_places: int) -> Decimal:
    """`amount` exactly when it has a finite decimal expansion, else rounded down to 10⁻¹⁸;
    with at least `least_places` decimals (money amounts keep their cents)."""
    denominator, places = amount.denominator, 0
    while denominator % 10 == 0:
        denominator, places = denominator // 10, places + 1
    for prime in (2, 5):  # after the tens, at most one of the two primes is left
        while denominator % prime == 0:
            denominator, places = denominator // prime, places + 1
    places = max(places, least_places) if denominator == 1 else INEXACT_PLACES
    return Decimal(amount.numerator * 10**places // amount.denominator).scaleb(-places)


def scenario_losses(params: RiskParams, q: list[int]) -> list[int]:
    """loss_s = −Σ_i pnl_is·q_i⁺ + pnl_short_is·q_i⁻ per scenario, fine units (exact ints)."""
    losses = [0] * len(params.scenarios)
    for quantity, long_row, short_row in zip(q, params.pnl, params.short_pnl):
        if quantity:
            for s, profit in enumerate(long_row if quantity > 0 else short_row):
                losses[s] -= quantity * profit
    return losses


def worst_per_group(params: RiskParams, losses: list[int]) -> dict[str, int]:
    """Group → index of its worst scenario (the first on a tie), in order of first appearance."""
    worst: dict[str, int] = {}
    for s, group in enumerate(params.scenario_groups):
        if group not in worst or losses[s] > losses[worst[group]]:
            worst[group] = s
    return worst


def scenario_terms(book: Book) -> list[Term]:
    """One term per group, max(0, its worst loss, its floors), naming the worst scenario or
    the floor strictly above it; or the one max(0, ES_α) term."""
    params = book.params
    if params.aggregation == "expected_shortfall":
        shortfall, _ = expected_shortfall(book.losses, params.es_confidence)
        return [term(book, "expected_shortfall", params.scenario_groups[0], max(shortfall, 0))]
    terms = []
    for group, s in worst_per_group(params, book.losses).items():
        amount, binding = max(book.losses[s], 0), params.scenarios[s]
        for floor in (f for f in params.floors if f.group == group):
            if (minimum := floor.amount(book.q)) > amount:
                amount, binding = minimum, floor.name
        terms.append(term(book, "scenario_group", group, amount, scenario=binding))
    return terms


def rated_terms(book: Book, kind: str, name: str, long: list[int], short: list[int]) -> list[Term]:
    """rate·q⁺ or rate·q⁻ of every instrument that contributes, one term each."""
    params = book.params
    terms = []
    for instrument, quantity, long_rate, short_rate in zip(params.instruments, book.q, long, short):
        rate = long_rate if quantity > 0 else short_rate
        if quantity and rate:
            terms.append(term(
                book, kind, name, abs(quantity) * rate,
                side="long" if quantity > 0 else "short",
                quantity=from_fixed(quantity, params.quantity_scale),
                rate=from_fixed(rate, params.money_scale),
                instrument=instrument,
            ))
    return terms


def addon_terms(book: Book) -> list[Term]:
    """A = Σ addon_long_i·q_i⁺ + addon_short_i·q_i⁻ at the book's level (its `level_rates`
    if it has some), one term per instrument that has one."""
    return rated_terms(book, "addon", "add-on", *book.params.addons(book.level))


def pairing_terms(book: Book) -> list[Term]:
    """−S·saving_j·n_j per strategy of the cheapest pairing (engine/strategies.py; n_j whole
    strategies, S the quantity scale): what charging the paired legs at the strategy's rate
    takes off their naked add-ons."""
    params = book.params
    counts = cheapest_pairing(params, book.q, book.level)
    return [
        term(book, "pairing", strategy.name, -gain * n * params.quantity_scale,
             quantity=Decimal(n),
             rate=from_fixed(-gain, params.money_scale))
        for strategy, gain, n in zip(params.strategies, savings(params, book.level), counts)
        if n
    ]


def credit_terms(book: Book) -> list[Term]:
    """−credit per inter-group spread credit "a|b" (engine/credits.py), from each group's
    term max(0, max_{s∈g} loss_s, F_g) and floor F_g; none under expected shortfall (one group)."""
    params = book.params
    if params.aggregation == "expected_shortfall" or not params.credit_rates():
        return []
    floors = params.group_floor_amounts(book.q)
    worst = {group: max(book.losses[s], 0, floors.get(group, 0))
             for group, s in worst_per_group(params, book.losses).items()}
    return [term(book, "credit", pair, -credit)
            for pair, credit in group_credits(params, book.q, book.losses, worst, floors)]


def intra_spread_terms(book: Book) -> list[Term]:
    """min(long, short) per group with an intra-commodity (calendar) spread charge
    (engine/intra_spread.py), named "<group> intra-commodity spread"; a group whose tiers
    do not offset is charged nothing and not listed."""
    return [
        term(book, "intra_spread", f"{charge.group} intra-commodity spread", charge.charge)
        for charge in intra_charges(book.params, book.q)
        if charge.charge
    ]


def floor_terms(book: Book) -> list[Term]:
    """F_f for every floor, one term each; a group's floor, when the book has positions it
    charges, is listed for information only (it already raises its group's scenario term)."""
    amounts = ((floor, floor.amount(book.q)) for floor in book.params.floors)
    return [term(book, "floor", floor.name, amount) for floor, amount in amounts if amount or floor.group is None]


PARTS: tuple[Callable[[Book], list[Term]], ...] = (
    scenario_terms, credit_terms, intra_spread_terms, addon_terms, pairing_terms,
)
"""The terms that add up to the requirement unless a floor is above them."""
FLOORS: tuple[Callable[[Book], list[Term]], ...] = (floor_terms,)
"""The floors: the requirement is at least each of them."""


@dataclass(frozen=True)
class Requirement:
    """The requirement of a book at one level: its terms, each floor, what binds."""

    level: str
    factor: Fraction
    parts: tuple[Term, ...]
    floors: tuple[Term, ...]
    terms: tuple[Term, ...]
    binding: str

    @property
    def required(self) -> Fraction:
        """λ·base, fine units: the sum of `terms`."""
        return sum((t.exact for t in self.terms), Fraction(0))

    def shown(self, requirement: Decimal, book: Book) -> tuple[Term, ...]:
        """`terms` with a last "rounding" term so that the amounts add up to `requirement`."""
        rest = requirement - sum((t.amount for t in self.terms), Decimal(0))
        rounding = Fraction(requirement) * book.fine_scale - self.required
        return (*self.terms, replace(term(book, "rounding", "rounded up to the money unit", rounding),
                                     amount=rest))


def requirement(book: Book) -> Requirement:
    """The requirement's terms at the book's level (`binding` as documented on `MarginReport`)."""
    level = book.level
    factor = book.params.level_factor(level)
    parts = tuple(t for builder in PARTS for t in builder(book))
    floors = tuple(t for builder in FLOORS for t in builder(book))
    base_terms, binding = parts, core_binding(parts)
    in_groups = {floor.name for floor in book.params.floors if floor.group is not None}
    for floor in floors:
        if floor.name not in in_groups and floor.exact > sum((t.exact for t in base_terms), Fraction(0)):
            base_terms, binding = (floor,), floor.name
    base = sum((t.exact for t in base_terms), Fraction(0))
    level_term = term(book, "level", level, (factor - 1) * base,
                      factor=Decimal(book.params.levels[level]))
    return Requirement(level, factor, parts, floors, (*base_terms, level_term), binding)


def core_binding(parts: tuple[Term, ...]) -> str:
    """The worst scenario of the scenario term contributing most, or the intra-commodity
    spread charge when one is larger (the first on a tie), or "addons"."""
    largest = None
    for candidate in parts:
        if candidate.kind in (*SCENARIO_KINDS, "intra_spread") and (largest is None or candidate.exact > largest.exact):
            largest = candidate
    if largest is None or not largest.exact:
        return ZERO_SCENARIO
    if largest.kind == "intra_spread":
        return largest.name
    return largest.kind if largest.kind == "expected_shortfall" else largest.scenario
