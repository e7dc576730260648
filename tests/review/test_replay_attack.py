"""Attack review of the venue's replay memory (branch venue-gaps): one failing test per finding.

Each test runs the real ledger (SQLite and PostgreSQL: tests/conftest.py, through
tests/review/conftest.py) with real proofs, attestations and keys, plays an outsider (or a
trader against the venue), and states the property the ledger should have. They fail on
the reviewed code and pass once the finding is fixed.
"""

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import update

import zkmargin as zm
from tests.proofs.conftest import portfolio, small_params
from tests.conftest import deliver
from tests.venue.test_anchoring import signed
from zkmargin.cli import cli
from zkmargin.errors import LedgerError
from zkmargin.venue import monitor
from zkmargin.venue.anchoring import issue_challenge, open_attested
from zkmargin.venue.intake import submit
from zkmargin.venue.ledger import Ledger
from zkmargin.venue.schema import accounts

ALICE = portfolio(10_000, account="alice", FUT=1)  # alice's book in venue_files


def _alice_proof(venue_files, params, challenge=None):
    openings = zm.AccountOpenings.load(venue_files / "alice.openings.json")
    return zm.prove(ALICE, params, openings=openings, challenge=challenge)


def _tampered_copy(venue_files, inbox):
    """Anyone's edit of alice's proof: it names alice and the current epoch, and fails."""
    forged = json.loads((venue_files / "alice.first.proof.json").read_text())
    forged["statement"]["threshold"] = "1000000"
    (inbox / "in-alices-name.json").write_text(json.dumps(forged))
    return {}


def _resent_without_challenge(venue_files, inbox):
    """alice's own earlier proof, sent again (re-encoded) after the venue began requiring challenges."""
    old = json.loads((venue_files / "alice.first.proof.json").read_text())
    (inbox / "old-alice.json").write_text(json.dumps(old, indent=1))
    return {"require_challenge": True}


# R1 (high) — venue/intake.py `_record`: every `invalid` row supersedes the account's other
# proofs for its epoch and level, and proof files are not authenticated. Anybody who can drop a
# file into the inbox (another trader, a relay) sends a broken proof naming alice: her valid
# proof is marked superseded, she no longer stands, and the next `monitor run` calls her; junk
# sent with every intake run keeps her from meeting the call, which goes overdue (liquidation). docs/trust-model.md promises "nobody can burn
# alice's challenge by sending junk in her name"; junk still burns her standing.
@pytest.mark.parametrize("junk", [_tampered_copy, _resent_without_challenge], ids=["tampered", "replayed"])
def test_submit_keeps_the_accounts_standing_when_a_refused_proof_names_it(venue, venue_files, junk):
    ledger, inbox = venue
    params = ledger.current_epoch().params()
    issued = issue_challenge(ledger, "alice")
    _alice_proof(venue_files, params, issued.challenge).save(inbox / "alice.json")
    assert [(r.account, r.status) for r in submit(ledger, [inbox], require_challenge=True).rows] == [("alice", "valid")]
    rules = junk(venue_files, inbox)
    refused = [row for row in submit(ledger, [inbox], **rules).rows if row.status != "already recorded"]
    assert [(row.account, row.status) for row in refused] == [("alice", "invalid")]
    called = [call.account for call in monitor.run(ledger, timedelta(hours=2)).issued]
    assert "alice" not in called, "a refused proof in alice's name took away the standing of her valid one"


# R2 (medium) — venue/anchoring.py `open_attested`: a re-anchor may leave out a custodian the
# ledger holds for the account. Sequence numbers rise per custodian, so erin cannot send A's
# older book again, but she can drop A altogether. A holds a 3,000 loan (a debit, nothing
# else), B 6,000 and a long future: together her excess is 0, at B alone 3,000. Re-opened on
# B's attestation alone, the ledger's book for erin has lost her debt, and every proof of
# hers is checked against that book.
@pytest.fixture(scope="module")
def erin():
    params = small_params()
    keys = {name: zm.new_key(f"custodian-{name}", "custody") for name in "ab"}
    at = datetime.now(timezone.utc) - timedelta(hours=1)
    loan, _ = zm.attest(keys["a"], params, portfolio(-3_000, account="erin"), sequence=4, time=at)
    assets, _ = zm.attest(keys["b"], params, portfolio(6_000, account="erin", FUT=1), sequence=9, time=at)
    return loan, assets, zm.Trust([key.public() for key in keys.values()])


