"""What the ledger remembers (docs/trust-model.md): attested accounts and their sequence
numbers, signed params epochs, and the challenges it issued — on SQLite and PostgreSQL."""

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

import zkmargin as zm
from tests.anchors.conftest import claiming
from tests.conftest import STRESSED_FUT, deliver
from tests.proofs.conftest import portfolio, small_params
from zkmargin.errors import LedgerError, OutOfOrder, UntrustedSignature
from zkmargin.venue import monitor, schema
from zkmargin.venue.anchoring import consume_challenge, issue_challenge, open_attested
from zkmargin.venue.intake import submit
from zkmargin.venue.ledger import Ledger
from zkmargin.venue.schema import challenges

# Recent: the ledger refuses attestations older than a day, and intake params outside their window.
NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
# dave's hedge sits at custodian B: at A alone (short futures, 1,000 cash) he is short.
AT_A = portfolio(1_000, account="dave", FUT=-1)
AT_B = portfolio(3_000, account="dave", FUT=1, CALL=1)


@pytest.fixture(scope="module")
def custodians(tmp_path_factory):
    """Keys of custodians A and B (trusted: `trust`), and dave's books attested by both;
    A attests twice (sequence 1, then 2 after a deposit)."""
    root = tmp_path_factory.mktemp("custodians")
    params = small_params()
    keys = {name: zm.new_key(f"custodian-{name}", "custody") for name in "ab"}
    (root / "keys").mkdir()
    for name, key in keys.items():
        key.public().save(root / "keys" / f"{name}.pub.json")
    a1 = zm.attest(keys["a"], params, AT_A, sequence=1, time=NOW)
    a2 = zm.attest(keys["a"], params, portfolio(2_000, account="dave", FUT=-1), sequence=2, time=NOW)
    b1 = zm.attest(keys["b"], params, AT_B, sequence=7, time=NOW)
    for name, (attestation, _) in {"a1": a1, "a2": a2, "b1": b1}.items():
        attestation.save(root / f"dave.{name}.attestation.json")
    book = zm.attested_book([a1, b1], params)
    proof = zm.prove(book.portfolio, params, openings=book.openings, attestations=book.attestations)
    proof.save(root / "dave.attested.proof.json")
    bare = zm.prove(book.portfolio, params, openings=book.openings)  # same commitments, no attestations named
    bare.save(root / "dave.bare.proof.json")
    return {"root": root, "trust": zm.Trust.load([root / "keys"]), "a1": a1[0], "a2": a2[0], "b1": b1[0], "keys": keys}


def statuses(report):
    return [(row.account, row.status, row.reason) for row in report.rows]


def test_open_attested_holds_the_sum_when_custodians_signed(venue, custodians):
    ledger, inbox = venue
    assert open_attested(ledger, [custodians["b1"], custodians["a1"]], custodians["trust"])
    assert not open_attested(ledger, [custodians["a1"], custodians["b1"]], custodians["trust"])
    row = ledger.account("dave")
    assert row.attested and row.provenance == "attested by custodian-a (sequence 1), custodian-b (sequence 7)"
    assert [a.digest() for a in row.attestations] == [custodians["a1"].digest(), custodians["b1"].digest()]
    assert not ledger.account("alice").attested
    deliver(custodians["root"], inbox, "dave.attested.proof.json")
    deliver(custodians["root"], inbox, "dave.bare.proof.json")
    report = submit(ledger, [inbox], trust=custodians["trust"])
    by_file = {row.file.rsplit("/", 1)[-1]: row for row in report.rows}
    assert by_file["dave.attested.proof.json"].status == "valid"
    assert by_file["dave.bare.proof.json"].status == "invalid"
    assert "proof rests on other attestations" in by_file["dave.bare.proof.json"].reason


def test_submit_refuses_attested_proof_when_custodian_keys_not_trusted(venue, custodians):
    ledger, inbox = venue
    open_attested(ledger, [custodians["a1"], custodians["b1"]], custodians["trust"])
    deliver(custodians["root"], inbox, "dave.attested.proof.json")
    [(account, status, reason)] = statuses(submit(ledger, [inbox]))
    assert (account, status) == ("dave", "invalid") and "not among the trusted keys" in reason


