"""Outside attack on what counts as standing (monitor.standing, kept_by_deposits, settle)
and on what counts as covering (RiskParams.level_covers)."""

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

import zkmargin as zm
from tests.conftest import deliver
from tests.models.conftest import account, model, one_underlying_market, option
from tests.proofs.conftest import portfolio, small_params
from tests.venue.test_ledger import ledger_at_version
from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.venue import monitor, schema
from zkmargin.venue.intake import submit
from zkmargin.venue.ledger import Ledger

T0 = datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc)


def at(hours):
    return T0 + timedelta(hours=hours)


def test_monitor_call_not_met_by_an_older_proof_when_a_backdated_withdrawal_and_equal_deposit_follow_it(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    assert submit(ledger, [inbox], now=lambda: at(0)).rows[0].status == "valid"  # checked against the opening book
    ledger.withdraw("alice", Decimal(9_000), "wd-raced", now=at(-0.01))  # stamped before intake, applied after
    issued = monitor.run(ledger, timedelta(hours=2), now=at(1)).issued
    assert [call.account for call in issued] == ["alice", "bob", "carol"]  # the withdrawal ended alice's standing
    ledger.deposit("alice", Decimal(9_000), "dep-back", now=at(1.5))
    monitor.run(ledger, timedelta(hours=2), now=at(2))
    [alice] = [call for call in monitor.list_calls(ledger) if call.account == "alice"]
    assert alice.status == "open", f"met by a proof received at {alice.closed_at}, before the call issued at {alice.issued_at}"


def test_level_covers_implies_no_lower_requirement_for_any_covered_call_book():
    """Attempted: a book whose requirement at a covering level is below the covered one
    (strategy savings, naked rates and factor all per level). None found on a grid."""
    params = build_params(one_underlying_market(100, S={"kind": "stock"}, C=option("call", 50)), model("standard"))
    document = params.document()
    document["level_rates"] = {"initial": {"addon_long": [500_000, 5_000], "addon_short": [200_000, 5_000]}}
    document["strategies"][0]["level_rates"] = {"initial": 125_000}
    raised = RiskParams(**document)
    assert raised.level_covers("initial", "maintenance")
    for stock, calls in itertools.product(range(-300, 301, 50), range(-4, 5)):
        book = account(0, {"S": stock, "C": calls})
        initial, maintenance = (assess(book, raised, level=level).requirement for level in ("initial", "maintenance"))
        assert initial >= maintenance, (stock, calls, initial, maintenance)


def test_ledger_init_keeps_the_proof_a_call_was_met_by_valid_when_upgrading_version_2(ledger_url):
    ledger = Ledger(ledger_url)
    with ledger.transaction(initialised=False) as connection:
        ledger_at_version(connection, 2, T0)
        connection.execute(schema.accounts.insert().values(
            account="alice", commitments="{}", commitments_digest="c" * 64, attestation=None, opened_at=T0, updated_at=T0))
        copy = dict(file="alice.json", file_digest="a" * 64, account="alice", epoch=1, level="maintenance",
                    status="valid", superseded=False)
        connection.execute(schema.proofs.insert(), [dict(copy, received_at=at(0)), dict(copy, received_at=at(0))])
        connection.execute(schema.calls.insert().values(
            account="alice", epoch=1, level="maintenance", issued_at=at(-1), deadline=at(1), status="met", met_by=1,
            closed_at=at(0)))
    ledger.init()
    with ledger.transaction() as connection:
        met_by = connection.execute(select(schema.calls.c.met_by)).scalar_one()
        status = connection.execute(select(schema.proofs.c.status).where(schema.proofs.c.id == met_by)).scalar_one()
    ledger.close()
    assert status == "valid"


def test_monitor_call_not_met_under_params_not_yet_valid_when_a_lighter_epoch_opens_early(venue, tmp_path):
    ledger, inbox = venue
    dan = portfolio(1_000, account="dan", FUT=1)  # short under today's params (crash loss 3,000)
    commitments, openings = zm.open_account(dan, small_params())
    ledger.open_account(commitments)
    deadline = at(2)
    monitor.run(ledger, deadline - at(0), now=at(0))
    key = zm.new_key("venue-a", "params")
    lighter = zm.sign_params(small_params(FUT=[100.0, -100.0, -300.0, 250.0]), key, epoch=1, valid_from=deadline,
                             valid_for=timedelta(days=1))
    ledger.publish(lighter, now=deadline - timedelta(minutes=4))  # `ledger publish` admits it 5 minutes early
    zm.prove(dan, lighter, openings=openings).save(inbox / "dan.proof.json")
    [row] = submit(ledger, [inbox], now=lambda: deadline - timedelta(minutes=3)).rows
    assert row.status == "valid"
    [call] = [call for call in monitor.list_calls(ledger) if call.account == "dan"]
    assert call.status == "open", f"epoch {call.epoch}'s call met at {call.closed_at} under params valid from {deadline}"


def test_monitor_keeps_standing_when_the_proof_was_checked_against_the_book_after_a_withdrawal(venue, venue_files):
    ledger, inbox = venue
    ledger.withdraw("alice", Decimal(1_000), "wd-in-flight", now=at(0.01))  # applied before intake reads alice
    openings = zm.AccountOpenings.load(venue_files / "alice.openings.json")
    zm.prove(portfolio(9_000, account="alice", FUT=1), small_params(), openings=openings).save(inbox / "alice.proof.json")
    [row] = submit(ledger, [inbox], now=lambda: at(0)).rows  # the chunk's clock read before the withdrawal
    assert row.status == "valid"  # checked against the book as it is after the withdrawal
    issued = monitor.run(ledger, timedelta(hours=2), now=at(1)).issued
    assert "alice" not in [call.account for call in issued]
