"""Isolated margin buckets as one circuit: B copies of the one-bucket circuit side by side
(docs/protocol.md §6a)."""

from __future__ import annotations

from dataclasses import replace

from zkmargin.proofs.circuit import Circuit, Constraint


def bucket_name(k: int, name: str) -> str:
    """The name of copy k's variable or constraint `name` in a stack."""
    return f"bucket {k}: {name}"


def stacked(circuit: Circuit, copies: int) -> Circuit:
    """`copies` copies of `circuit` side by side: the circuit of that many isolated buckets.

    Copy k's variables are named "bucket k: <name>" and each of its constraints reads its own
    copy's variables only (index + k·width), so the range items are every copy's items and a
    proof of the stack proves each copy's statement on its own witness: no term of one
    bucket's requirement touches another bucket's equity. Each item keeps its coefficients,
    so the soundness budget is the single circuit's; copy 0 comes first. A variable without a
    range of its own (a strategy leg's u_i and β_i) stays so: its anchor is shifted with it.
    """
    width = len(circuit.variables)

    def shifted(terms: tuple[tuple[int, int], ...], k: int) -> tuple[tuple[int, int], ...]:
        return tuple((index + k * width, coefficient) for index, coefficient in terms)

    variables = tuple(
        replace(v, name=bucket_name(k, v.name)) for k in range(copies) for v in circuit.variables
    )
    constraints = tuple(
        Constraint(bucket_name(k, c.name), shifted(c.terms, k), c.constant, c.bits)
        for k in range(copies)
        for c in circuit.constraints
    )
    return Circuit(variables, constraints)
