"""keys, params sign, --trust / --allow-unsigned, policy options and challenges on the command line."""

import json
import stat

import pytest

import zkmargin as zm


def test_keys_new_writes_owner_only_key_and_public_file_when_run(invoke, workdir):
    result = invoke("keys", "new", "--issuer", "venue-b", "--role", "params", "-o", "b.key.json", "--public", "b.pub.json")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((workdir / "b.key.json").stat().st_mode) == 0o600
    public = zm.PublicKey.load(workdir / "b.pub.json")
    assert public == zm.SigningKey.load(workdir / "b.key.json").public() and public.issuer == "venue-b"


def test_keys_new_exits_2_when_issuer_holds_an_escape_sequence(invoke, workdir):
    result = invoke("keys", "new", "--issuer", "venue\x1b[2J", "--role", "params", "-o", "k.json", "--public", "p.json")
    assert result.exit_code == 2 and "printable" in result.stderr
    assert "\x1b" not in result.stderr


def test_params_sign_then_check_accepts_params_when_key_is_trusted(invoke, workdir):
    invoke("keys", "new", "--issuer", "venue-b", "--role", "params", "-o", "b.key.json", "--public", "b.pub.json")
    signed = invoke("params", "sign", "unsigned.params.json", "--key", "b.key.json", "--epoch", "3",
                    "--valid-for", "1d", "-o", "b.params.json")
    assert signed.exit_code == 0, signed.output
    assert "epoch 3 of venue-b" in signed.output
    result = invoke("check", "--params", "b.params.json", "--trust", "b.pub.json", "--portfolio", "meets.json")
    assert result.exit_code == 0, result.output


def test_check_exits_2_when_params_are_signed_by_a_key_not_trusted(invoke, workdir):
    invoke("keys", "new", "--issuer", "venue-a", "--role", "params", "-o", "x.key.json", "--public", "x.pub.json")
    invoke("params", "sign", "unsigned.params.json", "--key", "x.key.json", "--epoch", "2",
           "--valid-for", "1d", "-o", "forged.params.json")
    result = invoke("check", "--params", "forged.params.json", "--portfolio", "meets.json")
    assert result.exit_code == 2 and "not among the trusted keys" in result.stderr


def test_prove_exits_2_when_params_are_unsigned_unless_allowed(invoke, workdir):
    args = ("prove", "--params", "unsigned.params.json", "--portfolio", "meets.json", "-o", "p.json")
    refused = invoke(*args)
    assert refused.exit_code == 2 and refused.stderr.endswith(
        "not signed; ask the venue for signed params, or pass --allow-unsigned to accept params nobody vouches for\n"
    )
    assert "Policy(" not in refused.stderr
    allowed = invoke(*args, "--allow-unsigned")
    assert allowed.exit_code == 0, allowed.output
    assert "issuer" not in (workdir / "p.json").read_text()


def test_verify_applies_level_by_factor_and_exits_1_when_book_is_self_declared(invoke, workdir):
    # portfolio margin's initial factor is 1: a maintenance proof meets an initial gate.
    result = invoke("verify", "--params", "params.json", "meets.proof.json", "--require-level", "initial")
    assert result.exit_code == 0, result.output
    attested = invoke("verify", "--params", "params.json", "meets.proof.json", "--attested-only")
    assert attested.exit_code == 1 and "self-declared" in attested.stderr


def test_verify_prints_epoch_and_self_declared_provenance_when_valid(invoke, workdir):
    result = invoke("verify", "--params", "params.json", "meets.proof.json")
    assert result.exit_code == 0, result.output
    assert "epoch 1 of venue-a" in result.stdout
    assert "provenance: self-declared" in result.stdout and "some book" in result.stdout


def test_verify_batch_exits_1_when_policy_requires_more_excess(invoke, workdir):
    result = invoke("verify-batch", "--params", "params.json", "meets.proof.json", "--require-excess", "1", "--json")
    assert result.exit_code == 1
    [row] = json.loads(result.stdout)["files"]
    assert row["status"] == "invalid" and "requires ≥ 1" in row["reason"]


def test_verify_exits_1_when_proof_answers_another_challenge(invoke, workdir):
    first, second = zm.new_challenge(), zm.new_challenge()
    made = invoke("prove", "--params", "params.json", "--portfolio", "meets.json", "-o", "c.json",
                  "--challenge", first)
    assert made.exit_code == 0, made.output
    assert invoke("verify", "--params", "params.json", "c.json", "--challenge", first).exit_code == 0
    replayed = invoke("verify", "--params", "params.json", "c.json", "--challenge", second)
    assert replayed.exit_code == 1 and "challenge" in replayed.stderr


