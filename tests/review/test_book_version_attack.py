"""Outside attack on the book versions of schema v4: which book a proof was checked against,
which movements came after it, what the v3 → v4 upgrade infers, and writers racing the
monitor (real connections: threads, and hooks that let another connection commit between
two statements of one transaction)."""

import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event, select, text

import zkmargin as zm
from tests.conftest import deliver
from tests.proofs.conftest import portfolio, small_params
from tests.venue.test_ledger import ledger_at_version, opened
from zkmargin.venue import monitor, schema
from zkmargin.venue.account_rows import commitments_digest
from zkmargin.venue.intake import IntakeReport, submit
from zkmargin.venue.ledger import Ledger

T0 = datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc)
CALL_WINDOW = timedelta(hours=2)
ON_POSTGRESQL = pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)  # SQLite serialises these writers


def at(hours):
    return T0 + timedelta(hours=hours)


def called(ledger, hours):
    return [call.account for call in monitor.run(ledger, CALL_WINDOW, now=at(hours)).issued]


def submit_pausing_after_its_read(ledger, inbox, monkeypatch, hours, meanwhile, *, recorded_hours=None) -> IntakeReport:
    """Submit `inbox` on a connection of its own, running `meanwhile()` on ours after the intake
    has read the accounts and before it verifies and records: another process's write. The
    intake's clock reads `hours` when its chunk starts, and `recorded_hours` (if given: the
    clock moved on while it verified) when it records."""
    readings = iter([hours])
    has_read, may_record = threading.Event(), threading.Event()
    verify_batch = zm.verify_batch

    def verify_once_released(*args, **kwargs):
        if threading.current_thread() is intake:
            has_read.set()
            assert may_record.wait(60)
        return verify_batch(*args, **kwargs)

    monkeypatch.setattr(zm, "verify_batch", verify_once_released)
    reports, errors = [], []

    def run() -> None:
        own = Ledger(ledger.url)
        try:
            clock = lambda: at(next(readings, hours if recorded_hours is None else recorded_hours))  # noqa: E731
            reports.append(submit(own, [inbox], now=clock))
        except Exception as error:  # noqa: BLE001 - re-raised below, on the test's thread
            errors.append(error)
        finally:
            own.close()

    intake = threading.Thread(target=run)
    intake.start()
    try:
        assert has_read.wait(60)
        meanwhile()
    finally:
        may_record.set()
        intake.join()
    if errors:
        raise errors[0]
    return reports[0]


def alice_after_withdrawing(venue_files, amount):
    """alice's proof of the book a withdrawal of `amount` left (she opened on 10,000 cash)."""
    openings = zm.AccountOpenings.load(venue_files / "alice.openings.json")
    return zm.prove(portfolio(10_000 - amount, account="alice", FUT=1), small_params(), openings=openings)


def test_intake_leaves_the_call_open_when_a_withdrawal_commits_between_its_read_of_the_book_and_its_record(
    venue, venue_files, monkeypatch
):
    ledger, inbox = venue
    assert called(ledger, -1) == ["alice", "bob", "carol"]
    deliver(venue_files, inbox, "alice.first.proof.json")
    report = submit_pausing_after_its_read(
        ledger, inbox, monkeypatch, 0, lambda: ledger.withdraw("alice", Decimal(9_000), "wd-mid-intake", now=at(0.1))
    )
    assert [row.status for row in report.rows] == ["valid"]  # verified against the book before the withdrawal
    assert report.met == []
    monitor.run(ledger, CALL_WINDOW, now=at(0.5))
    assert {call.account: call.status for call in monitor.list_calls(ledger)}["alice"] == "open"


def test_intake_keeps_the_proof_of_the_newer_book_current_when_a_slower_intake_records_a_proof_of_the_older_book_after_it(
    venue, venue_files, tmp_path, monkeypatch
):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")  # the opening book: version 0
    newer = tmp_path / "newer"
    newer.mkdir()

    def withdraw_and_prove_again() -> None:
        ledger.withdraw("alice", Decimal(1_000), "wd-1", now=at(0.1))
        alice_after_withdrawing(venue_files, 1_000).save(newer / "alice.proof.json")
        assert [row.status for row in submit(ledger, [newer], now=lambda: at(0.2)).rows] == ["valid"]  # version 1

    slower = submit_pausing_after_its_read(ledger, inbox, monkeypatch, 0, withdraw_and_prove_again)
    assert [(row.status, row.reason) for row in slower.rows] == [
        ("valid", "superseded on arrival: checked against book version 0 of 'alice'; the proof of book version 1 is current")
    ]
    assert [row.status for row in submit(ledger, [newer], now=lambda: at(0.5)).rows] == ["already recorded"]
    assert "alice" not in called(ledger, 1)


