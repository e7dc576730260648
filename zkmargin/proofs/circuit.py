"""A system of linear inequalities over committed integers: `Variable`, `Constraint`, `Circuit`.

A circuit is

    variables  w_i with their own ranges   w_i + shift_i ∈ [0, 2^bits_i)
    constraints                            a_j · w + b_j ∈ [0, 2^bits_j)

with public integer coefficients. A range proof over every such *range item* proves the
statement the circuit encodes (compiler.py builds the margin statement's); why that is
sound is in docs/protocol.md ("Soundness budget"), and `Circuit.check_soundness` refuses a
circuit outside that budget.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

from zkmargin.errors import UnsoundStatement
from zkmargin.hazmat.scalar import ORDER

POSITION_BITS = 32
MONEY_BITS = 64
LIMB_BITS = 32
"""Every range item is proved in 32-bit limbs; a 64-bit item is two limbs (see prover.py)."""

SIGNED_SHIFT = {POSITION_BITS: 1 << (POSITION_BITS - 1), MONEY_BITS: 1 << (MONEY_BITS - 1)}


@dataclass(frozen=True)
class Variable:
    """A committed integer with its own range: `value + shift ∈ [0, 2^bits)`.

    With `own_range` False the variable gets no range item of its own: some constraint
    bounds it instead, one in which it has coefficient ±1 and every other variable is
    bounded already (its *anchor*, found by `Circuit.bounds`). Its value is then that
    constraint's slack less a bounded integer combination, itself a bounded integer, so
    one limb is saved and nothing is lost (docs/protocol.md, section 4).
    """

    name: str
    role: str
    shift: int
    bits: int
    own_range: bool = True

    @property
    def lower(self) -> int:
        return -self.shift

    @property
    def upper(self) -> int:
        """Exclusive upper bound."""
        return (1 << self.bits) - self.shift


@dataclass(frozen=True)
class Constraint:
    """`Σ coefficient·w[index] + constant ∈ [0, 2^bits)`: an inequality with a bounded slack."""

    name: str
    terms: tuple[tuple[int, int], ...]
    constant: int
    bits: int

    def evaluate(self, witness: Sequence[int]) -> int:
        return sum(coefficient * witness[index] for index, coefficient in self.terms) + self.constant


@dataclass(frozen=True)
class Circuit:
    variables: tuple[Variable, ...]
    constraints: tuple[Constraint, ...]

    @cached_property
    def range_items(self) -> tuple[Constraint, ...]:
        """Everything the range proof covers: each variable's own range, then each constraint."""
        own = tuple(
            Constraint(f"range({variable.name})", ((index, 1),), variable.shift, variable.bits)
            for index, variable in enumerate(self.variables)
            if variable.own_range
        )
        return own + self.constraints

    def evaluate(self, witness: Sequence[int]) -> list[int]:
        """Every range item's value for a clear-text witness (what the prover commits to)."""
        if len(witness) != len(self.variables):
            raise ValueError(f"witness has {len(witness)} values, the circuit {len(self.variables)} variables")
        return [item.evaluate(witness) for item in self.range_items]

    def unsatisfied(self, witness: Sequence[int]) -> list[str]:
        """Names of the range items whose value falls outside [0, 2^bits)."""
        return [
            item.name
            for item, value in zip(self.range_items, self.evaluate(witness))
            if not 0 <= value < 1 << item.bits
        ]

    def bounds(self) -> list[int]:
        """max |w_i| over the integers a valid proof allows, per variable.

        A variable with its own range item is confined to [lower, upper). One without is
        bounded by its anchor: a constraint c·w + Σ a_k·w_k + b ∈ [0, 2^bits) with c = ±1
        whose other variables are bounded already, so |w| < 2^bits + |b| + Σ |a_k|·bound_k.
        Anchors are searched until nothing changes; a variable left without one makes the
        circuit unsound (`UnsoundStatement`): its value could be any field element.
        """
        bound: list[int | None] = [
            max(abs(v.lower), abs(v.upper)) if v.own_range else None for v in self.variables
        ]
        changed = True
        while changed:
            changed = False
            for item in self.constraints:
                loose = [(index, c) for index, c in item.terms if bound[index] is None]
                if len(loose) != 1 or abs(loose[0][1]) != 1:
                    continue
                index = loose[0][0]
                bound[index] = (1 << item.bits) + abs(item.constant) + sum(
                    abs(c) * bound[k] for k, c in item.terms if k != index
                )
                changed = True
        unbounded = [v.name for v, b in zip(self.variables, bound) if b is None]
        if unbounded:
            raise UnsoundStatement(f"variable {unbounded[0]} has no range of its own and no constraint bounds it")
        return bound

    def soundness_budget(self) -> int:
        """The largest |a·w + b| any range item can take over the integers.

        Every variable is confined by its own range item or its anchor (`bounds`), so
        |a·w + b| ≤ |b| + Σ |a_i|·bound_i. If that stays below r/2, a value proved to lie
        in [0, 2^bits) modulo r is that same integer, and no inequality can be met by
        wrapping around the group order.
        """
        bound = self.bounds()
        return max(
            abs(item.constant) + sum(abs(coefficient) * bound[index] for index, coefficient in item.terms)
            for item in self.range_items
        )

    def check_soundness(self) -> None:
        """Refuse a circuit in which some inequality could be satisfied modulo r only."""
        half_order = ORDER // 2
        for item in self.range_items:
            if item.bits % LIMB_BITS or not 0 < item.bits <= MONEY_BITS:
                raise UnsoundStatement(f"range item {item.name} has {item.bits} bits; allowed: 32 or 64")
        budget = self.soundness_budget()
        if budget >= half_order:
            raise UnsoundStatement(
                f"soundness budget exceeded: a constraint can reach 2^{budget.bit_length()} "
                f"but must stay below r/2 ≈ 2^{half_order.bit_length()}; the model's coefficients are too large"
            )

    def digest(self) -> str:
        """sha256 over a canonical encoding of every variable and constraint."""
        encoding = json.dumps(
            {
                "variables": [[v.name, v.role, v.shift, v.bits] + ([] if v.own_range else ["anchored"])
                              for v in self.variables],
                "constraints": [[c.name, [list(t) for t in c.terms], c.constant, c.bits] for c in self.constraints],
            },
            separators=(",", ":"),
        )
        return hashlib.sha256(encoding.encode()).hexdigest()

    def indices(self, role: str) -> list[int]:
        return [index for index, variable in enumerate(self.variables) if variable.role == role]
