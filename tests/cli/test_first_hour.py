"""What a newcomer, a trader and a venue trip over in their first hour: slips answered with
the fix in the error line, help that runs as written."""

from __future__ import annotations

import json
import shlex

import click
import pytest
from click.testing import CliRunner

from tests.cli.conftest import REPO, every_command
from tests.cli.test_bad_input import assert_one_line_error
from zkmargin.cli import cli
from zkmargin.hazmat.groups import current_backend, use


def test_check_names_the_trailing_comma_when_the_portfolio_file_has_one(invoke, workdir):
    (workdir / "book.json").write_text('{\n  "account": "alice",\n  "cash": 100,\n  "positions": {"XYZ": 1},\n}\n')
    result = invoke("check", "--params", "params.json", "--portfolio", "book.json")
    assert_one_line_error(result, "book.json: malformed JSON at line 4, column 26: a comma after the last item")


def test_check_suggests_the_listed_instrument_when_the_portfolio_misspells_one(invoke, workdir):
    (workdir / "book.json").write_text('{"account": "alice", "cash": 100, "positions": {"XYZ 2026-12-18 100C": -1}}')
    result = invoke("check", "--params", "params.json", "--portfolio", "book.json")
    assert_one_line_error(result, "unknown instrument 'XYZ 2026-12-18 100C'", "did you mean 'XYZ 2026-12-18 100 C'?")


def test_check_suggests_the_listed_instrument_when_a_what_if_misspells_one(invoke, workdir):
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json", "--what-if", "close xyz")
    assert_one_line_error(result, "what-if 'close xyz': unknown instrument 'xyz'; did you mean 'XYZ'?")


def test_check_says_no_key_is_trusted_when_neither_trust_nor_its_variable_is_given(invoke, workdir, monkeypatch):
    monkeypatch.delenv("ZKMARGIN_TRUST")
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json")
    assert_one_line_error(result, "params.json", "of 'venue-a', which is not among the trusted keys: none is trusted", "--trust FILE, or $ZKMARGIN_TRUST")


def test_check_names_the_file_kind_when_params_and_portfolio_are_swapped(invoke, workdir):
    swapped = invoke("check", "--params", "meets.json", "--portfolio", "params.json")
    assert_one_line_error(swapped, "meets.json: is portfolio JSON, not 'zkmargin-params'")
    assert "Field required" not in swapped.stderr


def test_check_names_the_file_kind_when_a_proof_is_given_as_the_portfolio(invoke, workdir):
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.proof.json")
    assert_one_line_error(result, "meets.proof.json: is a 'zkmargin-proof' file, not portfolio JSON")


def test_prove_names_the_file_kind_when_account_commitments_are_given_as_openings(invoke, workdir):
    result = invoke("prove", "--params", "params.json", "--portfolio", "meets.json",
                    "--openings", "alice.account.json", "-o", "p.json")
    assert_one_line_error(result, "alice.account.json: is account commitments, not account openings")
    assert not (workdir / "p.json").exists()


def test_params_sign_names_a_public_key_when_given_as_the_signing_key(invoke, workdir):
    invoke("keys", "new", "--issuer", "venue-b", "--role", "params", "-o", "b.key.json", "--public", "b.pub.json")
    (workdir / "b.pub.json").chmod(0o644)
    result = invoke("params", "sign", "unsigned.params.json", "--key", "b.pub.json", "--epoch", "1",
                    "--valid-for", "1d", "-o", "signed.json")
    assert_one_line_error(result, "b.pub.json: is a 'zkmargin-public-key' file, not 'zkmargin-signing-key'")
    assert "chmod" not in result.stderr


def test_account_deposit_explains_amounts_are_positive_when_given_a_negative_number(invoke, workdir):
    result = invoke("account", "deposit", "alice.account.json", "-100")
    assert result.exit_code == 2
    assert "-100 is not an option: amounts are positive (`deposit` puts money in, `withdraw` takes it out)" in result.stderr
    assert "No such option" not in result.stderr


def test_ledger_deposit_explains_amounts_are_positive_in_json_when_given_a_negative_number(invoke, workdir):
    result = invoke("ledger", "deposit", "alice", "-2.5", "--ref", "r1", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stderr)["error"]
    assert error["message"].startswith("-2.5 is not an option: amounts are positive")


def test_account_deposit_keeps_click_message_when_an_unknown_option_is_not_a_number(invoke, workdir):
    result = invoke("account", "deposit", "alice.account.json", "-x")
    assert result.exit_code == 2 and "No such option '-x'" in result.stderr


def _help_commands(*args: str) -> list[list[str]]:
    """The `zkmargin …` command lines of a help text's epilog, as argument lists."""
    text = CliRunner().invoke(cli, [*args, "--help"], prog_name="zkmargin").output.replace("\\\n", " ")
    lines = [line.split("zkmargin ", 1)[1].split("  (")[0] for line in text.splitlines() if "zkmargin " in line]
    return [shlex.split(line, comments=True) for line in lines if not line.startswith("[")]


