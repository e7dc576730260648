"""Options on futures in the SPAN intra-commodity tiers, attacked as an outsider (review).

A dishonest trader proves over hidden positions; a careless venue builds params from odd
market data. The market is crude (December, March and June futures of 1,000 barrels at
$70, 30% volatility) with options on the futures; one calendar spread is charged
1% × $70 × 1,000 = $700. Tests marked "FINDING" fail on the reviewed code; the others
show an attack refused. The futures-only attacks are in test_intra_spread_attack.py.
"""

import json
import math
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import zkmargin as zm
from tests.models.conftest import account, model
from tests.models.test_intra_spread import DECEMBER, JUNE, MARCH, crude
from tests.review.test_intra_spread_attack import (
    CHARGE,
    circuit_of,
    intra_charged,
    names,
    outside_in_the_field,
)
from zkmargin.cli import cli
from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.errors import InputError, UntrustedSignature
from zkmargin.proofs.prover import prove
from zkmargin.proofs.verifier import verify
from zkmargin.proofs.witness import assign

SPAN_TOML = Path(__file__).resolve().parents[2] / "circuits" / "span.toml"
MARCH_CALL, MARCH_PUT, DECEMBER_PUT = "CL 2027-03 68 C", "CL 2027-03 66 P", "CL 2026-12 72 P"
FAR_PUT, FAR_CALL = "CL 2027-03 1 P", "CL 2027-03 10000 C"
"""March options so far out of the money that their delta is nil: out of the tiers."""
AFTER_JUNE, ON_SPOT = "CL 2027-09 70 C", "CL spot 70 C"


def on_future(right, strike, expiry="2027-03-12", **extra):
    return {"kind": "option", "right": right, "strike": strike, "expiry": expiry, "multiplier": 1000,
            "on_future": True, **extra}


OPTIONS = {
    MARCH_CALL: on_future("call", 68),
    MARCH_PUT: on_future("put", 66),
    DECEMBER_PUT: on_future("put", 72, expiry="2026-12-11"),
    FAR_PUT: on_future("put", 1),
    FAR_CALL: on_future("call", 10000),
    AFTER_JUNE: on_future("call", 70, expiry="2027-09-17"),
    ON_SPOT: {**on_future("call", 70), "on_future": False},
}


@pytest.fixture(scope="module")
def params():
    return build_params(crude(**OPTIONS), model("span"))


def funded_at_requirement(params, positions, level="maintenance"):
    report = assess(account(0, positions), params, level=level)
    return account(report.requirement - report.equity, positions)


def test_span_tiers_every_option_on_its_side_when_the_market_mixes_them(params):
    (spread,) = params.intra_spreads
    december, march, june = spread.tiers
    assert set(december) == {DECEMBER, DECEMBER_PUT} and december[DECEMBER_PUT] < 0
    assert march[MARCH_PUT] < 0 < march[MARCH_CALL]
    assert FAR_PUT not in march and FAR_CALL not in march  # lighter than $1 a contract
    assert june == {JUNE: 70000}  # the option after June and the one on the spot are in no tier


# --- the netting of nil-delta options --------------------------------------------------

# Was a FINDING (medium, understated charge), fixed by span.py OPTION_WEIGHT_FLOOR (options
# lighter than $1 a contract stay out of the tiers). A weight was rounded up to one cent on its side so
# that a nil-delta option still "counts", but weights net against each other inside a
# tier, so rounding a size up is not conservative: it overstates how much of the future's
# delta the option cancels. 70,000 long puts struck at $1 (delta ≈ 1e−149, market value
# and scan P&L 0 after rounding, no short option minimum: they cost nothing) net the long
# March future to 0 in its tier, and the December/March calendar spread (1,000 barrels,
# $700 by the docs' I_g = r × S × units spread) is charged 0. The book proves and verifies
# at its scan risk, $0.01. Each further $700 spread erased costs 70,000 more free options,
# up to the 2^31 position bound. SPAN sums the deltas unrounded (1e−144 here). A fix must
# keep the rounding error from netting: e.g. weights in finer units with the error
# charged, or nil-delta options left out of the tiers (their true contribution is nil).
@pytest.mark.parametrize("positions", [
    {DECEMBER: -1, MARCH: 1, FAR_PUT: 70000},
    {DECEMBER: 1, MARCH: -1, FAR_CALL: 70000},
], ids=["long puts cancel a long future", "long calls cancel a short future"])
def test_prove_charges_the_calendar_spread_when_worthless_options_cancel_the_future_in_its_tier(params, positions):
    report = assess(account(0, positions), params)
    assert report.equity == 0  # the options are worth nothing
    proof = prove(account(report.requirement - report.equity, positions), params, workers=1)
    assert verify(proof, params).account == "test"
    # true tier deltas: March ≈ ±1,000 barrels, December ∓1,000: one $700 spread
    assert intra_charged(report) >= Decimal("699.99"), f"spread proved at {report.requirement}"


