"""Strategy pairing as a private witness: committed strategy counts, linear coverage.

For the params' strategy templates j (legs a_ji long units, b_ji short units of instrument
i, rate r_j at the statement's level) the prover commits n_j ≥ 0 and, per instrument that
is a leg of some template, a sign bit β_i, and the circuit states

    short_cover(i)  u_i − Σ_j b_ji·n_j ≥ 0                     short legs ≤ q_i⁻
    long_cover(i)   2·(q_i + u_i − Σ_j a_ji·n_j) + β_i ≥ 0       long legs ≤ q_i⁺  (replaces long_part)
    sign_short(i)   2^31·β_i − u_i ≥ 0                          β_i = 0 ⇒ u_i = 0
    sign_long(i)    2^31·(1 − β_i) − q_i − u_i ≥ 0              β_i = 1 ⇒ u_i = −q_i

each in [0, 2^32), and the add-on term gains −saving_j·n_j (saving_j = Σ_i a_ji·along_i +
b_ji·ashort_i − r_j): the naked rates on what is left plus r_j on each pair.

**Why the sign bit.** Elsewhere the short-part witness u_i may exceed q_i⁻ (it only raises
the requirement). Here it may not: a u_i above q_i⁻ would add a phantom long and short unit
of instrument i, and a phantom long call can turn a real naked short call into a cheaper
vertical while the phantom short is charged naked (Cboe's rates are not sub-additive in
that way: short 105 call, phantom 106 call → the 105/106 credit spread plus a naked 106
is below the naked 105 by the two premiums' difference).

**Two limbs per leg, not four.** u_i and β_i get no range item of their own (circuit.py,
`Variable.own_range`): short_cover anchors u_i (coefficient 1, the n_j ranged), long_cover
anchors β_i (coefficient 1, q_i, u_i, n_j bounded), so both are bounded integers and the
only new items per leg are sign_short and sign_long. What the dropped ranges said follows
from the four items. With n ≥ 0: u_i ≥ Σ b_ji·n_j ≥ 0 (short_cover), so β_i ≥ 0
(sign_short); long_cover gives q_i + u_i ≥ Σ a_ji·n_j − β_i/2 ≥ −β_i/2, so sign_long gives
2^31·(1 − β_i) ≥ −β_i/2, i.e. β_i ≤ 2^31/(2^31 − 1/2) < 2: β_i ∈ {0, 1}. Then long_cover
says q_i + u_i − Σ a_ji·n_j ≥ −1/2, an integer, so ≥ 0. β_i = 0: u_i = 0 and
Σ a_ji·n_j ≤ q_i; β_i = 1: 0 ≤ q_i + u_i ≤ 0, so u_i = −q_i and Σ a_ji·n_j = 0. The honest
values fit: long_cover ≤ 2·(2^31 − 1) + 1 < 2^32 as |q_i| < 2^31.

So u_i = q_i⁻ exactly, every admissible n is a valid pairing of the real positions (each
instrument's legs add up within its own side, nothing counted twice), the proved
requirement is that pairing's, and the true requirement is the minimum over valid pairings:
a dishonest pairing can only raise it. The verifier sees commitments to n and β only;
their number is fixed by the params, not by what is held.
"""

from __future__ import annotations

from typing import Protocol

from zkmargin.proofs.circuit import POSITION_BITS, Constraint, Variable

SIGN_BOUND = 1 << (POSITION_BITS - 1)


class PairingParams(Protocol):
    instruments: list[str]
    strategies: list


def leg_instruments(params: PairingParams) -> list[int]:
    """Indices of the instruments that are a leg of some strategy, in universe order."""
    names = {name for strategy in params.strategies for name in strategy.legs}
    return [i for i, name in enumerate(params.instruments) if name in names]


def pairing_constraints(
    params: PairingParams,
    level: str,
    addon_long: list[int],
    addon_short: list[int],
    short_part: dict[int, int],
    variables: list[Variable],
) -> tuple[list[Constraint], dict[int, int]]:
    """Add n_j and β_i to `variables`; return the constraints above and the add-on terms
    {n_j: −saving_j}. `short_part` maps each leg instrument to its u_i variable."""
    index = {name: i for i, name in enumerate(params.instruments)}
    legs = leg_instruments(params)
    counts = []
    for j, _ in enumerate(params.strategies):
        counts.append(len(variables))
        variables.append(Variable(f"n[{j}]", "witness", 0, POSITION_BITS))
    long_terms: dict[int, dict[int, int]] = {i: {i: 2, short_part[i]: 2} for i in legs}
    short_terms: dict[int, dict[int, int]] = {i: {short_part[i]: 1} for i in legs}
    addons: dict[int, int] = {}
    for j, strategy in enumerate(params.strategies):
        saving = -strategy.rate_at(level)
        for name, units in strategy.legs.items():
            i = index[name]
            target = long_terms if units > 0 else short_terms
            scale = 2 if units > 0 else 1  # long_cover is stated doubled
            target[i][counts[j]] = target[i].get(counts[j], 0) - scale * abs(units)
            saving += units * addon_long[i] if units > 0 else -units * addon_short[i]
        if saving:
            addons[counts[j]] = -saving
    constraints = []
    for i in legs:
        name = params.instruments[i]
        sign = len(variables)
        variables.append(Variable(f"b[{name}]", "witness", 0, POSITION_BITS, own_range=False))
        u = short_part[i]
        long_terms[i][sign] = 1
        constraints += [
            Constraint(f"long_cover({name})", tuple(sorted(long_terms[i].items())), 0, POSITION_BITS),
            Constraint(f"short_cover({name})", tuple(sorted(short_terms[i].items())), 0, POSITION_BITS),
            Constraint(f"sign_short({name})", ((u, -1), (sign, SIGN_BOUND)), 0, POSITION_BITS),
            Constraint(f"sign_long({name})", tuple(sorted(((i, -1), (u, -1), (sign, -SIGN_BOUND)))),
                       SIGN_BOUND, POSITION_BITS),
        ]
    return constraints, addons
