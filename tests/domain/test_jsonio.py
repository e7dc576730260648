"""Strict JSON reading, error messages that name the field, atomic writes."""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel

from zkmargin.errors import InputError
from zkmargin.files import write_atomic
from zkmargin.formats import StrictModel
from zkmargin.jsonio import dumps, loads, read_json
from zkmargin.proofs.account import AccountCommitments, AccountOpenings
from zkmargin.validation import field_path, named_kind, validate


class Leg(StrictModel):
    strike: float


class Book(StrictModel):
    legs: dict[str, Leg]
    tags: list[str] = []


def test_read_json_parses_text_when_given_an_object():
    assert read_json('{"a": [1, 2.5]}') == {"a": [1, 2.5]}


def test_read_json_reads_a_file_when_given_a_path(tmp_path: Path):
    path = tmp_path / "m.json"
    path.write_text('{"a": 1}')
    assert read_json(path) == {"a": 1}
    assert read_json(str(path)) == {"a": 1}


def test_read_json_accepts_bytes_with_a_utf8_bom():
    assert read_json('\ufeff{"k": "é"}'.encode()) == {"k": "é"}


def test_read_json_names_line_and_column_when_json_is_malformed(tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "a": 1,\n  "b": }\n')
    with pytest.raises(InputError, match=r"broken\.json: malformed JSON at line 3, column 8"):
        read_json(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "cash": 100,\n  "positions": {"XYZ": 1},\n}\n', "malformed JSON at line 3, column 26: a comma after the last item"),
        ('{"a": [1,]}', "malformed JSON at line 1, column 9: a comma after the last item"),
        ("\n  \n", "empty, expected a JSON document"),
    ],
    ids=["object", "list", "empty"],
)
def test_read_json_names_the_slip_when_a_file_has_a_trailing_comma_or_nothing(tmp_path: Path, text: str, message: str):
    path = tmp_path / "book.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_json(path)
    assert str(caught.value) == f"{path}: {message}" + ("" if "empty" in message else "; JSON allows none, remove it")


def test_read_json_rejects_duplicate_keys_when_an_object_repeats_a_key():
    with pytest.raises(InputError, match=r"duplicate key 'XYZ'"):
        read_json('{"positions": {"XYZ": 1, "XYZ": 2}}')


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_read_json_rejects_constant_when_number_is_not_finite(constant: str):
    with pytest.raises(InputError, match=constant):
        read_json('{"price": %s}' % constant)


def test_read_json_rejects_number_when_it_overflows_a_float():
    with pytest.raises(InputError, match=r"1e999 is out of the floating-point range"):
        read_json('{"price": 1e999}')


def test_read_json_names_the_path_when_the_file_is_missing(tmp_path: Path):
    missing = tmp_path / "nope.json"
    with pytest.raises(InputError, match=r"^no such file: .*nope\.json$"):
        read_json(missing)


def test_read_json_rejects_bytes_when_they_are_not_utf8():
    with pytest.raises(InputError, match="not UTF-8"):
        read_json(b'{"a": "\xff"}')


def test_read_json_keeps_decimal_digits_when_exact():
    data = read_json('{"cash": 0.1, "q": 3, "big": 12345678901234567890.123}', exact=True)
    assert data == {
        "cash": Decimal("0.1"),
        "q": Decimal(3),
        "big": Decimal("12345678901234567890.123"),
    }


def test_loads_treats_a_string_as_text_when_it_does_not_look_like_json():
    with pytest.raises(InputError, match="malformed JSON at line 1, column 1"):
        loads("examples/market.json")


def test_validate_names_dict_key_and_field_when_a_nested_value_is_bad():
    with pytest.raises(InputError) as caught:
        validate(Book, {"legs": {"XYZ P": {"strike": "eighty"}}}, "book.json")
    assert str(caught.value) == (
        "book.json: legs[\"XYZ P\"].strike: Input should be a valid number (got 'eighty')"
    )


def test_validate_names_list_index_when_a_list_item_is_bad():
    with pytest.raises(InputError, match=r"book: tags\[1\]: .*\(got 7\)"):
        validate(Book, {"legs": {}, "tags": ["a", 7]}, "book")


def test_validate_names_unknown_field_when_extra_key_is_present():
    with pytest.raises(InputError, match=r'legs\["A"\]\.strik: Extra inputs are not permitted \(got 80\)'):
        validate(Book, {"legs": {"A": {"strike": 80, "strik": 80}}}, "book")


def test_validate_counts_further_problems_when_there_are_several():
    with pytest.raises(InputError, match=r"\[and 1 more problem\(s\)\]"):
        validate(Book, {"legs": {"A": {"strike": "x"}, "B": {"strike": "y"}}}, "book")


def test_field_path_uses_brackets_for_keys_when_walking_plain_models():
    class Plain(BaseModel):
        items: dict[str, list[int]]

    assert field_path(("items", "a.b", 2), Plain) == 'items["a.b"][2]'


def test_dumps_writes_decimals_digit_for_digit_when_values_are_exact():
    text = dumps({"cash": Decimal("1000.10"), "q": [Decimal("0.1"), 2.5, 100.0], "ok": True})
    assert json.loads(text) == {"cash": 1000.1, "q": [0.1, 2.5, 100], "ok": True}
    assert '"cash": 1000.10' in text
    assert "[0.1, 2.5, 100]" in text


def test_dumps_refuses_when_a_number_is_not_finite():
    with pytest.raises(InputError):
        dumps({"x": float("nan")})
    with pytest.raises(InputError):
        dumps({"x": Decimal("Infinity")})


