"""`zkmargin params import`: a venue's SPAN or Deribit file becomes risk.json, atomically."""

from __future__ import annotations

import json

import zkmargin as zm

from .conftest import REPO
from .test_bad_input import assert_one_line_error

SPAN = str(REPO / "examples" / "span_sp_nq.spn")
DERIBIT = str(REPO / "examples" / "deribit_pme.json")
BOMB = """<?xml version="1.0"?>
<!DOCTYPE spanFile [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<spanFile>&b;</spanFile>
"""


def test_params_import_writes_grouped_risk_arrays_when_span_xml(invoke, tmp_path):
    out = tmp_path / "risk.json"
    result = invoke("params", "import", "--format", "span-xml", SPAN, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "4 instruments, 32 scenarios in 2 groups (NQ, SP), currency USD" in result.output
    assert "1 inter-commodity spreads carried" in result.output
    arrays = zm.RiskArrays.load(out)
    assert arrays.groups()[::16] == ["NQ", "SP"]


def test_params_import_says_which_groups_carry_calendar_charges_and_minimums_when_span_xml_has_them(invoke, tmp_path):
    out = tmp_path / "risk.json"
    result = invoke("params", "import", "--format", "span-xml", str(REPO / "examples" / "span_cl_calendar.spn"),
                    "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["intra_commodity_spreads"], report["short_option_minimums"]) == (["CL"], ["CL"])
    assert [spread.group for spread in zm.RiskArrays.load(out).intra_commodity_spreads] == ["CL"]


def test_params_import_reports_json_when_asked(invoke, tmp_path):
    out = tmp_path / "risk.json"
    result = invoke("params", "import", "--format", "deribit-pme", DERIBIT, "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report == {"risk_arrays": str(out), "format": "deribit-pme", "currency": "USD",
                      "instruments": 3, "scenarios": 70, "groups": ["BTC", "ETH"],
                      "inter_commodity_spreads": 0, "intra_commodity_spreads": [],
                      "short_option_minimums": []}


def test_params_import_then_build_gives_params_when_chained(invoke, tmp_path):
    risk, params = tmp_path / "risk.json", tmp_path / "params.json"
    assert invoke("params", "import", "--format", "span-xml", SPAN, "--commodity", "SP",
                  "-o", str(risk)).exit_code == 0
    result = invoke("params", "build", "--risk-arrays", str(risk),
                    "--model", str(REPO / "circuits" / "span.toml"), "-o", str(params))
    assert result.exit_code == 0, result.output
    assert zm.RiskParams.load(params).scenario_groups == ["SP"] * 16


def test_params_import_exits_2_and_writes_nothing_when_file_is_an_xml_bomb(invoke, tmp_path):
    bomb, out = tmp_path / "bomb.spn", tmp_path / "risk.json"
    bomb.write_text(BOMB)
    result = invoke("params", "import", "--format", "span-xml", str(bomb), "-o", str(out))
    assert_one_line_error(result, "bomb.spn", "refusing a DTD")
    assert not out.exists()


def test_params_import_keeps_old_output_when_forced_import_fails(invoke, tmp_path):
    broken, out = tmp_path / "cut.json", tmp_path / "risk.json"
    broken.write_text(open(DERIBIT).read()[:500])
    out.write_text("previous")
    result = invoke("params", "import", "--format", "deribit-pme", str(broken), "-o", str(out), "--force")
    assert_one_line_error(result, "cut.json", "malformed JSON at line")
    assert out.read_text() == "previous"


def test_params_import_refuses_existing_output_when_not_forced(invoke, tmp_path):
    out = tmp_path / "risk.json"
    out.write_text("previous")
    result = invoke("params", "import", "--format", "span-xml", SPAN, "-o", str(out))
    assert_one_line_error(result, "risk.json", "--force")
    assert out.read_text() == "previous"
