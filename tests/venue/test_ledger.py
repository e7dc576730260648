import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

import zkmargin as zm
from tests.proofs.conftest import portfolio, small_params
from zkmargin.errors import InputError, LedgerError, ReplayedMovement
from zkmargin.hazmat.generators import PedersenGens
from zkmargin.hazmat.groups import Point
from zkmargin.proofs.proof_file import decode_base64
from zkmargin.venue import monitor, schema
from zkmargin.venue.account_rows import commitments_digest
from zkmargin.venue.database import ConflictingWrite, database_url
from zkmargin.venue.ledger import Ledger

PARAMS = small_params()


def opened(name="alice", cash=10_000):
    return zm.open_account(portfolio(cash, account=name, FUT=1), PARAMS)


def collateral_point(commitments):
    return Point.from_bytes(decode_base64(commitments.collateral))


@pytest.fixture
def ledger(ledger_url):
    ledger = Ledger(ledger_url)
    ledger.init()
    yield ledger
    ledger.close()


def test_database_url_defaults_when_nothing_given(monkeypatch):
    monkeypatch.delenv("ZKMARGIN_DB", raising=False)
    assert database_url() == "sqlite:///zkmargin.db"
    monkeypatch.setenv("ZKMARGIN_DB", "postgresql://venue@db/ledger")
    assert database_url() == "postgresql+psycopg://venue@db/ledger"
    assert database_url("/var/ledger.db") == "sqlite:////var/ledger.db"


def test_ledger_init_is_idempotent_when_run_twice(ledger):
    assert ledger.init() == (schema.VERSION, schema.VERSION)


def test_ledger_refuses_work_when_not_initialised(tmp_path):
    with pytest.raises(LedgerError, match=r"no ledger at .*fresh.db: run `zkmargin ledger init`, or name the "
                       r"venue's ledger with --db PATH\|URL \(or \$ZKMARGIN_DB\)"):
        Ledger(tmp_path / "fresh.db").accounts()
    assert not (tmp_path / "fresh.db").exists()  # a typo in --db leaves no empty database behind
    Ledger(tmp_path / "empty.db").engine.connect().close()
    with pytest.raises(LedgerError, match="schema version 0"):
        Ledger(tmp_path / "empty.db").accounts()


def test_ledger_refuses_newer_schema_when_version_ahead(ledger):
    with ledger.engine.begin() as connection:
        connection.execute(schema.schema_version.update().values(version=schema.VERSION + 1))
    with pytest.raises(LedgerError, match=f"schema version {schema.VERSION + 1}"):
        ledger.init()


def test_ledger_deposit_moves_committed_cash_when_recorded(ledger):
    commitments, _ = opened()
    assert ledger.open_account(commitments)
    before = collateral_point(commitments)
    ledger.deposit("alice", Decimal("2500.50"), "wire-1")
    ledger.withdraw("alice", Decimal("500"), "wire-2")
    after = collateral_point(ledger.account("alice").commitments)
    assert after == before + 200_050 * PedersenGens().B  # +2000.50 in cents
    assert [(m.reference, m.amount) for m in ledger.movements("alice")] == [
        ("wire-1", Decimal("2500.50")),
        ("wire-2", Decimal("-500")),
    ]


def test_ledger_refuses_replay_when_reference_reused(ledger):
    commitments, _ = opened()
    ledger.open_account(commitments)
    ledger.deposit("alice", Decimal(100), "wire-1")
    credited = ledger.account("alice").commitments
    with pytest.raises(ReplayedMovement, match="wire-1.*not applied again"):
        ledger.deposit("alice", Decimal(100), "wire-1")
    with pytest.raises(ReplayedMovement):
        ledger.withdraw("alice", Decimal(5), "wire-1")
    assert ledger.account("alice").commitments == credited
    assert len(ledger.movements()) == 1


