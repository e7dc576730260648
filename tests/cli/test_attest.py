"""attest → prove over two attestations → verify, on the command line (cross-venue margin)."""

import json
import os
import stat

from tests.cli.conftest import write_portfolio

CALL = "XYZ 2026-12-18 100 C"


def _two_custodians(invoke, workdir):
    for name in ("a", "b"):
        made = invoke("keys", "new", "--issuer", f"custodian-{name}", "--role", "custody", "-o", f"{name}.key.json", "--public", f"{name}.pub.json")
        assert made.exit_code == 0, made.output
    # The short call at custodian A, its hedge (the stock) and the future at custodian B.
    write_portfolio(workdir / "at-a.json", "alice", 0, {CALL: -1})
    write_portfolio(workdir / "at-b.json", "alice", 10000, {"XYZ": 100, "MES 2026-12-18": 1})
    for name, sequence in (("a", "4"), ("b", "9")):
        result = invoke("attest", "--key", f"{name}.key.json", "--params", "params.json", "--portfolio", f"at-{name}.json",
                        "--sequence", sequence, "-o", f"{name}.att.json", "--openings", f"{name}.open.json")
        assert result.exit_code == 0, result.output


def _trust(*names):
    return [arg for name in names for arg in ("--trust", name)]


def test_attest_writes_public_attestation_and_owner_only_openings_when_run(invoke, workdir):
    _two_custodians(invoke, workdir)
    assert stat.S_IMODE((workdir / "a.open.json").stat().st_mode) == 0o600
    attestation = json.loads((workdir / "a.att.json").read_text())
    assert attestation["custodian"] == "custodian-a" and attestation["sequence"] == 4
    assert "value" not in (workdir / "a.att.json").read_text()


def test_prove_over_two_attestations_verifies_with_neither_book_at_the_venue(invoke, workdir):
    _two_custodians(invoke, workdir)
    made = invoke("prove", "--params", "params.json", "--attestation", "a.att.json", "--openings", "a.open.json",
                  "--attestation", "b.att.json", "--openings", "b.open.json", "-o", "x.json")
    assert made.exit_code == 0, made.output
    for book in ("at-a.json", "at-b.json", "a.open.json", "b.open.json", "meets.json"):
        (workdir / book).unlink()
    trust = _trust(os.environ["ZKMARGIN_TRUST"], "a.pub.json", "b.pub.json")
    result = invoke("verify", "--params", "params.json", *trust, "x.json", "--attested-only",
                    "--require-custodian", "custodian-a", "--require-custodian", "custodian-b")
    assert result.exit_code == 0, result.output
    assert "attested by custodian-a (sequence 4" in result.stdout and "custodian-b (sequence 9" in result.stdout


def test_verify_exits_2_when_a_custodian_key_is_not_trusted(invoke, workdir):
    _two_custodians(invoke, workdir)
    invoke("prove", "--params", "params.json", "--attestation", "a.att.json", "--openings", "a.open.json",
           "--attestation", "b.att.json", "--openings", "b.open.json", "-o", "x.json")
    result = invoke("verify", "--params", "params.json", *_trust(os.environ["ZKMARGIN_TRUST"], "a.pub.json"), "x.json")
    assert result.exit_code == 2 and "custodian-b" in result.stderr and "not among the trusted keys" in result.stderr
    assert result.stderr.endswith(
        "of 'custodian-b', which is not among the trusted keys; if you trust 'custodian-b', add its public key "
        "(on the command line --trust FILE, or $ZKMARGIN_TRUST)\n"
    )


def test_verify_batch_judges_bad_input_and_exits_2_when_a_custodian_key_is_not_trusted(invoke, workdir):
    _two_custodians(invoke, workdir)
    invoke("prove", "--params", "params.json", "--attestation", "a.att.json", "--openings", "a.open.json",
           "--attestation", "b.att.json", "--openings", "b.open.json", "-o", "x.json")
    trust = _trust(os.environ["ZKMARGIN_TRUST"], "a.pub.json")
    result = invoke("verify-batch", "--params", "params.json", *trust, "x.json", "meets.proof.json", "--json")
    assert result.exit_code == 2, result.output
    verdicts = {row["file"]: row for row in json.loads(result.stdout)["files"]}
    assert verdicts["x.json"]["status"] == "bad input" and "custodian-b" in verdicts["x.json"]["reason"]
    assert verdicts["x.json"]["reason"].endswith("add its public key (on the command line --trust FILE, or $ZKMARGIN_TRUST)")
    assert verdicts["meets.proof.json"]["status"] == "valid"


def test_prove_exits_1_when_one_attested_book_alone_is_short(invoke, workdir):
    _two_custodians(invoke, workdir)
    result = invoke("prove", "--params", "params.json", "--attestation", "a.att.json", "--openings", "a.open.json", "-o", "x.json")
    assert result.exit_code == 1 and "short by" in result.stderr


