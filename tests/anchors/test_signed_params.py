"""Signed params epochs, key files, policy and challenges, through the public API."""

import json
import os
import stat
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import zkmargin as zm
from tests.proofs.conftest import portfolio
from zkmargin.anchors.signed_params import CLOCK_SKEW, params_message

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
BOOK = {"FUT": 1, "CALL": -1}


@pytest.fixture(scope="module")
def key():
    return zm.new_key("venue-a", "params")


@pytest.fixture(scope="module")
def signed(params, key):
    return zm.sign_params(params, key, epoch=7, valid_from=NOW - timedelta(hours=1), valid_for=DAY)


@pytest.fixture(scope="module")
def trust(key):
    return zm.Trust([key.public()])


@pytest.fixture(scope="module")
def proof(signed):
    return zm.prove(portfolio(Decimal("5000"), **BOOK), signed, min_excess=100)


def _resigned_field(signed, change):
    data = json.loads(signed.to_json())
    change(data)
    return zm.RiskParams.from_json(json.dumps(data))


def test_sign_params_round_trips_when_saved_and_checked(signed, trust, tmp_path):
    signed.save(tmp_path / "params.json")
    loaded = zm.RiskParams.load(tmp_path / "params.json")
    authority = zm.check_params(loaded, trust, now=NOW)
    assert (authority.issuer, authority.epoch) == ("venue-a", 7)
    assert loaded.digest() == signed.digest()


def test_signature_covers_domain_tag_and_digest_when_signed(signed, key):
    assert params_message(signed) == b"zkmargin params signature v1\x00" + bytes.fromhex(signed.digest())
    key.public().verify(signed.signature, params_message(signed), "params")


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["pnl"][0].__setitem__(0, d["pnl"][0][0] - 1),  # pnl_short must stay ≥ pnl
        lambda d: d["values"].__setitem__(0, d["values"][0] - 1),
        lambda d: d["levels"].__setitem__("initial", "1.25"),
        lambda d: d["epoch"].__setitem__("epoch", 8),
        lambda d: d["epoch"].__setitem__("valid_until", "2099-01-01T00:00:00Z"),
        lambda d: d["epoch"].__setitem__("valid_from", "2026-12-02T04:00:01Z"),
        lambda d: d["epoch"].__setitem__("issuer", "venue-b"),
    ],
    ids=["pnl", "value", "level", "epoch", "valid_until", "valid_from", "issuer"],
)
def test_check_params_refuses_signature_when_any_signed_field_changed(signed, trust, change):
    with pytest.raises(zm.UntrustedSignature):
        zm.check_params(_resigned_field(signed, change), trust, now=NOW)


def test_check_params_refuses_signature_when_made_by_another_key_claiming_the_issuer(params, trust):
    forger = zm.new_key("venue-a", "params")
    forged = zm.sign_params(params, forger, epoch=7, valid_from=NOW, valid_for=DAY)
    with pytest.raises(zm.UntrustedSignature, match="not among the trusted keys"):
        zm.check_params(forged, trust, now=NOW)
    # … and naming the trusted key id does not help: the signature is the forger's.
    relabelled = _resigned_field(forged, lambda d: d["epoch"].__setitem__("key_id", next(iter(trust._keys))))
    with pytest.raises(zm.UntrustedSignature, match="does not verify"):
        zm.check_params(relabelled, trust, now=NOW)


def test_check_params_refuses_key_when_its_issuer_differs_from_the_params_issuer(params, key):
    other = zm.new_key("venue-b", "params")
    signed_b = zm.sign_params(params, other, epoch=1, valid_from=NOW, valid_for=DAY)
    impostor = zm.PublicKey(format="zkmargin-public-key", version=1, issuer="venue-a", key_id=other.key_id, public_key=other.public().public_key)
    with pytest.raises(zm.UntrustedSignature, match="belongs to"):
        zm.check_params(signed_b, zm.Trust([impostor]), now=NOW)


@pytest.mark.parametrize("moment", [NOW + DAY, NOW - timedelta(hours=2)], ids=["expired", "not-yet-valid"])
def test_check_params_refuses_params_when_outside_their_window(signed, trust, moment):
    with pytest.raises(zm.StaleAnchor):
        zm.check_params(signed, trust, now=moment)