def test_open_attested_refuses_a_re_anchor_when_it_leaves_out_a_custodian_the_ledger_holds(venue, erin):
    ledger, _ = venue
    loan, assets, trust = erin
    params = ledger.current_epoch().params()
    together = zm.assess(portfolio(3_000, account="erin", FUT=1), params)
    assert (together.excess, zm.assess(portfolio(6_000, account="erin", FUT=1), params).excess) == (0, 3_000)
    assert open_attested(ledger, [loan, assets], trust)
    with pytest.raises(LedgerError, match="custodian-a"):
        open_attested(ledger, [assets], trust)
    assert ledger.account("erin").provenance == "attested by custodian-a (sequence 4), custodian-b (sequence 9)"


# R3 (low) — venue/intake.py `_Rules.refusal`: after `ledger challenge bob` ("its next proof
# must answer it", says the command's help), intake without --require-challenge still takes a
# proof that answers no challenge — bob's old proof re-sent (re-encoded) while the challenge
# is outstanding — and records it valid, so the freshness the venue asked for is not obtained.
def test_submit_refuses_a_proof_without_challenge_when_one_is_outstanding_for_the_account(venue, venue_files):
    ledger, inbox = venue
    issue_challenge(ledger, "bob", valid_for=timedelta(hours=1))
    old = json.loads((venue_files / "bob.first.proof.json").read_text())
    (inbox / "bob-resent.json").write_text(json.dumps(old, indent=1))
    [row] = submit(ledger, [inbox]).rows
    assert row.status == "invalid" and "challenge" in row.reason


# R4 (low) — venue/ledger.py `stored_attestations`: the ledger reads the `attestation` column
# without checking that the attestations name the row's account (or sum to its commitments).
# Swapped in the database (a bad migration, a manual fix, an insider), bob is listed as
# attested by the custodians of dave's book; nothing notices.
def test_ledger_account_refuses_stored_attestations_when_they_name_another_account(venue, custodians):
    ledger, _ = venue
    open_attested(ledger, [custodians["a1"], custodians["b1"]], custodians["trust"])
    with ledger.transaction() as connection:
        daves = connection.execute(accounts.select().where(accounts.c.account == "dave")).one().attestation
        connection.execute(update(accounts).where(accounts.c.account == "bob").values(attestation=daves))
    with pytest.raises(LedgerError, match="dave"):
        ledger.account("bob")


# R5 (low) — cli/verify_batch.py verify-batch --challenge: two files answering bob's one challenge
# (the same proof re-encoded) both verify, and the summary counts 2 accounts meeting the
# statement. A challenge answered twice in one batch is a replay the verifier can see without
# any memory; the second should fail like the ledger's "replayed".
def test_verify_batch_fails_the_second_proof_when_two_answer_one_accounts_challenge(venue_files, tmp_path):
    params = zm.RiskParams.load(venue_files / "params.json")
    challenge = zm.new_challenge()
    openings = zm.AccountOpenings.load(venue_files / "bob.openings.json")
    proof = zm.prove(portfolio(9_000, account="bob", FUT=-1), params, openings=openings, challenge=challenge)
    proof.save(tmp_path / "bob.json")
    (tmp_path / "bob-again.json").write_text(json.dumps(json.loads(proof.to_json()), indent=1))
    (tmp_path / "challenges.json").write_text(json.dumps({"bob": challenge}))
    result = CliRunner(env={"ZKMARGIN_TRUST": None}).invoke(cli, [
        "verify-batch", "--params", str(venue_files / "params.json"), "--allow-unsigned", "--challenge",
        str(tmp_path / "challenges.json"), str(tmp_path / "bob.json"), str(tmp_path / "bob-again.json"), "--json",
    ])
    document = json.loads(result.stdout)
    assert len(document["statements"]) == 1, "one challenge of bob's counted as two accounts meeting the statement"
    assert result.exit_code == 1