def test_ledger_refuses_a_text_amount_when_given_a_string(ledger):
    ledger.open_account(opened()[0])
    with pytest.raises(InputError, match=r"^amount: expected a number, got the text '100'; pass Decimal\('100'\)$"):
        ledger.deposit("alice", "100", "x")
    assert ledger.movements() == []


def test_ledger_reads_a_float_amount_through_repr_when_given_one(ledger):
    ledger.open_account(opened()[0])
    assert ledger.deposit("alice", 0.1, "x").amount == Decimal("0.1")


@pytest.mark.parametrize("amount", [Decimal(0), Decimal(-5), Decimal("NaN")])
def test_ledger_refuses_amount_when_not_positive(ledger, amount):
    ledger.open_account(opened()[0])
    with pytest.raises(LedgerError, match="above 0"):
        ledger.deposit("alice", amount, "x")
    assert ledger.movements() == []


def test_ledger_refuses_deposit_when_account_unknown(ledger):
    with pytest.raises(LedgerError, match="no account 'bob'"):
        ledger.deposit("bob", Decimal(1), "r")
    assert ledger.movements() == []


def test_ledger_open_account_refuses_other_commitments_when_label_taken(ledger):
    first, _ = opened()
    assert ledger.open_account(first)
    assert not ledger.open_account(first)
    with pytest.raises(LedgerError, match="already open"):
        ledger.open_account(opened()[0])


def test_ledger_open_account_points_at_export_when_the_label_holds_moved_commitments(ledger):
    first, _ = opened()
    ledger.open_account(first)
    ledger.deposit(first.account, Decimal(100), "wire-1")
    with pytest.raises(LedgerError, match=r"already open with other commitments \(deposits and withdrawals move the "
                       r"ledger's copy: `zkmargin ledger export ACCOUNT -o FILE` writes it\)"):
        ledger.open_account(first)


def test_ledger_publish_numbers_epochs_when_params_change(ledger):
    at = datetime(2026, 12, 1, 17, tzinfo=timezone.utc)
    first, new = ledger.publish(PARAMS, now=at)
    assert (first.epoch, new, first.published_at) == (1, True, at)
    assert ledger.publish(PARAMS) == (first, False)
    stressed = small_params(FUT=[2_000.0, -2_000.0, -6_000.0, 5_000.0])
    second, _ = ledger.publish(stressed, kind="stress")
    assert second.epoch == 2
    assert ledger.current_epoch().epoch == 1
    assert ledger.current_epoch("stress").params().digest() == stressed.digest()


def test_ledger_export_account_writes_current_commitments_when_asked(ledger, tmp_path):
    ledger.open_account(opened()[0])
    ledger.deposit("alice", Decimal(7), "r")
    path = ledger.export_account("alice", tmp_path / "alice.json")
    assert zm.AccountCommitments.load(path) == ledger.account("alice").commitments
    with pytest.raises(zm.InputError, match="refusing to overwrite"):
        ledger.export_account("alice", path)


def ledger_at_version(connection, version: int, published_at: datetime, params: str = "{}") -> None:
    """The schema as migration `version` left it, with margin epoch 1 published (`params`):
    what the later migrations upgrade."""
    schema.metadata.create_all(connection, tables=[schema.schema_version])
    for migration in schema.MIGRATIONS[:version]:
        migration(connection)
    connection.execute(schema.schema_version.insert().values(version=version))
    connection.execute(
        schema.epochs.insert().values(epoch=1, kind="margin", params_digest="ab", params=params, published_at=published_at)
    )


