"""The ledger and monitor commands end to end, on SQLite and PostgreSQL."""

import json
import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import zkmargin as zm
from tests.conftest import deliver
from tests.proofs.conftest import portfolio, small_params
from zkmargin.cli import cli
from zkmargin.venue.intake import submit
from zkmargin.venue.ledger import Ledger
from zkmargin.venue.schema import proofs


@pytest.fixture
def zkm(ledger_url):
    runner = CliRunner()

    def run(*args, code=0):
        result = runner.invoke(cli, [*args, "--db", ledger_url], prog_name="zkmargin")
        assert result.exit_code == code, result.output
        return json.loads(result.stdout) if "--json" in args else result.output

    return run


@pytest.fixture
def opened(zkm, venue_files):
    zkm("ledger", "init")
    zkm("ledger", "publish", "--allow-unsigned", "--params", str(venue_files / "params.json"))
    zkm("ledger", "open", *(str(venue_files / f"{name}.account.json") for name in ("alice", "bob", "carol")))
    return zkm


def test_cli_ledger_publish_checks_params_like_every_reader_when_run(zkm, venue_files):
    zkm("ledger", "init")
    assert "not signed" in zkm("ledger", "publish", "--params", str(venue_files / "params.json"), code=2)


def test_cli_ledger_deposit_refused_when_reference_replayed(opened):
    first = opened("ledger", "deposit", "carol", "250.75", "--ref", "wire-1", "--json")
    assert (first["account"], first["amount"], first["reference"]) == ("carol", "250.75", "wire-1")
    output = opened("ledger", "deposit", "carol", "250.75", "--ref", "wire-1", code=2)
    assert "reference 'wire-1' was already recorded" in output


def test_cli_daily_routine_calls_silent_accounts_when_proofs_submitted(opened, venue_files, tmp_path):
    inbox = tmp_path / "inbox"
    deliver(venue_files, inbox, "alice.first.proof.json", "desk-a/alice.json")
    (inbox / "junk.json").write_text('{"format": "zkmargin-proof"')
    report = opened("ledger", "submit", str(inbox), "--json")
    assert report["counts"] == {"valid": 1, "invalid": 0, "bad input": 1, "already recorded": 0}
    assert report["silent"] == ["bob", "carol"]
    assert {row["status"] for row in report["files"]} == {"valid", "bad input"}

    run = opened("monitor", "run", "--deadline", "2h", "--json")
    assert [call["account"] for call in run["issued"]] == ["bob", "carol"]
    assert run["issued"][0]["request"].startswith("prove maintenance margin for epoch 1 by ")

    deliver(venue_files, inbox, "bob.first.proof.json")
    opened("ledger", "submit", str(inbox))
    calls = opened("monitor", "calls", "--json")["calls"]
    assert {call["account"]: call["status"] for call in calls} == {"bob": "met", "carol": "open"}
    assert "carol" in opened("monitor", "calls", "--status", "open")


def test_cli_monitor_lists_overdue_when_deadline_passed(opened):
    opened("monitor", "run", "--deadline", "0s")
    report = opened("monitor", "run", "--json")
    assert sorted(call["account"] for call in report["overdue"]) == ["alice", "bob", "carol"]
    assert report["issued"] == []


def test_cli_monitor_stress_counts_proofs_when_stressed_params_published(opened, venue_files, tmp_path):
    stressed = str(venue_files / "stressed.json")
    assert "not signed" in opened("monitor", "stress", "--params", stressed, code=2)
    assert opened("monitor", "stress", "--allow-unsigned", "--params", stressed, "--json")["proved"] == []
    inbox = tmp_path / "inbox"
    deliver(venue_files, inbox, "alice.stressed.proof.json")
    opened("ledger", "submit", str(inbox), "--jobs", "2")
    output = opened("monitor", "stress", "--allow-unsigned", "--params", stressed)
    assert "1 of 3 accounts proved" in output and "no proof yet: bob, carol" in output


