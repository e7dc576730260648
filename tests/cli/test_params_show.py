"""`zkmargin params show`: what a trader who received params.json can read from it."""

from __future__ import annotations

import json

import zkmargin as zm
from tests.cli.conftest import LISTED


def test_params_show_lists_every_instrument_and_the_signer_when_params_signed(invoke, workdir):
    result = invoke("params", "show", "params.json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "params.json: model portfolio_margin, USD, as of 2026-11-27"
    params = zm.RiskParams.load(workdir / "params.json")
    assert f"digest       {params.digest()}" in lines
    assert "levels       maintenance ×1, initial ×1" in lines
    assert any(line.startswith("signed by    epoch 1 of venue-a, key ") and line.endswith("(not checked here)") for line in lines)
    assert lines[-len(LISTED) - 1 :] == [f"instruments  {len(LISTED)}:", *(f"  {name}" for name in params.instruments)]
    assert sorted(params.instruments) == sorted(LISTED)


def test_params_show_json_says_unsigned_and_names_the_instruments_when_params_unsigned(invoke, workdir):
    result = invoke("params", "show", "unsigned.params.json", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    params = zm.RiskParams.load(workdir / "unsigned.params.json")
    assert document["epoch"] is None
    assert document["instruments"] == params.instruments
    assert document["model"] == "portfolio_margin" and document["digest"] == params.digest()
    assert document["levels"] == {"maintenance": "1", "initial": "1"}
    assert document["scenarios"] == len(params.scenarios)


def test_params_show_exits_2_naming_the_file_when_it_is_not_params(invoke, workdir):
    result = invoke("params", "show", "meets.json")
    assert result.exit_code == 2
    assert "meets.json" in result.stderr