def test_open_attested_refuses_attestation_when_key_untrusted(venue, custodians):
    ledger, _ = venue
    only_a = zm.Trust([custodians["keys"]["a"].public()])
    with pytest.raises(UntrustedSignature, match="not among the trusted keys"):
        open_attested(ledger, [custodians["a1"], custodians["b1"]], only_a)
    with pytest.raises(LedgerError, match="no account 'dave'"):
        ledger.account("dave")


def test_open_attested_refuses_attestation_when_its_key_is_trusted_for_params_only(venue, custodians):
    ledger, _ = venue
    params_key = zm.new_key("custodian-b", "params")
    b1, _ = zm.attest(claiming(params_key, ["custody"]), small_params(), AT_B, sequence=7, time=NOW)
    trust = zm.Trust([custodians["keys"]["a"].public(), params_key.public()])
    with pytest.raises(UntrustedSignature, match=r"roles \[params\]: only a key with role 'custody' may sign attestations"):
        open_attested(ledger, [custodians["a1"], b1], trust)
    with pytest.raises(LedgerError, match="no account 'dave'"):
        ledger.account("dave")


def test_open_attested_refuses_two_attestations_by_one_custodian_as_bad_input(venue, custodians):
    ledger, _ = venue
    with pytest.raises(LedgerError, match="cannot open 'dave': two attestations by one custodian"):
        open_attested(ledger, [custodians["a1"], custodians["a2"], custodians["b1"]], custodians["trust"])


def test_open_attested_refuses_older_sequence_when_newer_is_held(venue, custodians):
    ledger, _ = venue
    trust = custodians["trust"]
    assert open_attested(ledger, [custodians["a1"], custodians["b1"]], trust)
    before = ledger.account("dave").commitments_digest
    assert open_attested(ledger, [custodians["a2"], custodians["b1"]], trust)  # A attests again: re-anchored
    assert ledger.account("dave").commitments_digest != before
    with pytest.raises(OutOfOrder, match="already holds its attestation 2"):
        open_attested(ledger, [custodians["a1"], custodians["b1"]], trust)
    assert ledger.account("dave").attestations[0].sequence == 2


def test_monitor_calls_again_when_an_attested_account_is_re_anchored_on_the_same_commitments(venue, custodians):
    ledger, inbox = venue
    trust = custodians["trust"]
    open_attested(ledger, [custodians["a1"], custodians["b1"]], trust)
    deliver(custodians["root"], inbox, "dave.attested.proof.json")
    assert [row.status for row in submit(ledger, [inbox], trust=trust).rows] == ["valid"]
    assert "dave" not in [call.account for call in monitor.run(ledger, timedelta(hours=2)).issued]
    again = custodians["a1"].model_copy(update={"sequence": 2})  # A attests the very same commitments again
    again = again.model_copy(update={"signature": custodians["keys"]["a"].sign(again.message())})
    before = ledger.account("dave")
    assert open_attested(ledger, [again, custodians["b1"]], trust)
    after = ledger.account("dave")
    assert (after.commitments_digest, after.book_version) == (before.commitments_digest, before.book_version + 1)
    # the proof rests on attestation 1 of A, which intake now refuses: it stands no more
    assert [call.account for call in monitor.run(ledger, timedelta(hours=2)).issued] == ["dave"]


def test_open_attested_refuses_an_attestation_when_older_than_the_max_age(venue, custodians):
    ledger, _ = venue
    params = ledger.current_epoch().params()
    old, _ = zm.attest(custodians["keys"]["a"], params, AT_A, sequence=1, time=NOW - timedelta(days=2))
    with pytest.raises(LedgerError, match="more than 1 day, 0:00:00 ago"):
        open_attested(ledger, [old, custodians["b1"]], custodians["trust"])
    assert "dave" not in [row.account for row in ledger.accounts()]
    assert open_attested(ledger, [old, custodians["b1"]], custodians["trust"], max_attestation_age=timedelta(days=3))


def test_ledger_account_refuses_an_attested_row_when_its_commitments_are_not_the_attested_sum(venue, custodians):
    ledger, _ = venue
    open_attested(ledger, [custodians["a1"], custodians["b1"]], custodians["trust"])
    with ledger.transaction() as connection:
        alices = connection.execute(select(schema.accounts).where(schema.accounts.c.account == "alice")).one().commitments
        moved = json.dumps({**json.loads(alices), "account": "dave"})
        connection.execute(schema.accounts.update().where(schema.accounts.c.account == "dave").values(commitments=moved))
    with pytest.raises(LedgerError, match="'dave' are not the sum of the attestations"):
        ledger.account("dave")


