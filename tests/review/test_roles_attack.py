"""Attack review of key roles (merge 64bce62): the findings' tests (RL1–RL5) failed at the
review and pass since the fixes on main; the others pin the attacks that held.

An outsider's goals: params accepted that no params-role key signed, a book accepted that
no custody-role key attested, or a verifier's trust covering more than its user meant.
Every test builds real keys, params, attestations, proofs and ledgers; the roles a
verifier trusts are those of the public key files it holds, so the attacker's tools are
key files it writes itself (`claiming`) and the files it hands out.
"""

import json
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

import zkmargin as zm
from tests.anchors.conftest import claiming
# Fixtures, used by name; `venue` here is the venue's params key, not tests/review's ledger.
from tests.anchors.test_key_roles import custodian, venue  # noqa: F401
from tests.proofs.conftest import params, portfolio  # noqa: F401
from zkmargin.cli import cli
from zkmargin.venue.anchoring import open_attested
from zkmargin.venue.intake import submit
from zkmargin.venue.ledger import Ledger

# Recent: the ledger refuses attestations older than a day and params outside their window.
NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
WINDOW = {"valid_from": NOW - timedelta(hours=1), "valid_for": timedelta(days=2)}
BOOK = portfolio(5_000, account="dave", FUT=1)


@pytest.fixture(scope="module")
def signed(params, venue):
    return zm.sign_params(params, venue, epoch=7, **WINDOW)


def _attested_proof(key, params, book=BOOK):
    pair = zm.attest(key, params, book, sequence=1, time=NOW)
    summed = zm.attested_book([pair], params)
    return zm.prove(summed.portfolio, params, openings=summed.openings, attestations=summed.attestations)


def _public_document(key, **changes):
    return {**key.public().model_dump(exclude_none=True), **changes}


# -- what held: the key file itself -------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Params", "PARAMS", " params", "params ", "params\u200b", "p\u0430rams",
                                      "\uff50\uff41\uff52\uff41\uff4d\uff53", "params\n"])
def test_public_key_refuses_roles_when_params_is_spelled_with_case_space_or_unicode_variants(custodian, spelling):
    # A custodian's file slipping "params" past a reviewer who reads `roles: custody, Params`.
    document = _public_document(custodian, roles=["custody", spelling])
    with pytest.raises(zm.InputError, match=r"roles\[1\]: Input should be 'params' or 'custody'"):
        zm.PublicKey.from_json(json.dumps(document))


@pytest.mark.parametrize("shape", ['"params"', '{"params": true}', '[["params"]]', '"params,custody"'])
def test_public_key_refuses_roles_when_the_field_is_not_a_list_of_role_names(custodian, shape):
    text = json.dumps(_public_document(custodian, roles=["custody"])).replace('["custody"]', shape)
    with pytest.raises(zm.InputError, match="roles"):
        zm.PublicKey.from_json(text)


@pytest.mark.parametrize("field", ["Roles", "role", "roles ", "r\u043eles"])
def test_public_key_refuses_file_when_roles_is_under_a_misspelled_field(custodian, field):
    # Read leniently, the file would have no `roles` and count as legacy: both roles.
    document = {**_public_document(custodian), field: ["custody"]}
    del document["roles"]
    with pytest.raises(zm.InputError, match="Extra inputs are not permitted"):
        zm.PublicKey.from_json(json.dumps(document))


@pytest.mark.parametrize("first, second, spelled", [('["custody"]', '["params", "custody"]', "roles"),
                                                    ('["params", "custody"]', '["custody"]', "roles"),
                                                    ('["custody"]', '["params", "custody"]', "rol\\u0065s")])
def test_public_key_refuses_file_when_roles_appears_twice(custodian, tmp_path, first, second, spelled):
    # Python's json keeps the last duplicate; a reviewer's viewer may show the first, and a
    # grep for "roles" misses the escaped spelling of the second.
    text = json.dumps(_public_document(custodian, roles=["custody"]))
    text = text.replace('"roles": ["custody"]', f'"roles": {first}, "{spelled}": {second}')
    (tmp_path / "custodian.json").write_text(text)
    with pytest.raises(zm.InputError, match="duplicate key 'roles'"):
        zm.Trust.load([tmp_path])


def test_public_key_refuses_file_when_it_claims_another_keys_id(venue, custodian):
    # The custodian's key under the venue's key id (the one the venue's params name).
    document = _public_document(custodian, key_id=venue.key_id, roles=["params", "custody"])
    with pytest.raises(zm.InputError, match="key_id: is not the SHA-256 of public_key"):
        zm.PublicKey.from_json(json.dumps(document))


