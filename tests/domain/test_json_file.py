"""JsonFile: the shared load/from_json/to_json/save of the file models, and its knobs."""

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from zkmargin.engine.market import Market
from zkmargin.errors import InputError, MalformedProof
from zkmargin.formats import (
    ExactDecimal,
    JsonFile,
    Label,
    StrictModel,
    first_error_only,
)
from zkmargin.proofs.proof_file import MarginProof


class Note(StrictModel, JsonFile):
    json_what = "note"
    json_exact = True
    json_private = True
    json_dump = {}

    amount: ExactDecimal


class IndentedNote(Note):
    json_indent = 1


def test_json_file_from_json_names_the_class_input_when_what_is_not_given():
    with pytest.raises(InputError, match=r"^note: amount: expected a number"):
        Note.from_json('{"amount": "1"}')


def test_json_file_from_json_keeps_digits_when_numbers_are_exact():
    assert Note.from_json('{"amount": 0.1}').amount == Decimal("0.1")


def test_json_file_round_trips_digits_when_saved_and_loaded(tmp_path: Path):
    path = tmp_path / "note.json"
    Note(amount=Decimal("12.340")).save(path)
    assert path.read_text() == '{\n  "amount": 12.340\n}\n'
    assert Note.load(path).amount == Decimal("12.340")


def test_json_file_save_creates_an_owner_only_file_when_private(tmp_path: Path):
    path = tmp_path / "note.json"
    Note(amount=1).save(path)
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_json_file_save_refuses_an_existing_file_when_overwrite_is_false(tmp_path: Path):
    path = tmp_path / "note.json"
    path.write_text("keep")
    with pytest.raises(InputError, match="refusing to overwrite"):
        Note(amount=1).save(path, overwrite=False)
    assert path.read_text() == "keep"


def test_json_file_to_json_uses_pydantic_encoding_when_indent_is_set():
    assert IndentedNote(amount=Decimal("0.5")).to_json() == '{\n "amount": "0.5"\n}\n'


def test_json_file_from_json_raises_input_error_when_given_a_non_text_value():
    with pytest.raises(InputError, match=r"^market JSON: expected JSON text, got int"):
        Market.from_json(123)


def test_margin_proof_from_json_raises_malformed_proof_when_given_a_non_text_value():
    with pytest.raises(MalformedProof, match=r"^proof: expected JSON text, got dict"):
        MarginProof.from_json({})


def test_margin_proof_from_json_parses_text_not_a_path_when_given_a_file_name(tmp_path: Path):
    path = tmp_path / "proof.json"
    path.write_text("{}")
    with pytest.raises(MalformedProof, match="malformed JSON at line 1, column 1"):
        MarginProof.from_json(str(path))


def test_margin_proof_load_raises_malformed_proof_when_the_file_is_missing(tmp_path: Path):
    with pytest.raises(MalformedProof, match="no such file"):
        MarginProof.load(tmp_path / "absent.json")


class Tally(StrictModel, JsonFile):
    json_what = "tally"

    counts: first_error_only(list[int], 4) = []
    named: first_error_only(dict[Label, int], 4) = {}


def test_first_error_only_names_the_first_bad_item_alone_when_a_list_holds_several():
    with pytest.raises(InputError) as refused:
        Tally.from_json('{"counts": [1, "two", 3, "four"]}')
    assert str(refused.value) == "tally: counts: item 1: Input should be a valid integer (got 'two')"


def test_first_error_only_names_the_key_when_a_mapping_value_or_key_is_bad():
    with pytest.raises(InputError, match=r"^tally: named: at 'b': Input should be a valid integer \(got 'x'\)$"):
        Tally.from_json('{"named": {"a": 1, "b": "x", "c": "y"}}')
    with pytest.raises(InputError, match=r"^tally: named: at ' b': must not start or end with whitespace"):
        Tally.from_json('{"named": {" b": 1}}')


def test_first_error_only_refuses_a_list_when_it_is_longer_than_allowed():
    assert Tally.from_json('{"counts": [1, 2, 3, 4]}').counts == [1, 2, 3, 4]
    with pytest.raises(InputError, match=r"^tally: counts: 5 items, more than the 4 any file needs$"):
        Tally.from_json('{"counts": [1, 2, 3, 4, 5]}')


def test_margin_proof_from_json_names_the_first_bad_commitment_when_two_are_bad():
    text = (Path(__file__).parents[1] / "proofs" / "data" / "vertical-proof-before-circuit-digest.json").read_text()
    document = json.loads(text)
    document["commitments"][2] = "AR=="
    document["commitments"][5] = "x"
    with pytest.raises(MalformedProof) as refused:
        MarginProof.from_json(json.dumps(document))
    assert str(refused.value) == (
        "proof: commitments: item 2: not valid base64 (not canonical: padding or unused bits) (got 'AR==')"
    )


def test_margin_proof_from_json_refuses_a_file_when_it_holds_more_containers_than_a_proof_can():
    attestations = ",".join(['{"positions": {}}'] * 70)  # 6 + 2 x 64 at most; each is 2
    with pytest.raises(MalformedProof, match=r"^proof: 142 JSON arrays and objects, more than the 134 its kind of file holds$"):
        MarginProof.from_json('{"attestations": [' + attestations + "]}")


def test_strict_model_still_says_more_unknown_fields_follow_when_an_object_holds_thousands():
    from zkmargin.engine.portfolio import Portfolio

    many = {f"typo{i}": 1 for i in range(5000)}
    with pytest.raises(InputError) as refused:
        Portfolio.from_json(json.dumps({"account": "alice", "cash": 1, **many}))
    assert refused.value.args[0].endswith("never has (typo0, typo1, typo2, …)")