def test_ledger_deposit_refused_when_account_attested(venue, custodians):
    ledger, _ = venue
    open_attested(ledger, [custodians["a1"], custodians["b1"]], custodians["trust"])
    with pytest.raises(LedgerError, match="money moves at the custodian"):
        ledger.deposit("dave", Decimal(5), "wire-9")
    assert ledger.movements() == []


@pytest.fixture(scope="module")
def venue_key():
    return zm.new_key("venue-a", "params")


def signed(key, epoch, **changes):
    return zm.sign_params(small_params(**changes), key, epoch=epoch, valid_from=NOW, valid_for=timedelta(days=1))


def test_publish_refuses_older_epoch_when_a_later_one_is_published(ledger_url, venue_key):
    ledger = Ledger(ledger_url)
    ledger.init()
    first, _ = ledger.publish(signed(venue_key, 5))
    assert first.epoch == 1
    with pytest.raises(OutOfOrder, match="epoch 4 of 'venue-a' is older than its epoch 5"):
        ledger.publish(signed(venue_key, 4, FUT=STRESSED_FUT))
    with pytest.raises(OutOfOrder, match="already published its epoch 5 .* with other params"):
        ledger.publish(signed(venue_key, 5, FUT=STRESSED_FUT))
    assert ledger.publish(signed(venue_key, 5)) == (first, False)
    later, new = ledger.publish(signed(venue_key, 6, FUT=STRESSED_FUT))
    assert (later.epoch, new) == (2, True)
    other_issuer = zm.new_key("venue-b", "params")
    with pytest.raises(LedgerError, match="params issuer is 'venue-a'"):
        ledger.publish(signed(other_issuer, 1, FUT=STRESSED_FUT), kind="stress")
    assert ledger.publish(signed(other_issuer, 1, FUT=STRESSED_FUT), kind="stress", new_issuer=True)[1]
    with pytest.raises(LedgerError, match="params issuer is 'venue-b'"):  # handed over
        ledger.publish(signed(venue_key, 7))
    assert [e.epoch for e in ledger.epochs()] == [1, 2, 3]
    ledger.close()


def test_cli_ledger_publish_refuses_older_signed_epoch_when_trusted(ledger_url, venue_key, tmp_path):
    from click.testing import CliRunner

    from zkmargin.cli import cli

    venue_key.public().save(tmp_path / "venue.pub.json")
    fresh = datetime.now(timezone.utc) - timedelta(minutes=1)
    for epoch, changes in ((5, {}), (4, {"FUT": STRESSED_FUT})):
        params = zm.sign_params(small_params(**changes), venue_key, epoch=epoch, valid_from=fresh, valid_for=timedelta(days=1))
        params.save(tmp_path / f"e{epoch}.json")
    runner = CliRunner(env={"ZKMARGIN_TRUST": None})

    def publish(name, *extra):
        return runner.invoke(cli, ["ledger", "publish", "--params", str(tmp_path / name), "--db", ledger_url, *extra])

    assert runner.invoke(cli, ["ledger", "init", "--db", ledger_url]).exit_code == 0
    assert "not among the trusted keys" in publish("e5.json").output
    assert publish("e5.json", "--trust", str(tmp_path / "venue.pub.json")).exit_code == 0
    older = publish("e4.json", "--trust", str(tmp_path / "venue.pub.json"), "--json")
    assert older.exit_code == 2 and "OutOfOrder" in older.stderr and "is older than its epoch 5" in older.stderr