def test_cli_ledger_export_writes_through_symlink_when_target_exists(opened, tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    opened("ledger", "deposit", "alice", "10", "--ref", "r1")
    opened("ledger", "export", "alice", "-o", str(link), "--force")
    assert link.is_symlink()
    assert json.loads(real.read_text())["account"] == "alice"


def test_cli_ledger_accounts_lists_provenance_when_asked(opened):
    accounts = opened("ledger", "accounts", "--json")["accounts"]
    assert [(a["account"], a["provenance"]) for a in accounts] == [
        ("alice", "self-declared"), ("bob", "self-declared"), ("carol", "self-declared")
    ]


def test_cli_ledger_refuses_when_not_initialised(zkm):
    assert "ledger init" in zkm("ledger", "accounts", code=2)


@pytest.mark.parametrize("deadline", ["2x", "h2", "2h 30m", ""])
def test_cli_monitor_run_exits_2_when_deadline_malformed(opened, deadline):
    assert "is not a duration like 90s, 30m, 12h, 7d or 1h30m" in opened("monitor", "run", "--deadline", deadline, code=2)


def test_cli_ledger_submit_accepts_expired_params_only_when_allow_expired_params_given(venue, venue_files, zkm, tmp_path):
    ledger, inbox = venue
    # Signed for one day that ended an hour ago: the venue failed to publish the next params.
    signed_from = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1, hours=1)
    params = zm.sign_params(small_params(), zm.new_key("venue-a", "params"), epoch=3, valid_from=signed_from, valid_for=timedelta(days=1))
    ledger.publish(params)
    openings = zm.AccountOpenings.load(venue_files / "alice.openings.json")
    zm.prove(portfolio(10_000, account="alice", FUT=1), params, openings=openings).save(inbox / "alice.json")

    refused = zkm("ledger", "submit", str(inbox))
    reason = f"made under params epoch 3 of 'venue-a', which expired at {signed_from + timedelta(days=1):%Y-%m-%d %H:%M:%S} UTC"
    [line] = [line for line in refused.splitlines() if "alice.json" in line]
    assert "invalid" in line and line.rstrip().endswith(reason)
    assert zkm("ledger", "submit", str(inbox), "--json")["files"][0]["status"] == "invalid"

    accepted = zkm("ledger", "submit", str(inbox), "--allow-expired-params", "--json")
    assert [(row["account"], row["status"], row["reason"]) for row in accepted["files"]] == [("alice", "valid", None)]


def test_cli_monitor_run_exits_2_when_the_current_epoch_params_expired(venue, zkm):
    ledger, _ = venue
    signed_from = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1, hours=1)
    params = zm.sign_params(small_params(), zm.new_key("venue-a", "params"), epoch=3, valid_from=signed_from, valid_for=timedelta(days=1))
    ledger.publish(params)
    refused = zkm("monitor", "run", code=2)
    expiry = f"{signed_from + timedelta(days=1):%Y-%m-%d %H:%M:%S} UTC"
    assert refused.count("\n") == 1 and f"epoch 2 is under params epoch 3 of 'venue-a', which expired at {expiry}" in refused
    assert "--allow-expired-params" in refused
    assert zkm("monitor", "calls") == "no margin calls\n"
    run = zkm("monitor", "run", "--allow-expired-params", "--json")
    assert (run["epoch"], [call["account"] for call in run["issued"]]) == (2, ["alice", "bob", "carol"])


def test_cli_monitor_run_counts_in_the_singular_when_one_account_stands(opened, venue_files, tmp_path):
    inbox = tmp_path / "inbox"
    deliver(venue_files, inbox, "alice.first.proof.json")
    opened("ledger", "submit", str(inbox))
    first_line = opened("monitor", "run", "--deadline", "2h").splitlines()[0]
    assert first_line == "epoch 1, maintenance: 1 account stands on a valid proof; this run: 2 calls issued, 0 met, 0 overdue"


def test_cli_ledger_submit_escapes_file_names_when_one_holds_a_newline(opened, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "x\nbob.json  bob  valid").write_text("not a proof")
    lines = opened("ledger", "submit", str(inbox)).splitlines()
    [row] = [line for line in lines if "bad input" in line and "x" in line]
    assert row.startswith(f"{inbox}/x\\nbob.json  bob  valid  -")
    assert row.endswith(f"bad input  {inbox}/x\\nbob.json  bob  valid: malformed JSON at line 1, column 1: Expecting value")
    assert not any(line.startswith("bob.json") for line in lines)