def test_cli_help_reads_the_params_it_signed_when_trader_and_venue_lines_follow_each_other():
    commands = _help_commands()
    signed = [words[words.index("-o") + 1] for words in commands if words[:2] == ["params", "sign"]]
    readers = [words[words.index("--params") + 1] for words in commands if "--trust" in words]
    assert signed and readers and set(readers) == set(signed)
    built = [words[words.index("-o") + 1] for words in commands if words[:2] == ["params", "build"]]
    assert [words[2] for words in commands if words[:2] == ["params", "sign"]] == built


def test_check_names_the_portfolio_file_when_its_cash_is_oversize(invoke, workdir):
    (workdir / "rich.json").write_text('{"account": "alice", "cash": 1e30, "positions": {}}')
    result = invoke("check", "--params", "params.json", "--portfolio", "rich.json")
    assert_one_line_error(result, "rich.json: cash: 1E+30 does not fit: it must lie between")


def test_check_names_the_bucket_when_its_cash_is_oversize(invoke, workdir):
    (workdir / "rich.json").write_text(json.dumps({"account": "alice", "buckets": [
        {"name": "a", "cash": 100, "positions": {"XYZ": 1}}, {"name": "b", "cash": 1e30, "positions": {"MES 2026-12-18": 1}}]}))
    result = invoke("check", "--params", "params.json", "--portfolio", "rich.json")
    assert_one_line_error(result, "rich.json: buckets[1] ('b'): cash: 1E+30 does not fit")


def test_verify_names_both_epochs_when_an_old_proof_meets_new_params(invoke, workdir):
    invoke("keys", "new", "--issuer", "venue-a", "--role", "params", "-o", "k2.key.json", "--public", "k2.pub.json")
    invoke("params", "sign", "unsigned.params.json", "--key", "k2.key.json", "--epoch", "2", "--valid-for", "1d",
           "-o", "e2.json")
    result = invoke("verify", "--params", "e2.json", "--trust", "k2.pub.json", "meets.proof.json")
    assert_one_line_error(result, "the proof was made for other params "
                          "(the proof names epoch 1 of 'venue-a', the params are epoch 2 of 'venue-a')")


def test_prove_json_error_type_is_input_error_when_the_output_exists(invoke, workdir):
    (workdir / "p.json").write_text("{}")
    result = invoke("prove", "--params", "params.json", "--portfolio", "meets.json", "-o", "p.json", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stderr)["error"] == {
        "type": "InputError", "message": "p.json already exists; pass --force to overwrite it", "exit_code": 2}


def _leaf_commands(group):
    """Every runnable command under `group` and its path, the lazily loaded ones included."""
    return [(path, command) for path, command in every_command(group) if not isinstance(command, click.Group)]


def test_cli_every_ledger_reader_names_the_database_option_db_when_helped():
    named = {path: next(p.opts[0] for p in command.params if p.name == "database")
             for path, command in _leaf_commands(cli) if any(p.name == "database" for p in command.params)}
    assert ("plot", "history") in named and ("ledger", "submit") in named
    assert set(named.values()) == {"--db"}, named


def test_params_help_signs_the_file_it_built_when_shown_as_an_example():
    commands = _help_commands("params")
    built = [words[words.index("-o") + 1] for words in commands if words[:2] == ["params", "build"]]
    signed = [words for words in commands if words[:2] == ["params", "sign"]]
    assert [words[2] for words in signed] == built
    assert all("--force" not in words and words[words.index("-o") + 1] != words[2] for words in signed)


def test_check_blames_the_market_file_when_it_cannot_price_a_held_position(invoke, workdir):
    (workdir / "crypto.json").write_text((REPO / "examples" / "market_crypto.json").read_text())
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json", "--market", "crypto.json")
    assert_one_line_error(result, "crypto.json: lacks 'MES 2026-12-18', 'XYZ', 'XYZ 2026-12-18 100 C', held in the "
                          "portfolio; give the market.json the params were built from")
    assert "meets.json" not in result.stderr