@pytest.mark.parametrize("names", [("a.json", "b.json"), ("b.json", "a.json")], ids=["legacy-first", "legacy-last"])
def test_trust_refuses_one_key_when_a_legacy_file_and_a_roles_file_give_it_across_sources(custodian, tmp_path, names):
    # Legacy (both roles) beside the custody-only file, in either order, split over --trust FILE
    # and --trust DIR: neither file may decide alone what the key signs.
    legacy, scoped = names
    (tmp_path / "dir").mkdir()
    claiming(custodian, None).public().save(tmp_path / "dir" / legacy)
    custodian.public().save(tmp_path / scoped)
    for sources in ([tmp_path / "dir", tmp_path / scoped], [tmp_path / scoped, tmp_path / "dir"]):
        with pytest.raises(zm.InputError, match="is given with roles"):
            zm.Trust.load(sources)


def test_trust_accepts_one_key_when_a_legacy_file_and_a_file_naming_both_roles_give_it(venue, tmp_path):
    # Same effective roles: no file decides anything the other does not.
    claiming(venue, None).public().save(tmp_path / "legacy.json")
    claiming(venue, ["custody", "params"]).public().save(tmp_path / "both.json")
    trust = zm.Trust.load([tmp_path])
    assert venue.key_id in trust


# -- what held: the signatures ------------------------------------------------------------


def test_verify_refuses_attestation_when_a_legacy_keys_params_signature_is_pasted_into_it(params, custodian):
    # One legacy key holds both roles: its params signature must not pass as an attestation.
    legacy = claiming(custodian, None)
    venue_params = zm.sign_params(params, legacy, epoch=1, **WINDOW)
    proof = _attested_proof(legacy, venue_params)
    document = json.loads(proof.to_json())
    document["attestations"][0]["signature"] = venue_params.signature
    pasted = zm.MarginProof.from_json(json.dumps(document))
    policy = zm.Policy(trust=zm.Trust([legacy.public()]), attested_only=True)
    with pytest.raises(zm.UntrustedSignature, match="does not verify under 'custodian-a'"):
        zm.verify(pasted, venue_params, policy=policy, now=NOW)


def test_verify_refuses_params_when_the_issuers_other_key_signed_them_outside_its_role(params, venue):
    # Roles belong to keys, not issuers: the venue's custody key, trusted beside its params key
    # under the same issuer name, does not inherit the params role from its sibling.
    own = zm.new_key("venue-a", "custody")
    forged = zm.sign_params(params, claiming(own, ["params", "custody"]), epoch=8, **WINDOW)
    policy = zm.Policy(trust=zm.Trust([venue.public(), own.public()]))
    with pytest.raises(zm.UntrustedSignature, match=f"key {own.key_id[:16]}… of 'venue-a' has roles \\[custody\\]"):
        zm.verify(zm.prove(BOOK, forged), forged, policy=policy, now=NOW)


@pytest.mark.parametrize("given", ["policy", "trust"])
def test_verify_batch_refuses_params_keys_attestation_when_checked_in_worker_processes(signed, venue, custodian, given):
    # The trust set travels to each worker by pickle, in a policy (verify-batch) or alone
    # (the ledger's intake): the roles must travel with it.
    trust = zm.Trust([venue.public(), custodian.public()])
    honest = _attested_proof(custodian, signed)
    rogue = _attested_proof(claiming(venue, ["params", "custody"]), signed, portfolio(5_000, account="erin", FUT=1))
    options = {"policy": zm.Policy(trust=trust, attested_only=True), "now": NOW} if given == "policy" else {"trust": trust}
    with ProcessPoolExecutor(max_workers=1) as pool:
        result = zm.verify_batch([honest, rogue], signed, executor=pool, chunk_size=1, **options)
    assert [s.account if s else None for s in result.statements] == ["dave", None]
    assert [(f.account, "roles [params]" in f.reason) for f in result.failures] == [("erin", True)]


def test_ledger_holds_the_venues_own_book_when_its_custody_key_attests_it(signed, venue, tmp_path):
    # The venue is also a custodian: with a second key of role custody (same issuer name) it
    # still attests the book it holds, the ledger takes it, and a proof over it stands.
    own = zm.new_key("venue-a", "custody")
    trust = zm.Trust([venue.public(), own.public()])
    ledger = Ledger(str(tmp_path / "ledger.db"))
    ledger.init()
    ledger.publish(signed, now=NOW)
    attestation, openings = zm.attest(own, signed, BOOK, sequence=1, time=NOW)
    with pytest.raises(zm.UntrustedSignature, match="roles \\[params\\]"):
        open_attested(ledger, [zm.attest(claiming(venue, ["custody"]), signed, BOOK, sequence=1, time=NOW)[0]], trust, now=NOW)
    assert open_attested(ledger, [attestation], trust, now=NOW)
    summed = zm.attested_book([(attestation, openings)], signed)
    zm.prove(summed.portfolio, signed, openings=summed.openings, attestations=summed.attestations).save(tmp_path / "dave.json")
    report = submit(ledger, [tmp_path / "dave.json"], trust=trust, now=lambda: NOW)
    assert [(row.account, row.status) for row in report.rows] == [("dave", "valid")]
    ledger.close()


