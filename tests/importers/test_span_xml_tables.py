"""SPAN XML intra-commodity (calendar) spreads and short option minimums → risk.json → span.

examples/span_cl_calendar.spn: crude oil futures for December and March with identical risk
arrays (the scan sees no risk in a calendar spread), two January serial calls on the March
future (the 70 call, delta 0.5; the 90 call, delta 0.02, a few dollars of risk), tiers
Dec–Jan and Feb–Dec, one spread between them at $700, and a $150 short option minimum.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.importers.test_span_xml import span_error
from tests.models.conftest import account, model
from zkmargin.engine.assess import assess
from zkmargin.engine.importers import read_span_xml
from zkmargin.engine.params import build_params
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.errors import FixedPointOverflow, InputError, InsufficientMargin
from zkmargin.proofs.prover import prove
from zkmargin.proofs.verifier import verify

FIXTURE = Path(__file__).resolve().parents[2] / "examples" / "span_cl_calendar.spn"
TEXT = FIXTURE.read_text()
DEC, MAR, CALL, FAR_CALL = "CL 202612", "CL 202703", "LO 202701 C 70", "LO 202701 C 90"


def imported(tmp_path: Path, text: str) -> RiskArrays:
    path = tmp_path / "calendar.spn"
    path.write_text(text)
    return read_span_xml(path)


def intra_charge(arrays: RiskArrays, positions: dict) -> Decimal:
    report = assess(account(100_000, positions), build_params(arrays, model("span")))
    return sum((term.amount for term in report.terms if term.kind == "intra_spread"), Decimal(0))


@pytest.fixture(scope="module")
def arrays():
    return read_span_xml(FIXTURE)


def test_span_xml_carries_tiers_deltas_and_charge_when_commodity_has_intra_spreads(arrays):
    (spread,) = arrays.intra_commodity_spreads
    assert spread.group == "CL" and spread.charge == 700
    # the January serial joins its March future's tier, not the tier its own month is in
    assert spread.tiers == [{DEC: 1.0}, {MAR: 1.0, CALL: 0.5, FAR_CALL: 0.02}]


def test_span_xml_carries_no_intra_spreads_when_file_defines_none():
    assert read_span_xml(FIXTURE.parent / "span_sp_nq.spn").intra_commodity_spreads == []


@pytest.mark.parametrize(
    ("positions", "requirement", "charge"),
    [
        ({DEC: 1, MAR: -1}, 700, 700),  # scan risk 0: the months move together in every scenario
        ({DEC: 2, MAR: -1}, 6_000 + 700, 700),  # one net future's down 3/3 loss, plus the spread
        ({DEC: -3, MAR: 1}, 12_000 + 700, 700),  # the smaller side is charged
        ({MAR: 1, CALL: -2}, 1_400, 0),  # the calls' delta nets the future inside the March tier
        ({DEC: 1, CALL: -2}, 1_400 + 700, 700),  # the same book across the tiers
    ],
)
def test_span_requirement_charges_calendar_spread_when_imported_from_span_xml(arrays, positions, requirement, charge):
    report = assess(account(100_000, positions), build_params(arrays, model("span")))
    assert report.requirement == requirement
    assert intra_charge(arrays, positions) == charge


def test_span_proof_needs_the_spread_charge_when_calendar_spread_imported(arrays):
    params = build_params(arrays, model("span"))
    statement = verify(prove(account(700, {DEC: 1, MAR: -1}), params), params)
    assert statement.model == "span"
    with pytest.raises(InsufficientMargin, match="short by 0.01 USD"):
        prove(account(Decimal("699.99"), {DEC: 1, MAR: -1}), params)


def test_span_xml_charges_the_costliest_delta_spread_when_spreads_differ(tmp_path):
    # a second spread at $900 for 1:2 (per delta of the smaller side: 900 / 1 = 900) and a
    # third at $1,000 for 2:2 ($500 a delta): zkmargin charges every pair the highest, $900
    second = """<dSpread><spread>2</spread><rate><r>1</r><val>900</val></rate>
          <tLeg><cc>CL</cc><tn>1</tn><rs>A</rs><i>1</i></tLeg><tLeg><cc>CL</cc><tn>2</tn><rs>B</rs><i>2</i></tLeg>
        </dSpread>
        <dSpread><spread>3</spread><rate><r>1</r><val>1000</val></rate>
          <tLeg><cc>CL</cc><tn>1</tn><rs>A</rs><i>2</i></tLeg><tLeg><cc>CL</cc><tn>2</tn><rs>B</rs><i>2</i></tLeg>
        </dSpread>
      </ccDef>"""
    arrays = imported(tmp_path, TEXT.replace("</ccDef>", second, 1))
    assert arrays.intra_commodity_spreads[0].charge == 900
    assert intra_charge(arrays, {DEC: 1, MAR: -1}) == 900


def test_span_xml_makes_a_tier_per_period_when_spreads_name_periods(tmp_path):
    text = TEXT.replace("<tLeg><cc>CL</cc><tn>1</tn>", "<pLeg><cc>CL</cc><pe>202612</pe>").replace(
        "<tLeg><cc>CL</cc><tn>2</tn>", "<pLeg><cc>CL</cc><pe>202703</pe>").replace("</i></tLeg>", "</i></pLeg>")
    (spread,) = imported(tmp_path, text).intra_commodity_spreads
    assert spread.tiers == [{DEC: 1.0}, {MAR: 1.0, CALL: 0.5, FAR_CALL: 0.02}]


def test_span_xml_leaves_a_contract_out_when_its_period_is_in_no_tier(tmp_path):
    arrays = imported(tmp_path, TEXT.replace("<ePe>202712</ePe>", "<ePe>202702</ePe>"))
    assert arrays.intra_commodity_spreads == []  # March and its option left the tiers: one tier remains


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("<rate><r>1</r><val>700</val></rate>", "<rate><r>1</r><val>0</val></rate>",
         "intra-commodity <dSpread> <rate> <val> 0 is not a charge > 0"),
        ("<tn>2</tn><rs>B</rs>", "<tn>2</tn><rs>A</rs>", "intra-commodity <dSpread> needs legs on both sides"),
        ("<rs>B</rs><i>1</i>", "<rs>B</rs><i>0</i>", "<tLeg> <i> must be > 0, got 0"),
        ("<sPe>202702</sPe>", "<sPe>Feb 27</sPe>", "<tier> <sPe> 'Feb 27' is not a period written YYYYMM"),
        ("<d>0.5</d></ra>", "</ra>", "LO 202701 C 70: no <d> (composite delta) in its <ra>"),
    ],
)
def test_span_xml_names_element_and_line_when_intra_spread_bad(tmp_path, old, new, expected):
    message = span_error(tmp_path, TEXT.replace(old, new, 1))
    assert message.startswith("line ") and expected in message, message


def test_span_xml_refuses_tier_spreads_when_commodity_has_no_tiers(tmp_path):
    start, end = TEXT.index("<intraTiers>"), TEXT.index("</intraTiers>") + len("</intraTiers>")
    assert "has intra-commodity spreads between tiers but no <intraTiers>" in span_error(tmp_path, TEXT[:start] + TEXT[end:])


def test_risk_arrays_refuse_intra_spread_when_it_names_an_unknown_instrument(arrays):
    data = arrays.model_dump(mode="json")
    data["intra_commodity_spreads"][0]["tiers"][1]["CL 202706"] = 1.0
    with pytest.raises(InputError, match=r'intra_commodity_spreads\[0\]\.tiers\[1\]\["CL 202706"\]: unknown instrument'):
        RiskArrays.from_json(json.dumps(data))


def test_span_requirement_leaves_a_light_member_out_when_its_weight_is_under_a_dollar(arrays):
    data = arrays.model_dump(mode="json")
    data["intra_commodity_spreads"][0]["tiers"][1][CALL] = 1e-9  # weighs $0.01 once rounded up
    light = RiskArrays.from_json(json.dumps(data))
    # 70,000 of them would net the short March future out of its tier if they counted
    assert intra_charge(light, {DEC: 1, MAR: -1, CALL: 70_000}) == 700


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda spread: spread["tiers"][0].update({MAR: 1.0}), "'CL 202703' is in two tiers"),
        (lambda spread: spread["tiers"][0].update({DEC: 0.0}), "a delta of 0 spreads nothing"),
        (lambda spread: spread.update(group="NG"), "no scenario is in group 'NG'"),
        (lambda spread: spread.update(tiers=spread["tiers"][:1]), "at least 2 items"),
    ],
)
def test_risk_arrays_refuse_intra_spread_when_malformed(arrays, change, expected):
    data = arrays.model_dump(mode="json")
    change(data["intra_commodity_spreads"][0])
    with pytest.raises(InputError, match="intra_commodity_spreads") as caught:
        RiskArrays.from_json(json.dumps(data))
    assert expected in str(caught.value)


def test_risk_arrays_refuse_second_intra_spread_when_group_has_one(arrays):
    data = arrays.model_dump(mode="json")
    data["intra_commodity_spreads"].append(data["intra_commodity_spreads"][0])
    with pytest.raises(InputError, match=r"intra_commodity_spreads\[1\]\.group: group 'CL' has an intra-commodity spread"):
        RiskArrays.from_json(json.dumps(data))


def test_span_xml_carries_short_option_minimum_per_option_when_commodity_has_som_tiers(arrays):
    (minimum,) = arrays.short_option_minimums
    assert minimum.group == "CL" and minimum.rates == {CALL: 150.0, FAR_CALL: 150.0}


def test_span_requirement_is_the_short_option_minimum_when_far_calls_risk_less(arrays):
    # ten short 90 calls lose at most 10 × $12 in the scan; SPAN needs 10 × $150
    report = assess(account(100_000, {FAR_CALL: -10}), build_params(arrays, model("span")))
    assert report.requirement == 1_500
    assert report.binding == "CL short_option_minimum"


def test_span_proof_needs_the_minimum_when_short_options_imported(arrays):
    params = build_params(arrays, model("span"))
    # equity is cash less the calls' value, 10 × 0.02 × 1,000 = $200
    verify(prove(account(1_700, {FAR_CALL: -10}), params), params)
    with pytest.raises(InsufficientMargin, match="binding: CL short_option_minimum"):
        prove(account(Decimal("1699.99"), {FAR_CALL: -10}), params)


def test_span_xml_takes_the_higher_tier_when_option_and_its_future_are_in_two(tmp_path):
    tiers = """<somTiers>
          <tier><tn>1</tn><ePe>202701</ePe><rate><r>1</r><val>150</val></rate></tier>
          <tier><tn>2</tn><sPe>202702</sPe><rate><r>1</r><val>400</val></rate></tier>
        </somTiers>"""
    start, end = TEXT.index("<somTiers>"), TEXT.index("</somTiers>") + len("</somTiers>")
    (minimum,) = imported(tmp_path, TEXT[:start] + tiers + TEXT[end:]).short_option_minimums
    assert minimum.rates == {CALL: 400.0, FAR_CALL: 400.0}  # January options on the March future


def test_span_xml_names_tier_when_short_option_minimum_is_negative(tmp_path):
    message = span_error(tmp_path, TEXT.replace("<val>150</val>", "<val>-150</val>", 1))
    assert message.startswith("line ") and "<somTiers> <tier> <rate> <val> -150 is not a charge ≥ 0" in message


def test_risk_arrays_refuse_short_option_minimum_when_it_names_an_unknown_instrument(arrays):
    data = arrays.model_dump(mode="json")
    data["short_option_minimums"][0]["rates"]["LO 202701 C 95"] = 150.0
    with pytest.raises(InputError, match=r'short_option_minimums\[0\]\.rates\["LO 202701 C 95"\]: unknown instrument'):
        RiskArrays.from_json(json.dumps(data))


SOM = "<somTiers>\n          <tier><tn>1</tn><rate><r>1</r><val>150</val></rate></tier>\n        </somTiers>"


def with_minimum(table: str) -> str:
    assert SOM in TEXT
    return TEXT.replace(SOM, table)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (with_minimum(SOM + "<somTiers><tier><tn>2</tn><rate><r>1</r><val>900</val></rate></tier></somTiers>"),
         "<ccDef> has a second <somTiers>"),
        (with_minimum("<somTiers><tier><tn>1</tn><rate><r>1</r><val>15</val></rate>"
                      "<rate><r>1</r><val>900</val></rate></tier></somTiers>"),
         "<tier> has a second <rate> with <r>1</r>"),
        (with_minimum("<somTiers><tier><tn>1</tn><sPe>202712</sPe><ePe>202601</ePe>"
                      "<rate><r>1</r><val>5000</val></rate></tier></somTiers>"),
         "<tier> <sPe> 202712 comes after <ePe> 202601"),
        (with_minimum("<somTiers><somTier><tn>1</tn><rate><r>1</r><val>150</val></rate></somTier></somTiers>"),
         "unknown element <somTier> in <somTiers>"),
        (with_minimum("<somTiers>" + "<tier><tn>1</tn><rate><r>1</r><val>1</val></rate></tier>" * 65 + "</somTiers>"),
         "<somTiers> has more than 64 tiers"),
        (TEXT.replace("</ccDef>", "</ccDef><ccDef><cc>CL</cc><name>again</name><currency>USD</currency>" + SOM
                      + "</ccDef>", 1),
         "<ccDef> 'CL' is defined twice"),
        (TEXT.replace("<sPe>202702</sPe><ePe>202712</ePe>", "<sPe>202712</sPe><ePe>202702</ePe>"),
         "<tier> <sPe> 202712 comes after <ePe> 202702"),
        (TEXT.replace("<undC><exch>NYM</exch><pfId>301</pfId><cId>2</cId>",
                      "<undC><exch>NYM</exch><pfId>301</pfId><cId>9</cId>"),
         "its <undC> NYM/301/9 names no future in the file"),
        (TEXT.replace("<tier><tn>2</tn>", "<tier><tn>1</tn>"), "<intraTiers> numbers two tiers 1"),
        (TEXT.replace("<ePe>202701</ePe>", "<ePe>202703</ePe>"), "<intraTiers> tiers 1 and 2 share periods"),
        (TEXT.replace("<tLeg><cc>CL</cc><tn>2</tn>", "<tLeg><cc>NG</cc><tn>2</tn>"),
         "<tLeg> of an intra-commodity spread of 'CL' names <cc> 'NG'"),
        (TEXT.replace("<tLeg><cc>CL</cc><tn>2</tn>", "<tLeg><cc>CL</cc><tn>7</tn>"),
         "<tLeg> <tn> '7' is no tier of <intraTiers>"),
        (TEXT.replace("<undC><exch>NYM</exch><pfId>301</pfId><cId>2</cId></undC>", ""),
         "LO 202701 C 70: its <series> has no <undC>"),
        (TEXT.replace("<d>1</d></ra>\n          </fut>\n        </futPf>", "<d>-1</d></ra>\n          </fut>\n        </futPf>"),
         "<fut> CL 202703: composite delta <d> -1 is not the sign of a long position"),
        (TEXT.replace("<pfType>FUT</pfType><sc>1</sc>", "<pfType>FUT</pfType><sc>10</sc>"),
         "<pfLink> <sc> 10 is not supported"),
        (TEXT.replace("<sPe>202702</sPe>", "<sPe>20270115</sPe>"), "<intraTiers> tiers 1 and 2 share periods"),
        (TEXT.replace("<d>0.5</d></ra>", "<d>0.001</d><d>0.5</d></ra>"), "<ra> has a second <d>"),
        (TEXT.replace("<pe>202703</pe>", "<pe>202701</pe><pe>202703</pe>"), "<fut> has a second <pe>"),
        (TEXT.replace("<ra><r>1</r><a>-50.00</a>", "<ra><r>1</r><a>0</a></ra><ra><r>1</r><a>-50.00</a>"),
         "<opt> has a second <ra> with <r>1</r>"),
        (TEXT.replace("<undC><exch>NYM</exch><pfId>301</pfId><cId>2</cId></undC>", "", 1).replace(
            "</opt>\n          </series>", "</opt>\n          <undC><exch>NYM</exch><pfId>301</pfId><cId>2</cId></undC></series>"),
         "<undC> of <series> comes after contracts that inherit it"),
        (TEXT.replace("<pe>202612</pe>\n", "", 1), "<fut> has no <pe>"),
        (TEXT.replace("<pe>202703</pe>", "<pe>202713</pe>"), "period '202713' is not written YYYYMM or YYYYMMDD"),
        (TEXT.replace("<d>1</d></ra>", "<d>0</d></ra>", 1), "composite delta <d> 0 is not the sign of a long position"),
    ],
    ids=["second somTiers", "second rate", "reversed som tier", "stray element", "too many tiers",
         "repeated ccDef", "reversed intra tier", "unknown undC", "repeated tn", "overlapping tiers",
         "leg on another cc", "leg on no tier", "missing undC", "negative future delta", "pfLink scale",
         "tier edge inside a month", "second d", "second pe", "second maintenance array", "late undC",
         "future without period", "month 13", "future delta 0"],
)
def test_span_xml_refuses_commodity_table_when_it_would_be_misread(tmp_path, text, expected):
    # each of these files was read into a lower minimum or spread charge without a word
    message = span_error(tmp_path, text)
    assert message.startswith("line ") and expected in message, message


def test_span_xml_resolves_undc_to_the_future_when_an_option_shares_its_key(tmp_path):
    # a futures and an options portfolio sharing pfId 301, and call 70 sharing cId 2 with the
    # March future: the calls' <undC> resolved to their own January period, and a long
    # December future against two short calls lost its $700 spread charge
    text = (TEXT.replace("<pfId>302</pfId><pfCode>LO</pfCode>", "<pfId>301</pfId><pfCode>LO</pfCode>")
            .replace("<pfId>302</pfId>\n          <pfCode>LO</pfCode>", "<pfId>301</pfId>\n          <pfCode>LO</pfCode>")
            .replace("<cId>21</cId>", "<cId>2</cId>"))
    assert intra_charge(imported(tmp_path, text), {DEC: 1, CALL: -2}) == 700


def test_span_xml_refuses_futures_when_two_share_a_key(tmp_path):
    path = tmp_path / "clash.spn"
    path.write_text(TEXT.replace("<cId>2</cId>\n            <pe>202703</pe>", "<cId>1</cId>\n            <pe>202703</pe>"))
    with pytest.raises(InputError, match=r"CL 202703: contract NYM/301/1 \(exchange/pfId/cId\) is defined twice"):
        read_span_xml(path)


@pytest.mark.parametrize("table", ["short_option_minimums", "intra_commodity_spreads"])
def test_risk_arrays_refuse_group_table_when_it_names_another_groups_instrument(table):
    data = read_span_xml(FIXTURE.parent / "span_sp_nq.spn").model_dump(mode="json")
    data[table] = (
        [{"group": "SP", "rates": {"NQ 202612": 5000.0}}] if table == "short_option_minimums"
        else [{"group": "SP", "charge": 100.0, "tiers": [{"SP 202612": 1.0}, {"NQ 202612": 1.0}]}]
    )
    with pytest.raises(InputError, match="'NQ 202612' moves in scenarios outside group 'SP'"):
        RiskArrays.from_json(json.dumps(data))


def weekly(text: str) -> str:
    """December and March futures become the weekly contracts of 4 and 18 December 2026."""
    return text.replace("<pe>202612</pe>", "<pe>20261204</pe>").replace("<pe>202703</pe>", "<pe>20261218</pe>")


@pytest.mark.parametrize(
    "text",
    [
        weekly(TEXT).replace("<sPe>202612</sPe><ePe>202701</ePe>", "<sPe>20261201</sPe><ePe>20261210</ePe>")
        .replace("<sPe>202702</sPe><ePe>202712</ePe>", "<sPe>20261211</sPe><ePe>20271231</ePe>"),
        weekly(TEXT).replace("<tLeg><cc>CL</cc><tn>1</tn>", "<pLeg><cc>CL</cc><pe>20261204</pe>")
        .replace("<tLeg><cc>CL</cc><tn>2</tn>", "<pLeg><cc>CL</cc><pe>20261218</pe>").replace("</i></tLeg>", "</i></pLeg>"),
    ],
    ids=["day tiers", "day periods"],
)
def test_span_xml_charges_calendar_spread_when_periods_are_days_of_one_month(tmp_path, text):
    # both weeks used to fall in "December" and net: $0 where SPAN charges $700
    assert intra_charge(imported(tmp_path, text), {"CL 20261204": 1, "CL 20261218": -1}) == 700


def test_span_requirement_charges_futures_when_spread_charge_is_under_a_dollar(tmp_path):
    # a future's weight counts however light: 1,000 spreads at $0.50 are $500, not $0
    arrays = imported(tmp_path, TEXT.replace("<val>700</val>", "<val>0.5</val>"))
    assert intra_charge(arrays, {DEC: 1_000, MAR: -1_000}) == 500


@pytest.mark.parametrize(
    ("text", "positions"),
    [
        (TEXT.replace("<val>700</val>", "<val>1.5</val>"), {DEC: 1_000, CALL: -2_000}),
        (TEXT.replace("<val>700</val>", "<val>1.5</val>").replace(
            "<d>1</d></ra>\n          </fut>\n        </futPf>", "<d>0.5</d></ra>\n          </fut>\n        </futPf>"),
         {DEC: 1_000, MAR: -2_000}),
    ],
    ids=["at-the-money calls", "half-size future"],
)
def test_span_requirement_charges_spread_when_members_weigh_under_a_dollar(tmp_path, text, positions):
    # 75 cents a contract: left out under a $1 floor, which charged these 1,000 spreads $0
    arrays = imported(tmp_path, text)
    assert arrays.intra_commodity_spreads[0].charge == 1.5
    assert intra_charge(arrays, positions) == 1_500


def test_span_params_count_file_weights_in_ten_thousandths_when_imported(arrays):
    params = build_params(arrays, model("span"))
    (spread,) = params.intra_spreads
    assert spread.scale == 10_000
    assert spread.tiers[1][CALL] == 350 * 100 * 10_000  # $350 a contract, 0.5 delta × $700


SPREAD_OPTIONS = """
      <ccDef>
        <cc>WA</cc>
        <currency>USD</currency>
        <pfLink><exch>NYM</exch><pfId>303</pfId><pfCode>WA</pfCode><pfType>OOF</pfType><sc>1</sc></pfLink>
      </ccDef>
      <exchange>"""
SPREAD_OPTION_SERIES = """
        <oofPf>
          <pfId>303</pfId>
          <pfCode>WA</pfCode>
          <currency>USD</currency>
          <cvf>1000</cvf>
          <series>
            <pe>202611</pe>
            <undC><exch>NYM</exch><pfId>301</pfId><cId>1</cId><s>+</s><i>1</i></undC>
            <undC><exch>NYM</exch><pfId>301</pfId><cId>2</cId><s>-</s><i>1</i></undC>
            <opt>
              <cId>31</cId><o>C</o><k>0.5</k><p>0.40</p>
              <ra><r>1</r><a>-10</a><a>10</a><a>-100</a><a>-90</a><a>100</a><a>110</a><a>-200</a><a>-190</a><a>200</a><a>210</a><a>-300</a><a>-290</a><a>300</a><a>310</a><a>-250</a><a>250</a><d>0.5</d></ra>
            </opt>
          </series>
        </oofPf>
      </exchange>"""


def test_span_xml_reads_a_commodity_when_another_lists_calendar_spread_options(tmp_path):
    # a calendar spread option (CME "WA" on crude) names one <undC> per leg of its spread
    text = TEXT.replace("\n      <exchange>", SPREAD_OPTIONS, 1).replace("\n      </exchange>", SPREAD_OPTION_SERIES, 1)
    assert imported(tmp_path, text).instrument_ids() == [DEC, MAR, CALL, FAR_CALL, "WA 202611 C 0.5"]


def test_span_xml_refuses_a_period_when_its_day_is_not_in_its_month(tmp_path):
    assert "period '20270231' is not written YYYYMM or YYYYMMDD" in span_error(
        tmp_path, TEXT.replace("<pe>202703</pe>", "<pe>20270231</pe>"))


def test_span_params_weigh_in_coarser_units_when_the_finest_would_not_fit_the_proof(tmp_path):
    # at $7,000 a spread, 10,000ths of a cent would let four 2^31-unit positions of the
    # future pass the proof's 2^63: the weights count thousandths instead, and such a book proves
    arrays = imported(tmp_path, TEXT.replace("<val>700</val>", "<val>7000</val>")).model_copy(
        update={"quantity_decimals": 4})
    params = build_params(arrays, model("span"))
    assert params.intra_spreads[0].scale == 1_000
    positions = {DEC: Decimal("214748")}
    book = account(assess(account(0, positions), params).requirement, positions)
    assert verify(prove(book, params), params).account == "test"


FAR_CALL_ARRAY = TEXT[TEXT.index("<ra><r>1</r><a>0.50</a>"):TEXT.index("<d>0.02</d></ra>")]
FLAT_FUTURE = "<ra><r>1</r>" + "<a>0</a>" * 16 + "<d>1</d></ra>"


def far_call(strike: int, delta: str) -> str:
    return (f"<opt><cId>{10_000 + strike}</cId><o>C</o><k>{strike}</k><p>0.01</p>"
            f"{FAR_CALL_ARRAY}<d>{delta}</d></ra></opt>\n")


def test_span_requirement_charges_light_calls_when_a_full_size_file_lists_thousands_of_options(tmp_path):
    # 3,000 at-the-money calls beside the fixture once coarsened every weight (the scale
    # followed their sum) and dropped a $0.07 call: 10,000 of them, one delta against a long
    # December future, were charged $0 instead of SPAN's $700
    strip = "".join(far_call(1_000 + n, "0.5") for n in range(3_000)) + far_call(200, "0.0001")
    arrays = imported(tmp_path, TEXT.replace("          </series>", strip + "          </series>", 1))
    assert build_params(arrays, model("span")).intra_spreads[0].scale == 10_000
    assert intra_charge(arrays, {DEC: 1, "LO 202701 C 200": -10_000}) == 700


def test_span_params_refuse_a_spread_when_no_scale_holds_its_heaviest_contract(tmp_path):
    text = re.sub(r"<ra><r>1</r><a>0\.00</a>.*?<d>1</d></ra>", FLAT_FUTURE,
                  TEXT.replace("<val>700</val>", "<val>30000000</val>"))
    with pytest.raises(FixedPointOverflow, match="group 'CL' weighs a contract at 3e\\+07"):
        build_params(imported(tmp_path, text), model("span"))


def test_span_params_refuse_a_tier_weight_when_it_is_not_finite(arrays):
    data = arrays.model_dump(mode="json")
    data["intra_commodity_spreads"][0]["tiers"][0][DEC] = 1e308  # × $700 is infinite
    with pytest.raises(InputError, match="a spread charge of group 'CL' is not finite"):
        build_params(RiskArrays.from_json(json.dumps(data)), model("span"))


def test_span_xml_puts_an_option_on_the_physical_in_its_own_month_when_the_commodity_has_tiers(tmp_path):
    future_array = re.search(r"<ra><r>1</r><a>0\.00</a>.*?<d>1</d></ra>", TEXT).group(0)
    call_array = TEXT[TEXT.index("<ra><r>1</r><a>-50.00</a>"):TEXT.index("<d>0.5</d></ra>") + len("<d>0.5</d></ra>")]
    links = ('<pfLink><exch>NYM</exch><pfId>303</pfId><pfCode>CI</pfCode><pfType>PHY</pfType><sc>1</sc></pfLink>'
             '<pfLink><exch>NYM</exch><pfId>304</pfId><pfCode>CO</pfCode><pfType>OOP</pfType><sc>1</sc></pfLink>\n'
             '        <intraTiers>')
    portfolios = (
        "<phyPf><pfId>303</pfId><pfCode>CI</pfCode><currency>USD</currency><cvf>1000</cvf>"
        f"<phy><cId>9</cId><p>70</p>{future_array}</phy></phyPf>\n"
        "<oopPf><pfId>304</pfId><pfCode>CO</pfCode><currency>USD</currency><cvf>1000</cvf>"
        "<series><pe>202703</pe><undC><exch>NYM</exch><pfId>303</pfId><cId>9</cId></undC>"
        f"<opt><cId>41</cId><o>C</o><k>70</k><p>2.40</p>{call_array}</opt></series></oopPf>\n"
        "      </exchange>")
    arrays = imported(tmp_path, TEXT.replace("<intraTiers>", links, 1).replace("      </exchange>", portfolios, 1))
    # the index option's delta spreads in March, its own month: one $700 spread against December
    assert intra_charge(arrays, {DEC: 1, "CO 202703 C 70": -2}) == 700
