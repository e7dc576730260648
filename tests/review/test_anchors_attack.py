"""Attack review of issue 10 (anchored statements): one failing test per finding.

Each test builds real keys, params, attestations and proofs through the public API or the
CLI, plays the attacker the way an outsider could, and states the property the code should
have. They fail on the reviewed code and pass once the finding is fixed.
"""

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

import zkmargin as zm
from tests.proofs.conftest import portfolio, small_params
from zkmargin.anchors.attestation import universe_digest
from zkmargin.cli import cli

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def params():
    return small_params()


@pytest.fixture(scope="module")
def custodian():
    return zm.new_key("custodian-j", "custody")


def _attested_proof(params, key, book, *, attest_params=None, time=NOW - timedelta(hours=1)):
    pair = zm.attest(key, attest_params or params, book, sequence=1, time=time)
    summed = zm.attested_book([pair], params)
    return zm.prove(summed.portfolio, params, openings=summed.openings, attestations=summed.attestations)


def test_verify_refuses_attestation_when_it_was_made_for_params_of_another_currency(params, custodian):
    # HIGH. A custodian attests 1,000,000 of cash for alice under a yen venue's params; the
    # universe digest names only the instruments and the scales, so the same attestation,
    # read under the dollar params, counts 1,000,000 yen (about 6,700 dollars) as dollars.
    yen = zm.RiskParams(**{**params.document(), "currency": "JPY"})
    assert universe_digest(yen) == universe_digest(params)
    book = portfolio(1_000_000, CALL=-30)
    proof = _attested_proof(params, custodian, book, attest_params=yen)
    policy = zm.Policy(trust=zm.Trust([custodian.public()]), allow_unsigned_params=True, attested_only=True)
    with pytest.raises(zm.ZkMarginError):
        zm.verify(proof, params, policy=policy, now=NOW)


def test_policy_refuses_attestation_when_it_is_dated_in_the_future(params, custodian):
    # LOW. An attestation dated a year ahead (a custodian clock or a scripted `attest` call)
    # is never older than --max-attestation-age: `now - time` is negative, so it stays
    # "fresh" for a year and the age gate never closes on it.
    proof = _attested_proof(params, custodian, portfolio(5000, FUT=1), time=NOW + timedelta(days=365))
    policy = zm.Policy(
        trust=zm.Trust([custodian.public()]), allow_unsigned_params=True, max_attestation_age=timedelta(hours=1)
    )
    with pytest.raises(zm.ZkMarginError):
        zm.verify(proof, params, policy=policy, now=NOW)


@pytest.fixture(scope="module")
def self_declared(params):
    return zm.prove(portfolio(5000, FUT=1), params)


@pytest.mark.parametrize("where", ["statement", "proof"])
def test_proof_load_refuses_empty_attestation_list_when_it_is_a_second_text_of_the_proof(self_declared, params, where):
    # LOW. `"attestations": []` (in the statement or at the top level) is not what `to_json`
    # writes, yet the statement digest drops it and the proof verifies: two texts, one proof.
    data = json.loads(self_declared.to_json())
    (data["statement"] if where == "statement" else data)["attestations"] = []
    with pytest.raises(zm.MalformedProof):
        zm.MarginProof.from_json(json.dumps(data))


def test_verify_cli_names_no_epoch_when_params_carry_one_but_are_unsigned(params, tmp_path):
    # MEDIUM. Params with an epoch block naming "venue-a", epoch 7, but no signature pass
    # `--allow-unsigned` (only the signature is looked at), and `verify` then prints
    # "epoch 7 of venue-a" — an attribution nobody signed.
    venue = zm.new_key("venue-a", "params")
    signed = zm.sign_params(params, venue, epoch=7, valid_from=NOW, valid_for=timedelta(days=3650))
    unsigned = {key: value for key, value in signed.document().items() if key != "signature"}
    params_path = tmp_path / "params.json"
    params_path.write_text(json.dumps(unsigned))
    forged = zm.RiskParams.load(params_path)
    proof_path = tmp_path / "proof.json"
    proof_path.write_text(zm.prove(portfolio(5000, FUT=1), forged).to_json())
    result = CliRunner().invoke(cli, ["verify", "--params", str(params_path), "--allow-unsigned", str(proof_path)])
    assert result.exit_code != 0 or "epoch 7" not in result.output, result.output


@pytest.mark.parametrize("where", ["proof", "attestation"])
def test_proof_load_refuses_file_when_format_and_version_are_left_out(params, custodian, where):
    # LOW. `format` and `version` have defaults, so a proof (or an attestation inside it)
    # without them loads, keeps its digests and signatures, and verifies: a second text of
    # the same proof, which issue 10 §6 ("one text per proof") set out to rule out.
    proof = _attested_proof(params, custodian, portfolio(5000, FUT=1))
    data = json.loads(proof.to_json())
    target = data if where == "proof" else data["attestations"][0]
    del target["format"], target["version"]
    with pytest.raises(zm.MalformedProof):
        zm.MarginProof.from_json(json.dumps(data))


