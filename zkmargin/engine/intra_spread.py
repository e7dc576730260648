"""SPAN intra-commodity (calendar) spread charges in the clear.

A combined commodity whose futures have two expiries or more (tiers) is charged for the
basis risk between them, which its scan scenarios (every expiry moving together) do not
see. With δ_i the delta of instrument i per whole unit (delta units, params
`intra_spreads`), q_i its position in quantity units and k the rate (money units per
delta unit):

    D_t    = Σ_{i in tier t} δ_i·q_i                 net delta of tier t
    long   = Σ_t max(D_t, 0) ,  short = Σ_t max(−D_t, 0)
    charge = k·min(long, short)                      fine units (money units / quantity scale)

min(long, short) is the number of spreads (in delta units, over the quantity scale) SPAN
forms between the tiers. The proof states it with a bit witness (proofs/intra_spread.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zkmargin.engine.param_tables import IntraSpread
    from zkmargin.engine.params import RiskParams


@dataclass(frozen=True)
class IntraCharge:
    """One group's tiers' net deltas D_t and the charge they make at `rate`."""

    group: str
    rate: int
    tier_deltas: tuple[int, ...]

    @property
    def long(self) -> int:
        return sum(max(delta, 0) for delta in self.tier_deltas)

    @property
    def short(self) -> int:
        return sum(max(-delta, 0) for delta in self.tier_deltas)

    @property
    def spreads(self) -> int:
        """min(long, short): delta units spread between tiers, over the quantity scale."""
        return min(self.long, self.short)

    @property
    def charge(self) -> int:
        """rate × spreads, fine units."""
        return self.rate * self.spreads


def tier_deltas(spread: IntraSpread, position: dict[str, int]) -> tuple[int, ...]:
    """D_t = Σ δ_i·q_i per tier, `position` mapping an instrument to q_i."""
    return tuple(sum(delta * position[instrument] for instrument, delta in tier.items()) for tier in spread.tiers)


def intra_charges(params: RiskParams, q: list[int]) -> list[IntraCharge]:
    """The intra-commodity spread charge of every group of `params` that has one."""
    position = dict(zip(params.instruments, q))
    return [IntraCharge(spread.group, spread.rate, tier_deltas(spread, position)) for spread in params.intra_spreads]
