"""Key roles on the command line: `keys new --role`, `keys show`, and the refusals of
`params sign`, `attest`, `verify` and `ledger publish` when a key signs outside its role."""

import json

import zkmargin as zm


def _one_line(result):
    return result.stderr.strip() and "\n" not in result.stderr.strip()


def _new_key(invoke, name, *roles):
    role_args = [arg for role in roles for arg in ("--role", role)]
    made = invoke("keys", "new", "--issuer", name, *role_args, "-o", f"{name}.key.json", "--public", f"{name}.pub.json")
    assert made.exit_code == 0, made.output
    return made


def _claim_roles(path, roles):
    """Write `roles` into a key file, as its owner may: only the verifier's public file counts."""
    document = json.loads(path.read_text())
    document["roles"] = roles
    path.write_text(json.dumps(document))


def test_keys_new_exits_2_in_one_line_and_writes_nothing_when_role_is_missing(invoke, workdir):
    result = invoke("keys", "new", "--issuer", "venue-b", "-o", "b.key.json", "--public", "b.pub.json")
    assert result.exit_code == 2 and _one_line(result)
    assert "--role" in result.stderr and "params" in result.stderr and "custody" in result.stderr
    assert not (workdir / "b.key.json").exists() and not (workdir / "b.pub.json").exists()


def test_keys_new_exits_2_when_role_is_not_params_or_custody(invoke, workdir):
    result = invoke("keys", "new", "--issuer", "venue-b", "--role", "admin", "-o", "b.key.json", "--public", "b.pub.json")
    assert result.exit_code == 2 and not (workdir / "b.key.json").exists()


def test_keys_new_lists_roles_in_text_and_json_when_given_both(invoke, workdir):
    text = _new_key(invoke, "custodian-c", "custody")
    assert "roles custody" in text.output
    both = invoke("keys", "new", "--issuer", "venue-b", "--role", "custody", "--role", "params",
                  "-o", "b.key.json", "--public", "b.pub.json", "--json")
    assert both.exit_code == 0, both.output
    assert json.loads(both.stdout)["roles"] == ["params", "custody"]
    assert json.loads((workdir / "b.pub.json").read_text())["roles"] == ["params", "custody"]


def test_keys_show_lists_roles_of_public_and_signing_files_when_asked(invoke, workdir):
    _new_key(invoke, "custodian-c", "custody")
    public = json.loads(invoke("keys", "show", "custodian-c.pub.json", "--json").stdout)
    assert public["kind"] == "public" and public["roles"] == ["custody"] and public["legacy"] is False
    signing = invoke("keys", "show", "custodian-c.key.json")
    assert signing.exit_code == 0 and "signing key of custodian-c" in signing.output and "roles custody" in signing.output
    assert json.loads((workdir / "custodian-c.key.json").read_text())["private_key"] not in signing.output


def test_keys_show_says_both_roles_and_legacy_when_the_file_has_no_roles_field(invoke, workdir):
    _new_key(invoke, "venue-b", "params")
    document = json.loads((workdir / "venue-b.pub.json").read_text())
    del document["roles"]
    (workdir / "venue-b.pub.json").write_text(json.dumps(document))
    shown = json.loads(invoke("keys", "show", "venue-b.pub.json", "--json").stdout)
    assert shown["roles"] == ["params", "custody"] and shown["legacy"] is True
    assert "no roles field" in invoke("keys", "show", "venue-b.pub.json").output


def test_params_sign_exits_2_in_one_line_and_writes_nothing_when_the_key_is_a_custody_key(invoke, workdir):
    _new_key(invoke, "custodian-c", "custody")
    result = invoke("params", "sign", "unsigned.params.json", "--key", "custodian-c.key.json", "--epoch", "2",
                    "--valid-for", "1d", "-o", "c.params.json")
    assert result.exit_code == 2 and _one_line(result)
    assert "roles [custody]" in result.stderr and "may sign params" in result.stderr
    assert result.stderr.endswith("(make one with `zkmargin keys new --role params`)\n")
    assert not (workdir / "c.params.json").exists()


def test_attest_exits_2_in_one_line_and_writes_nothing_when_the_key_is_a_params_key(invoke, workdir):
    _new_key(invoke, "venue-b", "params")
    result = invoke("attest", "--key", "venue-b.key.json", "--params", "params.json", "--portfolio", "meets.json",
                    "--sequence", "1", "-o", "b.att.json", "--openings", "b.open.json")
    assert result.exit_code == 2 and _one_line(result)
    assert "roles [params]" in result.stderr and "may sign attestations" in result.stderr
    assert not (workdir / "b.att.json").exists() and not (workdir / "b.open.json").exists()


def test_verify_and_ledger_publish_exit_2_when_params_were_signed_by_a_key_trusted_for_custody(invoke, workdir):
    _new_key(invoke, "custodian-c", "custody")
    _claim_roles(workdir / "custodian-c.key.json", ["params", "custody"])
    signed = invoke("params", "sign", "unsigned.params.json", "--key", "custodian-c.key.json", "--epoch", "2",
                    "--valid-for", "1d", "-o", "c.params.json")
    assert signed.exit_code == 0, signed.output
    params = zm.RiskParams.load(workdir / "c.params.json")
    zm.prove(zm.Portfolio.load(workdir / "meets.json"), params).save(workdir / "c.proof.json")
    verified = invoke("verify", "--params", "c.params.json", "--trust", "custodian-c.pub.json", "c.proof.json")
    assert verified.exit_code == 2 and _one_line(verified)
    assert "roles [custody]" in verified.stderr and "may sign params" in verified.stderr
    assert invoke("ledger", "init", "--db", "venue.db").exit_code == 0
    published = invoke("ledger", "publish", "--db", "venue.db", "--params", "c.params.json", "--trust", "custodian-c.pub.json")
    assert published.exit_code == 2 and "may sign params" in published.stderr
