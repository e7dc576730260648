"""Key roles: a params key cannot vouch for a book, a custody key cannot publish params.

The roles a verifier trusts are those of the public key files it holds: a signer can write
any roles into its own signing key file, so the "rogue" keys below are real keys whose
private file claims a role their published public key does not grant.
"""

import json
from datetime import datetime, timedelta, timezone

import pytest

import zkmargin as zm
from tests.anchors.conftest import claiming
from tests.proofs.conftest import portfolio

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
WINDOW = {"valid_from": NOW - timedelta(hours=1), "valid_for": timedelta(days=1)}


@pytest.fixture(scope="module")
def venue():
    return zm.new_key("venue-a", "params")


@pytest.fixture(scope="module")
def custodian():
    return zm.new_key("custodian-a", "custody")


@pytest.fixture(scope="module")
def signed(params, venue):
    return zm.sign_params(params, venue, epoch=7, **WINDOW)


def _attested_proof(key, params):
    pair = zm.attest(key, params, portfolio(5000, FUT=1), sequence=1, time=NOW - timedelta(minutes=5))
    book = zm.attested_book([pair], params)
    return zm.prove(book.portfolio, params, openings=book.openings, attestations=book.attestations)


def test_new_key_writes_roles_in_canonical_order_when_given_both(tmp_path):
    key = zm.new_key("venue-a", "custody", "params")
    key.public().save(tmp_path / "pub.json")
    assert json.loads((tmp_path / "pub.json").read_text())["roles"] == ["params", "custody"]
    assert zm.PublicKey.load(tmp_path / "pub.json").granted == ("params", "custody")


@pytest.mark.parametrize("roles, message", [((), "at least one role"), (("admin",), "roles")])
def test_new_key_raises_input_error_when_roles_are_missing_or_unknown(roles, message):
    with pytest.raises(zm.InputError, match=message):
        zm.new_key("venue-a", *roles)


@pytest.mark.parametrize("roles, message", [([], "at least one role"), (["params", "params"], "once"),
                                            (None, "null"), (["vote"], "roles")])
def test_public_key_refuses_roles_field_when_empty_repeated_null_or_unknown(venue, roles, message):
    document = {**venue.public().model_dump(exclude_none=True), "roles": roles}
    with pytest.raises(zm.InputError, match=message):
        zm.PublicKey.from_json(json.dumps(document))


def test_verify_refuses_params_with_untrusted_signature_when_a_custody_key_signed_them(params, custodian):
    # The custodian claims "params" in its own key file; the verifier trusts it for custody.
    forged = zm.sign_params(params, claiming(custodian, ["params", "custody"]), epoch=8, **WINDOW)
    proof = zm.prove(portfolio(5000, FUT=1), forged)
    policy = zm.Policy(trust=zm.Trust([custodian.public()]))
    with pytest.raises(zm.UntrustedSignature) as refused:
        zm.verify(proof, forged, policy=policy, now=NOW)
    message = str(refused.value)
    assert "\n" not in message
    assert custodian.key_id[:16] in message and "'custodian-a'" in message
    assert "roles [custody]" in message and "may sign params" in message


def test_verify_refuses_attested_proof_when_a_params_key_signed_the_attestation(signed, venue, custodian):
    proof = _attested_proof(claiming(venue, ["params", "custody"]), signed)
    policy = zm.Policy(trust=zm.Trust([venue.public(), custodian.public()]), attested_only=True)
    with pytest.raises(zm.UntrustedSignature) as refused:
        zm.verify(proof, signed, policy=policy, now=NOW)
    message = str(refused.value)
    assert message.startswith("attestation 1 by 'venue-a'") and "\n" not in message
    assert venue.key_id[:16] in message and "roles [params]" in message and "may sign attestations" in message


def test_verify_accepts_params_and_attestation_when_a_legacy_key_without_roles_signed_both(params, tmp_path):
    legacy = claiming(zm.new_key("venue-a", "params"), None)
    legacy.public().save(tmp_path / "legacy.pub.json")
    assert "roles" not in json.loads((tmp_path / "legacy.pub.json").read_text())
    trusted = zm.PublicKey.load(tmp_path / "legacy.pub.json")
    assert trusted.roles is None and trusted.granted == ("params", "custody")
    signed = zm.sign_params(params, legacy, epoch=3, **WINDOW)
    proof = _attested_proof(legacy, signed)
    statement = zm.verify(proof, signed, policy=zm.Policy(trust=zm.Trust.load([tmp_path]), attested_only=True), now=NOW)
    assert statement.issuer == "venue-a" and [a.custodian for a in statement.attestations] == ["venue-a"]


@pytest.mark.parametrize("other", [["params"], None])
def test_trust_refuses_one_key_when_two_files_give_it_different_roles(custodian, other, tmp_path):
    custodian.public().save(tmp_path / "a.json")
    claiming(custodian, other).public().save(tmp_path / "b.json")
    with pytest.raises(zm.InputError) as refused:
        zm.Trust.load([tmp_path])
    assert custodian.key_id[:16] in str(refused.value) and "roles custody and with roles" in str(refused.value)


def test_trust_accepts_one_key_twice_when_both_files_give_it_the_same_roles(custodian, tmp_path):
    custodian.public().save(tmp_path / "a.json")
    custodian.public().save(tmp_path / "b.json")
    assert custodian.key_id in zm.Trust.load([tmp_path])


def test_sign_params_raises_input_error_when_the_key_has_only_the_custody_role(params, custodian):
    with pytest.raises(zm.InputError, match=r"roles \[custody\]: only a key with role 'params' may sign params"):
        zm.sign_params(params, custodian, epoch=1, **WINDOW)


def test_attest_raises_input_error_when_the_key_has_only_the_params_role(signed, venue):
    with pytest.raises(zm.InputError, match=r"roles \[params\]: only a key with role 'custody' may sign attestations"):
        zm.attest(venue, signed, portfolio(5000, FUT=1), sequence=1, time=NOW)
