"""SPAN intra-commodity spread charges, proved: a side bit states k·min(long, short) soundly."""

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.models.conftest import account, model
from tests.models.test_crypto_offsetting_futures import btc_futures
from tests.models.test_intra_spread import DECEMBER, JUNE, MARCH, SPREAD_CHARGE, crude
from tests.proofs.conftest import forge_proof
from zkmargin.engine.assess import assess
from zkmargin.engine.importers import read_span_xml
from zkmargin.engine.intra_spread import intra_charges
from zkmargin.engine.market import Market
from zkmargin.engine.params import build_params
from zkmargin.errors import InsufficientMargin, InvalidProof
from zkmargin.proofs.circuit import MONEY_BITS
from zkmargin.proofs.prover import prove
from zkmargin.proofs.statement import Statement, limb_count
from zkmargin.proofs.verifier import verify
from zkmargin.proofs.witness import assign

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CALENDAR = {DECEMBER: 1, MARCH: -1}
CHARGE = "intra[U]"
SIDE = "intra_side[U]"


@pytest.fixture(scope="module")
def params():
    return build_params(crude(), model("span"))


@pytest.fixture(scope="module")
def circuit(params):
    return Statement.for_params(params, "test", "maintenance").compile(params)


def funded(params, positions):
    """The book with just enough cash for its requirement."""
    return account(assess(account(0, positions), params).requirement, positions)


def witness_of(circuit, params, positions, **changes):
    values = assign(circuit, params, funded(params, positions))
    names = [variable.name for variable in circuit.variables]
    for name, value in changes.items():
        values[names.index(name)] = value
    return values


def value(circuit, values, name):
    return values[[variable.name for variable in circuit.variables].index(name)]


@pytest.mark.parametrize("positions", [CALENDAR, {DECEMBER: 2, MARCH: -1}, {DECEMBER: 1, MARCH: -3}])
def test_prove_and_verify_charge_the_calendar_spread_when_the_book_is_exactly_funded(params, positions):
    book = funded(params, positions)
    report = assess(book, params)
    assert report.requirement == sum(loss for _, loss in report.group_losses) + SPREAD_CHARGE  # one spread each
    assert verify(prove(book, params), params).account == "test"
    short = book.model_copy(update={"cash": book.cash - Decimal("0.01")})
    with pytest.raises(InsufficientMargin):
        prove(short, params)


def test_circuit_states_the_charge_in_fine_units_when_long_front_short_back(params, circuit):
    honest = witness_of(circuit, params, CALENDAR)
    assert circuit.unsatisfied(honest) == []
    # $700 in cents, quantity scale 1
    assert value(circuit, honest, CHARGE) == 70_000 and value(circuit, honest, SIDE) == 0


@pytest.mark.parametrize("positions, side", [
    ({DECEMBER: 1, MARCH: -3}, 0),  # the long side is smaller: its constraint binds
    ({DECEMBER: 2, MARCH: -1}, 1),  # the short side is smaller: the bit switches to it
])
def test_circuit_needs_the_side_bit_of_the_smaller_side_when_tiers_are_unbalanced(params, circuit, positions, side):
    honest = witness_of(circuit, params, positions)
    assert value(circuit, honest, SIDE) == side and value(circuit, honest, CHARGE) == 70_000
    assert circuit.unsatisfied(honest) == []
    flipped = witness_of(circuit, params, positions, **{SIDE: 1 - side})
    assert circuit.unsatisfied(flipped) == [f"intra_charge(U, {'long' if side else 'short'})"]


@pytest.mark.parametrize("changes, failing", [
    ({CHARGE: 0}, {"intra_charge(U, long)"}),
    ({CHARGE: 69_999}, {"intra_charge(U, long)"}),
    ({CHARGE: 0, SIDE: 2}, {"intra_side(U)", "intra_charge(U, short)"}),
    ({CHARGE: 0, SIDE: -1}, {"intra_charge(U, long)"}),
    ({"intra_long[U, 0]": 0}, {"intra_short(U, 0)"}),
])
def test_circuit_refuses_a_charge_below_the_spread_when_the_prover_lies(params, circuit, changes, failing):
    lying = witness_of(circuit, params, CALENDAR, **changes)
    assert set(circuit.unsatisfied(lying)) == failing


def proof_without(monkeypatch, params, book, variable_name):
    """A cheating prover's proof of `book`, with witness `variable_name` set to 0."""

    def dropped(circuit, values):
        values[[variable.name for variable in circuit.variables].index(variable_name)] = 0

    return forge_proof(monkeypatch, lambda: prove(book, params), dropped)


def test_verify_refuses_a_proof_when_the_prover_states_no_charge(params, monkeypatch):
    # cash for the scan risk only: a prover that sets c = 0 meets every other constraint
    forged = proof_without(monkeypatch, params, account(Decimal("0.01"), CALENDAR), CHARGE)
    with pytest.raises(InvalidProof):
        verify(forged, params)