def test_check_params_opens_the_window_clock_skew_early_but_expires_strictly_when_checked_at_its_edges(signed, trust):
    valid_from, valid_until = NOW - timedelta(hours=1), NOW + timedelta(hours=23)  # the fixture's window
    second = timedelta(seconds=1)
    assert zm.check_params(signed, trust, now=valid_from - CLOCK_SKEW).epoch == 7
    with pytest.raises(zm.StaleAnchor, match="is valid only from 2026-12-02T05:00:00Z"):
        zm.check_params(signed, trust, now=valid_from - CLOCK_SKEW - second)
    assert zm.check_params(signed, trust, now=valid_until - second).epoch == 7
    with pytest.raises(zm.StaleAnchor, match="expired at 2026-12-03T05:00:00Z"):
        zm.check_params(signed, trust, now=valid_until)


def test_check_params_refuses_unsigned_params_unless_explicitly_allowed(params, trust):
    with pytest.raises(zm.UntrustedSignature, match="not signed"):
        zm.check_params(params, trust, now=NOW)
    assert zm.check_params(params, trust, now=NOW, allow_unsigned=True) is None


def test_check_params_accepts_old_and_new_key_when_both_trusted_for_rotation(params, key):
    new = zm.new_key("venue-a", "params")
    trust = zm.Trust([key.public(), new.public()])
    for signer, epoch in ((key, 7), (new, 8)):
        assert zm.check_params(zm.sign_params(params, signer, epoch=epoch, valid_from=NOW, valid_for=DAY), trust, now=NOW).epoch == epoch


def test_signing_key_file_is_owner_only_and_refused_when_shared(key, tmp_path):
    path = tmp_path / "venue.key.json"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert zm.SigningKey.load(path).public() == key.public()
    os.chmod(path, 0o644)
    with pytest.raises(zm.InputError, match="chmod 600"):
        zm.SigningKey.load(path)


def test_signing_key_save_refuses_to_replace_a_saved_key_when_overwrite_is_not_asked(key, tmp_path):
    path = tmp_path / "venue.key.json"
    key.save(path)
    second = zm.new_key("venue-a", "params")
    with pytest.raises(zm.InputError, match="refusing to overwrite"):
        second.save(path)
    assert zm.SigningKey.load(path).key_id == key.key_id
    second.save(path, overwrite=True)
    assert zm.SigningKey.load(path).key_id == second.key_id
    # the public half is no secret: saving it again replaces it, as for params and proofs
    key.public().save(tmp_path / "venue.pub.json")
    second.public().save(tmp_path / "venue.pub.json")
    assert zm.PublicKey.load(tmp_path / "venue.pub.json").key_id == second.key_id


def test_public_key_load_refuses_key_id_when_not_the_hash_of_the_key(key):
    data = json.loads(key.public().to_json())
    data["key_id"] = "0" * 64
    with pytest.raises(zm.InputError, match="key_id"):
        zm.PublicKey.from_json(json.dumps(data))


def test_trust_load_reads_every_key_when_given_a_directory(key, tmp_path):
    other = zm.new_key("venue-b", "params")
    key.public().save(tmp_path / "a.json")
    other.public().save(tmp_path / "b.json")
    assert zm.Trust.load([tmp_path]).issuers() == {"venue-a", "venue-b"}


@pytest.mark.parametrize("as_given", [str, Path], ids=["str", "path"])
def test_trust_load_reads_one_path_when_given_a_single_str_or_path(key, tmp_path, as_given):
    key.public().save(tmp_path / "a.json")
    assert zm.Trust.load(as_given(tmp_path)).issuers() == {"venue-a"}
    assert zm.Trust.load(as_given(tmp_path / "a.json")).issuers() == {"venue-a"}


def test_proof_binds_issuer_and_epoch_when_params_are_signed(proof, signed, trust):
    assert (proof.statement.issuer, proof.statement.epoch) == ("venue-a", 7)
    verified = zm.verify(proof, signed, policy=zm.Policy(trust=trust), now=NOW)
    assert (verified.issuer, verified.epoch, verified.params_authority.epoch) == ("venue-a", 7, 7)