def test_cli_ledger_publish_hands_the_ledger_to_another_issuer_only_when_new_issuer_given(ledger_url, venue_key, tmp_path):
    from click.testing import CliRunner

    from zkmargin.cli import cli

    successor = zm.new_key("venue-b", "params")
    fresh = datetime.now(timezone.utc) - timedelta(minutes=1)
    for key, name in ((venue_key, "a"), (successor, "b")):
        key.public().save(tmp_path / f"{name}.pub.json")
        zm.sign_params(small_params(), key, epoch=1, valid_from=fresh, valid_for=timedelta(days=1)).save(tmp_path / f"{name}.json")
    runner = CliRunner(env={"ZKMARGIN_TRUST": None})
    trust = ["--trust", str(tmp_path / "a.pub.json"), "--trust", str(tmp_path / "b.pub.json")]

    def publish(name, *extra):
        return runner.invoke(cli, ["ledger", "publish", "--params", str(tmp_path / name), "--db", ledger_url, *trust, *extra])

    assert runner.invoke(cli, ["ledger", "init", "--db", ledger_url]).exit_code == 0
    assert publish("a.json").exit_code == 0
    refused = publish("b.json")
    assert refused.exit_code == 2 and "params issuer is 'venue-a'" in refused.output
    assert publish("b.json", "--new-issuer").exit_code == 0
    ledger = Ledger(ledger_url)
    assert [(e.epoch, e.params().epoch.issuer) for e in ledger.epochs()] == [(1, "venue-a"), (2, "venue-b")]
    ledger.close()


def test_submit_refuses_superseded_epoch_unless_policy_allows(venue, venue_files):
    ledger, inbox = venue
    ledger.publish(small_params(FUT=STRESSED_FUT))  # margin epoch 2 supersedes epoch 1
    deliver(venue_files, inbox, "alice.first.proof.json")
    [(_, status, reason)] = statuses(submit(ledger, [inbox]))
    assert (status, reason) == ("invalid", "made for epoch 1, which epoch 2 superseded")
    deliver(venue_files, inbox, "bob.first.proof.json")
    rows = statuses(submit(ledger, [inbox], allow_superseded=True))
    assert rows[-1] == ("bob", "valid", None)


BOB = portfolio(9_000, account="bob", FUT=-1)


def bob_proof(venue_files, params, challenge, path):
    openings = zm.AccountOpenings.load(venue_files / "bob.openings.json")
    zm.prove(BOB, params, openings=openings, challenge=challenge).save(path)


def test_submit_refuses_replay_when_challenge_already_answered(venue, venue_files):
    ledger, inbox = venue
    params = ledger.current_epoch().params()
    issued = issue_challenge(ledger, "bob", valid_for=timedelta(hours=1))
    bob_proof(venue_files, params, issued.challenge, inbox / "bob.json")
    assert statuses(submit(ledger, [inbox])) == [("bob", "valid", None)]
    bob_proof(venue_files, params, issued.challenge, inbox / "bob-again.json")  # other bytes, same challenge
    [(_, status, reason)] = [row for row in statuses(submit(ledger, [inbox])) if row[1] != "already recorded"]
    assert status == "invalid"
    assert reason.startswith(f"replayed: challenge {issued.challenge[:16]}… was already answered by ")
    assert reason.split(" by ")[1].startswith(str(inbox / "bob.json"))
    # A replay is a final verdict: the same bytes again are skipped, not recorded once more.
    assert {row[1] for row in statuses(submit(ledger, [inbox]))} == {"already recorded"}
    with ledger.transaction() as connection:
        used = connection.execute(select(challenges.c.used_by)).scalar_one()
        stands = connection.execute(
            select(schema.proofs.c.file).where(schema.proofs.c.status == "valid", schema.proofs.c.superseded.is_(False))
        ).scalars().all()
    assert used is not None and stands == [str(inbox / "bob.json")]


def test_submit_refuses_challenge_when_not_issued_to_account_or_expired(venue, venue_files):
    ledger, inbox = venue
    params = ledger.current_epoch().params()
    to_alice = issue_challenge(ledger, "alice")
    expired = issue_challenge(ledger, "bob", valid_for=timedelta(seconds=1), now=NOW)
    bob_proof(venue_files, params, to_alice.challenge, inbox / "stolen.json")
    bob_proof(venue_files, params, zm.new_challenge(), inbox / "made-up.json")
    bob_proof(venue_files, params, expired.challenge, inbox / "late.json")
    reasons = {row.file.rsplit("/", 1)[-1]: (row.status, row.reason) for row in submit(ledger, [inbox]).rows}
    assert all(status == "invalid" for status, _ in reasons.values())
    assert "which the venue never issued to 'bob'" in reasons["stolen.json"][1]
    assert "which the venue never issued to 'bob'" in reasons["made-up.json"][1]
    assert f"expired at {expired.expires_at:%Y-%m-%d %H:%M:%S} UTC" in reasons["late.json"][1]


