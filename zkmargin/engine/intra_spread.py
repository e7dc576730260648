"""SPAN intra-commodity (calendar) spread charges in the clear.

A combined commodity whose futures expire in two calendar months or more (tiers) is
charged for the basis risk between them, which its scan scenarios (every expiry moving
together) do not see; an option on a future counts in its future's tier. With w_i the
spread charge of instrument i per whole unit (money units, signed: its delta, in units of
the underlying, times the charge per unit of delta, params `intra_spreads`) and q_i its
position in quantity units:

    D_t    = Σ_{i in tier t} w_i·q_i                 charge-weighted net delta of tier t
    long   = Σ_t max(D_t, 0) ,  short = Σ_t max(−D_t, 0)
    charge = min(long, short)                        fine units (money units / quantity scale)

so each spread between two months is charged once, at its smaller leg's weight: long one
1,000-barrel December against short one March at $700 a contract is $700. Weights counted
in 1/scale money units (a risk file's) make the charge min(long, short) / scale, rounded
up. The proof states the minimum with a bit witness (proofs/intra_spread.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zkmargin.engine.param_tables import IntraSpread
    from zkmargin.engine.params import RiskParams


@dataclass(frozen=True)
class IntraCharge:
    """One group's tiers' charge-weighted net deltas D_t and the charge they make."""

    group: str
    tier_deltas: tuple[int, ...]
    scale: int = 1

    @property
    def long(self) -> int:
        return sum(max(delta, 0) for delta in self.tier_deltas)

    @property
    def short(self) -> int:
        return sum(max(-delta, 0) for delta in self.tier_deltas)

    @property
    def weighted(self) -> int:
        """min(long, short) in the weights' unit: fine units / scale."""
        return min(self.long, self.short)

    @property
    def charge(self) -> int:
        """min(long, short) / scale rounded up, fine units."""
        return -(-self.weighted // self.scale)


def tier_deltas(spread: IntraSpread, position: dict[str, int]) -> tuple[int, ...]:
    """D_t = Σ w_i·q_i per tier, `position` mapping an instrument to q_i."""
    return tuple(sum(weight * position[instrument] for instrument, weight in tier.items()) for tier in spread.tiers)


def intra_charges(params: RiskParams, q: list[int]) -> list[IntraCharge]:
    """The intra-commodity spread charge of every group of `params` that has one."""
    position = dict(zip(params.instruments, q))
    return [IntraCharge(spread.group, tier_deltas(spread, position), spread.scale) for spread in params.intra_spreads]