def test_span_keeps_a_finite_weight_on_its_side_when_an_option_is_marked_at_zero():
    # mark 0 has no implied volatility: the bracket's floor (1e−4), so an at-the-money
    # call's delta is its N(d1) ≈ 0.5 and a slightly out-of-the-money one's nil (left out)
    market = crude(**{"atm": on_future("call", 70, mark=0), "otm": on_future("call", 71, mark=0)})
    (spread,) = build_params(market, model("span")).intra_spreads
    assert spread.tiers[1]["atm"] == 35001 and "otm" not in spread.tiers[1]


# --- careless venue: odd market data for params build ----------------------------------

def build_exit(tmp_path, underlying, option, rate=0.0):
    market = {"as_of": "2026-11-27", "currency": "USD", "rate": rate,
              "underlyings": {"U": {"price": 70.0, "vol": 0.3, "asset_class": "commodity", **underlying}},
              "instruments": {
                  "A": {"underlying": "U", "kind": "future", "expiry": "2026-12-18", "multiplier": 1000},
                  "B": {"underlying": "U", "kind": "future", "expiry": "2027-03-19", "multiplier": 1000},
                  "O": {"underlying": "U", **option}}}
    (tmp_path / "market.json").write_text(json.dumps(market))
    result = CliRunner().invoke(cli, ["params", "build", "--market", str(tmp_path / "market.json"),
                                      "--model", str(SPAN_TOML), "-o", str(tmp_path / "params.json")],
                                prog_name="zkmargin")
    return result


# (underlying fields, option, the option's expected weight: its sign and $1 ≤ size ≤ a
# future's; 0 when the option is lighter than $1 a contract and stays out of the tiers)
ODD_MARKETS = {
    "vol at the smallest float": ({"vol": 5e-324}, on_future("put", 70), -35000),
    "vol at its cap": ({"vol": 10}, on_future("put", 66), None),
    "price at the smallest float": ({"price": 5e-324}, on_future("call", 1e12), 0),
    "strike at the smallest float": ({}, on_future("put", 5e-324), 0),
    "expires tomorrow, at the money": ({}, on_future("put", 70, expiry="2026-11-28"), None),
    "marked at the price cap": ({}, on_future("put", 66, mark=1e12), None),
    "multiplier at the smallest float": ({}, on_future("call", 70, multiplier=5e-324), 0),
}


@pytest.mark.parametrize("market", ODD_MARKETS)
def test_params_build_publishes_a_finite_non_zero_weight_on_the_option_side_when_market_data_is_extreme(
        tmp_path, market):
    underlying, option, expected = ODD_MARKETS[market]
    result = build_exit(tmp_path, underlying, option)
    assert result.exit_code == 0, result.output or repr(result.exception)
    tiers = json.loads((tmp_path / "params.json").read_text())["intra_spreads"][0]["tiers"]
    weights = [tier["O"] for tier in tiers if "O" in tier]
    if expected == 0:
        assert weights == []
        return
    (weight,) = weights
    assert isinstance(weight, int) and 100 <= abs(weight) <= 70000
    assert (weight < 0) == (option["right"] == "put")
    if expected is not None:
        assert weight == expected


@pytest.mark.parametrize("option, message", [
    (on_future("call", 70, expiry="2026-11-27"), "expired"),
    (on_future("call", 70, mark=math.inf), "mark"),
    (on_future("call", 70, multiplier=1e300), "multiplier"),
], ids=["expires today", "mark infinite", "multiplier too large"])
def test_params_build_refuses_with_exit_two_in_one_line_when_an_option_would_have_no_delta(tmp_path, option, message):
    result = build_exit(tmp_path, {}, option)
    assert result.exit_code == 2 and message in result.output, result.output or repr(result.exception)
    assert len(result.output.strip().splitlines()) == 1


# --- the clear text and the circuit agree --------------------------------------------------

@pytest.mark.parametrize("level", ["maintenance", "initial"])
def test_circuit_accepts_exactly_when_assess_meets_when_books_hold_options_in_tiers(params, level):
    circuit = circuit_of(params, level)
    draw = random.Random(77)
    charged = 0
    for _ in range(30):
        positions = {name: draw.randint(-3, 3) for name in params.instruments}
        report = assess(account(0, positions), params, level=level)
        charged += intra_charged(report) > 0
        for below in (Decimal(0), Decimal("0.01")):
            book = account(report.requirement - report.equity - below, positions)
            accepted = circuit.unsatisfied(assign(circuit, params, book, level)) == []
            assert accepted == assess(book, params, level=level).meets == (not below), positions
    assert charged >= 10  # the draw exercises the charge, not only its absence


