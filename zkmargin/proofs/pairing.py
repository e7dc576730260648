"""Strategy pairing as a private witness: committed strategy counts, linear coverage.

For the params' strategy templates j (legs a_ji long units, b_ji short units of instrument
i, whole units; rate r_j per strategy at the statement's level) and S the quantity scale
(positions q_i are in 1/S of a unit), the prover commits n_j ≥ 0, a count of WHOLE
strategies, and, per instrument that is a leg of some template, a sign bit β_i, and the
circuit states

    short_cover(i)  u_i − Σ_j S·b_ji·n_j ≥ 0                     short legs ≤ q_i⁻
    long_cover(i)   2·(q_i + u_i − Σ_j S·a_ji·n_j) + β_i ≥ 0       long legs ≤ q_i⁺  (replaces long_part)
    sign_short(i)   2^31·β_i − u_i ≥ 0                            β_i = 0 ⇒ u_i = 0
    sign_long(i)    2^31·(1 − β_i) − q_i − u_i ≥ 0                β_i = 1 ⇒ u_i = −q_i

each in [0, 2^32), and the add-on term (fine units) gains −S·saving_j·n_j
(saving_j = Σ_i a_ji·along_i + b_ji·ashort_i − r_j, per strategy): the naked rates on what
is left plus r_j on each strategy.

**Whole strategies.** The rules cover an option only with its full deliverable (a call with
100 shares, not 99): a count in quantity units would let 99 shares and a short call at
quantity scale 100 prove as 0.99 covered call and 0.01 naked call. With the coefficients
S·a_ji, S·b_ji a strategy uses whole units of each leg, so what is left of a fraction of
a unit is charged at its naked rate, as the clear-text pairing (engine/strategies.py) does.

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
values fit: long_cover ≤ 2·(2^31 − 1) + 1 < 2^32 as |q_i| < 2^31. None of this uses the
size of the coefficients S·a_ji, S·b_ji, only that they and n are ≥ 0; their size enters
the soundness budget (u_i < 2^32·(1 + Σ_j S·b_ji), β_i bounded through long_cover), which
`Circuit.check_soundness` checks for every compiled circuit. S adds log2 S bits, 27 at
the market limit of 8 decimals: a stock, two calls and two puts with 15 templates reach
2^74 at S = 1 and 2^100 at S = 10^8, far below r/2 ≈ 2^254.

**Composite blocks: an iron condor as its two spreads and a bonus.** An iron condor's legs
are its put credit spread's plus its call credit spread's, and its published rate is the
two spreads' rates less M·W (models/strategies.py), so its saving is theirs plus the public
bonus M·W. Where a block of condors (`composite_blocks`) pairs every put spread of a set L
with every call spread of a set R at one bonus B > 0, the circuit states no count per
condor: the condor's units are counted in its two spreads' n_p, n_c, and one witness z_k
(no range of its own; bonus_left anchors it) gets

    bonus_left(k)   Σ_{p∈L} n_p − z_k ≥ 0        bonus_right(k)   Σ_{c∈R} n_c − z_k ≥ 0

and the add-on term gains −S·B·z_k (z_k whole condors). Sound: z_k < 0 only raises the requirement (B > 0) and
leaves a valid pairing of verticals; for z_k > 0 pick any z_k units of the L spreads and of
the R spreads, match them one to one (every pair is a published condor) and the same legs
form that many condors and fewer spreads, whose saving is exactly S·(Σ saving·n + B·z_k). So
every admissible (n, z) is a valid template pairing at its own requirement. 20 condors of
one expiry (5 call and 4 put strikes, three widths) cost 6 limbs instead of 20. A block
whose pairs are not all condors, or whose bonuses differ, keeps a count per condor.

So u_i = q_i⁻ exactly, every admissible n is a valid pairing of the real positions (each
instrument's legs add up within its own side, nothing counted twice), the proved
requirement is that pairing's, and the true requirement is the minimum over valid pairings:
a dishonest pairing can only raise it. The verifier sees commitments to n and β only;
their number is fixed by the params, not by what is held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from zkmargin.proofs.circuit import POSITION_BITS, Constraint, Variable

SIGN_BOUND = 1 << (POSITION_BITS - 1)


class PairingParams(Protocol):
    quantity_scale: int
    instruments: list[str]
    strategies: list


def leg_instruments(params: PairingParams) -> list[int]:
    """Indices of the instruments that are a leg of some strategy, in universe order."""
    names = {name for strategy in params.strategies for name in strategy.legs}
    return [i for i, name in enumerate(params.instruments) if name in names]


@dataclass(frozen=True)
class Block:
    """Templates j = p ⊎ c (each the legs of two 2-leg templates p ∈ left, c ∈ right, every
    pair of left × right one of them) whose rates all read r_p + r_c − bonus at the level."""

    members: dict[int, tuple[int, int]]
    left: tuple[int, ...]
    right: tuple[int, ...]
    bonus: int


def composite_blocks(params: PairingParams, level: str) -> list[Block]:
    """The blocks a circuit states as counts of their halves plus one bonus count.

    A template of four unit legs (two long, two short) that splits in exactly one way into
    two templates of two legs is a candidate (an iron condor: its put and call credit
    spreads). Candidates linked by a shared half form a component; it is a block when its
    halves split into two sides with every left × right pair a candidate and every bonus
    r_p + r_c − r_j the same and > 0. Anything else keeps its own count.
    """
    pairs = {frozenset(s.legs.items()): j for j, s in enumerate(params.strategies) if len(s.legs) == 2}
    rate = [s.rate_at(level) for s in params.strategies]
    halves: dict[int, tuple[int, int]] = {}
    for j, strategy in enumerate(params.strategies):
        legs = sorted(strategy.legs.items(), key=lambda leg: leg[1])
        if len(legs) != 4 or [units for _, units in legs] != [-1, -1, 1, 1]:
            continue
        (s1, _), (s2, _), (l1, _), (l2, _) = legs
        splits = [
            (pairs.get(frozenset({(la, 1), (sa, -1)})), pairs.get(frozenset({(lb, 1), (sb, -1)})))
            for (la, sa), (lb, sb) in (((l1, s1), (l2, s2)), ((l1, s2), (l2, s1)))
        ]
        found = [split for split in splits if None not in split]
        if len(found) == 1:
            halves[j] = found[0]
    blocks = []
    for members in components(halves):
        left, right = sides(members)
        bonuses = {rate[p] + rate[c] - rate[j] for j, (p, c) in members.items()}
        oriented = {j: (p, c) if p in left else (c, p) for j, (p, c) in members.items()}
        complete = len(set(oriented.values())) == len(members) == len(left) * len(right)
        if len(bonuses) == 1 and min(bonuses) > 0 and complete:
            blocks.append(Block(oriented, tuple(sorted(left)), tuple(sorted(right)), bonuses.pop()))
    return blocks


def components(halves: dict[int, tuple[int, int]]) -> list[dict[int, tuple[int, int]]]:
    """The candidates grouped by the halves they share (connected components)."""
    root: dict[int, int] = {}

    def find(x: int) -> int:
        while root.setdefault(x, x) != x:
            x = root[x]
        return x

    for p, c in halves.values():
        root[find(p)] = find(c)
    grouped: dict[int, dict[int, tuple[int, int]]] = {}
    for j, (p, c) in halves.items():
        grouped.setdefault(find(p), {})[j] = (p, c)
    return list(grouped.values())


def sides(members: dict[int, tuple[int, int]]) -> tuple[set[int], set[int]]:
    """A 2-colouring of the halves (left, right); ({}, {}) when there is none."""
    colour: dict[int, int] = {}
    edges: dict[int, list[int]] = {}
    for p, c in members.values():
        edges.setdefault(p, []).append(c)
        edges.setdefault(c, []).append(p)
    for start in edges:
        if start in colour:
            continue
        colour[start], stack = 0, [start]
        while stack:
            x = stack.pop()
            for y in edges[x]:
                if y not in colour:
                    colour[y] = 1 - colour[x]
                    stack.append(y)
                elif colour[y] == colour[x]:
                    return set(), set()
    return {x for x, k in colour.items() if k == 0}, {x for x, k in colour.items() if k == 1}


def pairing_constraints(
    params: PairingParams,
    level: str,
    addon_long: list[int],
    addon_short: list[int],
    short_part: dict[int, int],
    variables: list[Variable],
) -> tuple[list[Constraint], dict[int, int]]:
    """Add n_j and β_i to `variables`; return the constraints above and the add-on terms
    {n_j: −S·saving_j, z_k: −S·B}. `short_part` maps each leg instrument to its u_i variable."""
    scale = params.quantity_scale
    index = {name: i for i, name in enumerate(params.instruments)}
    legs = leg_instruments(params)
    blocks = composite_blocks(params, level)
    stated_by_halves = {j for block in blocks for j in block.members}
    counts = {}
    for j, _ in enumerate(params.strategies):
        if j not in stated_by_halves:
            counts[j] = len(variables)
            variables.append(Variable(f"n[{j}]", "witness", 0, POSITION_BITS))
    long_terms: dict[int, dict[int, int]] = {i: {i: 2, short_part[i]: 2} for i in legs}
    short_terms: dict[int, dict[int, int]] = {i: {short_part[i]: 1} for i in legs}
    addons: dict[int, int] = {}
    for j, strategy in enumerate(params.strategies):
        if j in stated_by_halves:
            continue
        saving = -strategy.rate_at(level)
        for name, units in strategy.legs.items():
            i = index[name]
            target = long_terms if units > 0 else short_terms
            doubled = 2 if units > 0 else 1  # long_cover is stated doubled
            target[i][counts[j]] = target[i].get(counts[j], 0) - doubled * scale * abs(units)
            saving += units * addon_long[i] if units > 0 else -units * addon_short[i]
        if saving:
            addons[counts[j]] = -scale * saving
    constraints = []
    for k, block in enumerate(blocks):
        # z_k may be negative (it then only raises the requirement): its constraints bound it
        bonus = len(variables)
        variables.append(Variable(f"z[{k}]", "witness", 0, POSITION_BITS, own_range=False))
        addons[bonus] = -scale * block.bonus
        for side, halves in (("left", block.left), ("right", block.right)):
            terms = tuple(sorted([(counts[j], 1) for j in halves] + [(bonus, -1)]))
            constraints.append(Constraint(f"bonus_{side}({k})", terms, 0, POSITION_BITS))
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


def pairing_witness(params: PairingParams, level: str, counts: list[int]) -> dict[str, int]:
    """The circuit's values for a pairing given as template counts (whole strategies,
    engine/strategies.py): n_j, and for a block
    the halves' counts raised by its members' and z_k = the members' total."""
    stated = dict(enumerate(counts))
    bonuses = {}
    for k, block in enumerate(composite_blocks(params, level)):
        bonuses[f"z[{k}]"] = 0
        for j, (p, c) in block.members.items():
            n = stated.pop(j)
            stated[p] += n
            stated[c] += n
            bonuses[f"z[{k}]"] += n
    return {f"n[{j}]": n for j, n in stated.items()} | bonuses