def test_monitor_keeps_standing_when_the_deposits_since_the_proof_sum_past_what_one_deposit_may_move(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    submit(ledger, [inbox], now=lambda: at(0))
    largest = Decimal(2**63 - 1) / ledger.current_epoch().params().money_scale  # one deposit's bound
    for reference in ("dep-1", "dep-2"):
        ledger.deposit("alice", largest, reference, now=at(0.5))
    assert called(ledger, 1) == ["bob", "carol"]


def v3_ledger_with_one_proof(url, moves, received, proved_after):
    """A schema v3 ledger: alice opened on 10,000 and moved (amount, at) in `moves`; her proof,
    received at `received`, was checked against the book after the first `proved_after` moves."""
    books = [opened("alice")[0]]
    for amount, _ in moves:
        books.append(books[-1].deposit(Decimal(amount)))
    ledger = Ledger(url)
    with ledger.transaction(initialised=False) as connection:
        ledger_at_version(connection, 3, T0, small_params().to_json())
        connection.execute(schema.accounts.insert().values(
            account="alice", commitments=books[-1].to_json(), commitments_digest=commitments_digest(books[-1]),
            attestation=None, opened_at=T0, updated_at=T0))
        connection.execute(schema.movements.insert(), [
            dict(reference=f"move-{n}", account="alice", amount=str(amount), commitments_digest=commitments_digest(book), at=when)
            for n, ((amount, when), book) in enumerate(zip(moves, books[1:]))
        ])
        connection.execute(schema.proofs.insert().values(
            file="alice.json", file_digest="a" * 64, account="alice", epoch=1, level="maintenance", status="valid",
            superseded=False, commitments_digest=commitments_digest(books[proved_after]), received_at=received))
    return ledger


@pytest.mark.parametrize("stamped_after_intake_started", [timedelta(0), timedelta(seconds=1)])
def test_ledger_init_keeps_standing_on_the_held_book_when_a_deposit_stamped_after_the_chunk_started_was_read_by_intake(
    ledger_url, stamped_after_intake_started
):
    """Intake stamps a chunk when it starts and reads the books later: a deposit stamped in
    between was in the book the proof was checked against — the book the ledger holds now."""
    ledger = v3_ledger_with_one_proof(ledger_url, [(1_000, at(0) + stamped_after_intake_started)], at(0), proved_after=1)
    try:
        assert ledger.init() == (3, schema.VERSION)  # schema v3 stood her: the proof's digest is the held one
        with ledger.transaction() as connection:
            assert "alice" in monitor.standing(connection, 1, "maintenance")
    finally:
        ledger.close()


def test_ledger_init_ends_standing_when_a_withdrawal_and_an_equal_deposit_are_stamped_as_the_proofs_chunk_started(
    ledger_url
):
    """Schema v3 counted a movement stamped at the proof's time as after it; so does v4's
    upgrade, or the deposit bringing the proved digest back would stand the proof again."""
    ledger = v3_ledger_with_one_proof(ledger_url, [(-1_000, at(0)), (1_000, at(0))], at(0), proved_after=0)
    try:
        assert ledger.init() == (3, schema.VERSION)
        with ledger.transaction() as connection:
            assert monitor.standing(connection, 1, "maintenance") == {}
    finally:
        ledger.close()


@ON_POSTGRESQL
def test_monitor_standing_keeps_the_account_when_a_deposit_commits_while_it_reads_the_movements(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    submit(ledger, [inbox], now=lambda: at(0))
    ledger.deposit("alice", Decimal(500), "dep-1", now=at(0.5))  # alice stands on her proof kept by deposits
    other = Ledger(ledger.url)

    def deposit_before_the_movements_are_read(_connection, _cursor, statement, *_):
        if statement.lstrip().startswith("SELECT movements.") and not other_deposited:
            other_deposited.append(other.deposit("alice", Decimal(500), "dep-2", now=at(0.9)))

    other_deposited = []
    event.listen(ledger.engine, "before_cursor_execute", deposit_before_the_movements_are_read)
    try:
        issued = called(ledger, 1)
    finally:
        event.remove(ledger.engine, "before_cursor_execute", deposit_before_the_movements_are_read)
        other.close()
    assert len(other_deposited) == 1
    assert issued == ["bob", "carol"]


@ON_POSTGRESQL
def test_intake_waits_for_an_overlapping_intake_settling_the_calls_and_stamps_its_proof_after_it(venue, venue_files, tmp_path):
    """Two cron intakes overlap; the one that started before the deadline reaches its record
    while the later one, which has not seen alice's proof, settles her call past its deadline.
    It waits for the margin epoch's lock, so its proof is stamped after that settle: the
    ledger never holds an in-time proof beside the overdue call it would have met."""
    ledger, inbox = venue
    assert called(ledger, 0) == ["alice", "bob", "carol"]  # due at hour 2
    deliver(venue_files, inbox, "bob.first.proof.json")
    earlier = tmp_path / "earlier"
    deliver(venue_files, earlier, "alice.first.proof.json")
    other, probe = Ledger(ledger.url), Ledger(ledger.url)
    readings = iter([1.9])  # its chunk starts before the deadline; the clock moves on while it waits
    reports, threads = [], []

    def earlier_intake_reaches_its_record_meanwhile(_connection, _cursor, statement, *_):
        if statement.lstrip().startswith("UPDATE calls") and not threads:
            threads.append(threading.Thread(
                target=lambda: reports.append(submit(other, [earlier], now=lambda: at(next(readings, 2.2))))
            ))
            threads[0].start()
            assert lock_waiters(probe) == 1  # the earlier intake, at the margin epoch's lock

    event.listen(ledger.engine, "before_cursor_execute", earlier_intake_reaches_its_record_meanwhile)
    try:
        later = submit(ledger, [inbox], now=lambda: at(2.1))
    finally:
        event.remove(ledger.engine, "before_cursor_execute", earlier_intake_reaches_its_record_meanwhile)
    threads[0].join(60)
    other.close()
    probe.close()
    assert [call.account for call in later.overdue] == ["alice", "bob", "carol"]  # bob proved too late
    assert reports[0].met == [] and [row.status for row in reports[0].rows] == ["valid"]
    assert {call.account: call.status for call in monitor.list_calls(ledger)}["alice"] == "overdue"
    with ledger.transaction() as connection:
        received = connection.execute(select(schema.proofs.c.received_at).where(schema.proofs.c.account == "alice")).scalar_one()
    assert received == at(2.2)


def lock_waiters(probe: Ledger, timeout: float = 30.0) -> int:
    """How many sessions of the ledger's database wait on a lock, once one does (or 0 after `timeout` s)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with probe.transaction() as connection:
            count = connection.execute(waiting).scalar_one()
        if count:
            return count
        time.sleep(0.05)
    return 0


def v3_ledger_with_history(url, rows):
    """A schema v3 ledger of one busy account: `rows` movements and `rows` proof rows, alternating."""
    ledger = Ledger(url)
    held = opened("alice")[0]
    with ledger.transaction(initialised=False) as connection:
        ledger_at_version(connection, 3, T0)
        connection.execute(schema.accounts.insert().values(
            account="alice", commitments=held.to_json(), commitments_digest="c" * 64, attestation=None, opened_at=T0,
            updated_at=T0))
        connection.execute(schema.movements.insert(), [
            dict(reference=f"dep-{n}", account="alice", amount="1", commitments_digest="d" * 64, at=T0 + timedelta(seconds=2 * n))
            for n in range(rows)
        ])
        connection.execute(schema.proofs.insert(), [
            dict(file=f"{n}.json", file_digest=f"{n:064x}", account="alice", epoch=1, level="maintenance", status="invalid",
                 superseded=False, commitments_digest="c" * 64, received_at=T0 + timedelta(seconds=2 * n + 1))
            for n in range(rows)
        ])
    return ledger


def database_work_to_upgrade(url, rows):
    """The work the database does upgrading `v3_ledger_with_history(url, rows)`, which it then
    drops; counted, not timed: SQLite's virtual machine instructions (in hundreds),
    PostgreSQL's tuples read by scans in the upgrade's transaction."""
    ledger = v3_ledger_with_history(url, rows)
    try:
        with ledger.transaction(initialised=False) as connection:
            if connection.dialect.name == "sqlite":
                steps = 0

                def count_step() -> int:
                    nonlocal steps
                    steps += 1
                    return 0  # go on

                raw = connection.connection.driver_connection
                raw.set_progress_handler(count_step, 100)
                try:
                    assert schema.upgrade(connection) == (3, schema.VERSION)
                finally:
                    raw.set_progress_handler(None, 100)
                return steps
            read = "SELECT sum(seq_tup_read + coalesce(idx_tup_fetch, 0)) FROM pg_stat_xact_user_tables"
            before = connection.exec_driver_sql(read).scalar_one()
            assert schema.upgrade(connection) == (3, schema.VERSION)
            return connection.exec_driver_sql(read).scalar_one() - before
    finally:
        with ledger.transaction() as connection:
            schema.metadata.drop_all(connection)
        ledger.close()


def test_ledger_init_upgrades_version_3_with_work_proportional_to_the_history_when_an_account_has_many_movements(ledger_url):
    """Linear: 4× the rows, about 4× the work (the correlated subqueries it replaced took 16×)."""
    small = database_work_to_upgrade(ledger_url, 150)
    large = database_work_to_upgrade(ledger_url, 600)
    assert large < 6 * small, f"4× the history took {large / small:.1f}× the work ({small} → {large})"
