"""The trader's secret assignment to a circuit's variables (prover side only).

The verifier path never imports this module: it is where quantities live.
"""

from __future__ import annotations

from zkmargin.engine.assess import scenario_losses
from zkmargin.engine.credits import group_credits
from zkmargin.engine.param_tables import spread_direction
from zkmargin.engine.intra_spread import intra_charges
from zkmargin.engine.strategies import cheapest_pairing
from zkmargin.proofs.circuit import Circuit
from zkmargin.proofs.pairing import pairing_witness
from zkmargin.engine.models.expected_shortfall import expected_shortfall
from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio


def assign(circuit: Circuit, params: RiskParams, portfolio: Portfolio, level: str = "maintenance") -> list[int]:
    """Values for every variable of `circuit`, in its order, with the smallest witnesses.

    u_i = max(−q_i, 0) (short part), m_g = max(0, max_{s∈g} loss_s, F_g) (a group's worst
    loss, at least its floor), x_k = the largest credit its bounds allow (engine/credits.py), t = the
    Rockafellar–Uryasev optimum (VaR) and v_s = max(loss_s − t, 0), n = the cheapest
    pairing into strategies at `level` (a composite block's members stated as their halves
    and a bonus count z_k, pairing.py), b_i = [q_i < 0], and per intra-commodity spread
    p_t = max(D_t, 0), the side bit [short < long] and the charge min(long, short)
    (intra_spread.py): the choices that make the requirement constraint's slack largest.
    """
    positions = params.position_vector(portfolio)
    by_name = {f"q[{name}]": q for name, q in zip(params.instruments, positions)}
    by_name["c"] = params.cash_units(portfolio)
    for name, q in zip(params.instruments, positions):
        by_name[f"u[{name}]"] = max(-q, 0)
        by_name[f"b[{name}]"] = int(q < 0)
    by_name |= pairing_witness(params, level, cheapest_pairing(params, positions, level))
    losses = scenario_losses(params, positions)
    floors = params.group_floor_amounts(positions)
    for group, loss in zip(params.scenario_groups, losses):
        by_name[f"m[{group}]"] = max(by_name.get(f"m[{group}]", floors.get(group, 0)), loss)
    worst = {group: by_name[f"m[{group}]"] for group in params.scenario_groups}
    position = dict(zip(params.instruments, positions))
    for pair, credit in group_credits(params, positions, losses, worst, floors):
        by_name[f"x[{pair}]"] = credit
    for credit in params.group_credits:
        if credit.deltas is None:  # params from before deltas: no direction items
            continue
        direction = spread_direction(*credit.net_deltas(position))
        by_name[f"x_a_long[{'|'.join(credit.groups)}]"] = int(direction > 0)
        by_name[f"x_a_short[{'|'.join(credit.groups)}]"] = int(direction < 0)
    for spread in intra_charges(params, positions):
        for t, delta in enumerate(spread.tier_deltas):
            by_name[f"intra_long[{spread.group}, {t}]"] = max(delta, 0)
        by_name[f"intra_side[{spread.group}]"] = int(spread.short < spread.long)
        by_name[f"intra[{spread.group}]"] = spread.weighted
        by_name[f"intra_money[{spread.group}]"] = spread.charge
    if params.aggregation == "expected_shortfall":
        _, t = expected_shortfall(losses, params.es_confidence)
        by_name["t"] = t
        for scenario, loss in zip(params.scenarios, losses):
            by_name[f"v[{scenario}]"] = max(loss - t, 0)
    return [by_name[variable.name] for variable in circuit.variables]
