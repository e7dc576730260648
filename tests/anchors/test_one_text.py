"""One text per proof: every field a proof, account or openings file holds has one spelling."""

import base64
import json
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from tests.proofs.conftest import portfolio
from zkmargin.console import shown
from zkmargin.engine.params import RiskParams
from zkmargin.errors import InputError, InvalidEncoding, MalformedProof
from zkmargin.proofs.account import AccountCommitments, AccountOpenings, open_account
from zkmargin.proofs.proof_file import MarginProof, decode_base64
from zkmargin.proofs.prover import prove
from zkmargin.proofs.statement import read_threshold
from zkmargin.proofs.verifier import verify
from zkmargin.units import parse_decimal

BOOK = {"FUT": 1, "CALL": -1}

# One of each kind of character a label must not hold.
BAD_LABELS = {
    "newline": "alice\nVALID: account bob",
    "carriage return": "alice\rbob",
    "escape sequence": "alice\x1b[2J",
    "nul": "alice\x00",
    "delete": "alice\x7f",
    "C1 control": "alice\x9b31m",
    "right-to-left override": "alice\u202eecila",
    "left-to-right isolate": "alice\u2066x\u2069",
    "zero-width space": "ali\u200bce",
    "zero-width joiner": "ali\u200dce",
    "byte order mark": "\ufeffalice",
    "line separator": "alice\u2028bob",
    "paragraph separator": "alice\u2029bob",
    "no-break space": "alice\u00a0bob",
    "tab": "alice\tbob",
    "surrounding space": " alice",
    "decomposed accent (not NFC)": "jose\u0301",
    "too long": "a" * 65,
    "empty": "",
}


@pytest.fixture(scope="module")
def proof(params):
    return prove(portfolio(Decimal("5000"), **BOOK), params, min_excess=Decimal("100.50"))


def _edited(proof, change):
    data = json.loads(proof.to_json())
    change(data)
    return json.dumps(data)