def test_submit_refuses_attested_proof_when_the_custodians_key_lost_the_custody_role_after_open(signed, venue, tmp_path):
    # Attestations, unlike params (RL2), are checked again at intake against --trust: a legacy
    # custodian key re-scoped to params between `ledger open` and `ledger submit` stops counting.
    legacy = claiming(zm.new_key("custodian-a", "custody"), None)
    ledger = Ledger(str(tmp_path / "ledger.db"))
    ledger.init()
    ledger.publish(signed, now=NOW)
    pair = zm.attest(legacy, signed, BOOK, sequence=1, time=NOW)
    assert open_attested(ledger, [pair[0]], zm.Trust([venue.public(), legacy.public()]), now=NOW)
    summed = zm.attested_book([pair], signed)
    zm.prove(summed.portfolio, signed, openings=summed.openings, attestations=summed.attestations).save(tmp_path / "dave.json")
    rescoped = zm.Trust([venue.public(), claiming(legacy, ["params"]).public()])
    report = submit(ledger, [tmp_path / "dave.json"], trust=rescoped, now=lambda: NOW)
    ledger.close()
    assert [(row.status, "roles [params]" in row.reason) for row in report.rows] == [("invalid", True)]


@pytest.mark.parametrize("command", [["ledger", "publish"], ["monitor", "stress"]])
@pytest.mark.parametrize("allow_unsigned", [[], ["--allow-unsigned"]], ids=["signed-only", "allow-unsigned"])
def test_ledger_exits_2_and_records_nothing_when_a_custody_key_signed_the_params(params, custodian, tmp_path, command, allow_unsigned):
    # --allow-unsigned admits params nobody signed, never params the wrong key signed.
    forged = zm.sign_params(params, claiming(custodian, ["params", "custody"]), epoch=1, **WINDOW)
    forged.save(tmp_path / "params.json")
    custodian.public().save(tmp_path / "custodian-a.pub.json")
    db = str(tmp_path / "ledger.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["ledger", "init", "--db", db]).exit_code == 0
    result = runner.invoke(cli, [*command, "--params", str(tmp_path / "params.json"), "--trust",
                                 str(tmp_path / "custodian-a.pub.json"), *allow_unsigned, "--db", db])
    assert result.exit_code == 2 and "may sign params" in result.stderr
    ledger = Ledger(db)
    assert ledger.epochs() == []
    ledger.close()


# -- findings -----------------------------------------------------------------------------


def _ledger_under(signed_params, url, tmp_path):
    """A fresh ledger at `url` whose first margin epoch is `signed_params`, with dave's
    self-declared account open and his proof under them in tmp_path/dave.json."""
    ledger = Ledger(url)
    ledger.init()
    ledger.publish(signed_params, now=NOW)
    commitments, openings = zm.open_account(BOOK, signed_params)
    ledger.open_account(commitments)
    zm.prove(BOOK, signed_params, openings=openings).save(tmp_path / "dave.json")
    return ledger


# RL1 (medium) — venue/ledger.py `Ledger.publish` takes no trust and venue/intake.py never
# checks an epoch's signer: its docstring says "custodians' keys cannot sign params at all:
# their role is custody", but through the Python API (the CLI alone checks, in
# `load_trusted_params`) params signed by a custody-only key become the ledger's margin epoch,
# with the custodian as its params issuer, and `submit(..., trust=)` — given a trust set that
# holds that key for custody only — records proofs under them as valid.
# Fix: `Ledger.publish(params, trust=, allow_unsigned=)` runs `check_params` itself (the CLI
# passes its --trust), so no caller can skip the role check; the intake check of RL2 closes
# this test's path too.
def test_submit_refuses_proof_under_params_a_custody_key_signed_when_the_trust_set_holds_it_for_custody(
    params, custodian, ledger_url, tmp_path
):
    forged = zm.sign_params(params, claiming(custodian, ["params", "custody"]), epoch=1, **WINDOW)
    ledger = _ledger_under(forged, ledger_url, tmp_path)
    report = submit(ledger, [tmp_path / "dave.json"], trust=zm.Trust([custodian.public()]), now=lambda: NOW)
    ledger.close()
    assert [row.status for row in report.rows] != ["valid"], "a custodian's params were accepted as the venue's"


# RL2 (low) — venue/intake.py: the ledger stores no key or role for an epoch, and `submit`
# applies --trust to attestations only. A role change (or revocation) between publish and
# intake is never seen: the venue trusted its old legacy key (both roles) when it published,
# then re-scoped it to custody — as docs/trust-model.md advises, "make one new key per role" —
# and proofs under the epoch that key signed still stand, with `submit --trust` saying the
# key may not sign params.
# Fix: intake refuses an epoch whose signing key `trust` holds without the params role
# (`check_params` when `stamp.key_id in trust`, cached like the validity windows), so the
# documented `ledger submit --trust custodians/` (no venue key) keeps working; fixes RL1 too.
def test_submit_refuses_proof_under_params_when_their_key_lost_the_params_role_after_publish(params, ledger_url, tmp_path):
    old = claiming(zm.new_key("venue-a", "params"), None)
    published = zm.sign_params(params, old, epoch=1, **WINDOW)
    zm.check_params(published, zm.Trust([old.public()]), now=NOW)  # what `ledger publish --trust` did
    ledger = _ledger_under(published, ledger_url, tmp_path)
    rescoped = zm.Trust([claiming(old, ["custody"]).public()])
    with pytest.raises(zm.UntrustedSignature):
        zm.check_params(published, rescoped, now=NOW)
    report = submit(ledger, [tmp_path / "dave.json"], trust=rescoped, now=lambda: NOW)
    ledger.close()
    assert [row.status for row in report.rows] != ["valid"], "params kept counting after their key lost the params role"


# RL3 (medium) — anchors/keys.py: roles are the key file's unsigned claim and a file without
# `roles` counts as both. A file made by `keys new --role custody` and handed out with the
# field left off (by its owner, or anyone relaying it) reads as a pre-roles file: the
# verifier who adds "the custodian's key" to --trust trusts it with params too, and nothing
# says so — `verify` prints the statement and exits 0. The roles feature then protects only
# users who run `keys show` on every file.
# Fix: `Trust.load` names each legacy key it loads on stderr ("… has no roles field: trusted
# for params and custody"), and --trust accepts a role (`--trust custody=DIR`) that caps it.
def test_verify_warns_when_a_trusted_key_file_without_roles_grants_the_params_role(params, custodian, tmp_path):
    stripped = claiming(custodian, None)
    stripped.public().save(tmp_path / "custodian-a.pub.json")
    forged = zm.sign_params(params, stripped, epoch=1, **WINDOW)
    forged.save(tmp_path / "params.json")
    zm.prove(BOOK, forged).save(tmp_path / "proof.json")
    result = CliRunner().invoke(
        cli, ["verify", "--params", str(tmp_path / "params.json"), "--trust", str(tmp_path / "custodian-a.pub.json"),
              str(tmp_path / "proof.json")], prog_name="zkmargin",
    )
    assert result.exit_code == 0, result.output
    assert "custodian-a" in result.stderr and "roles" in result.stderr, "a roles-less key file granted params silently"


# RL4 (low) — anchors/keys.py `Trust.load`: a directory's hidden files count. `--trust keys/`
# trusts `keys/.custodian-x.json`, which `ls keys/` does not show, with whatever roles it
# claims: the trust set covers a key its user never listed.
# Fix: `Trust.load` refuses (or skips) dot-files in a directory, naming them.
def test_trust_refuses_directory_when_a_hidden_file_would_add_a_key(venue, custodian, tmp_path):
    venue.public().save(tmp_path / "venue-a.pub.json")
    claiming(custodian, ["params", "custody"]).public().save(tmp_path / ".custodian-a.json")
    try:
        trust = zm.Trust.load([tmp_path])
    except zm.InputError as refused:
        assert ".custodian-a.json" in str(refused)
    else:
        assert custodian.key_id not in trust, "a hidden file added a trusted key"


# RL5 (low) — anchors/keys.py `Trust.__init__` takes any object: `zm.Trust([key])` with the
# signing key (a natural slip for `key.public()`) builds, trusts the roles its owner wrote
# into the private file, and fails on first use with AttributeError — a traceback, not a
# `ZkMarginError`.
# Fix: `Trust.__init__` refuses anything but a `PublicKey` (`InputError`: "give key.public()").
def test_trust_raises_input_error_when_given_a_signing_key(signed, venue):
    with pytest.raises(zm.InputError, match="public"):
        zm.check_params(signed, zm.Trust([venue]), now=NOW)
