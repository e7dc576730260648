"""A pinned or attested book split into isolated buckets (prover side, docs/protocol.md §6a).

The venue holds one commitment per variable, W = v·B + γ·B_blinding (cash c, each q_i). A
proof of B buckets commits to each bucket's own value v^(k) with blinding γ^(k); the
verifier adds them up and asks Σ_k W^(k) = W. So the buckets' values must add up to the
pinned book (`require_opens`), the blindings are random but for the last bucket's, which
makes them add up to γ mod r (`split_blindings`), and the padding buckets' cash comes out
of the real buckets (`fund_padding`): a padding bucket must meet the statement too
(excess ≥ threshold with no position), and cash conjured for it would break the sum.

Any B − 1 of the blindings are uniform and independent, so the bucket commitments hide
how the book is split, and which buckets are padding, as well as one commitment hides a
value: the verifier learns the padded count B and that each bucket meets the statement.
"""

from __future__ import annotations

from decimal import Decimal

from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio
from zkmargin.errors import InputError, InsufficientMargin
from zkmargin.hazmat.scalar import ORDER, random_scalar
from zkmargin.proofs.account import COLLATERAL, AccountCommitments, AccountOpenings
from zkmargin.proofs.circuit import Circuit
from zkmargin.proofs.statement import Statement
from zkmargin.units import from_fixed, to_fixed


def require_opens(
    books: list[Portfolio], params: RiskParams, openings: AccountOpenings, held: AccountCommitments, source: str
) -> None:
    """The books' summed cash and positions, under `openings`, must be `held`'s commitments;
    else `InputError` naming the first variable that differs (before any proving)."""
    cash = sum(params.cash_units(book) for book in books)
    vectors = [params.position_vector(book) for book in books]
    quantities = {name: sum(vector[i] for vector in vectors) for i, name in enumerate(params.instruments)}
    committed = openings.commit(cash, quantities)
    for name, raw in held.committed().items():
        if committed.get(name) != raw:
            what = "cash" if name == COLLATERAL else "quantity"
            added = "the buckets' " if len(books) > 1 else "the book's "
            raise InputError(
                f"prove: {added}{what} {name} does not open {source}: the book proved must be the one pinned"
                + (" (a split that does not add up?)" if len(books) > 1 else "")
            )


def fund_padding(books: list[Portfolio], pads: int, cash: Decimal, params: RiskParams, statement: Statement) -> list[Portfolio]:
    """`books` with the cash of `pads` padding buckets (`cash` each) taken out of them.

    The rule: the bucket with the most excess over the statement gives first, each at most
    its excess rounded down to a money unit, so every bucket still meets the statement. When
    a bucket is short already, nothing moves (the prover names it); when the excesses together
    cannot fund the padding, `InsufficientMargin` says by how much.
    """
    scale = params.money_scale
    need = to_fixed(cash, scale, rounding="exact") * pads
    if need == 0:
        return books
    excess = [assess(book, params, level=statement.level, threshold=statement.threshold).excess for book in books]
    rooms = [to_fixed(amount, scale, rounding="down") for amount in excess]
    if min(rooms) < 0:
        return books
    if sum(rooms) < need:
        raise InsufficientMargin(
            f"account {books[0].account!r}: the {pads} padding buckets need {cash} {params.currency} of cash each, "
            f"taken from the real buckets' excess, which is {from_fixed(sum(rooms), scale)} {params.currency} in all",
            from_fixed(need - sum(rooms), scale),
            account=books[0].account,
        )
    funded = list(books)
    for k in sorted(range(len(books)), key=lambda k: -rooms[k]):
        take = min(need, rooms[k])
        if take:
            funded[k] = Portfolio(account=books[k].account, cash=books[k].cash - from_fixed(take, scale), positions=books[k].positions)
            need -= take
    return funded


def split_blindings(single: Circuit, count: int, openings: AccountOpenings | None) -> list[int]:
    """Blindings for `count` stacked copies of `single`: random, except that each pinned
    variable's add up to its opening's γ over the copies (the last copy's makes up the sum)."""
    width = len(single.variables)
    blindings = [random_scalar() for _ in range(width * count)]
    if openings is None:
        return blindings
    for index, gamma in openings.blindings_by_variable(single).items():
        others = sum(blindings[k * width + index] for k in range(count - 1))
        blindings[(count - 1) * width + index] = (gamma - others) % ORDER
    return blindings