def test_prove_exits_2_when_openings_do_not_match_the_attestations(invoke, workdir):
    _two_custodians(invoke, workdir)
    result = invoke("prove", "--params", "params.json", "--attestation", "a.att.json", "--openings", "b.open.json", "-o", "x.json")
    assert result.exit_code == 2 and "a.att.json" in result.stderr


def test_prove_splits_two_attested_books_into_isolated_buckets_when_given_a_bucket_portfolio(invoke, workdir):
    _two_custodians(invoke, workdir)
    # The attested sum split: the call with its hedge in one bucket, the future in another.
    split = {"account": "alice", "buckets": [
        {"name": "hedged", "cash": 7000, "positions": {"XYZ": 100, CALL: -1}},
        {"name": "future", "cash": 3000, "positions": {"MES 2026-12-18": 1}},
    ]}
    (workdir / "split.json").write_text(json.dumps(split))
    attested = ["--attestation", "a.att.json", "--openings", "a.open.json", "--attestation", "b.att.json", "--openings", "b.open.json"]
    made = invoke("prove", "--params", "params.json", *attested, "--portfolio", "split.json", "-o", "x.json", "--json")
    assert made.exit_code == 0, made.output
    assert (json.loads(made.stdout)["buckets"], json.loads(made.stdout)["attestations"]) == (2, 2)
    trust = _trust(os.environ["ZKMARGIN_TRUST"], "a.pub.json", "b.pub.json")
    verified = invoke("verify", "--params", "params.json", *trust, "x.json", "--attested-only", "--json")
    assert verified.exit_code == 0, verified.output
    assert (json.loads(verified.stdout)["buckets"], len(json.loads(verified.stdout)["attestations"])) == (2, 2)

    split["buckets"][0]["cash"] = 7001  # one more than the custodians attest
    (workdir / "split.json").write_text(json.dumps(split))
    refused = invoke("prove", "--params", "params.json", *attested, "--portfolio", "split.json", "-o", "y.json")
    assert refused.exit_code == 2 and "the buckets' cash c does not open the sum of the attestations" in refused.stderr
    plain = invoke("prove", "--params", "params.json", *attested, "--portfolio", "at-b.json", "-o", "y.json")
    assert plain.exit_code == 2 and "may only split the attested book into buckets" in plain.stderr


def test_verify_batch_notes_only_the_self_declared_proofs_when_one_is_attested(invoke, workdir):
    _two_custodians(invoke, workdir)
    invoke("prove", "--params", "params.json", "--attestation", "a.att.json", "--openings", "a.open.json",
           "--attestation", "b.att.json", "--openings", "b.open.json", "-o", "x.json")
    trust = _trust(os.environ["ZKMARGIN_TRUST"], "a.pub.json", "b.pub.json")
    attested_only = invoke("verify-batch", "--params", "params.json", *trust, "x.json")
    assert attested_only.exit_code == 0, attested_only.output
    assert "note:" not in attested_only.stderr
    mixed = invoke("verify-batch", "--params", "params.json", *trust, "x.json", "bob.proof.json")
    assert mixed.exit_code == 0, mixed.output
    assert "note: 1 of 2 valid proofs is self-declared and not pinned — nothing ties it to a book" in mixed.stderr
    as_json = invoke("verify-batch", "--params", "params.json", *trust, "x.json", "bob.proof.json", "--json")
    assert json.loads(as_json.stdout)["unpinned_self_declared"] == 1


def test_prove_exits_2_naming_the_file_when_a_custodian_is_not_among_trusted_custody_keys(invoke, workdir):
    _two_custodians(invoke, workdir)
    result = invoke("prove", "--params", "params.json", *_trust(os.environ["ZKMARGIN_TRUST"], "a.pub.json"),
                    "--attestation", "a.att.json", "--openings", "a.open.json",
                    "--attestation", "b.att.json", "--openings", "b.open.json", "-o", "x.json")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("zkmargin: error: b.att.json: attestation 9 by 'custodian-b': signed by key ")
    assert not (workdir / "x.json").exists()


def test_prove_notes_the_unchecked_custodian_signatures_when_no_trusted_key_has_the_custody_role(invoke, workdir):
    _two_custodians(invoke, workdir)
    result = invoke("prove", "--params", "params.json", "--attestation", "a.att.json", "--openings", "a.open.json",
                    "--attestation", "b.att.json", "--openings", "b.open.json", "-o", "x.json")
    assert result.exit_code == 0, result.output
    assert ("zkmargin: note: the custodians' signatures on the attestations are not checked: no trusted key has "
            "the custody role") in result.stderr