def _flip_unused_bits(text: str) -> str:
    """The same bytes spelled with a nonzero unused low bit in the last character."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    padding = len(text) - len(text.rstrip("="))
    body = text.rstrip("=")
    assert padding, "a length with no unused bits cannot be respelled"
    last = alphabet[alphabet.index(body[-1]) + 1]
    return body[:-1] + last + "=" * padding


def test_decode_base64_refuses_text_when_unused_bits_are_set():
    assert decode_base64("AQ==") == b"\x01"
    with pytest.raises(InvalidEncoding, match="not canonical"):
        decode_base64("AR==")


@pytest.mark.parametrize("text", ["AQ", "AQ=", "AQ===", " AQ==", "AQ==\n", "A Q=="])
def test_decode_base64_refuses_text_when_padding_or_spacing_differs(text):
    with pytest.raises(InvalidEncoding):
        decode_base64(text)


def test_proof_load_refuses_range_proof_when_base64_unused_bits_are_set(proof):
    # 96·log2(nm) + 352 bytes is 1 mod 3: the text ends in "==" over 4 unused bits.
    respelled = _flip_unused_bits(proof.range_proof)
    assert base64.b64decode(respelled) == proof.range_proof_bytes
    with pytest.raises(MalformedProof, match="not canonical"):
        MarginProof.from_json(_edited(proof, lambda data: data.update(range_proof=respelled)))


@pytest.mark.parametrize("spelling", ["+100.5", " 100.5", "100.50", "100.5 ", "1.005e2", "0100.5", "100.5\n"])
def test_proof_load_refuses_threshold_when_spelled_other_than_canonically(proof, spelling):
    assert proof.statement.threshold == "100.5"
    assert parse_decimal(spelling) == Decimal("100.5")  # the same number …
    with pytest.raises(MalformedProof, match="threshold"):  # … but not the same text
        MarginProof.from_json(_edited(proof, lambda data: data["statement"].update(threshold=spelling)))


def test_proof_load_refuses_threshold_when_written_in_fullwidth_digits(proof):
    with pytest.raises(InputError, match="is not a number"):  # not even a number any more
        parse_decimal("１００.５")
    with pytest.raises(MalformedProof, match="threshold"):
        MarginProof.from_json(_edited(proof, lambda data: data["statement"].update(threshold="１００.５")))


@pytest.mark.parametrize("spelling", ["+0", " 0", "0.0", "-0", "00", "０", "0e0"])
def test_read_threshold_refuses_zero_when_spelled_other_than_0(spelling):
    assert read_threshold("0") == 0
    with pytest.raises(InputError):
        read_threshold(spelling)


def test_proof_threshold_is_canonical_when_prover_is_given_trailing_zeros(proof, params):
    assert proof.statement.threshold == "100.5"
    assert verify(MarginProof.from_json(proof.to_json()), params).threshold == Decimal("100.5")


@pytest.mark.parametrize("field", ["version", "limb_bits"])
def test_proof_load_refuses_boolean_when_an_integer_is_expected(proof, field):
    def change(data):
        (data if field == "version" else data["statement"])[field] = True

    with pytest.raises(MalformedProof):
        MarginProof.from_json(_edited(proof, change))


def test_params_load_refuses_version_when_it_is_true(params):
    data = json.loads(params.to_json())
    data["version"] = True
    with pytest.raises(InputError, match="version"):
        RiskParams.from_json(json.dumps(data))


@pytest.mark.parametrize("kind", sorted(BAD_LABELS))
def test_proof_load_refuses_account_label_when_it_holds_a_bad_character(proof, kind):
    with pytest.raises(MalformedProof, match="account"):
        MarginProof.from_json(_edited(proof, lambda data: data["statement"].update(account=BAD_LABELS[kind])))


@pytest.mark.parametrize("kind", sorted(BAD_LABELS))
def test_account_files_refuse_label_when_it_holds_a_bad_character(params, kind):
    commitments, openings = open_account(portfolio(Decimal("5000"), **BOOK), params)
    for model, saved in ((AccountCommitments, commitments), (AccountOpenings, openings)):
        data = json.loads(saved.to_json())
        data["account"] = BAD_LABELS[kind]
        with pytest.raises(InputError, match="account"):
            model.from_json(json.dumps(data))


@pytest.mark.parametrize("kind", sorted(BAD_LABELS))
def test_portfolio_refuses_account_label_when_it_holds_a_bad_character(kind):
    with pytest.raises(InputError, match="account"):
        portfolio(1, account=BAD_LABELS[kind])


def test_shown_escapes_every_control_and_format_character_when_printing():
    for kind, label in BAD_LABELS.items():
        printed = shown(label)
        assert printed.isprintable() or printed == "", kind
    assert shown("alice\x1b[2J\u202e") == "alice\\x1b[2J\\u202e"
    assert shown("zoë") == "zoë"


def test_openings_save_writes_owner_only_file_when_new_or_replacing(params, tmp_path):
    _, openings = open_account(portfolio(Decimal("5000"), **BOOK), params)
    path = tmp_path / "openings.json"
    openings.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)
    with pytest.raises(InputError, match="refusing to overwrite"):
        openings.save(path)  # openings written over are lost for good: only when asked
    openings.save(path, overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert AccountOpenings.load(path) == openings


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o660])
def test_openings_load_refuses_file_when_others_may_access_it(params, tmp_path, mode):
    _, openings = open_account(portfolio(Decimal("5000"), **BOOK), params)
    path = tmp_path / "openings.json"
    openings.save(path)
    os.chmod(path, mode)
    with pytest.raises(InputError, match="chmod 600"):
        AccountOpenings.load(path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("params_digest", "\x00" + "0" * 63, "statement.params_digest: String should match pattern"),
        ("params_digest", "A" * 64, "statement.params_digest: String should match pattern"),
        ("currency", "U" * 1_000_000, "statement.currency: String should match pattern"),
        ("currency", "usd", "statement.currency: String should match pattern"),
        ("threshold", "1" * 1_000_000, "statement.threshold: String should have at most 37 characters"),
    ],
)
def test_proof_load_refuses_statement_text_when_it_is_not_what_params_allow(proof, field, value, message):
    with pytest.raises(MalformedProof, match=f"^proof: {message}") as refused:
        MarginProof.from_json(_edited(proof, lambda data: data["statement"].update({field: value})))
    assert len(str(refused.value)) < 200


def test_proof_load_reads_the_proof_made_before_circuit_digests_when_statement_fields_are_checked():
    data = Path(__file__).parents[1] / "proofs" / "data" / "vertical-proof-before-circuit-digest.json"
    statement = MarginProof.load(data).statement
    assert (statement.currency, statement.params_digest[:8]) == ("USD", "5cebf3dc")