def test_write_atomic_replaces_content_and_leaves_no_temporary_when_overwriting(tmp_path: Path):
    path = tmp_path / "out.json"
    write_atomic(path, "first")
    write_atomic(path, "second")
    assert path.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_atomic_refuses_when_overwrite_is_false_and_file_exists(tmp_path: Path):
    path = tmp_path / "out.json"
    path.write_text("keep")
    with pytest.raises(InputError, match="refusing to overwrite"):
        write_atomic(path, "new", overwrite=False)
    assert path.read_text() == "keep"


def test_write_atomic_names_directory_when_it_does_not_exist(tmp_path: Path):
    with pytest.raises(InputError, match="no such directory"):
        write_atomic(tmp_path / "missing" / "out.json", "x")


def test_write_atomic_keeps_permissions_when_replacing_an_existing_file(tmp_path: Path):
    path = tmp_path / "market.json"
    path.write_text("old")
    path.chmod(0o644)
    write_atomic(path, "new")
    assert path.stat().st_mode & 0o777 == 0o644


def test_write_atomic_makes_new_files_private_when_asked(tmp_path: Path):
    path = tmp_path / "portfolio.json"
    write_atomic(path, "{}", overwrite=False, private=True)
    assert path.read_text() == "{}"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["portfolio.json"]


def test_write_atomic_follows_the_umask_when_creating_a_public_file(tmp_path: Path):
    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "params.json", "{}")
    finally:
        os.umask(previous)
    assert (tmp_path / "params.json").stat().st_mode & 0o777 == 0o644


def test_read_json_refuses_deep_nesting_when_the_recursion_limit_is_raised():
    # py_ecc raises the limit to 100,000 on import; the C parser would then overflow the
    # C stack and crash the process instead of raising RecursionError.
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        # Spaced out: packed, the brackets are refused for their number first.
        with pytest.raises(InputError, match="nested deeper than 64 levels"):
            read_json("[               " * 200_000 + "]" * 200_000)
    finally:
        sys.setrecursionlimit(previous)


def test_read_json_accepts_the_maximum_depth_when_nesting_is_exactly_64():
    assert read_json("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)


def test_read_json_ignores_brackets_inside_strings_when_counting_depth():
    value = "[{" * 100 + '\\"' + "[" * 100
    assert read_json(json.dumps({"a": value})) == {"a": value}


def test_read_json_names_the_path_when_it_is_a_directory(tmp_path: Path):
    with pytest.raises(InputError, match="is a directory"):
        read_json(tmp_path)


def test_write_atomic_writes_the_target_when_path_is_a_symlink(tmp_path: Path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_write_atomic_refuses_dangling_symlink_when_creating(tmp_path: Path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(InputError, match="refusing to overwrite"):
        write_atomic(link, "new", overwrite=False)
    assert not (tmp_path / "elsewhere.json").exists()


def test_validate_says_object_expected_when_the_document_is_a_list():
    with pytest.raises(InputError, match=r"^book\.json: expected a JSON object \{…\}, got a list$"):
        validate(Book, [1, 2], "book.json")


OPENINGS = {"account": "alice", "collateral": "0" * 63 + "1", "positions": {"XYZ": "0" * 63 + "2"}}


def test_named_kind_tells_a_file_by_its_format_or_else_by_its_fields_when_it_is_a_zkmargin_file():
    assert named_kind({"format": "zkmargin-proof", "version": 1}) == "a 'zkmargin-proof' file"
    assert named_kind(OPENINGS) == "account openings"
    assert named_kind({**OPENINGS, "money_scale": 100, "quantity_scale": 1}) == "account commitments"
    assert named_kind({"account": "alice", "leverage": 3}) is None
    assert named_kind([OPENINGS]) is None


def test_validate_names_the_formatless_kind_when_openings_are_given_as_commitments():
    with pytest.raises(InputError, match=r"^o\.json: is account openings, not account commitments$"):
        validate(AccountCommitments, OPENINGS, "o.json")


def test_validate_names_the_field_when_openings_have_a_bad_value_of_their_own_kind():
    with pytest.raises(InputError, match=r"^o\.json: collateral: "):
        validate(AccountOpenings, {**OPENINGS, "collateral": "zz"}, "o.json")


def test_validate_names_the_other_format_when_a_zkmargin_file_of_another_kind_is_given():
    with pytest.raises(InputError, match=r"^x\.json: is a 'zkmargin-proof' file, not Book$"):
        validate(Book, {"format": "zkmargin-proof", "version": 1}, "x.json")


@pytest.mark.parametrize("container", ["[]", "{}"])
def test_loads_refuses_a_document_when_it_packs_more_than_one_container_per_12_characters(container):
    packed = "[" + ",".join([container] * 2000) + "]"
    with pytest.raises(InputError, match=r"^packed: 2001 JSON arrays and objects in 6001 characters, more than one per 12"):
        loads(packed, "packed")
    spaced = "[" + ",".join([container + " " * 10] * 2000) + "]"
    assert len(loads(spaced)) == 2000


def test_loads_accepts_many_containers_when_the_document_holds_no_more_than_the_free_ones():
    assert loads("[" + ",".join(["[]"] * 1023) + "]") == [[]] * 1023


def test_loads_refuses_a_document_when_its_keys_are_denser_than_its_kind_allows():
    dense = "{" + ",".join(f'"k{i}":0' for i in range(4000)) + "}"
    assert len(loads(dense)) == 4000  # no limit unless the kind states one
    with pytest.raises(InputError, match="4000 object keys in .* more than one per 32"):
        loads(dense, "proof", bytes_per_key=32)
    assert len(loads(dense[: dense.index('"k900"') - 1] + "}", "proof", bytes_per_key=32)) == 900  # the free keys
