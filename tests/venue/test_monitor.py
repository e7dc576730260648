from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

import zkmargin as zm
from tests.conftest import deliver
from tests.proofs.conftest import portfolio, small_params
from zkmargin.venue import monitor
from zkmargin.venue.account_rows import commitments_digest
from zkmargin.venue.intake import submit
from zkmargin.venue.ledger import Ledger

T0 = datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc)


def at(hours):
    return T0 + timedelta(hours=hours)


def statuses(ledger):
    return {call.account: call.status for call in monitor.list_calls(ledger)}


def test_monitor_run_calls_accounts_without_proof_when_epoch_open(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    submit(ledger, [inbox], now=lambda: at(0))
    report = monitor.run(ledger, timedelta(hours=2), now=at(0))
    assert [call.account for call in report.issued] == ["bob", "carol"]
    assert report.standing == 1
    assert report.issued[0].request == "prove maintenance margin for epoch 1 by 2026-12-01 18:00:00 UTC"
    again = monitor.run(ledger, timedelta(hours=2), now=at(1))
    assert again.issued == [] and [c.account for c in again.open] == ["bob", "carol"]


def test_monitor_call_met_when_valid_proof_arrives_before_deadline(venue, venue_files):
    ledger, inbox = venue
    monitor.run(ledger, timedelta(hours=2), now=at(0))
    deliver(venue_files, inbox, "bob.first.proof.json")
    submit(ledger, [inbox], now=lambda: at(1))
    assert statuses(ledger) == {"alice": "open", "bob": "met", "carol": "open"}
    report = monitor.run(ledger, timedelta(hours=2), now=at(3))
    assert sorted(call.account for call in report.overdue) == ["alice", "carol"]
    assert statuses(ledger) == {"alice": "overdue", "bob": "met", "carol": "overdue"}


def test_monitor_call_stays_overdue_when_proof_arrives_late(venue, venue_files):
    ledger, inbox = venue
    monitor.run(ledger, timedelta(hours=2), now=at(0))
    deliver(venue_files, inbox, "alice.first.proof.json")
    submit(ledger, [inbox], now=lambda: at(5))
    assert statuses(ledger)["alice"] == "overdue"
    assert monitor.run(ledger, timedelta(hours=2), now=at(6)).issued == []


def test_monitor_calls_again_when_money_moves_after_the_proof(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    submit(ledger, [inbox], now=lambda: at(0))
    assert "alice" not in {c.account for c in monitor.run(ledger, timedelta(hours=2), now=at(0)).issued}
    ledger.withdraw("alice", Decimal(9_000), "wd-1")
    report = monitor.run(ledger, timedelta(hours=2), now=at(1))
    assert [call.account for call in report.issued] == ["alice"]


def prove_alice(venue_files, path, params="params.json", level="maintenance", cash=10_000):
    """alice's pinned book proved at `level` under `params` (a file of venue_files), saved at `path`."""
    openings = zm.AccountOpenings.load(venue_files / "alice.openings.json")
    book = portfolio(cash, account="alice", FUT=1)
    zm.prove(book, zm.RiskParams.load(venue_files / params), level=level, openings=openings).save(path)


def test_monitor_call_met_by_initial_proof_when_maintenance_called(venue, venue_files):
    ledger, inbox = venue
    monitor.run(ledger, timedelta(hours=2), now=at(0))
    prove_alice(venue_files, inbox / "alice.initial.proof.json", level="initial")
    submit(ledger, [inbox], now=lambda: at(1))
    assert statuses(ledger) == {"alice": "met", "bob": "open", "carol": "open"}
    report = monitor.run(ledger, timedelta(hours=2), now=at(3))
    assert report.standing == 1 and report.issued == []
    assert [call.account for call in report.overdue] == ["bob", "carol"]


def test_monitor_refuses_run_when_no_epoch_published(ledger_url):
    ledger = Ledger(ledger_url)
    ledger.init()
    with pytest.raises(zm.LedgerError, match="no margin params published"):
        monitor.run(ledger, timedelta(hours=2))


def test_monitor_stress_counts_accounts_that_proved_when_stressed(venue, venue_files):
    ledger, inbox = venue
    stressed = zm.RiskParams.load(venue_files / "stressed.json")
    first = monitor.stress(ledger, stressed, now=at(0))
    assert (first.epoch, first.new, first.proved) == (2, True, [])
    deliver(venue_files, inbox, "alice.stressed.proof.json")
    submit(ledger, [inbox], now=lambda: at(1))
    second = monitor.stress(ledger, stressed, now=at(2))
    assert (second.epoch, second.new, second.proved, second.missing) == (2, False, ["alice"], ["bob", "carol"])
    assert ledger.current_epoch().epoch == 1  # a stress epoch never becomes the margin epoch


def test_monitor_call_met_by_current_epoch_proof_when_a_later_epoch_superseded_the_call(venue, venue_files):
    ledger, inbox = venue
    monitor.run(ledger, timedelta(hours=2), now=at(0))
    assert ledger.publish(zm.RiskParams.load(venue_files / "stressed.json"), now=at(0.5))[0].epoch == 2
    deliver(venue_files, inbox, "alice.first.proof.json")  # epoch 1: refused as superseded
    deliver(venue_files, inbox, "alice.stressed.proof.json")  # epoch 2, the current one
    report = submit(ledger, [inbox], now=lambda: at(1))
    assert sorted((row.epoch, row.status) for row in report.rows) == [(1, "invalid"), (2, "valid")]
    assert statuses(ledger) == {"alice": "met", "bob": "open", "carol": "open"}
    later = monitor.run(ledger, timedelta(hours=2), now=at(3))
    assert (later.epoch, later.standing) == (2, 1)
    assert [(call.account, call.epoch) for call in later.overdue] == [("bob", 1), ("carol", 1)]
    assert [(call.account, call.epoch) for call in later.issued] == [("bob", 2), ("carol", 2)]


def alice_called_after(ledger, venue_files, inbox, *moves):
    """alice proves at 0, then `moves` (signed amounts) are recorded; is she called at 1?"""
    deliver(venue_files, inbox, "alice.first.proof.json")
    submit(ledger, [inbox], now=lambda: at(0))
    for n, amount in enumerate(moves):
        move = ledger.deposit if amount > 0 else ledger.withdraw
        move("alice", Decimal(abs(amount)), f"move-{n}", now=at(0.1 * (n + 1)))
    return "alice" in {call.account for call in monitor.run(ledger, timedelta(hours=2), now=at(1)).issued}


def test_monitor_keeps_standing_when_deposits_follow_the_proof(venue, venue_files):
    ledger, inbox = venue
    assert not alice_called_after(ledger, venue_files, inbox, 500, 250)


def test_monitor_calls_again_when_a_withdrawal_then_an_equal_deposit_follow_the_proof(venue, venue_files):
    ledger, inbox = venue
    assert alice_called_after(ledger, venue_files, inbox, -500, 500)
    assert ledger.account("alice").commitments == zm.AccountCommitments.load(venue_files / "alice.account.json")


def test_monitor_calls_again_when_a_deposit_then_a_withdrawal_follow_the_proof(venue, venue_files):
    ledger, inbox = venue
    assert alice_called_after(ledger, venue_files, inbox, 500, -100)


def test_monitor_keeps_met_account_standing_when_a_deposit_follows_the_answer(venue, venue_files):
    ledger, inbox = venue
    monitor.run(ledger, timedelta(hours=2), now=at(0))
    deliver(venue_files, inbox, "alice.first.proof.json")
    ledger.deposit("alice", Decimal(300), "top-up", now=at(0.2))
    assert submit(ledger, [inbox], now=lambda: at(0.5)).rows[0].status == "invalid"  # made before the deposit
    prove_alice(venue_files, inbox / "alice.after-deposit.proof.json", cash=10_300)
    submit(ledger, [inbox], now=lambda: at(0.6))
    assert statuses(ledger)["alice"] == "met"
    ledger.deposit("alice", Decimal(700), "top-up-2", now=at(1))
    report = monitor.run(ledger, timedelta(hours=2), now=at(3))
    assert report.standing == 1 and [call.account for call in report.overdue] == ["bob", "carol"]
    assert report.issued == []


def test_kept_by_deposits_refuses_when_the_commitments_changed_without_a_movement(venue_files):
    opened = zm.AccountCommitments.load(venue_files / "alice.account.json")
    topped_up = opened.deposit(500)
    moves = [SimpleNamespace(amount="500", book_version=1)]
    assert monitor.kept_by_deposits(commitments_digest(opened), 0, topped_up, 1, moves)
    assert monitor.kept_by_deposits(commitments_digest(topped_up), 1, topped_up, 1, moves)
    re_anchored = topped_up.deposit(1)  # held now, but no movement of the ledger made it
    assert not monitor.kept_by_deposits(commitments_digest(opened), 0, re_anchored, 2, moves)
    # upgraded from schema v3, where a re-anchor left the version where the movements put it
    assert not monitor.kept_by_deposits(commitments_digest(topped_up), 1, re_anchored, 1, moves)


def test_kept_by_deposits_leaves_out_movements_when_their_version_is_past_the_held_books(venue_files):
    """The movements are read after the held book: one committed in between is not on the way to it."""
    opened = zm.AccountCommitments.load(venue_files / "alice.account.json")
    topped_up = opened.deposit(500)
    moves = [SimpleNamespace(amount="500", book_version=1), SimpleNamespace(amount="-500", book_version=2)]
    assert monitor.kept_by_deposits(commitments_digest(opened), 0, topped_up, 1, moves)
    assert not monitor.kept_by_deposits(commitments_digest(opened), 0, topped_up.deposit(-500), 2, moves)


def test_monitor_refuses_run_when_the_current_epoch_params_expired(venue):
    ledger, _ = venue
    key = zm.new_key("venue-a", "params")
    signed = zm.sign_params(small_params(), key, epoch=1, valid_from=at(0), valid_for=timedelta(hours=1))
    ledger.publish(signed, now=at(0))
    assert [call.account for call in monitor.run(ledger, timedelta(hours=2), now=at(0.5)).issued] == ["alice", "bob", "carol"]
    with pytest.raises(zm.StaleAnchor, match="epoch 2 is under params epoch 1 of 'venue-a', which expired at 2026-12-01 17:00:00 UTC"):
        monitor.run(ledger, timedelta(hours=2), now=at(1))
    assert monitor.run(ledger, timedelta(hours=2), now=at(1), allow_expired=True).epoch == 2
