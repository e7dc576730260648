"""Bad input: one line on stderr naming the file and the field, exit 2, no traceback."""

from __future__ import annotations

import json

import pytest

import zkmargin as zm

from .conftest import OTHER_MODEL, REPO, edit_proof, write_portfolio


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("zkmargin: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_check_exits_2_naming_file_when_portfolio_missing(invoke, workdir):
    result = invoke("check", "--params", "params.json", "--portfolio", "nowhere.json")
    assert_one_line_error(result, "nowhere.json")


def test_check_exits_2_naming_position_when_json_malformed(invoke, workdir):
    (workdir / "broken.json").write_text('{"account": "x", "cash": 1,\n "positions": {')
    result = invoke("check", "--params", "params.json", "--portfolio", "broken.json")
    assert_one_line_error(result, "broken.json", "malformed JSON", "line 2")


def test_check_exits_2_naming_field_when_portfolio_has_unknown_field(invoke, workdir):
    data = json.loads((workdir / "meets.json").read_text())
    data["leverage"] = 3
    (workdir / "extra.json").write_text(json.dumps(data))
    result = invoke("check", "--params", "params.json", "--portfolio", "extra.json")
    assert_one_line_error(result, "extra.json", "leverage")


def test_prove_exits_2_naming_instrument_when_outside_universe(invoke, workdir):
    write_portfolio(workdir / "alien.json", "dave", 100, {"CL 2027-02": 1})
    result = invoke("prove", "--params", "params.json", "--portfolio", "alien.json", "-o", "p.json")
    assert_one_line_error(result, "alien.json", "CL 2027-02")
    assert not (workdir / "p.json").exists()


def test_params_build_exits_2_naming_field_when_market_invalid(invoke, workdir):
    market = json.loads((workdir / "market.json").read_text())
    market["underlyings"]["XYZ"]["price"] = -5
    (workdir / "bad-market.json").write_text(json.dumps(market))
    result = invoke("params", "build", "--market", "bad-market.json",
                    "--model", str(REPO / "circuits" / "span.toml"), "-o", "out.json")
    assert_one_line_error(result, "bad-market.json", "price")
    assert not (workdir / "out.json").exists()


def test_verify_exits_2_naming_both_files_when_params_differ(invoke, workdir):
    other = zm.build_params(zm.Market.load(workdir / "market.json"),
                            zm.MarginModel.load(REPO / "circuits" / f"{OTHER_MODEL}.toml"))
    other.save(workdir / "other-params.json")
    result = invoke("verify", "--params", "other-params.json", "--allow-unsigned", "meets.proof.json")
    assert_one_line_error(result, "meets.proof.json against other-params.json: the proof was made for other params")
    typed = invoke("verify", "--params", "other-params.json", "--allow-unsigned", "meets.proof.json", "--json")
    assert (typed.exit_code, json.loads(typed.stderr)["error"]["type"]) == (2, "WrongParams")


def test_verify_exits_1_when_a_proof_is_relabelled_to_name_the_params_given(invoke, workdir):
    other = zm.build_params(zm.Market.load(workdir / "market.json"),
                            zm.MarginModel.load(REPO / "circuits" / f"{OTHER_MODEL}.toml"))
    other.save(workdir / "other-params.json")
    edit_proof(workdir / "meets.proof.json", workdir / "relabelled.json",
               lambda data: data["statement"].update(params_digest=other.digest()))
    result = invoke("verify", "--params", "other-params.json", "--allow-unsigned", "relabelled.json")
    assert result.exit_code == 1, result.output
    assert result.stderr == "zkmargin: error: relabelled.json: INVALID: the statement's model or currency differs from the params'\n"


def test_verify_exits_2_when_proof_truncated(invoke, workdir):
    text = (workdir / "meets.proof.json").read_text()
    (workdir / "cut.json").write_text(text[: len(text) // 2])
    result = invoke("verify", "--params", "params.json", "cut.json")
    assert_one_line_error(result, "cut.json", "malformed JSON")


def test_verify_exits_2_naming_field_when_proof_has_unknown_field(invoke, workdir):
    data = json.loads((workdir / "meets.proof.json").read_text())
    data["positions"] = {}
    (workdir / "extra.json").write_text(json.dumps(data))
    result = invoke("verify", "--params", "params.json", "extra.json")
    assert_one_line_error(result, "extra.json", "positions")


def test_verify_batch_exits_2_after_judging_the_others_when_one_proof_unreadable(invoke, workdir):
    (workdir / "junk.json").write_text("not json at all")
    result = invoke("verify-batch", "--params", "params.json", "meets.proof.json", "junk.json", "--json")
    assert result.exit_code == 2, result.output
    rows = json.loads(result.stdout)["files"]
    assert [(row["file"], row["status"]) for row in rows] == [("meets.proof.json", "valid"), ("junk.json", "bad input")]
    assert rows[1]["reason"] == "junk.json: malformed JSON at line 1, column 1: Expecting value"


def test_verify_batch_exits_2_before_judging_any_file_when_a_named_file_is_missing(invoke, workdir):
    result = invoke("verify-batch", "--params", "params.json", "meets.proof.json", "nowhere.json")
    assert_one_line_error(result, "nowhere.json: no such file or directory")
    assert result.stdout == ""


@pytest.mark.parametrize("placement", ["group", "command"])
def test_backend_exits_2_naming_it_when_unknown(invoke, workdir, placement):
    args = ["verify", "--params", "params.json", "meets.proof.json"]
    if placement == "group":
        args = ["--backend", "bls-magic", *args]
    else:
        args = [*args, "--backend", "bls-magic"]
    result = invoke(*args)
    assert_one_line_error(result, "--backend bls-magic", "unknown")


def test_debug_reraises_error_when_flag_given(invoke, workdir):
    result = invoke("--debug", "check", "--params", "params.json", "--portfolio", "nowhere.json")
    assert isinstance(result.exception, zm.InputError)
    assert "nowhere.json" in str(result.exception)


@pytest.mark.parametrize("amount", ["lots", "-1", "NaN"])
def test_min_excess_exits_2_when_not_a_nonnegative_amount(invoke, workdir, amount):
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json",
                    "--min-excess", amount)
    assert result.exit_code == 2
    assert "--min-excess" in result.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("verify", "--params", "params.json"), "Missing argument 'PROOF' (try 'zkmargin verify -h' for help)"),
        (("prove", "--params", "params.json", "--portfolio", "meets.json", "--min-excess", "1,000", "-o", "p.json"),
         "Invalid value for '--min-excess': '1,000' is not a decimal number (digits 0-9, optional sign and point) "
         "(try 'zkmargin prove -h' for help)"),
        (("--backnd", "x", "verify"), "No such option '--backnd'. Did you mean '--backend'? (try 'zkmargin -h' for help)"),
        (("verfy",), "No such command 'verfy'. Did you mean 'verify'? (try 'zkmargin -h' for help)"),
    ],
    ids=["missing-argument", "bad-option-value", "top-level-option", "unknown-command"],
)
def test_usage_error_is_one_line_naming_the_help_when_the_command_line_is_wrong(invoke, workdir, args, line):
    result = invoke(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"zkmargin: error: {line}\n")


def test_group_shows_its_help_not_an_error_line_when_run_without_a_command(invoke, workdir):
    result = invoke("ledger")
    assert result.exit_code == 2
    assert result.output.startswith("Usage: zkmargin ledger [OPTIONS] COMMAND [ARGS]...") and "zkmargin: error" not in result.output
