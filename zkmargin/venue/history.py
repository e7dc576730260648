"""An account's margin over time, from the proofs the ledger recorded (`zkmargin plot history`).

The ledger knows, for every proof an account sent, when it arrived, the epoch and level it
answers, whether it was valid, and the threshold it proved: equity − requirement ≥ t. That
*proved excess bound* is all the venue ever learns, and it is the line every history has.

The trader can add their own book (`portfolio`, which never leaves their machine): it is
then valued under each proof's epoch params, as stored in the ledger, giving equity,
requirement and excess at every proof — how the venue's epochs moved the requirement on
that book. The ledger holds no positions, so the same book is valued at every point; the
excess drawn is always ≥ the proved bound for a proof made from that book.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

import zkmargin as zm
from zkmargin.engine.plots import BAR_COLOR, BINDING_COLOR, TAIL_COLOR, new_figure
from zkmargin.venue.ledger import Ledger
from zkmargin.venue.schema import epochs, proofs

if TYPE_CHECKING:
    from matplotlib.figure import Figure

VALID, INVALID = "valid", "invalid"


@dataclass(frozen=True)
class HistoryPoint:
    """One proof the ledger recorded for the account, and, with a book, its numbers then."""

    at: datetime
    epoch: int
    level: str
    status: str
    proved_excess: Decimal | None  # the statement's threshold; None when the proof was not valid
    equity: Decimal | None = None
    requirement: Decimal | None = None
    excess: Decimal | None = None
    buckets: int | None = 1  # isolated buckets the proof claims, padded (1: cross margin); None when not verified


@dataclass(frozen=True)
class History:
    account: str
    currency: str
    points: tuple[HistoryPoint, ...]

    @property
    def valued(self) -> bool:
        return any(point.equity is not None for point in self.points)


def history(ledger: Ledger, account: str, portfolio: zm.Portfolio | None = None) -> History:
    """Every verified or refused proof of `account`, oldest first; valued with `portfolio`."""
    if portfolio is not None and portfolio.account != account:
        raise zm.InputError(f"the book is {portfolio.account!r}'s, not {account!r}'s")
    query = (
        select(
            proofs.c.received_at, proofs.c.epoch, proofs.c.level, proofs.c.status, proofs.c.threshold, proofs.c.statement,
            epochs.c.params,
        )
        .join(epochs, epochs.c.epoch == proofs.c.epoch)
        .where(proofs.c.account == account, proofs.c.status.in_((VALID, INVALID)))
        .order_by(proofs.c.received_at, proofs.c.id)
    )
    with ledger.transaction() as connection:
        rows = connection.execute(query).all()
    if not rows:
        raise zm.InputError(f"the ledger holds no verified proof from {account!r}: no history to draw")
    params_of: dict[int, zm.RiskParams] = {}
    points = []
    for at, epoch, level, status, threshold, statement, params_json in rows:
        params = params_of.setdefault(epoch, zm.RiskParams.from_json(params_json, what=f"params of epoch {epoch}"))
        numbers: tuple[Decimal, ...] = ()
        if portfolio is not None:
            report = zm.assess(portfolio, params, level=level)
            numbers = (report.equity, report.requirement, report.excess)
        proved = Decimal(threshold) if status == VALID else None
        # The ledger keeps the statement of a proof that verified only (intake._record).
        buckets = None if statement is None else json.loads(statement).get("buckets") or 1
        points.append(HistoryPoint(at, epoch, level, status, proved, *numbers, buckets=buckets))
    currency = next(iter(params_of.values())).currency
    return History(account, currency, tuple(points))


def draw_history(drawn: History) -> Figure:
    """Proved excess bound (steps) and refused proofs (crosses); with a book, equity,
    requirement and excess at each proof."""
    figure = new_figure((8.0, 4.2))
    axes = figure.subplots()
    valid = [p for p in drawn.points if p.proved_excess is not None]
    if drawn.valued:
        times = [p.at for p in drawn.points]
        axes.plot(times, [float(p.equity) for p in drawn.points], color=BAR_COLOR, marker="o", label="equity")
        axes.plot(times, [float(p.requirement) for p in drawn.points], color=TAIL_COLOR, marker="o", label="requirement")
        axes.plot(times, [float(p.excess) for p in drawn.points], color="tab:green", marker="o", label="excess")
    axes.step([p.at for p in valid], [float(p.proved_excess) for p in valid], where="post", color="black",
              marker="s", label="excess ≥ (proved)")
    refused = [p for p in drawn.points if p.status == INVALID]
    if refused:
        axes.scatter([p.at for p in refused], [0.0] * len(refused), color=BINDING_COLOR, marker="x", label="refused proof")
    axes.set_title(f"{drawn.account}: margin over time (proofs the venue recorded)")
    axes.set_ylabel(drawn.currency)
    axes.legend(fontsize="small")
    figure.autofmt_xdate()
    return figure