def test_verify_refuses_proof_when_checked_under_another_epoch(proof, signed, params, key):
    next_epoch = zm.sign_params(params, key, epoch=8, valid_from=NOW - timedelta(hours=1), valid_for=DAY)
    with pytest.raises(zm.WrongParams, match=r"other params \(the proof names epoch 7 of 'venue-a', the params are epoch 8 of 'venue-a'\)"):
        zm.verify(proof, next_epoch)
    # Even with the digest rewritten, the statement still names epoch 7 …
    data = json.loads(proof.to_json())
    data["statement"]["params_digest"] = next_epoch.digest()
    with pytest.raises(zm.InvalidProof, match="epoch 7"):
        zm.verify(zm.MarginProof.from_json(json.dumps(data)), next_epoch)
    # … and naming epoch 8 too breaks the transcript.
    data["statement"]["epoch"] = 8
    with pytest.raises(zm.InvalidProof, match="does not verify"):
        zm.verify(zm.MarginProof.from_json(json.dumps(data)), next_epoch)


def test_verify_refuses_unsigned_proof_when_policy_requires_signed_params(params, trust):
    old = zm.prove(portfolio(Decimal("5000"), **BOOK), params)
    assert "issuer" not in old.to_json()
    assert zm.verify(old, params).issuer is None
    with pytest.raises(zm.UntrustedSignature, match="not signed"):
        zm.verify(old, params, policy=zm.Policy(trust=trust), now=NOW)
    assert zm.verify(old, params, policy=zm.Policy(allow_unsigned_params=True)).params_authority is None


@pytest.mark.parametrize(
    "policy, reason",
    [
        (dict(level="initial"), "requires initial"),
        (dict(min_excess=Decimal("100.01")), "requires ≥ 100.01"),
        (dict(attested_only=True), "self-declared"),
        (dict(required_custodians={"custodian-b"}), "custodian-b"),
        (dict(max_params_age=timedelta(minutes=30)), "more than"),
    ],
)
def test_verify_refuses_valid_proof_when_it_falls_short_of_the_policy(proof, signed, trust, policy, reason):
    error = zm.StaleAnchor if "max_params_age" in policy else zm.PolicyViolation
    with pytest.raises(error, match=reason):
        zm.verify(proof, signed, policy=zm.Policy(trust=trust, **policy), now=NOW)


def test_verify_accepts_proof_when_it_meets_the_policy_exactly(proof, signed, trust):
    policy = zm.Policy(trust=trust, level="maintenance", min_excess=Decimal(100), max_params_age=timedelta(hours=2))
    assert zm.verify(proof, signed, policy=policy, now=NOW).threshold == 100


def test_policy_violation_is_an_invalid_proof_when_caught():
    assert issubclass(zm.PolicyViolation, zm.InvalidProof)


def test_verify_batch_names_policy_failures_when_some_proofs_fall_short(proof, signed, trust):
    initial = zm.prove(portfolio(Decimal("9000"), account="bob", **BOOK), signed, level="initial", min_excess=100)
    result = zm.verify_batch([proof, initial], signed, policy=zm.Policy(trust=trust, level="initial"), now=NOW)
    assert [f.account for f in result.failures] == ["alice"] and "requires initial" in result.failures[0].reason
    assert result.statements[1].level == "initial"


def test_verify_accepts_proof_when_it_answers_the_challenge(params):
    challenge = zm.new_challenge()
    proof = zm.prove(portfolio(Decimal("5000"), **BOOK), params, challenge=challenge)
    assert zm.verify(proof, params, challenge=challenge).challenge == challenge


def test_verify_refuses_proof_when_it_answers_another_or_no_challenge(params):
    first, second = zm.new_challenge(), zm.new_challenge()
    answered = zm.prove(portfolio(Decimal("5000"), **BOOK), params, challenge=first)
    with pytest.raises(zm.InvalidProof, match="challenge"):
        zm.verify(answered, params, challenge=second)  # replayed into a new request
    plain = zm.prove(portfolio(Decimal("5000"), **BOOK), params)
    with pytest.raises(zm.InvalidProof, match="no challenge"):
        zm.verify(plain, params, challenge=first)
    result = zm.verify_batch([answered], params, challenges={"alice": second})
    assert not result.ok and "challenge" in result.failures[0].reason