def test_circuit_adds_four_limbs_per_tier_and_five_per_commodity_when_it_charges_calendar_spreads(params, circuit):
    without = params.model_copy(update={"intra_spreads": []})
    plain = Statement.for_params(without, "test", "maintenance").compile(without)
    tiers = len(params.intra_spreads[0].tiers)
    assert limb_count(circuit) - limb_count(plain) == 4 * tiers + 5
    assert [v.name for v in circuit.variables if v.name.startswith("intra")][-2:] == [SIDE, CHARGE]
    assert circuit.bounds()[-1] > 1 << MONEY_BITS  # the charge is anchored, not ranged


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=3, max_size=3), st.integers(-2, 2))
def test_circuit_accepts_exactly_when_equity_meets_the_requirement_with_its_calendar_charge(
    params, circuit, quantities, offset
):
    positions = dict(zip((DECEMBER, MARCH, JUNE), quantities))
    report = assess(account(0, positions), params)
    cash = report.requirement - report.equity + Decimal(offset) / 100
    book = account(cash, positions)
    honest = assign(circuit, params, book)
    (expected,) = intra_charges(params, params.position_vector(book))
    assert value(circuit, honest, CHARGE) == expected.charge
    assert (circuit.unsatisfied(honest) == []) == assess(book, params).meets == (offset >= 0)


def test_circuit_is_the_one_made_before_intra_spreads_when_no_commodity_has_two_futures_months():
    # span over examples/market.json: CL's options expire on other dates than its one future
    params = build_params(Market.load(EXAMPLES / "market.json"), model("span"))
    circuit = Statement.for_params(params, "test", "maintenance").compile(params)
    assert not [v.name for v in circuit.variables if v.name.startswith("intra")]
    # main at d6cf7b2 gave 6023663b…; since then the params under it moved (a short "XYZ 80 C"
    # loses its mark's gap below the no-arbitrage bound, XYZ and CL options are American) and
    # the SPX–SOX credit gained its direction items (tests/proofs/test_credit_direction.py)
    assert circuit.digest() == "f4cac58946ccc49e56b8fd8a8c4cc10d3d0ec425ec3f481c510c7f2ba30d7d5e"


SCALED_CHARGE, IN_MONEY = "intra[CL]", "intra_money[CL]"
CL_CALENDAR = {"CL 202612": 1, "CL 202703": -1}


@pytest.fixture(scope="module")
def scaled():
    """Params whose tier weights count 1/10,000 money units (a SPAN XML file's)."""
    params = build_params(read_span_xml(EXAMPLES / "span_cl_calendar.spn"), model("span"))
    assert params.intra_spreads[0].scale == 10_000
    return params, Statement.for_params(params, "test", "maintenance").compile(params)


def test_circuit_adds_the_money_charge_when_weights_are_scaled(scaled):
    params, circuit = scaled
    honest = witness_of(circuit, params, CL_CALENDAR)
    assert (value(circuit, honest, SCALED_CHARGE), value(circuit, honest, IN_MONEY)) == (700 * 100 * 10_000, 70_000)
    unscaled = params.model_copy(update={"intra_spreads": [params.intra_spreads[0].model_copy(update={"scale": 1})]})
    plain = Statement.for_params(unscaled, "test", "maintenance").compile(unscaled)
    assert limb_count(circuit) - limb_count(plain) == 4  # C's range and K·C − c ≥ 0, two limbs each


@pytest.mark.parametrize("changes", [{IN_MONEY: 69_999}, {IN_MONEY: 0}])
def test_circuit_refuses_a_money_charge_below_the_scaled_one_when_the_prover_lies(scaled, changes):
    params, circuit = scaled
    lying = witness_of(circuit, params, CL_CALENDAR, **changes)
    assert set(circuit.unsatisfied(lying)) == {"intra_money(CL)"}


def test_verify_refuses_a_proof_when_the_scaled_charge_is_dropped(scaled, monkeypatch):
    params, _ = scaled
    forged = proof_without(monkeypatch, params, account(Decimal("0.01"), CL_CALENDAR), IN_MONEY)
    with pytest.raises(InvalidProof):
        verify(forged, params)


@pytest.mark.parametrize("positions", [{"DEC": 100, "MAR": -100}, {"PERP": 3, "DEC": -2}])
def test_prove_and_verify_charge_crypto_pm_offsetting_futures_when_the_book_is_exactly_funded(positions):
    market = btc_futures(PERP={}, DEC={"expiry": "2026-12-25"}, MAR={"expiry": "2027-03-26"})
    crypto = build_params(market, model("crypto_pm"))
    book = funded(crypto, positions)
    assert intra_charges(crypto, [positions.get(i, 0) for i in crypto.instruments])[0].charge > 0
    assert verify(prove(book, crypto), crypto).account == "test"
    with pytest.raises(InsufficientMargin):
        prove(book.model_copy(update={"cash": book.cash - Decimal("0.01")}), crypto)