def test_ledger_init_settles_rows_doubled_by_racing_intakes_when_upgrading_version_2(ledger_url):
    ledger = Ledger(ledger_url)
    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    doubled = [  # (file, digest, account): alice's file recorded twice, bob's two files both left current
        ("alice.json", "a" * 64, "alice"), ("alice.json", "a" * 64, "alice"),
        ("bob-1.json", "b" * 64, "bob"), ("bob-2.json", "c" * 64, "bob"),
    ]
    with ledger.transaction(initialised=False) as connection:
        ledger_at_version(connection, 2, at)
        connection.execute(schema.proofs.insert(), [
            dict(file=file, file_digest=digest, account=account, epoch=1, level="maintenance", status="valid",
                 superseded=False, received_at=at)
            for file, digest, account in doubled
        ])
    assert ledger.init() == (2, schema.VERSION)
    with ledger.transaction() as connection:
        query = select(schema.proofs.c.file, schema.proofs.c.status, schema.proofs.c.superseded, schema.proofs.c.reason)
        rows = [tuple(row) for row in connection.execute(query.order_by(schema.proofs.c.id))]
    ledger.close()
    again = "the same bytes were recorded valid again by an intake running at the same time"
    assert rows == [
        ("alice.json", "invalid", True, again),
        ("alice.json", "valid", False, None),
        ("bob-1.json", "valid", True, None),
        ("bob-2.json", "valid", False, None),
    ]


def test_ledger_init_keeps_standing_as_timestamps_ordered_it_unless_they_misplaced_the_proof_when_upgrading_version_3(ledger_url):
    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    received = at + timedelta(hours=2)
    stories = {  # account → its movements (signed amount, hours after `at`); its proof arrives at hour 2
        "alice": [(1_000, 1)],  # checked against the book the deposit made
        "bob": [(1_000, 3)],  # a deposit after the proof keeps it
        "carol": [(-1_000, 3)],  # a withdrawal after the proof ends it
        "dave": [(-1_000, 3), (1_000, 4)],  # even when an equal deposit brings the proved book back
        "erin": [(-1_000, 1)],  # a withdrawal before the proof does not
        "frank": [(-1_000, 1), (1_000, 3)],  # v3 stood him on the bug below: no longer
    }
    # frank's withdrawal was stamped before his proof arrived but applied after intake read
    # his book (the race v4 ends): the proof was checked against the opening book, which the
    # deposit brought back; of the two versions with its digest, equally near the timestamps'
    # count, the upgrade gives it the earlier: 0
    misplaced = {"frank": 0}
    ledger = Ledger(ledger_url)
    with ledger.transaction(initialised=False) as connection:
        ledger_at_version(connection, 3, at, PARAMS.to_json())
        for name, moves in stories.items():
            books = [opened(name)[0]]
            for amount, _ in moves:
                books.append(books[-1].deposit(Decimal(amount)))
            held = books[-1]
            connection.execute(schema.accounts.insert().values(
                account=name, commitments=held.to_json(), commitments_digest=commitments_digest(held), attestation=None,
                opened_at=at, updated_at=at))
            connection.execute(schema.movements.insert(), [
                dict(reference=f"{name}-{n}", account=name, amount=str(amount), commitments_digest=commitments_digest(book),
                     at=at + timedelta(hours=hours))
                for n, ((amount, hours), book) in enumerate(zip(moves, books[1:]))
            ])
            proved = books[misplaced.get(name, sum(at + timedelta(hours=hours) < received for _, hours in moves))]
            connection.execute(schema.proofs.insert().values(
                file=f"{name}.json", file_digest=name[0] * 64, account=name, epoch=1, level="maintenance", status="valid",
                superseded=False, commitments_digest=commitments_digest(proved), received_at=received))
    assert ledger.init() == (3, schema.VERSION)
    ledger.deposit("dave", Decimal(500), "dave-2")
    with ledger.transaction() as connection:
        standing = monitor.standing(connection, 1, "maintenance")
        proved_versions = dict(connection.execute(select(schema.proofs.c.account, schema.proofs.c.book_version)).all())
        daves = connection.execute(
            select(schema.movements.c.reference, schema.movements.c.book_version)
            .where(schema.movements.c.account == "dave").order_by(schema.movements.c.id)
        ).all()
    ledger.close()
    assert sorted(standing) == ["alice", "bob", "erin"]
    assert proved_versions == {"alice": 1, "bob": 0, "carol": 0, "dave": 0, "erin": 1, "frank": 0}
    assert [tuple(row) for row in daves] == [("dave-0", 1), ("dave-1", 2), ("dave-2", 3)]