# R6 (medium) — venue/ledger.py `publish` / `_require_later_epoch`: signed epochs must rise per
# ISSUER, so params signed by any other trusted params key — another venue's, which the venue
# keeps in the same trust set ($ZKMARGIN_TRUST serves `ledger publish` and `ledger submit`
# alike; a custodian's key is refused by its role before the ledger sees the params) —
# publish as "epoch 1" of that issuer after the venue's epoch 7 and become the current margin
# epoch: every proof under the venue's own params is then refused as superseded, and traders
# prove against the other issuer's (here: far more lenient) scenarios.
def test_publish_refuses_margin_params_when_another_issuer_signed_them_after_the_venues_epochs(ledger_url):
    ledger = Ledger(ledger_url)
    ledger.init()
    ledger.publish(signed(zm.new_key("venue-a", "params"), 7))
    lenient = signed(zm.new_key("venue-b", "params"), 1, FUT=[10.0, -10.0, -30.0, 25.0])
    try:
        with pytest.raises(LedgerError, match="venue-a"):
            ledger.publish(lenient)
        assert ledger.current_epoch().params().epoch.issuer == "venue-a"
    finally:
        ledger.close()


# R7 (medium) — venue/intake.py: intake never looks at the signed params' validity window. The
# venue signs each day's params valid for one day; when it fails to publish the next day's (a
# broken feed, a crash during a market move), the ledger keeps accepting proofs under the
# expired ones, and `monitor run` counts those accounts as standing. `zkmargin verify` under a
# policy refuses the same proof (StaleAnchor).
def test_submit_refuses_a_proof_when_its_signed_params_expired_before_intake(ledger_url, tmp_path):
    signed_at = datetime.now(timezone.utc) - timedelta(hours=1)
    params = zm.sign_params(small_params(), zm.new_key("venue-a", "params"), epoch=3, valid_from=signed_at, valid_for=timedelta(days=1))
    book = portfolio(10_000, account="alice", FUT=1)
    commitments, openings = zm.open_account(book, params)
    ledger = Ledger(ledger_url)
    ledger.init()
    ledger.publish(params)
    ledger.open_account(commitments)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    zm.prove(book, params, openings=openings).save(inbox / "alice.json")
    try:
        [row] = submit(ledger, [inbox], now=lambda: signed_at + timedelta(days=2)).rows
    finally:
        ledger.close()
    assert row.status == "invalid" and "expired" in row.reason


# R8 (low) — venue/intake.py `_take`: a file is skipped as "already recorded" whenever its bytes
# were recorded before, whatever the verdict. A proof refused for a reason that later stops
# holding (params not published yet, account not opened yet) can never be verified again as
# sent: whoever delivers alice's proof bytes early (a relay, another trader who saw the file,
# or just the venue's own order of work) makes her later, correct submission a no-op.
def test_submit_verifies_a_file_again_when_it_was_refused_before_its_params_were_published(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.stressed.proof.json")
    [early] = submit(ledger, [inbox]).rows
    assert (early.status, early.account) == ("bad input", "alice") and "never published" in early.reason
    ledger.publish(zm.RiskParams.load(venue_files / "stressed.json"), kind="stress")
    [again] = submit(ledger, [inbox]).rows
    assert again.status == "valid", f"alice's proof under the published stress epoch: {again.status} ({again.reason})"


# R9 (medium) — venue/anchoring.py `open_attested`: the ledger checks an attestation's signature,
# params and rising sequence number, never its time. `Policy` always refuses one dated more
# than CLOCK_SKEW ahead, and offers `max_attestation_age`; the ledger applies neither, so a book
# attested "a year from now" (a custodian's clock, or a key used to pre-date) is taken, and so is
# a year-old attestation the ledger has not seen before (sequence numbers only stop going back
# from what this ledger already holds): the trader shows a new venue the book he had then.
def test_open_attested_refuses_an_attestation_when_it_is_dated_a_year_ahead(venue):
    ledger, _ = venue
    params = ledger.current_epoch().params()
    key = zm.new_key("custodian-a", "custody")
    ahead = datetime.now(timezone.utc) + timedelta(days=365)
    attestation, _ = zm.attest(key, params, portfolio(50_000, account="erin"), sequence=1, time=ahead)
    with pytest.raises(zm.ZkMarginError, match="future"):
        open_attested(ledger, [attestation], zm.Trust([key.public()]))
    assert "erin" not in [row.account for row in ledger.accounts()]