@pytest.mark.parametrize("typed", ["Initial", "INITIAL"])
def test_check_and_prove_read_the_level_in_lower_case_when_typed_in_another_case(invoke, workdir, typed):
    checked = invoke("check", "--params", "params.json", "--portfolio", "meets.json", "--level", typed, "--json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["level"] == "initial"
    proved = invoke("prove", "--params", "params.json", "--portfolio", "meets.json", "--level", typed, "-o", "p.json", "--json")
    assert proved.exit_code == 0, proved.output
    assert json.loads(proved.stdout)["level"] == "initial"


def test_verify_reads_the_required_level_in_lower_case_when_typed_in_capitals(invoke, workdir):
    result = invoke("verify", "--params", "params.json", "meets.proof.json", "--require-level", "INITIAL")
    assert result.exit_code == 0, result.output  # the shared model's initial factor is 1, as maintenance's


def test_check_lists_the_levels_and_guesses_one_when_the_level_is_misspelt(invoke, workdir):
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json", "--level", "Initail")
    assert_one_line_error(result, "level: unknown margin level 'initail'; model 'portfolio_margin' defines initial, "
                          "maintenance; did you mean 'initial'?")


def _ledger_with_alice(invoke) -> None:
    """ledger.db with the shared params published and alice's account open."""
    for args in (("init",), ("publish", "--params", "params.json"), ("open", "alice.account.json")):
        assert invoke("ledger", *args, "--db", "ledger.db").exit_code == 0


def test_monitor_run_calls_for_the_lower_case_level_when_typed_in_another_case(invoke, workdir):
    _ledger_with_alice(invoke)
    result = invoke("monitor", "run", "--db", "ledger.db", "--level", "Initial", "--json")
    assert result.exit_code == 0, result.output
    [call] = json.loads(result.stdout)["issued"]
    assert call["level"] == "initial" and call["request"].startswith("prove initial margin for epoch 1 by ")


def test_monitor_run_lists_the_levels_issuing_no_call_when_the_level_is_unknown(invoke, workdir):
    _ledger_with_alice(invoke)
    result = invoke("monitor", "run", "--db", "ledger.db", "--level", "intial")
    assert_one_line_error(result, "unknown margin level 'intial'; model 'portfolio_margin' defines initial, maintenance; "
                          "did you mean 'initial'?")
    assert json.loads(invoke("monitor", "calls", "--db", "ledger.db", "--json").stdout)["calls"] == []


# The trader's secret openings (account open --openings) and the venue's account files have
# no `format` field: they are named by their fields when given in place of another file.
WRONG_KIND = {
    "openings as the proof": (("verify", "--params", "params.json", "alice.openings.json"),
                              "alice.openings.json: is account openings, not 'zkmargin-proof'"),
    "openings as commitments": (("verify", "--params", "params.json", "--commitments", "alice.openings.json", "meets.proof.json"),
                                "alice.openings.json: is account openings, not account commitments"),
    "openings into the ledger": (("ledger", "open", "--db", "ledger.db", "alice.openings.json"),
                                 "alice.openings.json: is account openings, not account commitments"),
    "openings as pinned accounts": (("verify-batch", "--params", "params.json", "--commitments", "alice.openings.json",
                                     "meets.proof.json"), "alice.openings.json: is account openings, not account commitments"),
    "openings as the portfolio": (("check", "--params", "params.json", "--portfolio", "alice.openings.json"),
                                  "alice.openings.json: is account openings, not portfolio JSON"),
    "commitments as the market": (("check", "--params", "params.json", "--portfolio", "meets.json", "--market", "alice.account.json"),
                                  "alice.account.json: is account commitments, not market JSON"),
    "market as the portfolio": (("check", "--params", "params.json", "--portfolio", "market.json"),
                                "market.json: is market JSON, not portfolio JSON"),
    "portfolio as the proof": (("verify", "--params", "params.json", "meets.json"),
                               "meets.json: is portfolio JSON, not 'zkmargin-proof'"),
    "proof as the challenge map": (("verify-batch", "--params", "params.json", "--challenge", "bob.proof.json", "meets.proof.json"),
                                   "bob.proof.json: is a 'zkmargin-proof' file, not a JSON object mapping each account to its challenge"),
    "proof as a Deribit response": (("params", "import", "--format", "deribit-pme", "meets.proof.json", "-o", "risk.json"),
                                    "meets.proof.json: is a 'zkmargin-proof' file, not a Deribit pme/simulate response"),
}


@pytest.mark.parametrize("case", WRONG_KIND)
def test_commands_name_the_file_kind_and_the_one_expected_when_given_a_file_of_another_kind(invoke, workdir, case):
    if case == "openings into the ledger":
        assert invoke("ledger", "init", "--db", "ledger.db").exit_code == 0
    arguments, message = WRONG_KIND[case]
    assert_one_line_error(invoke(*arguments), message)


CAPITALISED_CHOICES = {
    "--status": ("monitor", "calls", "--db", "ledger.db", "--status", "Overdue"),
    "schema KIND": ("schema", "Market"),
    "--role": ("keys", "new", "--issuer", "venue-b", "--role", "Params", "-o", "b.key.json", "--public", "b.pub.json"),
    "--format": ("params", "import", "--format", "SPAN-XML", str(REPO / "examples" / "span_sp_nq.spn"), "-o", "risk.json"),
    "--backend": ("--backend", "PY_ECC", "schema", "market"),
}


@pytest.mark.parametrize("choice", CAPITALISED_CHOICES)
def test_choice_options_read_any_case_as_the_listed_name_when_typed_in_capitals(invoke, workdir, choice):
    if choice == "--status":
        assert invoke("ledger", "init", "--db", "ledger.db").exit_code == 0
    # --backend switches this process's backend (every thread's): restored, so later tests keep theirs
    before = current_backend()
    try:
        result = invoke(*CAPITALISED_CHOICES[choice])
        if choice == "--backend":
            assert current_backend() == "py_ecc"
    finally:
        use(before)
    assert result.exit_code == 0, result.output
    if choice == "--role":
        assert json.loads((workdir / "b.pub.json").read_text())["roles"] == ["params"]