def test_ledger_init_keeps_standing_on_the_held_book_when_a_re_anchor_after_the_last_movement_replaced_it(ledger_url):
    """A v3 re-anchor recorded no movement: the account row's digest names the book held
    now, which is the last version's, whatever the last movement's digest says."""
    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    opening, _ = opened()
    deposited = opening.deposit(Decimal(1_000))
    anchored, _ = opened(cash=20_000)  # the book a re-anchor put in place after the deposit
    ledger = Ledger(ledger_url)
    with ledger.transaction(initialised=False) as connection:
        ledger_at_version(connection, 3, at, PARAMS.to_json())
        connection.execute(schema.accounts.insert().values(
            account="alice", commitments=anchored.to_json(), commitments_digest=commitments_digest(anchored),
            attestation=None, opened_at=at, updated_at=at))
        connection.execute(schema.movements.insert().values(
            reference="dep-1", account="alice", amount="1000", commitments_digest=commitments_digest(deposited),
            at=at + timedelta(hours=2)))  # stamped after the proof's chunk started, applied before it read the book
        connection.execute(schema.proofs.insert().values(
            file="alice.json", file_digest="a" * 64, account="alice", epoch=1, level="maintenance", status="valid",
            superseded=False, commitments_digest=commitments_digest(anchored), received_at=at + timedelta(hours=1)))
    try:
        assert ledger.init() == (3, schema.VERSION)
        with ledger.transaction() as connection:
            assert connection.execute(select(schema.proofs.c.book_version)).scalar_one() == 1
            assert list(monitor.standing(connection, 1, "maintenance")) == ["alice"]
    finally:
        ledger.close()


def test_ledger_refuses_second_current_valid_proof_when_another_writer_inserts_one(ledger):
    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    ledger.publish(PARAMS)
    row = dict(file="x.json", account="alice", epoch=1, level="maintenance", status="valid", superseded=False, received_at=at)
    with ledger.transaction() as connection:
        connection.execute(schema.proofs.insert().values(file_digest="a" * 64, **row))
    with pytest.raises(ConflictingWrite, match="another writer got there first"):
        with ledger.transaction() as connection:
            connection.execute(schema.proofs.insert().values(file_digest="b" * 64, **row))


@pytest.mark.parametrize(
    ("reference", "refusal"),
    [
        (" wire-1", "must not start or end with whitespace"),
        ("wire-1 ", "must not start or end with whitespace"),
        ("wire-1\n", "must not start or end with whitespace"),
        ("wire\x1b-1", "must contain printable characters only"),
    ],
)
def test_ledger_refuses_reference_when_spelled_with_surrounding_whitespace_or_control_characters(ledger, reference, refusal):
    ledger.open_account(opened()[0])
    ledger.deposit("alice", Decimal(100), "wire-1")
    with pytest.raises(LedgerError, match=f"^reference {re.escape(repr(reference))} {refusal}"):
        ledger.deposit("alice", Decimal(100), reference)
    assert [(m.reference, m.amount) for m in ledger.movements()] == [("wire-1", Decimal(100))]


def test_ledger_deposit_records_a_plain_decimal_when_the_amount_has_an_exponent(ledger):
    ledger.open_account(opened()[0])
    movement = ledger.deposit("alice", Decimal("1E+3"), "wire-1")
    withdrawal = ledger.withdraw("alice", Decimal("2.5E+2"), "payout-1")
    assert (str(movement.amount), str(withdrawal.amount)) == ("1000", "-250")
    assert [str(m.amount) for m in ledger.movements()] == ["1000", "-250"]