def test_assess_charges_the_hand_computed_put_leg_when_a_long_put_hedges_a_long_future_in_another_month(params):
    put = params.intra_spreads[0].tiers[1][MARCH_PUT]
    positions = {DECEMBER: 1, MARCH_PUT: 2}
    # December +70,000; March 2 × put (negative): the spread is the smaller, 2·|put| cents
    assert intra_charged(assess(account(0, positions), params)) == Decimal(-2 * put) / 100
    circuit = circuit_of(params)
    exact = funded_at_requirement(params, positions)
    honest = assign(circuit, params, exact)
    assert honest[names(circuit).index(CHARGE)] == -2 * put
    # the short side (the puts) is the smaller: a cent less breaks its charge item
    honest[names(circuit).index(CHARGE)] -= 1
    assert outside_in_the_field(circuit, honest) == ["intra_charge(U, short)"]


def test_check_json_shows_the_charge_assess_computes_when_a_book_holds_options_in_two_tiers(params, tmp_path):
    positions = {DECEMBER_PUT: 3, MARCH_CALL: 1, MARCH: -1, JUNE: 1}
    params.save(tmp_path / "params.json")
    (tmp_path / "book.json").write_text(json.dumps({"account": "test", "cash": 100000, "positions": positions}))
    result = CliRunner().invoke(cli, ["check", "--allow-unsigned", "--params", str(tmp_path / "params.json"),
                                      "--portfolio", str(tmp_path / "book.json"), "--json"])
    assert result.exit_code == 0, result.output
    shown = [term["amount"] for term in json.loads(result.stdout)["terms"] if term["term"] == "intra_spread"]
    expected = intra_charged(assess(account(100000, positions), params))
    assert expected > 0 and shown == [f"{expected:.2f}"]


# --- params: the venue's own decide, the digest and the signature cover every weight -------

def edit(params, change):
    document = params.document()
    change(document["intra_spreads"][0]["tiers"])
    return document


PARAMS_EDITS = {
    "put's sign flipped": lambda tiers: tiers[1].update({MARCH_PUT: -tiers[1][MARCH_PUT]}),
    "put moved to December": lambda tiers: tiers[0].update({MARCH_PUT: tiers[1].pop(MARCH_PUT)}),
    "March put dropped": lambda tiers: tiers[1].pop(MARCH_PUT),
    "future's weight negative": lambda tiers: tiers[0].update({DECEMBER: -70000}),
}


@pytest.mark.parametrize("change", PARAMS_EDITS)
def test_check_params_refuses_the_signature_when_an_option_weight_is_edited(params, change):
    key = zm.new_key("venue-a", "params")
    moment = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
    signed = zm.sign_params(params, key, epoch=1, valid_from=moment - timedelta(hours=1), valid_for=timedelta(days=1))
    document = edit(RiskParams.from_json(signed.to_json()), PARAMS_EDITS[change])
    forged = RiskParams.from_json(json.dumps(document))
    assert forged.digest() != params.digest()
    with pytest.raises(UntrustedSignature):
        zm.check_params(forged, zm.Trust([key.public()]), now=moment)


def test_verify_refuses_a_proof_made_under_a_flipped_put_weight_when_the_venue_checks_its_own(params):
    flipped = RiskParams(**edit(params, PARAMS_EDITS["put's sign flipped"]))
    # a long put flipped to + nets against the short March future: no spread to fund
    positions = {DECEMBER: 1, MARCH: -1, MARCH_PUT: 2}
    cheap = funded_at_requirement(flipped, positions)
    assert cheap.cash < funded_at_requirement(params, positions).cash
    with pytest.raises(zm.WrongParams, match="made for other params"):
        verify(prove(cheap, flipped, workers=1), params)


@pytest.mark.parametrize("weight, message", [
    (True, "integer"),
    (1.5, "integer"),
    ("-1", "integer"),
    (-0.0, "integer"),
    (0, "must not be 0"),
], ids=["bool", "fraction", "string", "negative zero float", "zero"])
def test_params_load_refuses_an_option_weight_with_a_clear_error_when_it_is_not_a_non_zero_integer(
        params, tmp_path, weight, message):
    document = edit(params, lambda tiers: tiers[1].update({MARCH_PUT: weight}))
    (tmp_path / "params.json").write_text(json.dumps(document))
    with pytest.raises(InputError, match=message) as refused:
        RiskParams.load(tmp_path / "params.json")
    assert MARCH_PUT in str(refused.value) and "\n" not in str(refused.value).strip()


# --- what the verifier learns ----------------------------------------------------------------

@pytest.mark.parametrize("positions", [
    {MARCH_CALL: -1, DECEMBER: 1},
    {MARCH_PUT: 5, DECEMBER_PUT: -2, JUNE: 1},
    {FAR_PUT: 1000, AFTER_JUNE: 1, ON_SPOT: -1},
], ids=["short call against a future", "puts in two tiers", "options outside or at the floor"])
def test_proof_has_the_shape_of_the_empty_book_when_the_book_holds_options_in_tiers(params, positions):
    def shape(book_positions):
        proof = prove(account(funded_at_requirement(params, book_positions).cash + 1000, book_positions), params,
                      workers=1)
        return (len(proof.commitments), len(proof.limb_commitments), len(proof.range_proof_bytes),
                proof.size, proof.to_statement().circuit_digest)

    assert shape(positions) == shape({})
