"""SPAN XML (.spn) → risk.json: groups per combined commodity, SPAN's sign, hostile files refused."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tests.models.conftest import account, model
from zkmargin.engine.assess import assess
from zkmargin.engine.importers import import_risk_file, read_span_xml
from zkmargin.engine.params import build_params
from zkmargin.errors import InputError

FIXTURE = Path(__file__).resolve().parents[2] / "examples" / "span_sp_nq.spn"
TEXT = FIXTURE.read_text()


def line_of(fragment: str, text: str = TEXT) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def span_error(tmp_path: Path, text: str, **options) -> str:
    path = tmp_path / "bad.spn"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_span_xml(path, **options)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


@pytest.fixture(scope="module")
def arrays():
    return read_span_xml(FIXTURE)


def test_span_xml_makes_one_group_per_combined_commodity_when_imported(arrays):
    assert arrays.currency == "USD" and str(arrays.as_of) == "2026-11-27"
    assert arrays.instrument_ids() == ["NQ 202612", "SP 202612", "SP 202612 C 6000", "SP 202612 P 6000"]
    assert arrays.groups() == ["NQ"] * 16 + ["SP"] * 16
    assert arrays.scenarios[0] == "NQ unchanged, vol up" and arrays.scenarios[-1] == "SP extreme down"


def test_span_xml_negates_loss_positive_arrays_when_imported(arrays):
    pnl = dict(zip(arrays.instrument_ids(), arrays.pnl_matrix()))
    # <fut> SP: <a> 13 (down 3/3, vol up) is 22500.00, a loss: one long contract makes −22,500
    assert pnl["SP 202612"][16 + 12] == -22_500 and pnl["SP 202612"][16 + 10] == 22_500
    assert pnl["SP 202612 C 6000"][16:][:2].tolist() == [460, -610]
    # NQ contracts do not move in SP's scenarios and the other way round
    assert not pnl["NQ 202612"][16:].any() and not pnl["SP 202612"][:16].any()


def test_span_xml_takes_marks_and_contract_value_factors_when_imported(arrays):
    assert arrays.values() == {"NQ 202612": 0.0, "SP 202612": 0.0,
                               "SP 202612 C 6000": 40 * 250, "SP 202612 P 6000": 45 * 250}
    assert arrays.instruments["NQ 202612"].multiplier == 20


def test_span_xml_carries_each_contract_composite_delta_when_imported(arrays):
    # <d> per contract: the inter-commodity credit needs every contract's side
    assert {name: row.delta for name, row in arrays.instruments.items()} == {
        "NQ 202612": 1.0, "SP 202612": 1.0, "SP 202612 C 6000": 0.52, "SP 202612 P 6000": -0.48}


def test_span_xml_takes_series_cvf_when_option_gives_none(tmp_path):
    path = tmp_path / "series.spn"
    path.write_text(TEXT.replace("<t>0.0575</t>\n            <cvf>250</cvf>", "<t>0.0575</t>\n            <cvf>50</cvf>"))
    assert read_span_xml(path).values()["SP 202612 C 6000"] == 40 * 50


def test_span_xml_carries_scan_ranges_and_spread_table_when_imported(arrays):
    assert {g: (r.price, r.vol) for g, r in arrays.scan_ranges.items()} == {
        "NQ": (20_500, 0.05), "SP": (22_500, 0.04)}
    (spread,) = arrays.inter_commodity_spreads
    assert (spread.priority, spread.credit_rate) == (1, 0.5)
    assert [(leg.group, leg.ratio, leg.side) for leg in spread.legs] == [("SP", 1, "A"), ("NQ", 1, "B")]


def test_span_requirement_adds_both_legs_when_long_sp_short_nq_imported(arrays):
    # the book: one joint group let it through with $2,000
    params = build_params(arrays, model("span"))
    report = assess(account(50_000, {"SP 202612": 1, "NQ 202612": -1}), params)
    assert dict(report.group_losses) == {"NQ": Decimal(20_500), "SP": Decimal(22_500)}
    # less the file's 50% SP/NQ spread credit on the smaller leg (engine/credits.py)
    assert report.group_credits == (("SP|NQ", Decimal(10_250)),)
    assert report.requirement == Decimal(43_000 - 10_250)


def test_span_requirement_matches_mcmillan_covered_write_when_imported(arrays):
    # long future, short call: worst of (future − call) loss is down 3/3, vol up: 22,500 − 3,380
    params = build_params(arrays, model("span"))
    report = assess(account(50_000, {"SP 202612": 1, "SP 202612 C 6000": -1}), params)
    assert report.requirement == Decimal(22_500 - 3_380)
    assert report.binding == "SP down 3/3, vol up"


def test_span_xml_keeps_chosen_commodities_and_their_spreads_when_filtered():
    only_sp = import_risk_file(FIXTURE, "span-xml", ["SP"])
    assert set(only_sp.groups()) == {"SP"} and len(only_sp.instruments) == 3
    assert only_sp.inter_commodity_spreads == []  # its NQ leg is not imported
    both = import_risk_file(FIXTURE, "span-xml", ["NQ", "SP"])
    assert len(both.inter_commodity_spreads) == 1


def test_span_xml_names_the_commodities_when_filter_unknown():
    with pytest.raises(InputError, match="no contracts for combined commodity 'ES'; the file has NQ, SP"):
        import_risk_file(FIXTURE, "span-xml", ["ES"])


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE spanFile [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<spanFile><fileFormat>&lol3;</fileFormat></spanFile>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE spanFile [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<spanFile><fileFormat>&secret;</fileFormat></spanFile>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion laughs", "external entity"])
def test_span_xml_refuses_dtd_when_file_declares_entities(tmp_path, text):
    assert span_error(tmp_path, text).startswith("refusing a DTD (<!DOCTYPE>)")


def test_span_xml_names_line_when_file_truncated(tmp_path):
    cut = TEXT[: TEXT.index("<opt>")]
    assert span_error(tmp_path, cut) == f"line {line_of('<opt>')}: malformed XML: no element found"


def test_span_xml_names_line_when_tags_mismatched(tmp_path):
    text = TEXT.replace("<p>6000.00</p>", "<p>6000.00</pp>")
    assert span_error(tmp_path, text) == f"line {line_of('<p>6000.00</p>')}: malformed XML: mismatched tag"


def test_span_xml_names_risk_array_when_a_value_is_missing(tmp_path):
    text = TEXT.replace("<a>-22500.00</a><a>-22500.00</a>", "<a>-22500.00</a>", 1)
    line = line_of("<a>-22500.00</a><a>-22500.00</a>")
    assert span_error(tmp_path, text) == (
        f"line {line}: <ra> has 15 <a> values, expected 16 (one per scan scenario)")


def test_span_xml_refuses_profit_positive_array_when_signs_flipped(tmp_path):
    sp = re.search(r"<fut>\s*<cId>1</cId>\s*<pe>202612</pe>\s*<p>6000.00</p>.*?</fut>", TEXT, re.S)
    flipped = re.sub(r"<a>(-?)([0-9.]+)</a>",
                     lambda m: f"<a>{'' if m.group(1) else '-'}{m.group(2)}</a>", sp.group(0))
    text = TEXT.replace(sp.group(0), flipped)
    message = span_error(tmp_path, text)
    assert message.startswith(f"line {line_of('<fut>')}: <fut> SP 202612: risk array loses 22500")
    assert "SPAN counts a loss as positive" in message


def test_span_xml_refuses_put_array_when_it_loses_on_a_fall(tmp_path):
    text = TEXT.replace("<a>4200.00</a><a>4500.00</a><a>-7800.00</a>", "<a>-7800.00</a><a>4500.00</a><a>4200.00</a>")
    assert "<opt> SP 202612 P 6000: risk array loses 4200 where a long put gains" in span_error(tmp_path, text)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("<d>0.52</d></ra>", "<d>0.52</d><b>1</b></ra>", "unknown element <b> in <ra>"),
        ("<a>-460.00</a>", "<a>lots</a>", "<a> 'lots' is not a number"),
        ("<a>-460.00</a>", "<a>nan</a>", "<a> 'nan' is not finite"),
        ("<sc>1</sc>\n            <setlDate>", "<sc>10</sc>\n            <setlDate>", "<fut> <sc> 10 is not supported"),
        ("<o>C</o>", "<o>X</o>", "<opt> <o> must be C or P, got 'X'"),
        ("<p>40.00</p>", "<p>-40.00</p>", "<opt> <p> must be ≥ 0, got -40"),
        ("<rate><r>1</r><val>0.5</val></rate>", "<rate><r>1</r><val>50</val></rate>",
         "<dSpread> <rate> <val> 50 is not a credit fraction in (0, 1]"),
        ("<rs>B</rs>", "<rs>C</rs>", "<tLeg> <rs> must be A or B, got 'C'"),
        ("<rs>B</rs><i>1</i>", "<rs>B</rs><i>1</i><weight>2</weight>", "unknown element <weight> in <tLeg>"),
        ("<pfCode>NQ</pfCode>\n", "", "<futPf> has no <pfCode>"),
        ("<ra><r>1</r><a>0.00", "<ra><r>2</r><a>0.00", "<fut> has no <ra> with <r>1</r>"),
    ],
)
def test_span_xml_names_element_and_line_when_value_bad(tmp_path, old, new, expected):
    message = span_error(tmp_path, TEXT.replace(old, new, 1))
    assert re.match(r"line \d+: ", message) and expected in message, message


def test_span_xml_names_portfolio_when_no_ccdef_links_it(tmp_path):
    text = TEXT.replace("<pfId>201</pfId><pfCode>NQ</pfCode><pfType>FUT</pfType>",
                        "<pfId>999</pfId><pfCode>NQ</pfCode><pfType>FUT</pfType>")
    assert "NQ 202612: portfolio CME/FUT/201 is in no <ccDef> <pfLink>" in span_error(tmp_path, text)


def test_span_xml_refuses_mixed_currencies_when_commodities_differ(tmp_path):
    text = TEXT.replace("<name>Nasdaq-100 futures</name>\n          <currency>USD</currency>",
                        "<name>Nasdaq-100 futures</name>\n          <currency>EUR</currency>")
    assert span_error(tmp_path, text).startswith("contracts in EUR, USD, but risk.json holds one currency")


def test_span_xml_refuses_other_root_when_not_a_span_file(tmp_path):
    assert span_error(tmp_path, "<html><body/></html>") == "line 1: root element is <html>, expected <spanFile>"


def test_span_xml_refuses_deep_nesting_when_hostile(tmp_path):
    deep = "<spanFile>" + "<x>" * 40 + "</x>" * 40 + "</spanFile>"
    assert "nested deeper than 32 levels" in span_error(tmp_path, deep)


def test_span_xml_refuses_oversized_text_when_hostile(tmp_path):
    text = TEXT.replace("<p>6000.00</p>", f"<p>{'9' * 1000}</p>")
    assert f"line {line_of('<p>6000.00</p>')}: <p> holds more than 256 characters" == span_error(tmp_path, text)


def test_span_xml_names_file_when_missing(tmp_path):
    with pytest.raises(InputError, match="no such file: .*nowhere.spn"):
        read_span_xml(tmp_path / "nowhere.spn")


def test_span_xml_risk_arrays_round_trip_when_saved(tmp_path, arrays):
    arrays.save(tmp_path / "risk.json")
    again = type(arrays).load(tmp_path / "risk.json")
    assert again == arrays
    np.testing.assert_array_equal(again.pnl_matrix(), arrays.pnl_matrix())


def test_span_xml_keeps_no_indentation_when_container_holds_megabytes_of_it(tmp_path):
    import tracemalloc

    path = tmp_path / "spaces.spn"
    path.write_text("<spanFile><pointInTime>" + " " * 5_000_000 + "</pointInTime></spanFile>")
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="no contract with a risk array"):
            read_span_xml(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