def test_submit_requires_challenge_when_asked(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "bob.first.proof.json")
    [(_, status, reason)] = statuses(submit(ledger, [inbox], require_challenge=True))
    assert status == "invalid" and "answers no challenge" in reason


def test_issue_challenge_refuses_when_account_unknown(venue):
    ledger, _ = venue
    with pytest.raises(LedgerError, match="no account 'zed'"):
        issue_challenge(ledger, "zed")


def test_ledger_init_upgrades_version_1_when_found(ledger_url):
    ledger = Ledger(ledger_url)
    with ledger.transaction(initialised=False) as connection:
        schema.metadata.create_all(connection, tables=[schema.schema_version])
        schema.MIGRATIONS[0](connection)
        connection.execute(schema.schema_version.insert().values(version=1))
        connection.exec_driver_sql(
            "INSERT INTO epochs (epoch, kind, params_digest, params, published_at) "
            "VALUES (1, 'margin', 'ab', '{}', '2026-12-01 00:00:00')"
        )
    assert ledger.init() == (1, schema.VERSION)
    with ledger.transaction() as connection:
        row = connection.execute(select(schema.epochs.c.epoch, schema.epochs.c.issuer)).one()
    assert tuple(row) == (1, None)
    ledger.close()


def test_cli_ledger_open_shows_attested_accounts_when_given_attestations(venue, custodians, tmp_path):
    from click.testing import CliRunner

    from zkmargin.cli import cli

    ledger, _ = venue
    root, runner = custodians["root"], CliRunner(env={"ZKMARGIN_TRUST": None})

    def run(*args, code=0):
        result = runner.invoke(cli, [*args, "--db", ledger.url])
        assert result.exit_code == code, result.output
        return result

    files = [str(root / f"dave.{name}.attestation.json") for name in ("a1", "b1")]
    assert "more than 0:30:00 ago" in run("ledger", "open", "--max-attestation-age", "30m", "--trust", str(root / "keys"), *files, code=2).output
    opened = json.loads(run("ledger", "open", "--trust", str(root / "keys"), *files, "--json").stdout)
    assert opened["accounts"] == [{"account": "dave", "files": files, "new": True,
                                   "provenance": "attested by custodian-a (sequence 1), custodian-b (sequence 7)"}]
    assert "not among the trusted keys" in run("ledger", "open", files[0], code=2).output
    listed = {row["account"]: row for row in json.loads(run("ledger", "accounts", "--json").stdout)["accounts"]}
    assert listed["alice"]["provenance"] == "self-declared" and listed["alice"]["attestations"] == []
    assert [(a["custodian"], a["sequence"]) for a in listed["dave"]["attestations"]] == [("custodian-a", 1), ("custodian-b", 7)]
    exported = json.loads(run("ledger", "export", "dave", "-o", str(tmp_path / "dave.json"), "--json").stdout)
    assert exported["provenance"] == "attested" and exported["file"] == str(tmp_path / "dave.json")
    older = run("ledger", "open", "--trust", str(root / "keys"), str(root / "dave.a2.attestation.json"), files[1])
    assert "opened" in older.output
    refused = run("ledger", "open", "--trust", str(root / "keys"), *files, code=2)
    assert "sequence numbers rise" in refused.output
    issued = run("ledger", "challenge", "dave", "--valid-for", "30m", "--json")
    assert zm.check_challenge(json.loads(issued.stdout)["challenge"])


def test_consume_challenge_lets_one_of_two_racing_intakes_win_when_both_answer_it(venue):
    ledger, _ = venue
    issued = issue_challenge(ledger, "bob")
    with ledger.transaction() as connection:
        ids = [connection.execute(schema.proofs.insert().values(
            file=name, file_digest=name * 32, account="bob", status="valid", superseded=False, received_at=NOW,
        )).inserted_primary_key[0] for name in ("aa", "bb")]
    first_holds = threading.Event()
    outcomes = {}

    def first():
        with ledger.transaction() as connection:
            outcomes["first"] = consume_challenge(connection, issued.challenge, "bob", ids[0], NOW)
            first_holds.set()
            time.sleep(1.0)  # the second intake arrives while this one has not committed

    thread = threading.Thread(target=first)
    thread.start()
    first_holds.wait(timeout=30)
    with ledger.transaction() as connection:
        outcomes["second"] = consume_challenge(connection, issued.challenge, "bob", ids[1], NOW)
    thread.join()
    assert outcomes["first"] is None
    assert outcomes["second"].startswith("replayed: ") and "already answered by aa" in outcomes["second"]


