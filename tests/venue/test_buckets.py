"""Isolated buckets at the ledger, where every account is pinned: the bucket commitments of
a proof must add up to the one commitment per variable the ledger holds (SQLite and PostgreSQL).

dora holds FUT in one bucket and a short CALL in another (3,100 and 3,250 of cash: 100 of
excess each, tests/proofs/test_buckets.py); erin holds the same book cross-margined, one
real bucket. Both prove 4 buckets.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner

import zkmargin as zm
from tests.conftest import deliver
from tests.proofs.conftest import forge_proof, portfolio
from tests.proofs.test_buckets import CALL_CASH, FUT_CASH, book
from tests.venue.test_cli import zkm  # noqa: F401 (the fixture)
from zkmargin.cli import cli
from zkmargin.proofs.verifier import RANGE_PROOF_FAILS
from zkmargin.venue import monitor
from zkmargin.venue.history import history
from zkmargin.venue.intake import submit

DORA = book(FUT_CASH + 100, CALL_CASH + 100, account="dora")
ERIN = portfolio(FUT_CASH + CALL_CASH + 200, account="erin", FUT=1, CALL=-1)


@pytest.fixture(scope="module")
def bucket_files(venue_files, tmp_path_factory):
    """dora's and erin's account files, openings and proofs, honest or not."""
    root = tmp_path_factory.mktemp("buckets")
    params = zm.RiskParams.load(venue_files / "params.json")
    DORA.save(root / "dora.buckets.json")
    for name, merged in (("dora", DORA.merged()), ("erin", ERIN)):
        commitments, openings = zm.open_account(merged, params)
        commitments.save(root / f"{name}.account.json")
        openings.save(root / f"{name}.openings.json")
    dora = zm.AccountOpenings.load(root / "dora.openings.json")
    erin = zm.AccountOpenings.load(root / "erin.openings.json")
    zm.prove(DORA, params, openings=dora, pad_to=4, min_excess=10).save(root / "dora.proof.json")
    zm.prove(ERIN, params, openings=erin, pad_to=4, min_excess=10).save(root / "erin.proof.json")
    # one dollar more in a bucket than the ledger holds (the prover had no account file to check)
    richer = book(FUT_CASH + 101, CALL_CASH + 100, account="dora")
    zm.prove(richer, params, openings=dora, pad_to=4).save(root / "dora.richer.proof.json")

    moved = []

    def move_cash(circuit, values):
        # the fut bucket claims 1,000 of the call bucket's cash: the call bucket is short, the sums match
        cash = [i for i, v in enumerate(circuit.variables) if v.role == "collateral"][0]
        values[cash] += {0: 100_000, 1: -100_000}.get(len(moved), 0)
        moved.append(cash)

    with pytest.MonkeyPatch.context() as monkeypatch:
        forged = forge_proof(monkeypatch, lambda: zm.prove(DORA, params, openings=dora, pad_to=4), move_cash)
    forged.save(root / "dora.forged.proof.json")
    return root


@pytest.fixture
def ledger(venue, bucket_files):
    ledger, inbox = venue
    for name in ("dora", "erin"):
        ledger.open_account(zm.AccountCommitments.load(bucket_files / f"{name}.account.json"))
    return ledger, inbox


def test_submit_accepts_a_pinned_bucket_proof_showing_the_padded_count_when_the_real_counts_differ(ledger, bucket_files):
    ledger, inbox = ledger
    for name in ("dora", "erin"):
        deliver(bucket_files, inbox, f"{name}.proof.json")
    report = submit(ledger, [inbox])
    assert {(row.account, row.status, row.buckets) for row in report.rows} == {("dora", "valid", 4), ("erin", "valid", 4)}
    assert [(p.status, p.buckets, p.proved_excess) for p in history(ledger, "dora").points] == [("valid", 4, Decimal(10))]
    assert history(ledger, "erin").points[0].buckets == 4  # one real bucket, shown as four


@pytest.mark.parametrize("name, reason", [
    ("dora.richer.proof.json", "the 4 buckets' committed cash does not add up to what the venue holds for 'dora': it moved (a deposit or withdrawal) since this proof was made, or the proof is about another book; prove again"),
    ("dora.forged.proof.json", RANGE_PROOF_FAILS),
])
def test_submit_refuses_a_bucket_proof_when_its_sums_or_a_bucket_fail(ledger, bucket_files, name, reason):
    ledger, inbox = ledger
    deliver(bucket_files, inbox, name)
    deliver(bucket_files, inbox, "erin.proof.json")
    rows = {row.account: row for row in submit(ledger, [inbox]).rows}
    assert (rows["dora"].status, rows["dora"].reason, rows["dora"].buckets) == ("invalid", reason, 4)
    assert rows["erin"].status == "valid"  # a bad bucket proof costs only its own row


def prove_cli(*args, code=0):
    result = CliRunner().invoke(cli, ["prove", *args], prog_name="zkmargin")
    assert result.exit_code == code, result.output
    return result


def test_cli_prove_buckets_with_the_ledgers_openings_then_submit_when_the_account_is_pinned(
    zkm, venue_files, bucket_files, tmp_path  # noqa: F811 (the fixture)
):
    zkm("ledger", "init")
    zkm("ledger", "publish", "--allow-unsigned", "--params", str(venue_files / "params.json"))
    zkm("ledger", "open", str(bucket_files / "dora.account.json"))
    exported = tmp_path / "dora.account.json"
    zkm("ledger", "export", "dora", "-o", str(exported))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    common = ["--params", str(venue_files / "params.json"), "--allow-unsigned", "--openings",
              str(bucket_files / "dora.openings.json"), "--commitments", str(exported)]
    made = prove_cli(*common, "--portfolio", str(bucket_files / "dora.buckets.json"), "--pad-buckets", "4",
                     "--min-excess", "25", "-o", str(inbox / "dora.json"), "--json")
    assert (json.loads(made.stdout)["buckets"], json.loads(made.stdout)["proved"]) == (4, True)

    book(FUT_CASH + 100, CALL_CASH + Decimal("99.99"), account="dora").save(tmp_path / "short.json")  # a cent lost
    refused = prove_cli(*common, "--portfolio", str(tmp_path / "short.json"), "-o", str(tmp_path / "x.json"), code=2)
    assert refused.output.count("\n") == 1 and "the buckets' cash c does not open the pinned commitments" in refused.output
    greedy = prove_cli(*common, "--portfolio", str(bucket_files / "dora.buckets.json"), "--pad-buckets", "4",
                       "--min-excess", "60", "-o", str(tmp_path / "y.json"), code=1)
    assert "the 2 padding buckets need 60 USD of cash each" in greedy.output

    text = zkm("ledger", "submit", str(inbox))
    assert "valid proofs of isolated buckets (count as shown, padded): dora (4)" in text
    prove_cli(*common, "--portfolio", str(bucket_files / "dora.buckets.json"), "-o", str(inbox / "dora.2.json"))
    report = zkm("ledger", "submit", str(inbox), "--json")
    assert [(row["account"], row["status"], row["buckets"]) for row in report["files"]] == [
        ("dora", "already recorded", None), ("dora", "valid", 2),
    ]


def test_submit_wants_the_deposit_in_a_bucket_when_money_moved_after_a_bucket_proof(ledger, bucket_files, venue_files):
    ledger, inbox = ledger
    ledger.deposit("dora", Decimal(500), "wire-1")
    deliver(bucket_files, inbox, "dora.proof.json")  # made before the deposit
    params = zm.RiskParams.load(venue_files / "params.json")
    openings = zm.AccountOpenings.load(bucket_files / "dora.openings.json")
    after = book(FUT_CASH + 100, CALL_CASH + 600, account="dora")  # the 500 went to the call bucket
    zm.prove(after, params, openings=openings, commitments=ledger.account("dora").commitments, pad_to=4).save(
        inbox / "dora.after.json"
    )
    rows = {row.file.rsplit("/", 1)[1]: row for row in submit(ledger, [inbox]).rows}
    assert (rows["dora.proof.json"].status, rows["dora.proof.json"].reason) == (
        "invalid", "the 4 buckets' committed cash does not add up to what the venue holds for 'dora': it moved (a deposit or withdrawal) since this proof was made, or the proof is about another book; prove again"
    )
    assert (rows["dora.after.json"].status, rows["dora.after.json"].buckets) == ("valid", 4)


def test_monitor_keeps_a_bucket_proof_standing_when_a_deposit_follows_it(ledger, bucket_files):
    ledger, inbox = ledger
    deliver(bucket_files, inbox, "dora.proof.json")
    assert submit(ledger, [inbox]).rows[0].status == "valid"
    ledger.deposit("dora", Decimal(500), "wire-after")
    called = {call.account for call in monitor.run(ledger, timedelta(hours=2)).issued}
    assert "dora" not in called and {"bob", "carol", "erin"} <= called