def test_trust_refuses_public_key_when_it_is_a_small_order_point(params):
    # LOW. The Ed25519 identity point passes as a public key (its id is just its SHA-256),
    # and under it the signature R = identity, S = 0 verifies for EVERY message: whoever
    # publishes such a "custodian key" lets anyone sign as that custodian, and can deny
    # each signature made under it.
    identity = bytes([1]) + bytes(31)
    forged_signature = base64.b64encode(identity + bytes(32)).decode()
    with pytest.raises(zm.ZkMarginError):
        key = zm.PublicKey.from_json(json.dumps({
            "format": "zkmargin-public-key", "version": 1, "issuer": "custodian-x",
            "key_id": hashlib.sha256(identity).hexdigest(),
            "public_key": base64.b64encode(identity).decode(),
        }))
        zm.Trust([key]).require(key.key_id, "custodian-x", forged_signature, b"any attestation at all", "attestation", role="custody")


def _encoding(y: int, sign: int) -> bytes:
    return (y | sign << 255).to_bytes(32, "little")


P = 2**255 - 19
Y8 = 0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7
"""y of the order-8 points (RFC 8032 curve; the well-known c7176a…7a encoding)."""


@pytest.mark.parametrize("y", [0, 1, P - 1, Y8, P - Y8, P, P + 1])
@pytest.mark.parametrize("sign", [0, 1])
def test_public_key_refuses_encoding_when_it_is_any_small_order_point(y, sign):
    # Every small-order point, both sign bits, and the non-canonical y = p, p + 1.
    raw = _encoding(y, sign)
    with pytest.raises(zm.InputError, match="small-order"):
        zm.PublicKey.from_json(json.dumps({
            "format": "zkmargin-public-key", "version": 1, "issuer": "custodian-x",
            "key_id": hashlib.sha256(raw).hexdigest(), "public_key": base64.b64encode(raw).decode(),
        }))


def test_verify_raises_library_error_when_now_is_a_naive_datetime(params, custodian):
    # LOW. `now=datetime.utcnow()` (naive, a common spelling) reaches a comparison with the
    # aware validity window and raises TypeError: a traceback, not a ZkMarginError.
    venue = zm.new_key("venue-a", "params")
    signed = zm.sign_params(params, venue, epoch=1, valid_from=NOW - timedelta(hours=1), valid_for=timedelta(days=1))
    proof = zm.prove(portfolio(5000, FUT=1), signed)
    policy = zm.Policy(trust=zm.Trust([venue.public()]))
    with pytest.raises(zm.InputError, match="timezone-aware"):
        zm.verify(proof, signed, policy=policy, now=NOW.replace(tzinfo=None))


def test_verify_batch_cli_says_self_declared_when_pinned_books_nobody_attested(params, tmp_path):
    # LOW/MEDIUM. `verify` always prints the provenance; `verify-batch` prints counts and
    # "valid proofs state: model level excess accounts" only, and with --commitments not even
    # the stderr note: a venue reads "valid 1" for a book the trader made up.
    book = portfolio(5000, FUT=1)
    commitments, openings = zm.open_account(book, params)
    (tmp_path / "params.json").write_text(params.to_json())
    (tmp_path / "account.json").write_text(commitments.to_json())
    proofs = tmp_path / "proofs"
    proofs.mkdir()
    (proofs / "alice.json").write_text(zm.prove(book, params, openings=openings).to_json())
    result = CliRunner().invoke(cli, [
        "verify-batch", "--params", str(tmp_path / "params.json"), "--allow-unsigned",
        "--commitments", str(tmp_path / "account.json"), str(proofs),
    ])
    assert result.exit_code == 0, result.output
    assert "self-declared" in result.output, result.output


def test_verify_cli_refuses_params_without_echoing_when_a_level_name_holds_a_control_character(params, tmp_path):
    # LOW. Params' model, level and instrument names are plain `str`, not `Label`: a level
    # named "initial\x1b[2K\r…" loads, a proof at it verifies, and `verify` prints the name
    # raw (format_statement uses shown() for the account only), so the terminal line can be
    # rewritten. Reachable wherever params are not the reader's own (--allow-unsigned).
    # Fixed by refusing such names (Label) when params or a proof load, so the files are
    # written as raw JSON here: the library no longer builds them.
    odd = "x\x1b[2K\rVALID: bob meets"
    document = params.document()
    document["levels"] = {**document["levels"], odd: document["levels"]["maintenance"]}
    (tmp_path / "params.json").write_text(json.dumps(document))
    proof = json.loads(zm.prove(portfolio(5000, FUT=1), params).to_json())
    proof["statement"]["level"] = odd
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    result = CliRunner().invoke(cli, [
        "verify", "--params", str(tmp_path / "params.json"), "--allow-unsigned", str(tmp_path / "proof.json"),
    ])
    assert "\x1b" not in result.output and "\r" not in result.output, repr(result.output)
    assert result.exit_code == 2, result.output


