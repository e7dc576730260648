"""Deribit pme/simulate JSON → risk.json: per-unit USD P&L, one group per currency, bad fields named."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.models.conftest import account, model
from zkmargin.engine.assess import assess
from zkmargin.engine.importers import import_risk_file, read_deribit_pme
from zkmargin.engine.params import build_params
from zkmargin.errors import InputError

FIXTURE = Path(__file__).resolve().parents[2] / "examples" / "deribit_pme.json"
RESPONSE = json.loads(FIXTURE.read_text())
RESULT = RESPONSE["result"]
PERP, CALL, ETH = "BTC-PERPETUAL", "BTC-25DEC26-110000-C", "ETH-PERPETUAL"
VECTORS = '.initial_risk_vectors["BTC-PERPETUAL"]'


def pme_error(tmp_path: Path, change, text: str | None = None) -> str:
    data = copy.deepcopy(RESPONSE)
    change(data["result"])
    path = tmp_path / "pme.json"
    path.write_text(text if text is not None else json.dumps(data))
    with pytest.raises(InputError) as caught:
        read_deribit_pme(path)
    return str(caught.value).removeprefix(f"{path}: ")


@pytest.fixture(scope="module")
def arrays():
    return read_deribit_pme(FIXTURE)


def test_deribit_pme_makes_one_group_per_currency_when_imported(arrays):
    assert arrays.currency == "USD" and arrays.quantity_decimals == 4
    assert arrays.groups() == ["BTC"] * 35 + ["ETH"] * 35
    assert arrays.scenarios[:2] == ["BTC price -4/4, vol 1/3", "BTC price -4/4, vol 2/3"]
    assert arrays.scenarios[12] == "BTC price +0/4, vol 1/3" and arrays.scenarios[34] == "BTC extended 8/8"
    assert str(arrays.as_of) == "2026-12-07"


def test_deribit_pme_divides_vectors_by_position_in_usd_when_imported(arrays):
    pnl = dict(zip(arrays.instrument_ids(), arrays.pnl_matrix()))
    # the perpetual's vector is for 2 BTC, in BTC: one BTC at the −16% bucket, in USD
    index = RESULT["index_price"]["btc_usd"]
    assert pnl[PERP][0] == pytest.approx(RESULT["initial_risk_vectors"][PERP]["standard"][0] / 2 * index)
    assert pnl[PERP][0] == pytest.approx((1 - 1 / 0.84) * 100_000, abs=1e-3)
    # the short 1.5 calls' vector turns into one LONG call's P&L: a gain when the price rises
    assert pnl[CALL][26] > 0 > pnl[CALL][0]
    assert not pnl[ETH][:35].any() and not pnl[PERP][35:].any()


def test_deribit_pme_values_options_at_mark_and_futures_at_zero_when_imported(arrays):
    mark = RESULT["ticker"][CALL]["mark_price"]
    assert arrays.values() == {PERP: 0.0, ETH: 0.0, CALL: pytest.approx(mark * 100_000)}


def test_deribit_pme_requirement_adds_currency_worst_losses_when_book_is_the_simulated_one(arrays):
    params = build_params(arrays, model("scenario"))
    positions = RESULT["portfolio"]["position"]
    report = assess(account(1_000_000, positions), params)
    # independently: each currency's worst loss of the held vectors, in USD, added up
    vectors = RESULT["initial_risk_vectors"]
    btc = [-(p + c) * 100_000 for p, c in zip(vectors[PERP]["standard"] + vectors[PERP]["extended"],
                                              vectors[CALL]["standard"] + vectors[CALL]["extended"])]
    eth = [-v * 4_000 for v in vectors[ETH]["standard"] + vectors[ETH]["extended"]]
    # P&L is rounded against the holder: never below, at most a cent per unit held above
    units = sum(abs(float(q)) for q in positions.values())
    assert max(btc) + max(eth) <= float(report.requirement) <= max(btc) + max(eth) + 0.01 * units
    assert set(dict(report.group_losses)) == {"BTC", "ETH"}
    assert report.requirement > Decimal(max(btc))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["initial_risk_vectors"][PERP]["standard"].pop(),
         f"result{VECTORS}.standard: has 26 values, expected 27"),
        (lambda r: r["initial_risk_vectors"][CALL]["extended"].pop(),
         'result.initial_risk_vectors["BTC-25DEC26-110000-C"].extended: has 7 values, expected 8'),
        (lambda r: r["initial_risk_vectors"][PERP]["standard"].__setitem__(3, "x"),
         f"result{VECTORS}.standard[3]: expected a number, got 'x'"),
        (lambda r: r["initial_risk_vectors"][PERP].update(delta=[1]),
         f"result{VECTORS}.delta: unknown field (expected standard and extended)"),
        (lambda r: r["initial_risk_vectors"][PERP].pop("extended"), f"result{VECTORS}.extended: missing"),
        (lambda r: r["portfolio"]["position"].pop(PERP), 'result.portfolio.position["BTC-PERPETUAL"]: missing'),
        (lambda r: r["portfolio"]["position"].update({PERP: 0}),
         'result.portfolio.position["BTC-PERPETUAL"]: is 0: the vectors are per position'),
        (lambda r: r["index_price"].pop("eth_usd"), "result.index_price.eth_usd: missing"),
        (lambda r: r["ticker"][CALL].update(mark_price=-1), 'result.ticker["BTC-25DEC26-110000-C"].mark_price: must be ≥ 0'),
        (lambda r: r["model_params"]["general"].update(buckets_count=True),
         "result.model_params.general.buckets_count: expected a whole number 1…100, got True"),
        (lambda r: r["model_params"]["currency"]["btc"].update(pnl_offset=0.5),
         "result.model_params.currency.btc.pnl_offset: a non-zero P&L offset is not supported"),
        (lambda r: r["initial_risk_vectors"].update({"BTC-27DEC26-X": r["initial_risk_vectors"][PERP]}),
         'result.initial_risk_vectors["BTC-27DEC26-X"]: unknown instrument kind of \'BTC-27DEC26-X\''),
        (lambda r: r.pop("ticker"), "result.ticker: missing"),
    ],
)
def test_deribit_pme_names_field_when_input_is_bad(tmp_path, change, expected):
    assert expected in pme_error(tmp_path, change)


def test_deribit_pme_refuses_vector_when_sign_is_flipped(tmp_path):
    def flip(result):
        pair = result["initial_risk_vectors"][PERP]
        pair["standard"] = [-v for v in pair["standard"]]
    assert pme_error(tmp_path, flip).startswith(
        f"result{VECTORS}.standard: one long future would make 19047.6 USD where it should lose")


def test_deribit_pme_names_line_when_json_truncated(tmp_path):
    text = FIXTURE.read_text()
    cut = text[: len(text) // 2]
    assert pme_error(tmp_path, lambda r: None, cut).startswith(
        f"malformed JSON at line {cut.count(chr(10)) + 1}")


def test_deribit_pme_accepts_bare_result_when_envelope_left_out(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(json.dumps(RESULT))
    assert read_deribit_pme(path) == read_deribit_pme(FIXTURE)


def test_import_refuses_commodities_when_format_is_deribit():
    with pytest.raises(InputError, match="only a SPAN XML file has combined commodities"):
        import_risk_file(FIXTURE, "deribit-pme", ["BTC"])
