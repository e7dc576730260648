"""Every command's happy path and its exit codes 0 / 1, text and --json output."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

import zkmargin as zm

from .conftest import MODEL, OTHER_MODEL, REPO, edit_proof, write_portfolio


def raise_threshold(data: dict) -> None:
    data["statement"]["threshold"] = "5000"


# --- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["params"],
        ["params", "build"],
        ["account"],
        ["account", "open"],
        ["account", "deposit"],
        ["account", "withdraw"],
        ["check"],
        ["prove"],
        ["verify"],
        ["verify-batch"],
        ["schema"],
        ["demo"],
    ],
)
def test_help_teaches_with_example_when_asked(invoke, command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert "zkmargin " in result.stdout.split("Example", 1)[1]


def test_version_prints_package_version_when_asked(invoke):
    result = invoke("--version")
    assert result.exit_code == 0
    assert zm.__version__ in result.stdout


# --- params build -----------------------------------------------------------------------------


def test_params_build_prints_digest_of_written_file_when_given_market(invoke, workdir):
    result = invoke(
        "params", "build", "--market", "market.json",
        "--model", str(REPO / "circuits" / f"{OTHER_MODEL}.toml"), "-o", "new.json",
    )
    assert result.exit_code == 0, result.output
    written = zm.RiskParams.load(workdir / "new.json")
    assert f"digest {written.digest()}" in result.stdout
    assert written.model == OTHER_MODEL
    assert len(written.instruments) == 3


def test_params_build_reads_risk_arrays_when_given_instead_of_market(invoke, workdir):
    result = invoke(
        "params", "build", "--risk-arrays", str(REPO / "examples" / "risk_spx.json"),
        "--model", str(REPO / "circuits" / "scenario.toml"), "-o", "risk-params.json", "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    written = zm.RiskParams.load(workdir / "risk-params.json")
    assert document == {
        "params": "risk-params.json",
        "digest": written.digest(),
        "model": written.model,
        "currency": written.currency,
        "instruments": len(written.instruments),
        "scenarios": len(written.scenarios),
    }


def test_params_build_lists_only_named_instruments_when_given_instrument(invoke, workdir):
    market = zm.Market.load(workdir / "market.json")
    listed = sorted(market.instruments)[:2]
    model = REPO / "circuits" / f"{OTHER_MODEL}.toml"
    options = [option for name in listed for option in ("--instrument", name)]
    result = invoke("params", "build", "--market", "market.json", *options, "--model", str(model), "-o", "listed.json")
    assert result.exit_code == 0, result.output
    written = zm.RiskParams.load(workdir / "listed.json")
    assert sorted(written.instruments) == listed
    assert written.digest() == zm.build_params(market.listing(listed), zm.MarginModel.load(model)).digest()


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (["--market", "market.json", "--instrument", "NOPE"], "unknown instrument 'NOPE'"),
        (["--risk-arrays", str(REPO / "examples" / "risk_spx.json"), "--instrument", "SPX"], "--instrument lists instruments of --market"),
    ],
)
def test_params_build_exits_2_when_instrument_cannot_be_listed(invoke, workdir, sources, message):
    result = invoke("params", "build", *sources, "--model", str(REPO / "circuits" / "span.toml"), "-o", "x.json")
    assert result.exit_code == 2
    assert message in result.output
    assert not (workdir / "x.json").exists()


@pytest.mark.parametrize(
    "sources",
    [[], ["--market", "market.json", "--risk-arrays", str(REPO / "examples" / "risk_spx.json")]],
)
def test_params_build_exits_2_when_not_exactly_one_source(invoke, workdir, sources):
    result = invoke(
        "params", "build", *sources, "--model", str(REPO / "circuits" / "span.toml"), "-o", "x.json"
    )
    assert result.exit_code == 2
    assert "exactly one of --market or --risk-arrays" in result.output
    assert not (workdir / "x.json").exists()


def test_params_build_keeps_existing_output_when_force_missing(invoke, workdir):
    before = (workdir / "params.json").read_bytes()
    args = ["params", "build", "--market", "market.json", "--model",
            str(REPO / "circuits" / f"{OTHER_MODEL}.toml"), "-o", "params.json"]
    refused = invoke(*args)
    assert refused.exit_code == 2
    assert "params.json already exists; pass --force" in refused.stderr
    assert (workdir / "params.json").read_bytes() == before
    forced = invoke(*args, "--force")
    assert forced.exit_code == 0, forced.output
    assert zm.RiskParams.load(workdir / "params.json").model == OTHER_MODEL


# --- check ------------------------------------------------------------------------------------


def test_check_exits_0_with_scenario_table_when_account_meets(invoke, workdir):
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json", "--all-scenarios")
    assert result.exit_code == 0, result.output
    params = zm.RiskParams.load("params.json")
    report = zm.assess(zm.Portfolio.load("meets.json"), params)
    assert f"requirement  {report.requirement:,.2f} USD" in result.stdout
    assert f"binding      {report.binding}" in result.stdout
    lines = result.stdout.splitlines()
    for name, pnl in report.scenario_pnl:
        assert any(line.startswith(name) and line.endswith(f"{pnl:,.2f}") for line in lines)
    losing = [(group, loss) for group, loss in report.group_losses if loss]
    assert len(losing) == 2  # the call on XYZ and the future on SPX
    for group, loss in losing:
        assert any(line.startswith(group) and line.endswith(f"{loss:,.2f}") for line in lines)
    assert "MEETS the requirement." in result.stdout


def test_check_leaves_out_scenarios_without_pnl_when_book_skips_an_underlying(invoke, workdir):
    write_portfolio(workdir / "stock.json", "sam", 10000, {"XYZ": 100})
    result = invoke("check", "--params", "params.json", "--portfolio", "stock.json")
    assert result.exit_code == 0, result.output
    report = zm.assess(zm.Portfolio.load("stock.json"), zm.RiskParams.load("params.json"))
    still = [name for name, pnl in report.scenario_pnl if pnl == 0]
    assert still and all(name.startswith("SPX") for name in still)
    lines = result.stdout.splitlines()
    assert not any(line.startswith(name) for name in still for line in lines)
    assert f"({len(still)} scenarios with no P&L for this book are not shown; --json lists all)" in lines


def test_check_exits_1_saying_shortfall_when_account_short(invoke, workdir):
    result = invoke("check", "--params", "params.json", "--portfolio", "short.json")
    assert result.exit_code == 1
    report = zm.assess(zm.Portfolio.load("short.json"), zm.RiskParams.load("params.json"))
    assert f"SHORT by {report.shortfall:,.2f} USD" in result.stdout


def test_check_json_has_stable_keys_and_decimal_strings_when_asked(invoke, workdir):
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json",
                    "--level", "initial", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    params = zm.RiskParams.load("params.json")
    report = zm.assess(zm.Portfolio.load("meets.json"), params, level="initial")
    assert list(document) == [
        "account", "model", "level", "currency", "params_digest", "equity", "requirement",
        "threshold", "excess", "meets", "shortfall", "binding", "groups", "scenarios",
        "strategies", "credits", "params", "level_factor", "terms", "floors", "marginal", "var",
    ]
    assert document["groups"] == [
        {"group": name, "loss": str(loss)} for name, loss in report.group_losses
    ]
    assert document["level"] == "initial"
    assert document["params_digest"] == params.digest()
    assert document["requirement"] == str(report.requirement)
    assert document["meets"] is True
    assert len(document["scenarios"]) == len(params.scenarios)
    worst = min(report.scenario_pnl, key=lambda row: row[1])
    assert document["scenarios"][0] == {
        "scenario": worst[0], "group": worst[0].split()[0], "pnl": str(worst[1])
    }


def test_check_exits_1_when_min_excess_above_cushion(invoke, workdir):
    report = zm.assess(zm.Portfolio.load(workdir / "meets.json"),
                       zm.RiskParams.load(workdir / "params.json"))
    above = str(report.excess + Decimal(1))
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json",
                    "--min-excess", above, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["shortfall"] == "1.00"


# --- prove ------------------------------------------------------------------------------------


def test_prove_writes_verifiable_proof_when_account_meets(invoke, workdir):
    result = invoke("prove", "--params", "params.json", "--portfolio", "meets.json",
                    "-o", "new.proof.json", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    proof = zm.MarginProof.load(workdir / "new.proof.json")
    statement = zm.verify(proof, zm.RiskParams.load(workdir / "params.json"))
    assert statement.account == "alice"
    assert {key: document[key] for key in ("account", "proved", "level", "size")} == {
        "account": "alice", "proved": True, "level": "maintenance", "size": proof.size,
    }
    assert document["commitments"] == len(proof.commitments)
    # no instrument is named: the only strings that could hold one are those outside the
    # base64 of the points and the range proof (which may spell "XYZ" by chance)
    written = json.loads((workdir / "new.proof.json").read_text())
    encoded = set(written.pop("commitments")) | set(written.pop("limb_commitments")) | {written.pop("range_proof")}
    assert encoded and "XYZ" not in json.dumps(written)


def test_prove_states_threshold_and_level_when_given(invoke, workdir):
    result = invoke("prove", "--params", "params.json", "--portfolio", "meets.json",
                    "-o", "initial.proof.json", "--level", "initial", "--min-excess", "250.5")
    assert result.exit_code == 0, result.output
    assert "wrote initial.proof.json" in result.stdout
    proof = zm.MarginProof.load(workdir / "initial.proof.json")
    assert (proof.level, proof.threshold) == ("initial", Decimal("250.5"))


def test_prove_writes_verifiable_proof_when_run_with_two_jobs(invoke, workdir):
    result = invoke("prove", "--params", "params.json", "--portfolio", "bob.json",
                    "-o", "jobs.proof.json", "--jobs", "2")
    assert result.exit_code == 0, result.output
    statement = zm.verify(zm.MarginProof.load(workdir / "jobs.proof.json"), zm.RiskParams.load(workdir / "params.json"))
    assert statement.account == "bob"


def test_prove_exits_2_when_jobs_is_zero(invoke, workdir):
    result = invoke("prove", "--params", "params.json", "--portfolio", "bob.json",
                    "-o", "jobs.proof.json", "--jobs", "0")
    assert result.exit_code == 2
    assert "--jobs" in result.stderr and not (workdir / "jobs.proof.json").exists()


def test_prove_exits_1_with_shortfall_and_no_file_when_account_short(invoke, workdir):
    result = invoke("prove", "--params", "params.json", "--portfolio", "short.json",
                    "-o", "short.proof.json")
    assert result.exit_code == 1
    report = zm.assess(zm.Portfolio.load(workdir / "short.json"),
                       zm.RiskParams.load(workdir / "params.json"))
    assert f"cannot prove: account 'carol' is short by {report.shortfall:,.2f} USD at the maintenance level" in result.stderr
    assert not (workdir / "short.proof.json").exists()


def test_prove_names_min_excess_in_shortfall_when_equity_above_requirement(invoke, workdir):
    result = invoke("prove", "--params", "params.json", "--portfolio", "meets.json",
                    "--min-excess", "1000000", "-o", "rich.proof.json")
    assert result.exit_code == 1
    report = zm.assess(zm.Portfolio.load(workdir / "meets.json"), zm.RiskParams.load(workdir / "params.json"))
    assert report.equity > report.requirement
    assert f"short by {1_000_000 - report.excess:,.2f} USD" in result.stderr
    assert "the shortfall includes --min-excess 1,000,000.00 USD" in result.stderr
    assert not (workdir / "rich.proof.json").exists()


def test_prove_json_reports_shortfall_when_account_short(invoke, workdir):
    result = invoke("prove", "--params", "params.json", "--portfolio", "short.json",
                    "-o", "short.proof.json", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    report = zm.assess(zm.Portfolio.load(workdir / "short.json"),
                       zm.RiskParams.load(workdir / "params.json"))
    assert document["proved"] is False
    assert document["shortfall"] == str(report.shortfall)


def test_prove_keeps_existing_output_when_force_missing(invoke, workdir):
    before = (workdir / "bob.proof.json").read_bytes()
    result = invoke("prove", "--params", "params.json", "--portfolio", "meets.json",
                    "-o", "bob.proof.json")
    assert result.exit_code == 2
    assert "bob.proof.json already exists; pass --force" in result.stderr
    assert (workdir / "bob.proof.json").read_bytes() == before


# --- verify -----------------------------------------------------------------------------------


def test_verify_exits_0_printing_statement_when_proof_valid(invoke, workdir):
    result = invoke("verify", "--params", "params.json", "meets.proof.json")
    assert result.exit_code == 0, result.output
    digest = zm.RiskParams.load(workdir / "params.json").digest()
    assert result.stdout.startswith("VALID: account alice meets the maintenance requirement")
    assert f"of {MODEL} with excess ≥ 0.00 USD" in result.stdout
    assert digest[:16] in result.stdout


def test_verify_json_lists_statement_when_proof_valid(invoke, workdir):
    result = invoke("verify", "--params", "params.json", "meets.proof.json", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "valid": True,
        "proof": "meets.proof.json",
        "pinned": False,
        "account": "alice",
        "model": MODEL,
        "level": "maintenance",
        "threshold": "0",
        "currency": "USD",
        "params_digest": zm.RiskParams.load(workdir / "params.json").digest(),
        "issuer": "venue-a",
        "epoch": 1,
        "challenge": None,
        "self_declared": True,
        "provenance": "self-declared: no custodian attested this book; the proof shows only that "
        "the prover knows some book meeting the statement",
        "attestations": [],
        "buckets": 1,
        "circuit_digest": zm.MarginProof.load(workdir / "meets.proof.json").statement.circuit_digest,
    }


def test_verify_exits_1_with_reason_when_statement_edited(invoke, workdir):
    edit_proof(workdir / "meets.proof.json", workdir / "forged.json", raise_threshold)
    result = invoke("verify", "--params", "params.json", "forged.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("zkmargin: error: forged.json: INVALID: ")
    # the threshold is part of the circuit, which the statement names by digest
    assert "made for circuit" in result.stderr and "the statement was edited" in result.stderr
    as_json = invoke("verify", "--params", "params.json", "forged.json", "--json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["valid"] is False and "made for circuit" in document["reason"]


def test_verify_says_the_proof_does_not_match_its_statement_when_its_account_was_edited(invoke, workdir):
    edit_proof(workdir / "meets.proof.json", workdir / "edited.json", lambda data: data["statement"].update(account="bob"))
    result = invoke("verify", "--params", "params.json", "edited.json")
    assert result.exit_code == 1
    assert result.stderr == (
        "zkmargin: error: edited.json: INVALID: the range proof does not verify: the proof does not match its "
        "statement (the file was edited or corrupted, or the proof was made for other params or commitments)\n"
    )
    batch = json.loads(invoke("verify-batch", "--params", "params.json", "edited.json", "--json").stdout)
    assert batch["files"][0]["reason"] == result.stderr.split("INVALID: ")[1].rstrip("\n")


# --- verify-batch -----------------------------------------------------------------------------


def test_verify_batch_exits_0_when_every_proof_valid(invoke, workdir):
    result = invoke("verify-batch", "--params", "params.json", "meets.proof.json", "bob.proof.json")
    assert result.exit_code == 0, result.output
    assert "valid          2" in result.stdout and "invalid        0" in result.stdout
    assert "bad input      0" in result.stdout
    assert "valid proofs state:" in result.stdout
    assert any(
        line.split() == [MODEL, "maintenance", "≥", "0.00", "USD", "self-declared", "1", "2"]
        for line in result.stdout.splitlines()
    )


def test_verify_batch_counts_accounts_once_and_warns_when_an_account_has_two_proofs(invoke, workdir):
    (workdir / "alice.copy.json").write_bytes((workdir / "meets.proof.json").read_bytes())
    files = ("meets.proof.json", "alice.copy.json", "bob.proof.json")
    result = invoke("verify-batch", "--params", "params.json", *files)
    assert result.exit_code == 0, result.output
    assert any(
        line.split() == [MODEL, "maintenance", "≥", "0.00", "USD", "self-declared", "1", "2"]
        for line in result.stdout.splitlines()
    )
    assert ("warning: 1 account has more than one valid proof in this batch, and the batch cannot say which one "
            "stands: 'alice' in meets.proof.json, alice.copy.json") in result.stderr
    assert "note: 3 of 3 valid proofs are self-declared and not pinned" in result.stderr
    document = json.loads(invoke("verify-batch", "--params", "params.json", *files, "--json").stdout)
    assert document["accounts"] == 2 and document["counts"]["valid"] == 3
    assert document["duplicate_accounts"] == {"alice": ["meets.proof.json", "alice.copy.json"]}


def test_verify_batch_names_forged_file_when_one_fails(invoke, workdir):
    proofs = workdir / "proofs"
    proofs.mkdir()
    for name in ("meets", "bob"):
        (proofs / f"{name}.json").write_bytes((workdir / f"{name}.proof.json").read_bytes())
    edit_proof(workdir / "bob.proof.json", proofs / "forged.json", raise_threshold)
    result = invoke("verify-batch", "--params", "params.json", "proofs", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["total"] == 3
    assert document["counts"] == {"valid": 2, "invalid": 1, "bad input": 0}
    assert sorted(row["account"] for row in document["statements"]) == ["alice", "bob"]
    assert {row["threshold"] for row in document["statements"]} == {"0"}
    [forged] = [row for row in document["files"] if row["status"] != "valid"]
    assert forged["file"].endswith("forged.json") and forged["account"] == "bob" and forged["status"] == "invalid"
    text = invoke("verify-batch", "--params", "params.json", "proofs")
    assert text.exit_code == 1
    assert any(line.split()[:3] == ["proofs/forged.json", "bob", "invalid"] for line in text.stdout.splitlines())


def test_verify_batch_judges_each_proof_bad_input_when_made_for_other_params(invoke, workdir):
    other = zm.build_params(zm.Market.load(workdir / "market.json"),
                            zm.MarginModel.load(REPO / "circuits" / f"{OTHER_MODEL}.toml"))
    other.save(workdir / "other-params.json")
    result = invoke("verify-batch", "--params", "other-params.json", "--allow-unsigned",
                    "meets.proof.json", "bob.proof.json", "--json")
    assert result.exit_code == 2
    rows = json.loads(result.stdout)["files"]
    assert [(row["account"], row["status"]) for row in rows] == [("alice", "bad input"), ("bob", "bad input")]
    assert all("the proof was made for other params" in row["reason"] for row in rows)


def test_verify_batch_judges_every_file_when_some_are_not_proofs_or_fail(invoke, workdir):
    proofs = workdir / "proofs"
    proofs.mkdir()
    (proofs / "a.json").write_bytes((workdir / "meets.proof.json").read_bytes())
    (proofs / "b.json").write_text("not json at all")
    text = (workdir / "bob.proof.json").read_text()
    (proofs / "c.json").write_text(text[: len(text) // 2])
    edit_proof(workdir / "bob.proof.json", proofs / "d.json", raise_threshold)
    edit_proof(workdir / "bob.proof.json", proofs / "e.json", lambda data: data.update(version=2))
    result = invoke("verify-batch", "--params", "params.json", "proofs", "--json")
    assert result.exit_code == 2, result.output
    document = json.loads(result.stdout)
    assert document["counts"] == {"valid": 1, "invalid": 1, "bad input": 3}
    verdicts = {Path(row["file"]).name: (row["account"], row["status"]) for row in document["files"]}
    assert verdicts == {"a.json": ("alice", "valid"), "b.json": (None, "bad input"), "c.json": (None, "bad input"),
                        "d.json": ("bob", "invalid"), "e.json": (None, "bad input")}  # a file that did not parse names no account
    reasons = {Path(row["file"]).name: row["reason"] for row in document["files"]}
    assert reasons["a.json"] is None
    assert reasons["b.json"].endswith("b.json: malformed JSON at line 1, column 1: Expecting value")
    assert "malformed JSON" in reasons["c.json"] and "made for circuit" in reasons["d.json"]
    assert reasons["e.json"].endswith("e.json: version: Input should be 1 (got 2)")
    assert [row["account"] for row in document["statements"]] == ["alice"]


def test_verify_batch_exits_1_listing_the_verdicts_when_proofs_are_invalid_but_none_is_bad_input(invoke, workdir):
    edit_proof(workdir / "bob.proof.json", workdir / "forged.json", raise_threshold)
    (workdir / "stray.json").write_text("{}")
    result = invoke("verify-batch", "--params", "params.json", "meets.proof.json", "forged.json")
    assert result.exit_code == 1, result.output
    with_stray = invoke("verify-batch", "--params", "params.json", "meets.proof.json", "forged.json", "stray.json")
    assert with_stray.exit_code == 2, with_stray.output
    rows = {line.split()[0]: line.split()[1:4] for line in with_stray.stdout.splitlines() if line.startswith(("forged", "stray"))}
    assert rows == {"forged.json": ["bob", "invalid", "the"], "stray.json": ["-", "bad", "input"]}


def test_verify_batch_refuses_a_fifo_unread_when_one_sits_among_the_proofs(invoke, workdir):
    proofs = workdir / "proofs"
    proofs.mkdir()
    (proofs / "a.json").write_bytes((workdir / "meets.proof.json").read_bytes())
    os.mkfifo(proofs / "pipe.json")  # reading it would block the whole batch
    result = invoke("verify-batch", "--params", "params.json", "proofs", "--json")
    assert result.exit_code == 2, result.output
    rows = json.loads(result.stdout)["files"]
    assert [(row["status"], row["reason"]) for row in rows] == [("valid", None), ("bad input", "proofs/pipe.json: not a regular file")]


def test_verify_batch_exits_2_before_judging_any_file_when_a_directory_cannot_be_listed(invoke, workdir, monkeypatch):
    (workdir / "proofs").mkdir()
    listing = Path.iterdir

    def refused(path):  # the tests run as root, whom chmod does not stop
        if path.name == "proofs":
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(Path, "iterdir", refused)
    result = invoke("verify-batch", "--params", "params.json", "meets.proof.json", "proofs")
    assert result.exit_code == 2, result.output
    assert result.stderr == "zkmargin: error: proofs: Permission denied\n" and result.stdout == ""


def test_verify_batch_skips_params_file_when_it_sits_among_proofs(invoke, workdir):
    proofs = workdir / "proofs"
    proofs.mkdir()
    (proofs / "params.json").write_bytes((workdir / "params.json").read_bytes())
    (proofs / "alice.json").write_bytes((workdir / "meets.proof.json").read_bytes())
    result = invoke("verify-batch", "--params", "proofs/params.json", "proofs", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == 1


def test_verify_batch_exits_2_when_directory_has_no_proofs(invoke, workdir):
    (workdir / "empty").mkdir()
    result = invoke("verify-batch", "--params", "params.json", "empty")
    assert result.exit_code == 2
    assert "no proof files in empty" in result.stderr


# --- schema -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field"),
    [("market", "underlyings"), ("portfolio", "positions"), ("risk-arrays", "scenarios"),
     ("proof", "range_proof")],
)
def test_schema_prints_json_schema_with_fields_when_kind_known(invoke, kind, field):
    result = invoke("schema", kind)
    assert result.exit_code == 0
    assert field in json.loads(result.stdout)["properties"]


@pytest.mark.parametrize(
    ("kind", "described"),
    [("market", "market.json: everything public a margin model needs to value the instruments."),
     ("portfolio", "portfolio.json: an account's collateral (`cash`) and positions (instrument → quantity)."),
     ("portfolio-buckets", "portfolio.json with `buckets`: one account's isolated margin buckets."),
     ("risk-arrays", "risk.json: a scenario P&L table over an instrument universe."),
     ("proof", "proof.json: a margin proof as stored on disk; `zkmargin verify` checks it against the params.")],
)
def test_schema_describes_the_file_only_when_its_class_documents_developer_methods(invoke, kind, described):
    result = invoke("schema", kind)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["description"] == described


def undescribed_fields(schema: dict) -> list[str]:
    """Every property, at any depth (definitions included), without a `description`."""
    definitions, missing = schema.get("$defs", {}), []

    def visit(node: object, where: str) -> None:
        if isinstance(node, dict):
            for name, field in node.get("properties", {}).items():
                if "description" not in field:
                    missing.append(f"{where}.{name}")
            for value in node.values():
                visit(value, where)
        elif isinstance(node, list):
            for value in node:
                visit(value, where)

    visit({key: value for key, value in schema.items() if key != "$defs"}, "")
    for name, definition in definitions.items():
        visit(definition, name)
    return missing


@pytest.mark.parametrize("kind", ["market", "portfolio", "portfolio-buckets", "risk-arrays", "proof"])
def test_schema_describes_every_field_when_printed(invoke, kind):
    # docs/cli.md promises it: a file's fields say what they hold wherever the schema is read.
    result = invoke("schema", kind)
    assert result.exit_code == 0
    assert undescribed_fields(json.loads(result.stdout)) == []


def test_schema_exits_2_when_kind_unknown(invoke):
    result = invoke("schema", "params")
    assert result.exit_code == 2
    assert "'params' is not one of" in result.stderr


def test_check_lists_the_cheapest_strategy_pairing_when_standard_pairs_a_strangle(invoke, workdir):
    built = invoke("params", "build", "--market", str(REPO / "examples" / "market.json"),
                   "--model", str(REPO / "circuits" / "standard.toml"), "-o", "standard.json")
    assert built.exit_code == 0, built.output
    portfolio = str(REPO / "examples" / "portfolio_short_strangle.json")
    checked = invoke("check", "--params", "standard.json", "--allow-unsigned", "--portfolio", portfolio, "--json")
    assert checked.exit_code == 0, checked.output
    strangle = "short straddle: −1 XYZ 2026-12-18 105 C, −1 XYZ 2026-12-18 85 P"
    assert json.loads(checked.stdout)["strategies"] == [{"strategy": strangle, "count": "5"}]
    text = invoke("check", "--params", "standard.json", "--allow-unsigned", "--portfolio", portfolio).stdout
    assert any(line.startswith(strangle) and line.endswith("5") for line in text.splitlines())