def test_verify_batch_checks_each_account_challenge_when_given_a_map_or_one(invoke, workdir):
    params = zm.RiskParams.load(workdir / "params.json")
    handed = {"alice": zm.new_challenge(), "bob": zm.new_challenge()}
    for account, book in (("alice", "meets.json"), ("bob", "bob.json")):
        zm.prove(zm.Portfolio.load(workdir / book), params, challenge=handed[account]).save(workdir / f"{account}.c.json")
    batch = ("verify-batch", "--params", "params.json", "alice.c.json", "bob.c.json", "--json", "--challenge")
    (workdir / "handed.json").write_text(json.dumps(handed))
    assert invoke(*batch, "handed.json").exit_code == 0
    (workdir / "swapped.json").write_text(json.dumps({"alice": handed["bob"], "bob": handed["alice"]}))
    swapped = invoke(*batch, "swapped.json")
    assert swapped.exit_code == 1
    assert [f["status"] for f in json.loads(swapped.stdout)["files"]] == ["invalid", "invalid"]
    one = json.loads(invoke(*batch, handed["alice"]).stdout)["files"]
    assert [f["status"] for f in one] == ["valid", "invalid"] and "not this request's challenge" in one[1]["reason"]
    (workdir / "alice-only.json").write_text(json.dumps({"alice": handed["alice"]}))
    partial = json.loads(invoke(*batch, "alice-only.json").stdout)["files"]
    assert partial[1]["reason"] == "no challenge was handed to account 'bob'"


def test_verify_batch_exits_2_when_challenge_is_neither_hex_nor_a_map(invoke, workdir):
    batch = ("verify-batch", "--params", "params.json", "meets.proof.json", "--challenge")
    assert "neither 64 hex digits nor a file" in invoke(*batch, "abc").stderr
    (workdir / "list.json").write_text("[1]")
    assert invoke(*batch, "list.json").exit_code == 2
    (workdir / "bad.json").write_text(json.dumps({"alice": "XYZ"}))
    refused = invoke(*batch, "bad.json")
    assert refused.exit_code == 2 and "bad.json: challenge: expected 64" in refused.stderr


def test_verify_exits_2_naming_the_field_when_trusted_key_file_has_no_format(invoke, workdir):
    invoke("keys", "new", "--issuer", "venue-b", "--role", "params", "-o", "b.key.json", "--public", "b.pub.json")
    document = json.loads((workdir / "b.pub.json").read_text())
    del document["format"]
    (workdir / "old.pub.json").write_text(json.dumps(document))
    result = invoke("verify", "--params", "params.json", "--trust", "old.pub.json", "meets.proof.json")
    assert result.exit_code == 2
    assert "old.pub.json: missing 'format': a key file must say what it is" in result.stderr


# Every params reader refuses unsigned or untrusted params (exit 2, nothing written).
PARAMS_READERS = {
    "account open": ("account", "open", "--portfolio", "meets.json", "-o", "n.account.json", "--openings", "n.openings.json"),
    "attest": ("attest", "--key", "c.key.json", "--portfolio", "meets.json", "--sequence", "1", "-o", "n.account.json",
               "--openings", "n.openings.json"),
}


@pytest.mark.parametrize("reader", sorted(PARAMS_READERS))
def test_params_reader_exits_2_when_params_unsigned_or_untrusted(invoke, workdir, monkeypatch, reader):
    invoke("keys", "new", "--issuer", "custodian-c", "--role", "custody", "-o", "c.key.json", "--public", "c.pub.json")
    args = PARAMS_READERS[reader]
    unsigned = invoke(*args, "--params", "unsigned.params.json")
    assert unsigned.exit_code == 2 and "not signed" in unsigned.stderr
    monkeypatch.delenv("ZKMARGIN_TRUST")
    untrusted = invoke(*args, "--params", "params.json")
    assert untrusted.exit_code == 2 and "not among the trusted keys" in untrusted.stderr
    assert not (workdir / "n.openings.json").exists() and not (workdir / "n.account.json").exists()
    assert invoke(*args, "--params", "unsigned.params.json", "--allow-unsigned").exit_code == 0
    assert (workdir / "n.openings.json").exists()


def test_in_cli_words_replaces_each_piece_of_library_advice_when_a_ledger_or_batch_reason_holds_it():
    # Reasons stored by the ledger and those of a batch are library text; the command line shows its options.
    from zkmargin.cli.common import in_cli_words
    from zkmargin.errors import ALLOW_UNSIGNED_ADVICE, TRUST_KEY_ADVICE, new_key_advice

    assert in_cli_words(f"add its public key {TRUST_KEY_ADVICE}") == (
        "add its public key (on the command line --trust FILE, or $ZKMARGIN_TRUST)"
    )
    assert in_cli_words(f"not signed; {ALLOW_UNSIGNED_ADVICE}") == (
        "not signed; or pass --allow-unsigned to accept params nobody vouches for"
    )
    assert [in_cli_words(new_key_advice(role)) for role in zm.KEY_ROLES] == [
        "(make one with `zkmargin keys new --role params`)",
        "(make one with `zkmargin keys new --role custody`)",
    ]
