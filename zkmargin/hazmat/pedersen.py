"""Homomorphic Pedersen commitments Com(v, γ) = v·B + γ·B_blinding and their openings.

Commitments and openings move together: (C₁ ± C₂) opens to (v₁ ± v₂, γ₁ ± γ₂) and k·C to
(k·v, k·γ). Adding a public amount d (a deposit; −d for a withdrawal) is C + d·B, opened by
(v + d, γ): the holder of the opening updates it without a fresh blinding, and anyone
can update the commitment without learning v.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkmargin.errors import InvalidEncoding
from zkmargin.hazmat.generators import PedersenGens
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.scalar import ORDER


@dataclass(frozen=True)
class Opening:
    """The secret (value, blinding) of a commitment, both taken mod r."""

    value: int
    blinding: int

    def __add__(self, other: Opening) -> Opening:
        return Opening((self.value + other.value) % ORDER, (self.blinding + other.blinding) % ORDER)

    def __sub__(self, other: Opening) -> Opening:
        return Opening((self.value - other.value) % ORDER, (self.blinding - other.blinding) % ORDER)

    def scale(self, k: int) -> Opening:
        return Opening(self.value * k % ORDER, self.blinding * k % ORDER)

    def shift(self, amount: int) -> Opening:
        """The opening of `Commitment.shift(amount)`: the value moves, the blinding stays."""
        return Opening((self.value + amount) % ORDER, self.blinding)

    def commit(self, pc_gens: PedersenGens) -> Commitment:
        return Commitment(pc_gens.commit(self.value, self.blinding))


@dataclass(frozen=True)
class Commitment:
    """A Pedersen commitment; never the identity when decoded from bytes."""

    point: Point

    def __add__(self, other: Commitment) -> Commitment:
        return Commitment(self.point + other.point)

    def __sub__(self, other: Commitment) -> Commitment:
        return Commitment(self.point - other.point)

    def scale(self, k: int) -> Commitment:
        return Commitment(k * self.point)

    def shift(self, amount: int, pc_gens: PedersenGens) -> Commitment:
        """Com(v + amount, γ) from Com(v, γ), for a public amount."""
        return Commitment(self.point + amount * pc_gens.B)

    def opens_to(self, opening: Opening, pc_gens: PedersenGens) -> bool:
        return opening.commit(pc_gens) == self

    def to_bytes(self) -> bytes:
        if self.point.is_identity():
            raise InvalidEncoding("refusing to encode the identity as a commitment")
        return self.point.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Commitment:
        return cls(Point.from_bytes(data, allow_identity=False))