def test_cli_ledger_submit_prints_the_bytes_escaped_when_a_file_name_is_not_utf8(opened, venue_files, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    Path(os.fsdecode(os.fsencode(inbox / "bob") + b"\xff.json")).write_text("not a proof")
    lines = opened("ledger", "submit", str(inbox)).splitlines()
    assert f"{inbox}/bob\\xff.json  -        bad input  {inbox}/bob\\xff.json: malformed JSON at line 1, column 1: Expecting value" in lines
    [row] = opened("ledger", "submit", str(inbox), "--json")["files"]
    assert (row["file"], row["status"]) == (f"{inbox}/bob\\xff.json", "bad input")


def test_cli_ledger_deposit_prints_a_plain_amount_when_given_in_exponent_notation(opened):
    assert opened("ledger", "deposit", "carol", "1e3", "--ref", "wire-1").strip() == "carol: deposit of 1,000 recorded as 'wire-1'"
    assert opened("ledger", "withdraw", "carol", "2.5e2", "--ref", "payout-1", "--json")["amount"] == "-250"


def test_cli_ledger_deposit_exits_2_when_reference_has_surrounding_whitespace(opened):
    opened("ledger", "deposit", "carol", "100", "--ref", "w-1")
    output = opened("ledger", "deposit", "carol", "100", "--ref", " w-1", code=2)
    assert output.strip() == "zkmargin: error: reference ' w-1' must not start or end with whitespace"


def test_cli_ledger_open_imports_every_account_file_when_given_a_directory(zkm, venue_files, tmp_path):
    accounts = tmp_path / "acct"
    for name in ("alice", "bob"):
        deliver(venue_files, accounts, f"{name}.account.json", f"desk/{name}.json")
    (accounts / ".partial.json").write_text("{")  # hidden: skipped, as submit skips it
    zkm("ledger", "init")
    zkm("ledger", "publish", "--allow-unsigned", "--params", str(venue_files / "params.json"))
    opened = zkm("ledger", "open", str(accounts), "--json")["accounts"]
    assert sorted((row["account"], row["new"]) for row in opened) == [("alice", True), ("bob", True)]
    assert zkm("ledger", "open", str(accounts / "desk" / "bob.json"), "--json")["accounts"][0]["new"] is False


def test_cli_ledger_submit_summarises_already_recorded_files_when_run_again(opened, venue_files, tmp_path):
    inbox = tmp_path / "inbox"
    for n in range(5):
        deliver(venue_files, inbox, "alice.first.proof.json", f"alice-{n}.json", mtime=1_000 + n)
    opened("ledger", "submit", str(inbox))
    again = opened("ledger", "submit", str(inbox))
    assert "already recorded (same bytes as a file recorded before): 5 files: " in again
    assert f"{inbox}/alice-0.json, {inbox}/alice-1.json, {inbox}/alice-2.json and 2 more" in again
    assert "alice-3.json" not in again
    document = opened("ledger", "submit", str(inbox), "--json")
    assert [row["status"] for row in document["files"]] == ["already recorded"] * 5


def test_cli_ledger_submit_names_the_calls_it_closed_when_proofs_meet_them_or_deadlines_passed(opened, venue_files, tmp_path):
    inbox = tmp_path / "inbox"
    opened("monitor", "run", "--deadline", "2h")
    deliver(venue_files, inbox, "alice.first.proof.json")
    assert "margin calls met: alice (epoch 1)" in opened("ledger", "submit", str(inbox))
    (inbox / "junk.txt").write_text("not a proof")
    quiet = opened("ledger", "submit", str(inbox), "--json")
    assert quiet["calls"] == {"met": [], "overdue": []}
    opened("monitor", "run", "--deadline", "0s", "--level", "initial")  # alice, bob and carol: due at once
    (inbox / "junk2.txt").write_text("still not a proof")
    closed = opened("ledger", "submit", str(inbox), "--json")["calls"]
    assert [(c["account"], c["level"], c["status"]) for c in closed["overdue"]] == [
        ("alice", "initial", "overdue"), ("bob", "initial", "overdue"), ("carol", "initial", "overdue")
    ]


def test_cli_monitor_run_counts_every_call_by_status_when_submit_closed_some_since(opened, venue_files, tmp_path):
    inbox = tmp_path / "inbox"
    opened("monitor", "run", "--deadline", "2h")
    deliver(venue_files, inbox, "alice.first.proof.json")
    opened("ledger", "submit", str(inbox))
    lines = opened("monitor", "run").splitlines()
    assert lines[0] == "epoch 1, maintenance: 1 account stands on a valid proof; this run: 0 calls issued, 0 met, 0 overdue"
    assert lines[1].startswith("all calls now: 2 open, 1 met, 0 overdue (")
    assert lines[3] == "still open from earlier runs:" and [line.split()[0] for line in lines[5:]] == ["bob", "carol"]
    report = opened("monitor", "run", "--json")
    assert report["counts"] == {"open": 2, "met": 1, "overdue": 0}
    assert [call["account"] for call in report["open"]] == ["bob", "carol"] and report["met"] == []


def test_cli_ledger_submit_names_a_proof_superseded_on_arrival_when_another_intake_recorded_a_later_book_meanwhile(
    opened, ledger_url, venue_files, tmp_path, monkeypatch
):
    inbox, later = tmp_path / "inbox", tmp_path / "later"
    deliver(venue_files, inbox, "alice.first.proof.json")  # her opening book: version 0
    later.mkdir()
    openings = zm.AccountOpenings.load(venue_files / "alice.openings.json")
    zm.prove(portfolio(9_000, account="alice", FUT=1), small_params(), openings=openings).save(later / "alice.json")
    verify_batch = zm.verify_batch

    def another_intake_records_the_book_after_a_withdrawal(*args, **kwargs):
        monkeypatch.setattr(zm, "verify_batch", verify_batch)
        other = Ledger(ledger_url)
        other.withdraw("alice", Decimal(1_000), "wd-1")
        assert [row.status for row in submit(other, [later]).rows] == ["valid"]  # version 1
        other.close()
        return verify_batch(*args, **kwargs)

    monkeypatch.setattr(zm, "verify_batch", another_intake_records_the_book_after_a_withdrawal)
    summary = opened("ledger", "submit", str(inbox))
    assert f"valid but superseded on arrival (a proof of a later book of the account is current): {inbox}/alice.first.proof.json (alice)" in summary
    ledger = Ledger(ledger_url)
    with ledger.transaction() as connection:
        recorded = connection.execute(select(proofs.c.file, proofs.c.superseded, proofs.c.reason).order_by(proofs.c.id)).all()
    ledger.close()
    assert [(Path(file).name, superseded, reason) for file, superseded, reason in recorded] == [
        ("alice.json", False, None),
        ("alice.first.proof.json", True, "superseded on arrival: checked against book version 0 of 'alice'; the proof of book version 1 is current"),
    ]