def test_submit_refuses_proofs_outside_the_params_window_unless_expired_params_allowed(venue, venue_files, venue_key):
    ledger, inbox = venue
    params = signed(venue_key, 3)
    ledger.publish(params)  # margin epoch 2, valid from NOW for a day
    openings = zm.AccountOpenings.load(venue_files / "alice.openings.json")

    def received(at, **rules):
        (inbox / f"{at:%s}").mkdir()
        zm.prove(portfolio(10_000, account="alice", FUT=1), params, openings=openings).save(inbox / f"{at:%s}" / "alice.json")
        [row] = submit(ledger, [inbox / f"{at:%s}"], now=lambda: at, **rules).rows
        return row

    early, late = received(NOW - timedelta(minutes=6)), received(NOW + timedelta(days=1))
    assert (early.status, early.reason) == ("invalid", f"made under params epoch 3 of 'venue-a', valid only from {NOW:%Y-%m-%d %H:%M:%S} UTC")
    # a signing clock up to CLOCK_SKEW ahead of the ledger's, as check_params allows the prover
    assert received(NOW - timedelta(minutes=4)).status == "valid"
    assert late.status == "invalid" and "which expired at" in late.reason
    assert received(NOW + timedelta(days=2), allow_expired=True).status == "valid"


def test_ledger_publish_refuses_unsigned_params_when_the_ledger_has_a_signed_issuer(ledger_url, venue_key):
    ledger = Ledger(ledger_url)
    ledger.init()
    ledger.publish(signed(venue_key, 1))
    unsigned = small_params(FUT=STRESSED_FUT)
    refusal = (
        r"^params: unsigned, but this ledger's params issuer is 'venue-a' \(ledger epoch 1\): sign them "
        r"\(zkmargin params sign\), or leave signed params behind deliberately with `zkmargin ledger publish "
        r"--new-issuer` \(margin params\)$"
    )
    with pytest.raises(LedgerError, match=refusal):
        ledger.publish(unsigned)
    assert [e.epoch for e in ledger.epochs()] == [1]
    handed_over, new = ledger.publish(unsigned, new_issuer=True)
    assert (handed_over.epoch, new) == (2, True)
    assert ledger.publish(small_params(FUT=[1_000.0, -1_000.0, -3_000.0, 2_500.0]))[0].epoch == 3
    ledger.close()


def test_cli_ledger_publish_and_monitor_stress_refuse_allow_unsigned_params_with_exit_2_when_the_ledger_is_signed(
    ledger_url, venue_key, tmp_path
):
    from click.testing import CliRunner

    from zkmargin.cli import cli

    venue_key.public().save(tmp_path / "venue.pub.json")
    fresh = datetime.now(timezone.utc) - timedelta(minutes=1)
    zm.sign_params(small_params(), venue_key, epoch=1, valid_from=fresh, valid_for=timedelta(days=1)).save(tmp_path / "signed.json")
    small_params(FUT=STRESSED_FUT).save(tmp_path / "unsigned.json")
    runner = CliRunner(env={"ZKMARGIN_TRUST": None})

    def publish(*extra):
        return runner.invoke(cli, ["ledger", "publish", "--db", ledger_url, *extra])

    assert runner.invoke(cli, ["ledger", "init", "--db", ledger_url]).exit_code == 0
    assert publish("--params", str(tmp_path / "signed.json"), "--trust", str(tmp_path / "venue.pub.json")).exit_code == 0
    unsigned = ("--params", str(tmp_path / "unsigned.json"), "--allow-unsigned")
    for refused in (publish(*unsigned), runner.invoke(cli, ["monitor", "stress", "--db", ledger_url, *unsigned])):
        assert refused.exit_code == 2
        assert "unsigned, but this ledger's params issuer is 'venue-a'" in refused.stderr
        # stress has no --new-issuer: a hand-over is a margin epoch, and the message names its command
        assert "`zkmargin ledger publish --new-issuer`" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert publish(*unsigned, "--new-issuer").exit_code == 0
