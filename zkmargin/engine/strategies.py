"""The cheapest pairing of a book's positions into the params' strategy templates.

Cboe and FINRA let a customer's positions be paired in whatever way gives the lowest
requirement. With legs a_ji ≥ 0 (whole long units of instrument i in strategy j) and
b_ji ≥ 0 (whole short units), S the quantity scale and q in quantity units, a pairing is
n ≥ 0 (strategy counts, WHOLE strategies) with

    Σ_j S·a_ji·n_j ≤ q_i⁺,   Σ_j S·b_ji·n_j ≤ q_i⁻          for every instrument i

and the add-on term (fine units) becomes

    A(q, n) = Σ_i along_i·(q_i⁺ − Σ_j S·a_ji n_j) + ashort_i·(q_i⁻ − Σ_j S·b_ji n_j) + Σ_j S·rate_j·n_j
            = A(q) − Σ_j S·saving_j·n_j,     saving_j = Σ_i (a_ji·along_i + b_ji·ashort_i) − rate_j.

Strategies are whole because the rules cover an option only with its full deliverable:
with fractional positions (`quantity_decimals` > 0) 99 shares cover no part of a 100-share
call, so they stay at the stock's own rate and the call is naked (a count in quantity units
would pair 0.99 covered call and 0.01 naked call).

The cheapest pairing maximises Σ saving_j·n_j over integer n: a small integer program,
solved exactly by HiGHS (scipy.optimize.milp, relative gap 0), imported only when a book
holds the legs of a saving template: SciPy's optimizer takes a sixth of a second to load.
Templates with no saving and templates whose legs the book does not hold are left out
before solving. The result is checked against the coverage inequalities in exact
integers; the proof states the same inequalities (proofs/pairing.py), so any pairing a
prover claims is a valid one and the cheapest is the best it can do.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from zkmargin.engine.params import RiskParams


def savings(params: RiskParams, level: str) -> list[int]:
    """saving_j per strategy at `level`: its legs' naked rates minus its rate (money units)."""
    along, ashort = params.addons(level)
    index = {name: i for i, name in enumerate(params.instruments)}
    return [
        sum(units * along[index[name]] if units > 0 else -units * ashort[index[name]]
            for name, units in strategy.legs.items()) - strategy.rate_at(level)
        for strategy in params.strategies
    ]


def cheapest_pairing(params: RiskParams, q: list[int], level: str) -> list[int]:
    """Strategy counts n_j (whole strategies) of the cheapest valid pairing of `q`."""
    counts = [0] * len(params.strategies)
    index = {name: i for i, name in enumerate(params.instruments)}
    gain = savings(params, level)
    # whole units held, signed: a fraction of a unit pairs into nothing
    whole = [int(quantity / Fraction(params.quantity_scale)) for quantity in q]
    usable = [
        j for j, strategy in enumerate(params.strategies)
        if gain[j] > 0 and all(units * whole[index[name]] > 0 for name, units in strategy.legs.items())
    ]
    if not usable:
        return counts
    from scipy.optimize import Bounds, LinearConstraint, milp

    legs = sorted({(index[name], units > 0) for j in usable for name, units in params.strategies[j].legs.items()})
    rows = {leg: r for r, leg in enumerate(legs)}
    matrix = np.zeros((len(legs), len(usable)))
    for column, j in enumerate(usable):
        for name, units in params.strategies[j].legs.items():
            matrix[rows[(index[name], units > 0)], column] = abs(units)
    capacity = np.array([abs(whole[i]) for i, _ in legs], dtype=float)
    result = milp(
        c=-np.array([gain[j] for j in usable], dtype=float),
        constraints=LinearConstraint(matrix, -np.inf, capacity),
        integrality=np.ones(len(usable)),
        bounds=Bounds(0, np.inf),
        options={"mip_rel_gap": 0.0},
    )
    if result.x is None:
        return counts
    for column, j in enumerate(usable):
        counts[j] = int(round(result.x[column]))
    return counts if covered(params, q, counts) else [0] * len(params.strategies)


def covered(params: RiskParams, q: list[int], counts: list[int]) -> bool:
    """Whether n (whole strategies) is a valid pairing of q (quantity units): every leg
    within the position's own side."""
    used_long = [0] * len(q)
    used_short = [0] * len(q)
    index = {name: i for i, name in enumerate(params.instruments)}
    for strategy, n in zip(params.strategies, counts):
        if n < 0:
            return False
        for name, units in strategy.legs.items():
            (used_long if units > 0 else used_short)[index[name]] += abs(units) * n * params.quantity_scale
    return all(
        used_long[i] <= max(q[i], 0) and used_short[i] <= max(-q[i], 0) for i in range(len(q))
    )

