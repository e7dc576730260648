"""What a newcomer, a trader and a venue trip over in their first hour: slips answered with
the fix in the error line, help that runs as written."""

from __future__ import annotations

from tests.cli.test_bad_input import assert_one_line_error


def test_check_names_the_trailing_comma_when_the_portfolio_file_has_one(invoke, workdir):
    (workdir / "book.json").write_text('{\n  "account": "alice",\n  "cash": 100,\n  "positions": {"XYZ": 1},\n}\n')
    result = invoke("check", "--params", "params.json", "--portfolio", "book.json")
    assert_one_line_error(result, "book.json: malformed JSON at line 4, column 26: a comma after the last item")


def test_check_suggests_the_listed_instrument_when_the_portfolio_misspells_one(invoke, workdir):
    (workdir / "book.json").write_text('{"account": "alice", "cash": 100, "positions": {"XYZ 2026-12-18 100C": -1}}')
    result = invoke("check", "--params", "params.json", "--portfolio", "book.json")
    assert_one_line_error(result, "unknown instrument 'XYZ 2026-12-18 100C'", "did you mean 'XYZ 2026-12-18 100 C'?")


def test_check_suggests_the_listed_instrument_when_a_what_if_misspells_one(invoke, workdir):
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json", "--what-if", "close xyz")
    assert_one_line_error(result, "what-if 'close xyz': unknown instrument 'xyz'; did you mean 'XYZ'?")


def test_check_says_no_key_is_trusted_when_neither_trust_nor_its_variable_is_given(invoke, workdir, monkeypatch):
    monkeypatch.delenv("ZKMARGIN_TRUST")
    result = invoke("check", "--params", "params.json", "--portfolio", "meets.json")
    assert_one_line_error(result, "params.json", "of 'venue-a', which is not among the trusted keys: none is trusted", "--trust FILE, or $ZKMARGIN_TRUST")
