"""The margin-call monitor: calls for missing proofs, their deadlines, and stress surveys.

The venue never learns a shortfall, only that a proof is missing. An account *stands* at
epoch E and level L when its latest proof for (E, L') is valid, L' covers L under E's
params (`RiskParams.level_covers`: L itself, or a level whose factor and every rate are
≥ L's), and it was checked against the commitments the ledger holds for it now, or
against ones that only deposits have raised since (`kept_by_deposits`: more cash keeps
the proved statement true); a withdrawal after the proof, or a re-anchor, ends its
standing. "After" is in the account's book version (the proof row keeps the version of
the commitments it was checked against, each movement the version it produced), never in
timestamps: a movement's is taken before it waits for the account's lock, a proof's when
its intake chunk starts, so neither says which book the other saw.

`run` gives every account of the current epoch that does not stand and has no
pending call a call — "prove L margin for epoch E by D"; a valid proof received by D
meets it — one for epoch E, or for the current margin epoch once a later one superseded
E; a call still open after D is overdue, listed for liquidation, and stays so. An account
that stood and then withdrew money gets a new call.

`stress` publishes stressed params as a *stress* epoch (no calls follow) and counts the
accounts that proved under them: the venue's view of a possible liquidation cascade without
seeing one balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, select

import zkmargin as zm
from zkmargin.venue.account_rows import book_before, commitments_digest
from zkmargin.venue.database import now_utc
from zkmargin.venue.ledger import Ledger, epoch_at, outside_window
from zkmargin.venue.schema import accounts, calls, epochs, movements, proofs

MAINTENANCE = "maintenance"
OPEN, MET, OVERDUE = "open", "met", "overdue"


@dataclass(frozen=True)
class Call:
    account: str
    epoch: int
    level: str
    issued_at: datetime
    deadline: datetime
    status: str
    closed_at: datetime | None

    @property
    def request(self) -> str:
        return f"prove {self.level} margin for epoch {self.epoch} by {self.deadline:%Y-%m-%d %H:%M:%S} UTC"


@dataclass(frozen=True)
class MonitorReport:
    epoch: int
    level: str
    standing: int
    issued: list[Call]
    met: list[Call]
    overdue: list[Call]
    open: list[Call]
    counts: dict[str, int]
    """Every call of the ledger by status as it stands after the run (open, met, overdue),
    including those `ledger submit` closed since the last run."""


@dataclass(frozen=True)
class StressReport:
    epoch: int
    new: bool
    proved: list[str]
    missing: list[str]


def covering_levels(params: zm.RiskParams, level: str) -> list[str]:
    """The levels whose proofs show `level` margin under `params` for every book
    (`RiskParams.level_covers`); none when the params do not define `level`."""
    if level not in params.levels:
        return []
    return [proved for proved in params.levels if params.level_covers(proved, level)]


def standing(connection: Connection, epoch: int, level: str) -> dict[str, tuple[int, datetime]]:
    """Account → (proof id, received at) of the earliest valid proof it stands on at `epoch`
    and `level`: a proof at any level that covers `level` under the epoch's params counts,
    checked against the commitments the ledger holds now or against ones that only deposits
    turned into them, with no withdrawal at a later book version (`kept_by_deposits`)."""
    levels = covering_levels(epoch_at(connection, epoch).params(), level)
    current = and_(
        proofs.c.epoch == epoch,
        proofs.c.level.in_(levels),
        proofs.c.status == "valid",
        proofs.c.superseded.is_(False),
    )
    withdrawn_since = (
        select(proofs.c.id)
        .join(movements, movements.c.account == proofs.c.account)
        .where(current, movements.c.amount.startswith("-"), movements.c.book_version > proofs.c.book_version)
    )
    query = (
        select(
            proofs.c.account, proofs.c.id, proofs.c.received_at, proofs.c.commitments_digest, proofs.c.book_version,
            accounts.c.commitments_digest.label("held"), accounts.c.book_version.label("held_version"),
        )
        .join(accounts, accounts.c.account == proofs.c.account)
        .where(current, proofs.c.id.not_in(withdrawn_since))
        .order_by(proofs.c.received_at.desc(), proofs.c.id.desc())
    )
    rows = connection.execute(query).all()
    moved = {row.account for row in rows if (row.commitments_digest, row.book_version) != (row.held, row.held_version)}
    history = _movements(connection, moved) if moved else {}
    return {
        row.account: (row.id, row.received_at)
        for row in rows
        if row.account not in moved or kept_by_deposits(row.commitments_digest, row.book_version, *history[row.account])
    }


def _movements(connection: Connection, names: set[str]) -> dict[str, tuple[zm.AccountCommitments, int, list]]:
    """Account → (the commitments it holds now, their book version, its movements in book order).
    Two statements: under READ COMMITTED the movements may include some committed after the
    commitments were read, with versions above theirs (`kept_by_deposits` leaves them out)."""
    held = connection.execute(
        select(accounts.c.account, accounts.c.commitments, accounts.c.book_version).where(accounts.c.account.in_(names))
    )
    history = {name: (zm.AccountCommitments.from_json(text), version, []) for name, text, version in held}
    query = select(movements).where(movements.c.account.in_(names)).order_by(movements.c.book_version)
    for row in connection.execute(query):
        history[row.account][2].append(row)
    return history


def kept_by_deposits(proved: str, proved_version: int, held: zm.AccountCommitments, held_version: int, moves: list) -> bool:
    """Whether deposits alone took the account from the commitments a proof was checked
    against (digest `proved`, book version `proved_version`) to `held` (version
    `held_version`), given the account's `moves` in book order (those after `held_version`
    are left out). A withdrawal then a deposit
    of the same amount comes back to the same digest, and does not restore standing.

    Every version after the proof's must be a deposit's (anything else that changed the
    commitments — a withdrawal, a re-anchor on new attestations, which no movement records
    — breaks the chain), and undoing those deposits from `held` must give `proved` (one at
    a time: each fitted the committed cash's fixed point when it was applied, their sum
    need not, and one account's overflow must not stop the whole ledger's standing): the
    version says where in the book's history the proof was checked, the digest which book
    that was (on a ledger upgraded from schema v3 the version was inferred from the digest,
    and from timestamps where a re-anchor left no version behind).

    Why a deposit keeps the proved statement. It adds d > 0 to the committed cash and
    nothing else (`AccountCommitments.deposit`: same blindings, positions unchanged): cash
    enters equity E, never the requirement R, so E − R ≥ X still holds. A proof of B
    isolated buckets showed a split of the pinned book into B buckets each with
    E_k − R_k ≥ X; the new book splits the same way with d added to any one bucket, so the
    statement (such a split exists, summing to the commitments held) holds for it too.
    Attested books take no deposits at the ledger (their money moves at the custodian,
    which attests again: a re-anchor, which ends standing).
    """
    # A movement past `held_version` committed after `held` was read (PostgreSQL reads each
    # statement at its own snapshot): it is not part of the way to `held`.
    since = [move for move in moves if proved_version < move.book_version <= held_version]
    if [move.book_version for move in since] != list(range(proved_version + 1, held_version + 1)):
        return False
    if any(move.amount.startswith("-") for move in since):
        return False
    return commitments_digest(book_before(held, [move.amount for move in since])) == proved


def silent_accounts(connection: Connection, epoch: int) -> list[str]:
    """Accounts that sent no proof at all for `epoch`."""
    sent = select(proofs.c.account).where(proofs.c.epoch == epoch, proofs.c.account.is_not(None))
    query = select(accounts.c.account).where(accounts.c.account.not_in(sent)).order_by(accounts.c.account)
    return list(connection.execute(query).scalars())


def settle(connection: Connection, now: datetime, current: int | None) -> tuple[list[Call], list[Call]]:
    """Meet the open calls a valid proof answered in time, mark the expired ones overdue;
    (met, overdue) as closed here. A call is closed only if still open when written (another
    writer's verdict stands, and is not reported again). `current` is the current margin
    epoch, as `lock_margin_epoch` returned it.

    A call of epoch E is met by a proof the account stands on at E or at the current margin
    epoch, received by the deadline. Once E' > E is published, intake refuses E's proofs as
    superseded (unless --allow-superseded), so without the second rule a call of E could
    never be met. It answers the call: a proof stands at E' only if intake took it after
    E' was published (it refuses proofs for params never published), hence after every
    call of E (calls are issued for the current epoch only), and it speaks for the
    commitments the ledger holds now, under the params the venue holds now. It counts only
    if received once E' is in force (its signed window open, without the clock-skew
    allowance intake gives): until then E's params rule, and a lighter E' published early
    must not meet E's calls.
    """
    in_force = _valid_from(connection, current)
    cache: dict[tuple[int, str], dict[str, tuple[int, datetime]]] = {}

    def answer(epoch: int, level: str, account: str) -> tuple[int, datetime] | None:
        if (epoch, level) not in cache:
            cache[epoch, level] = standing(connection, epoch, level)
        return cache[epoch, level].get(account)

    met, overdue = [], []
    for row in connection.execute(select(calls).where(calls.c.status == OPEN).order_by(calls.c.id)).all():
        answers = [answer(row.epoch, row.level, row.account)]
        if current != row.epoch:
            later = answer(current, row.level, row.account)
            answers.append(later if later is not None and (in_force is None or later[1] >= in_force) else None)
        earliest = min((a for a in answers if a is not None), key=lambda a: a[1], default=None)
        if earliest is not None and earliest[1] <= row.deadline:
            values = dict(status=MET, met_by=earliest[0], closed_at=earliest[1])
        elif now > row.deadline:
            values = dict(status=OVERDUE, closed_at=now)
        else:
            continue
        # Compare and set: another intake (PostgreSQL, READ COMMITTED) may have closed the call
        # since it was read here, and its verdict stands.
        closed = connection.execute(calls.update().where(calls.c.id == row.id, calls.c.status == OPEN).values(**values))
        if closed.rowcount == 1:
            (met if values["status"] == MET else overdue).append(_call({**row._mapping, **values}))
    return met, overdue


def lock_margin_epoch(connection: Connection) -> int | None:
    """Take the current margin epoch's row lock for the rest of the transaction (PostgreSQL;
    SQLite's BEGIN IMMEDIATE already serialises writers): one monitor run at a time, and an
    intake's record either lands before a run settles the calls or is stamped after it.
    Returns that epoch (None before any margin params were published)."""
    return connection.execute(
        select(epochs.c.epoch).where(epochs.c.kind == "margin").order_by(epochs.c.epoch.desc()).limit(1).with_for_update()
    ).scalar_one_or_none()


def _valid_from(connection: Connection, epoch: int | None) -> datetime | None:
    """When the params of margin `epoch` come into force, if they are signed."""
    window = None if epoch is None else epoch_at(connection, epoch).signed_window()
    return None if window is None else window[0]


def run(
    ledger: Ledger, deadline: timedelta, *, level: str = MAINTENANCE, now: datetime | None = None,
    allow_expired: bool = False,
) -> MonitorReport:
    """Settle the calls, then call every account of the current epoch that does not stand.

    Refused (`StaleAnchor`) while the current epoch's signed params are outside their
    validity window, unless `allow_expired`: intake refuses every proof under them then
    (unless its own `allow_expired`), so no call issued could be met.
    """
    if deadline.total_seconds() < 0:
        raise zm.InputError("a deadline cannot be in the past")
    now = now or now_utc()
    current = ledger.current_epoch()
    outside = None if allow_expired else outside_window(current.signed_window(), now)
    if outside is not None:
        raise zm.StaleAnchor(
            f"epoch {current.epoch} is under {outside}: intake refuses every proof under them, so no call "
            "could be met; publish the next params (ledger publish), or pass --allow-expired-params "
            "(to ledger submit as well)"
        )
    current.params().level_factor(level)  # an unknown level would call every account to prove it
    epoch = current.epoch
    with ledger.transaction() as connection:
        met, overdue = settle(connection, now, lock_margin_epoch(connection))
        standing_now = standing(connection, epoch, level)
        pending = select(calls.c.account).where(
            calls.c.epoch == epoch, calls.c.level == level, calls.c.status.in_((OPEN, OVERDUE))
        )
        called = set(connection.execute(pending).scalars())
        issued = []
        for account in connection.execute(select(accounts.c.account).order_by(accounts.c.account)).scalars():
            if account in standing_now or account in called:
                continue
            values = dict(
                account=account, epoch=epoch, level=level, issued_at=now, deadline=now + deadline, status=OPEN, closed_at=None
            )
            connection.execute(calls.insert().values(**values))
            issued.append(_call(values))
        still_open = _calls(connection, status=OPEN)
        by_status = dict(connection.execute(select(calls.c.status, func.count()).group_by(calls.c.status)).all())
    counts = {status: by_status.get(status, 0) for status in (OPEN, MET, OVERDUE)}
    return MonitorReport(epoch, level, len(standing_now), issued, met, overdue, still_open, counts)


def list_calls(ledger: Ledger, *, status: str | None = None) -> list[Call]:
    with ledger.transaction() as connection:
        return _calls(connection, status=status)


def _calls(connection: Connection, *, status: str | None) -> list[Call]:
    query = select(calls).order_by(calls.c.epoch, calls.c.account)
    if status is not None:
        query = query.where(calls.c.status == status)
    return [_call(row._mapping) for row in connection.execute(query)]


def _call(values) -> Call:
    return Call(
        values["account"], values["epoch"], values["level"], values["issued_at"], values["deadline"],
        values["status"], values["closed_at"],
    )


def stress(ledger: Ledger, params: zm.RiskParams, *, level: str = MAINTENANCE, now: datetime | None = None) -> StressReport:
    """Publish `params` as a stress epoch (once) and count the accounts that proved under them."""
    epoch, new = ledger.publish(params, kind="stress", now=now)
    with ledger.transaction() as connection:
        proved = set(standing(connection, epoch.epoch, level))
        everyone = list(connection.execute(select(accounts.c.account).order_by(accounts.c.account)).scalars())
    return StressReport(epoch.epoch, new, [a for a in everyone if a in proved], [a for a in everyone if a not in proved])