def test_verify_refuses_proof_when_its_challenge_field_is_rewritten(params):
    first, second = zm.new_challenge(), zm.new_challenge()
    data = json.loads(zm.prove(portfolio(Decimal("5000"), **BOOK), params, challenge=first).to_json())
    data["statement"]["challenge"] = second
    with pytest.raises(zm.InvalidProof, match="does not verify"):
        zm.verify(zm.MarginProof.from_json(json.dumps(data)), params, challenge=second)


@pytest.mark.parametrize("text", ["00", "g" * 64, "A" * 64, "0" * 63])
def test_prove_refuses_challenge_when_not_64_lowercase_hex_digits(params, text):
    with pytest.raises(zm.InputError, match="challenge"):
        zm.prove(portfolio(Decimal("5000"), **BOOK), params, challenge=text)


def test_proof_load_refuses_explicit_null_when_a_field_is_optional(proof):
    data = json.loads(proof.to_json())
    data["statement"]["challenge"] = None
    with pytest.raises(zm.MalformedProof, match="null"):
        zm.MarginProof.from_json(json.dumps(data))


@pytest.mark.parametrize("missing", [("format",), ("version",), ("format", "version")])
@pytest.mark.parametrize("kind", ["public", "signing"])
def test_key_file_load_names_missing_field_when_written_without_format_or_version(tmp_path, kind, missing):
    key = zm.new_key("venue-a", "params")
    document = json.loads((key.public() if kind == "public" else key).to_json())
    for name in missing:
        del document[name]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document))
    path.chmod(0o600)
    with pytest.raises(zm.InputError) as refused:
        (zm.PublicKey if kind == "public" else zm.SigningKey).load(path)
    assert f"missing {' and '.join(map(repr, missing))}: a key file must say what it is" in str(refused.value)
    assert f'"format": "zkmargin-{kind}-key", "version": 1' in str(refused.value)


def test_key_file_load_refuses_other_kind_when_format_names_it(tmp_path):
    key = zm.new_key("venue-a", "params")
    key.save(tmp_path / "k.json")
    with pytest.raises(zm.InputError, match="is a 'zkmargin-signing-key' file, not 'zkmargin-public-key'"):
        zm.PublicKey.load(tmp_path / "k.json")


def test_verify_advises_policy_allow_unsigned_params_when_params_are_unsigned(params, trust):
    proof = zm.prove(portfolio(Decimal("5000"), **BOOK), params)
    with pytest.raises(zm.UntrustedSignature) as refused:
        zm.verify(proof, params, policy=zm.Policy(trust=trust))
    assert str(refused.value) == (
        "params: not signed; ask the venue for signed params, "
        "or accept params nobody vouches for with Policy(allow_unsigned_params=True)"
    )


@pytest.mark.parametrize("trusted", [(), ("other",)], ids=["none trusted", "another trusted"])
def test_verify_advises_policy_trust_when_the_params_key_is_not_trusted(proof, signed, trusted):
    keys = [zm.new_key(issuer, "params").public() for issuer in trusted]
    with pytest.raises(zm.UntrustedSignature) as refused:
        zm.verify(proof, signed, policy=zm.Policy(trust=zm.Trust(keys)), now=NOW)
    assert str(refused.value).endswith("public key to the verifier: Policy(trust=zm.Trust([public_key, ...]))")
    assert "--" not in str(refused.value)


def test_sign_params_advises_new_key_when_the_key_lacks_the_params_role(params):
    custodian = zm.new_key("custodian-b", "custody")
    with pytest.raises(zm.InputError) as refused:
        zm.sign_params(params, custodian, epoch=1, valid_from=NOW, valid_for=DAY)
    assert str(refused.value).endswith("(make one with zm.new_key(issuer, 'params'))")