def test_trust_refuses_one_key_when_two_files_name_it_for_different_issuers(custodian, tmp_path):
    # LOW. `Trust` keys its table by key id and the last file wins: a second file carrying
    # custodian-j's public key under the issuer "custodian-a" silently re-labels that key, so
    # custodian-j's signatures then count as custodian-a's (--require-custodian custodian-a).
    public = custodian.public()
    alias = zm.PublicKey(format="zkmargin-public-key", version=1, issuer="custodian-a", key_id=public.key_id, public_key=public.public_key)
    public.save(tmp_path / "a-custodian-j.json")
    alias.save(tmp_path / "b-alias.json")
    with pytest.raises(zm.ZkMarginError):
        zm.Trust.load([tmp_path])


@pytest.fixture(scope="module")
def two_custodians():
    return zm.new_key("custodian-a", "custody"), zm.new_key("custodian-b", "custody")


def test_verify_refuses_attested_proof_when_attestations_are_reordered_in_file_and_statement(params, two_custodians):
    # HELD (coverage the suite lacks): the sum is commutative, but the statement's list of
    # attestation digests is absorbed in order, so rewriting both lists consistently changes
    # the transcript and the range proof no longer verifies.
    a, b = two_custodians
    pairs = [zm.attest(a, params, portfolio(1000, CALL=-1), sequence=1, time=NOW),
             zm.attest(b, params, portfolio(2500, FUT=1), sequence=1, time=NOW)]
    summed = zm.attested_book(pairs, params)
    proof = zm.prove(summed.portfolio, params, openings=summed.openings, attestations=summed.attestations)
    policy = zm.Policy(trust=zm.Trust([a.public(), b.public()]), allow_unsigned_params=True)
    assert len(zm.verify(proof, params, policy=policy, now=NOW).attestations) == 2
    data = json.loads(proof.to_json())
    data["attestations"].reverse()
    data["statement"]["attestations"].reverse()
    with pytest.raises(zm.InvalidProof):
        zm.verify(zm.MarginProof.from_json(json.dumps(data)), params, policy=policy, now=NOW)


def test_verify_refuses_attestation_when_it_was_made_for_another_venues_params(params, custodian):
    # MEDIUM. An attestation names no venue, only the universe digest, so the one custodian
    # statement of alice's 5,000.00 backs proofs at venue-a AND venue-b at once (the same
    # collateral pledged twice, neither venue can tell), and an instrument name is taken to
    # mean whatever the proving venue's params say it means.
    venue_a, venue_b = zm.new_key("venue-a", "params"), zm.new_key("venue-b", "params")
    window = {"valid_from": NOW - timedelta(hours=1), "valid_for": timedelta(days=1)}
    at_a = zm.sign_params(params, venue_a, epoch=3, **window)
    at_b = zm.sign_params(params, venue_b, epoch=5, **window)
    pair = zm.attest(custodian, at_a, portfolio(5000, FUT=1), sequence=1, time=NOW - timedelta(minutes=5))
    summed = zm.attested_book([pair], at_b)
    proof = zm.prove(summed.portfolio, at_b, openings=summed.openings, attestations=summed.attestations)
    policy = zm.Policy(trust=zm.Trust([venue_b.public(), custodian.public()]), attested_only=True)
    with pytest.raises(zm.ZkMarginError):
        zm.verify(proof, at_b, policy=policy, now=NOW)


def _with_instrument(params, name):
    """The params over their universe plus `name` (flat: no value, P&L or add-on)."""
    document = params.document()
    rows = dict(zip(document["instruments"], zip(document["values"], document["pnl"], document["addon_long"], document["addon_short"])))
    rows[name] = (0, [0] * len(document["scenarios"]), 0, 0)
    names = sorted(rows)
    document.update(instruments=names, values=[rows[n][0] for n in names], pnl=[rows[n][1] for n in names],
                    addon_long=[rows[n][2] for n in names], addon_short=[rows[n][3] for n in names])
    return zm.RiskParams(**document)


def test_attested_book_raises_library_error_when_attestation_covers_a_smaller_universe(params, custodian):
    # LOW. `attested_book` never checks the attestation's universe against the params: over
    # params with one more instrument it indexes a missing opening and raises KeyError (a
    # traceback from `zkmargin prove --attestation`), not a ZkMarginError naming the file.
    pair = zm.attest(custodian, params, portfolio(5000, FUT=1), sequence=1, time=NOW)
    with pytest.raises(zm.ZkMarginError):
        zm.attested_book([pair], _with_instrument(params, "PUT"))
