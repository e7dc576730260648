"""`zkmargin plot history`: an account's margin over time from the proofs the ledger recorded."""

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner

import zkmargin as zm
from tests.conftest import deliver
from tests.proofs.conftest import portfolio
from zkmargin.cli import cli
from zkmargin.venue.history import draw_history, history
from zkmargin.venue.intake import submit

pytest.importorskip("matplotlib")

MORNING = datetime(2026, 12, 2, 8, tzinfo=timezone.utc)
TIMES = [MORNING + timedelta(hours=hour) for hour in range(3)]
ALICE = portfolio(10_000, account="alice", FUT=1)


@pytest.fixture
def recorded(venue, venue_files):
    """alice proves excess ≥ 500 at 08:00 (epoch 1); the venue publishes the stressed params as
    margin epoch 2; she proves under them at 09:00; a proof for epoch 1 is refused at 10:00."""
    ledger, inbox = venue
    params = zm.RiskParams.load(venue_files / "params.json")
    openings = zm.AccountOpenings.load(venue_files / "alice.openings.json")
    zm.prove(ALICE, params, openings=openings, min_excess=500).save(inbox / "a.json")
    submit(ledger, [inbox / "a.json"], now=lambda: TIMES[0])
    ledger.publish(zm.RiskParams.load(venue_files / "stressed.json"))
    submit(ledger, [deliver(venue_files, inbox, "alice.stressed.proof.json", "b.json")], now=lambda: TIMES[1])
    submit(ledger, [deliver(venue_files, inbox, "alice.second.proof.json", "c.json")], now=lambda: TIMES[2])
    return ledger, venue_files


def test_history_values_the_book_under_each_proofs_epoch_when_a_portfolio_is_given(recorded):
    ledger, venue_files = recorded
    drawn = history(ledger, "alice", ALICE)
    assert [(p.at, p.epoch, p.status, p.proved_excess) for p in drawn.points] == [
        (TIMES[0], 1, "valid", Decimal(500)), (TIMES[1], 2, "valid", Decimal(0)), (TIMES[2], 1, "invalid", None)]
    reports = [zm.assess(ALICE, zm.RiskParams.load(venue_files / name)) for name in ("params.json", "stressed.json", "params.json")]
    assert [(p.equity, p.requirement, p.excess) for p in drawn.points] == [(r.equity, r.requirement, r.excess) for r in reports]
    assert reports[0].requirement != reports[1].requirement  # the epochs moved the requirement

    equity, requirement, excess, proved = draw_history(drawn).axes[0].lines
    assert list(equity.get_xdata()) == TIMES
    assert list(requirement.get_ydata()) == [float(r.requirement) for r in reports]
    assert list(excess.get_ydata()) == [float(r.excess) for r in reports]
    assert list(proved.get_xdata()) == TIMES[:2] and list(proved.get_ydata()) == [500.0, 0.0]
    assert proved.get_drawstyle() == "steps-post"
    (refused,) = draw_history(drawn).axes[0].collections
    assert refused.get_offsets().shape == (1, 2)


def test_history_names_no_bucket_count_when_a_proof_was_refused(recorded):
    ledger, _ = recorded
    assert [(p.status, p.buckets) for p in history(ledger, "alice").points] == [("valid", 1), ("valid", 1), ("invalid", None)]


def test_history_draws_only_the_proved_bound_when_no_book_is_given(recorded):
    ledger, _ = recorded
    drawn = history(ledger, "alice")
    assert not drawn.valued and all(p.equity is None for p in drawn.points)
    (proved,) = draw_history(drawn).axes[0].lines
    assert list(proved.get_ydata()) == [500.0, 0.0]


def test_history_refuses_when_account_sent_nothing_or_book_is_another_accounts(recorded):
    ledger, _ = recorded
    with pytest.raises(zm.InputError, match="no verified proof from 'carol'"):
        history(ledger, "carol")
    with pytest.raises(zm.InputError, match="the book is 'bob'"):
        history(ledger, "alice", portfolio(1, account="bob"))


def test_cli_plot_history_writes_picture_and_json_points_when_ledger_has_proofs(recorded, tmp_path):
    ledger, venue_files = recorded
    book = tmp_path / "alice.json"
    book.write_text(json.dumps({"account": "alice", "cash": 10_000, "positions": {"FUT": 1}}))
    result = CliRunner().invoke(cli, ["plot", "history", "alice", "--ledger", ledger.url, "--portfolio", str(book),
                                      "-o", str(tmp_path / "h.svg"), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["plot"], document["format"], document["currency"]) == ("history", "svg", "USD")
    assert [(p["epoch"], p["status"], p["proved_excess"]) for p in document["points"]] == [
        (1, "valid", "500"), (2, "valid", "0"), (1, "invalid", None)]
    assert document["points"][0]["at"] == "2026-12-02T08:00:00+00:00"
    assert (tmp_path / "h.svg").read_text().startswith("<?xml")
    missing = CliRunner().invoke(cli, ["plot", "history", "carol", "--ledger", ledger.url, "-o", str(tmp_path / "c.png")])
    assert missing.exit_code == 2 and "no verified proof from 'carol'" in missing.output
