"""Pinning: account open / deposit / withdraw, prove --openings, verify --commitments."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import zkmargin as zm


def test_account_open_writes_commitments_and_openings_when_portfolio_valid(invoke, workdir):
    result = invoke("account", "open", "--params", "params.json", "--portfolio", "meets.json",
                    "-o", "new.account.json", "--openings", "new.openings.json")
    assert result.exit_code == 0, result.output
    commitments = zm.AccountCommitments.load(workdir / "new.account.json")
    openings = zm.AccountOpenings.load(workdir / "new.openings.json")
    universe = zm.RiskParams.load(workdir / "params.json").instruments
    assert commitments.account == openings.account == "alice"
    assert sorted(commitments.positions) == sorted(universe)
    assert "wrote new.account.json (4 commitments, for the venue)" in result.stdout


def test_account_open_keeps_existing_files_when_force_missing(invoke, workdir):
    before = (workdir / "alice.openings.json").read_bytes()
    result = invoke("account", "open", "--params", "params.json", "--portfolio", "meets.json",
                    "-o", "fresh.json", "--openings", "alice.openings.json")
    assert result.exit_code == 2
    assert "alice.openings.json already exists; pass --force" in result.stderr
    assert (workdir / "alice.openings.json").read_bytes() == before
    assert not (workdir / "fresh.json").exists()


def test_verify_exits_0_pinned_when_proved_with_account_openings(invoke, workdir):
    result = invoke("verify", "--params", "params.json", "--commitments", "alice.account.json",
                    "alice.pinned.proof.json", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["valid"], document["pinned"], document["account"]) == (True, True, "alice")


def test_verify_exits_1_when_proof_not_about_pinned_commitments(invoke, workdir):
    result = invoke("verify", "--params", "params.json", "--commitments", "alice.account.json",
                    "meets.proof.json")
    assert result.exit_code == 1
    assert "INVALID" in result.stderr


def test_verify_names_each_account_once_when_the_proof_is_for_another_account_than_the_commitments(invoke, workdir):
    result = invoke("verify", "--params", "params.json", "--commitments", "alice.account.json", "bob.proof.json")
    assert result.exit_code == 1
    assert result.stderr == ("zkmargin: error: bob.proof.json: INVALID: the proof is for account 'bob', but the "
                             "commitments it is checked against are for 'alice'\n")


def test_verify_says_the_cash_moved_and_to_prove_again_when_the_account_withdrew_after_the_proof(invoke, workdir):
    assert invoke("account", "withdraw", "alice.account.json", "600").exit_code == 0
    result = invoke("verify", "--params", "params.json", "--commitments", "alice.account.json", "alice.pinned.proof.json")
    assert result.exit_code == 1
    assert result.stderr == (
        "zkmargin: error: alice.pinned.proof.json: INVALID: the committed cash differs from what the venue holds for "
        "'alice': it moved (a deposit or withdrawal) since this proof was made, or the proof is about another book; "
        "prove again\n"
    )


def test_verify_names_the_position_and_a_fill_when_the_pinned_position_moved_after_the_proof(workdir):
    params = zm.RiskParams.load(workdir / "params.json")
    filled = zm.AccountCommitments.load(workdir / "alice.account.json").trade("XYZ", 5)
    with pytest.raises(zm.InvalidProof) as refused:
        zm.verify(zm.MarginProof.load(workdir / "alice.pinned.proof.json"), params, commitments=filled)
    assert refused.value.reason == (
        "the committed position in 'XYZ' differs from what the venue holds for 'alice': it moved (a fill) since "
        "this proof was made, or the proof is about another book; prove again"
    )


def test_verify_warns_on_stderr_when_not_pinned(invoke, workdir):
    result = invoke("verify", "--params", "params.json", "meets.proof.json")
    assert result.exit_code == 0
    assert "not pinned" in result.stderr and "--commitments" in result.stderr


def test_deposit_invalidates_old_proof_and_new_proof_verifies_when_cash_follows(invoke, workdir):
    deposited = invoke("account", "deposit", "alice.account.json", "2500.50")
    assert deposited.exit_code == 0, deposited.output
    assert "moved by 2,500.50" in deposited.stdout
    stale = invoke("verify", "--params", "params.json", "--commitments", "alice.account.json",
                   "alice.pinned.proof.json")
    assert stale.exit_code == 1
    alice = zm.Portfolio.load(workdir / "meets.json")
    richer = alice.model_copy(update={"cash": alice.cash + Decimal("2500.50")})
    (workdir / "richer.json").write_text(richer.to_json())
    proved = invoke("prove", "--params", "params.json", "--portfolio", "richer.json",
                    "--openings", "alice.openings.json", "-o", "after.proof.json")
    assert proved.exit_code == 0, proved.output
    fresh = invoke("verify", "--params", "params.json", "--commitments", "alice.account.json",
                   "after.proof.json")
    assert fresh.exit_code == 0, fresh.output


def test_withdraw_undoes_deposit_when_amounts_equal(invoke, workdir):
    before = zm.AccountCommitments.load(workdir / "alice.account.json")
    assert invoke("account", "deposit", "alice.account.json", "1234.56").exit_code == 0
    moved = zm.AccountCommitments.load(workdir / "alice.account.json")
    assert moved.collateral != before.collateral
    assert invoke("account", "withdraw", "alice.account.json", "1234.56").exit_code == 0
    assert zm.AccountCommitments.load(workdir / "alice.account.json") == before


def test_account_deposit_prints_a_plain_amount_when_given_in_exponent_notation(invoke, workdir):
    result = invoke("account", "deposit", "alice.account.json", "1e3")
    assert result.exit_code == 0
    assert result.output.strip() == "alice.account.json: committed cash of alice moved by 1,000"
    withdrawn = invoke("account", "withdraw", "alice.account.json", "2.5e2", "--json")
    assert json.loads(withdrawn.output)["moved"] == "-250"


def test_account_deposit_exits_2_when_amount_negative_or_file_missing(invoke, workdir):
    negative = invoke("account", "deposit", "alice.account.json", "--", "-5")
    assert negative.exit_code == 2
    missing = invoke("account", "deposit", "nobody.json", "5")
    assert missing.exit_code == 2
    assert "nobody.json" in missing.stderr


@pytest.mark.parametrize(("verb", "noun"), [("deposit", "deposit"), ("withdraw", "withdrawal")])
def test_account_move_names_the_movement_and_amount_as_given_when_it_does_not_fit(invoke, workdir, verb, noun):
    before = (workdir / "alice.account.json").read_bytes()
    result = invoke("account", verb, "alice.account.json", "1e400")
    assert result.exit_code == 2
    assert result.stderr == (f"zkmargin: error: alice.account.json: {noun}: 1E+400 does not fit: it must lie between "
                             "-92,233,720,368,547,758.08 and 92,233,720,368,547,758.07\n")
    assert (workdir / "alice.account.json").read_bytes() == before


def test_prove_exits_2_when_openings_belong_to_other_account(invoke, workdir):
    result = invoke("prove", "--params", "params.json", "--portfolio", "bob.json",
                    "--openings", "alice.openings.json", "-o", "x.json")
    assert result.exit_code == 2
    assert "alice" in result.stderr and "bob" in result.stderr


def test_prove_names_the_file_and_both_accounts_when_openings_or_commitments_are_another_accounts(invoke, workdir):
    by_openings = invoke("prove", "--params", "params.json", "--portfolio", "bob.json",
                         "--openings", "alice.openings.json", "-o", "x.json")
    assert by_openings.stderr == ("zkmargin: error: alice.openings.json: the account openings are for account "
                                  "'alice', the portfolio for account 'bob'\n")
    (workdir / "bob.openings.json").write_bytes((workdir / "alice.openings.json").read_bytes().replace(b'"alice"', b'"bob"'))
    (workdir / "bob.openings.json").chmod(0o600)
    by_commitments = invoke("prove", "--params", "params.json", "--portfolio", "bob.json", "--openings",
                            "bob.openings.json", "--commitments", "alice.account.json", "-o", "x.json")
    assert by_commitments.stderr == ("zkmargin: error: alice.account.json: the account commitments are for account "
                                     "'alice', the portfolio for account 'bob'\n")
    assert (by_openings.exit_code, by_commitments.exit_code) == (2, 2)


def test_verify_batch_fails_accounts_without_pinned_file_when_commitments_given(invoke, workdir):
    accounts = workdir / "accounts"
    accounts.mkdir()
    (accounts / "alice.json").write_bytes((workdir / "alice.account.json").read_bytes())
    result = invoke("verify-batch", "--params", "params.json", "--commitments", "accounts",
                    "alice.pinned.proof.json", "bob.proof.json", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["pinned"] is True
    assert [row["account"] for row in document["statements"]] == ["alice"]
    assert [(row["account"], row["status"]) for row in document["files"]] == [("alice", "valid"), ("bob", "invalid")]


def test_verify_batch_exits_2_when_two_account_files_share_label(invoke, workdir):
    result = invoke("verify-batch", "--params", "params.json",
                    "--commitments", "alice.account.json", "--commitments", "alice.account.json",
                    "alice.pinned.proof.json")
    assert result.exit_code == 2
    assert "a second account file for 'alice'" in result.stderr


def _deposit_in_child(path: str, amount: str) -> int:
    from click.testing import CliRunner

    from zkmargin.cli import cli

    return CliRunner().invoke(cli, ["account", "deposit", path, amount]).exit_code


def test_account_deposit_lands_every_time_when_run_in_parallel(workdir):
    import multiprocessing

    from zkmargin.hazmat.generators import PedersenGens
    from zkmargin.hazmat.groups import Point
    from zkmargin.proofs.proof_file import decode_base64

    path = workdir / "alice.account.json"
    before = Point.from_bytes(decode_base64(zm.AccountCommitments.load(path).collateral))
    with multiprocessing.get_context("fork").Pool(4) as pool:
        codes = pool.starmap(_deposit_in_child, [(str(path), str(n)) for n in range(1, 13)])
    assert codes == [0] * 12
    after = Point.from_bytes(decode_base64(zm.AccountCommitments.load(path).collateral))
    assert after == before + 100 * sum(range(1, 13)) * PedersenGens().B


def test_account_deposit_moves_the_real_file_when_given_a_symlink(invoke, workdir):
    real = workdir / "alice.account.json"
    link = workdir / "link.json"
    link.symlink_to(real)
    before = real.read_text()
    assert invoke("account", "deposit", "link.json", "5").exit_code == 0
    assert link.is_symlink() and real.read_text() != before
