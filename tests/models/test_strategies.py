"""Strategy offsets in `standard`: Cboe Margin Manual vectors to the cent (issue 12, item 1).

Equity is net liquidation value, so an account whose cash (premiums received included)
equals the Cboe requirement has excess exactly 0.
"""

from decimal import Decimal

import pytest

from tests.models.conftest import account, model, one_underlying_market, option
from zkmargin.engine.assess import assess
from zkmargin.engine.params import build_params


def cboe_excess(market, positions, cboe_requirement):
    params = build_params(market, model("standard"))
    return assess(account(Decimal(cboe_requirement), positions), params)


def test_standard_short_straddle_charges_greater_side_plus_other_premium_when_paired():
    # Cboe Margin Manual, short straddle: S = 92.63, 90 call at 7.00, 90 put at 3.70:
    # call side 7.00 + 20% × 92.63 = 25.526, put side 3.70 + 18.526 − 2.63 = 19.596;
    # requirement 25.526 + 3.70 = 29.226 a share → $2,922.60 (naked sum: $4,512.20)
    market = one_underlying_market(92.63, C=option("call", 90, mark=7.0), P=option("put", 90, mark=3.7))
    report = cboe_excess(market, {"C": -1, "P": -1}, "2922.60")
    assert report.excess == 0 and report.meets
    assert [name for name, _ in report.pairing] == ["short straddle: −1 C, −1 P"]


def test_standard_credit_vertical_charges_the_strike_difference_when_paired():
    # Cboe: short 45 call at 6.50, long 50 call at 4.00 → (50 − 45) × 100 = $500, credit applied
    market = one_underlying_market(48, L=option("call", 50, mark=4.0), S=option("call", 45, mark=6.5))
    report = cboe_excess(market, {"L": 1, "S": -1}, "500")
    assert report.excess == 0 and report.meets
    assert report.requirement == Decimal("250.00")  # the $500 less the $250 credit, on equity


def test_standard_debit_vertical_needs_only_the_debit_when_paired():
    market = one_underlying_market(48, L=option("call", 45, mark=6.5), S=option("call", 50, mark=4.0))
    report = cboe_excess(market, {"L": 1, "S": -1}, "0")
    assert report.requirement == Decimal("250.00") and report.excess == 0


def test_standard_iron_condor_charges_the_greater_spread_when_paired():
    # Interactive Brokers' example of the exchange rule: 10 × (160 P, −170 P, −180 C, 190 C),
    # requirement 10 × (170 − 160) × 100 = $10,000, credit applied
    market = one_underlying_market(
        175, LP=option("put", 160, mark=0.8), SP=option("put", 170, mark=2.1),
        SC=option("call", 180, mark=2.4), LC=option("call", 190, mark=0.7),
    )
    book = {"LP": 10, "SP": -10, "SC": -10, "LC": 10}
    report = cboe_excess(market, book, "10000")
    assert report.excess == 0 and report.meets
    max_loss = 10 * 100 * (10 - (2.1 + 2.4 - 0.8 - 0.7))
    assert abs(float(report.requirement) - max_loss) <= 0.01 * max_loss


@pytest.mark.parametrize("level", ["maintenance", "initial"])
def test_standard_covered_call_charges_only_the_stock_when_paired(level):
    # long 100 at 52, short the 55 call at 2.50: Reg T initial 50% × 5,200 − 250 = 2,350;
    # maintenance 25% × 5,200 − 250 = 1,050 (proceeds applied, no requirement on the call)
    market = one_underlying_market(52, S={"kind": "stock"}, C=option("call", 55, mark=2.5))
    deposit = {"initial": "2350", "maintenance": "1050"}[level]
    params = build_params(market, model("standard"))
    # cash after buying the stock and selling the call is deposit − 5,200 + 250
    report = assess(account(Decimal(deposit) - 5200 + 250, {"S": 100, "C": -1}), params, level=level)
    assert report.excess == 0 and report.meets


def test_standard_pairs_only_what_is_held_when_legs_are_partly_covered():
    # 3 short calls, 1 long call: one vertical, two naked
    market = one_underlying_market(48, L=option("call", 50, mark=4.0), S=option("call", 45, mark=6.5))
    params = build_params(market, model("standard"))
    report = assess(account(0, {"L": 1, "S": -3}), params)
    naked = Decimal(960)  # 20% × 48 × 100: the 45 call is in the money
    assert report.pairing == (("vertical: +1 L, −1 S", Decimal(1)),)
    assert report.requirement == Decimal("250.00") + 2 * naked


def test_standard_covered_call_in_the_money_lends_on_market_value_at_initial_and_strike_at_maintenance():
    # long 100 at 52, short the 50 call at 4.50: Reg T 50% × 5,200 − 450 = $2,150 initial;
    # maintenance values the stock at the $50 strike: 5,200 − 450 − 75% × 5,000 = $1,000
    market = one_underlying_market(52, S={"kind": "stock"}, C=option("call", 50, mark=4.5))
    params = build_params(market, model("standard"))
    for level, deposit in (("initial", 2150), ("maintenance", 1000)):
        report = assess(account(Decimal(deposit) - 5200 + 450, {"S": 100, "C": -1}), params, level=level)
        assert report.excess == 0 and report.meets, level


def test_standard_long_butterfly_needs_only_its_net_debit_when_paired():
    # +1 45 C at 6.00, −2 50 C at 2.50, +1 55 C at 0.75: net debit $175, paid in full
    market = one_underlying_market(
        50, L=option("call", 45, mark=6.0), M=option("call", 50, mark=2.5), H=option("call", 55, mark=0.75)
    )
    report = cboe_excess(market, {"L": 1, "M": -2, "H": 1}, "0")  # cash after paying the debit
    assert report.requirement == Decimal("175.00") and report.excess == 0
    assert [name for name, _ in report.pairing] == ["long butterfly: +1 L, −2 M, +1 H"]


@pytest.mark.parametrize("level, deposit", [("maintenance", "1650"), ("initial", "2850")])
def test_standard_covered_put_charges_only_the_short_stock_when_the_put_is_out_of_the_money(level, deposit):
    # short 100 at 60, short the 55 put at 1.50 (out of the money): no requirement on the put,
    # its $150 proceeds applied; maintenance 30% × 6,000 = 1,800 − 150 = 1,650;
    # Reg T initial 50% × 6,000 = 3,000 − 150 = 2,850
    market = one_underlying_market(60, S={"kind": "stock"}, P=option("put", 55, mark=1.5))
    params = build_params(market, model("standard"))
    # cash after the short sale and the put sale is deposit + 6,000 + 150
    report = assess(account(Decimal(deposit) + 6000 + 150, {"S": -100, "P": -1}), params, level=level)
    assert report.excess == 0 and report.meets
    assert [name for name, _ in report.pairing] == ["covered put: −100 S, −1 P"]


def test_standard_covered_put_adds_the_in_the_money_amount_when_the_put_is_in_the_money():
    # short 100 at 50, short the 55 put at 6.00: 30% × 5,000 = 1,500 + (55 − 50) × 100 = 500,
    # less the $600 proceeds: 1,400 (naked: 1,500 + 20% × 5,000 = 2,500)
    market = one_underlying_market(50, S={"kind": "stock"}, P=option("put", 55, mark=6.0))
    report = cboe_excess(market, {"S": -100, "P": -1}, Decimal(1400) + 5000 + 600)
    assert report.excess == 0 and report.requirement == Decimal("1400.00")


@pytest.mark.parametrize("price, strike, mark, deposit", [
    # out of the money: min(10% × 45 + (50 − 45), 25% × 50) = 9.50 a share → 950 + the put's 100
    (50, 45, 1.0, "1050"),
    # in the money: min(10% × 45, 25% × 40) = 4.50 a share → 450 + the put's 550
    (40, 45, 5.5, "1000"),
])
def test_standard_protective_put_caps_the_stock_requirement_by_the_strike_when_paired(price, strike, mark, deposit):
    market = one_underlying_market(price, S={"kind": "stock"}, P=option("put", strike, mark=mark))
    params = build_params(market, model("standard"))
    # cash after buying the stock and the put is deposit − 100 × price − 100 × mark
    cash = Decimal(deposit) - 100 * Decimal(price) - 100 * Decimal(str(mark))
    report = assess(account(cash, {"S": 100, "P": 1}), params)
    assert report.excess == 0 and report.meets
    assert [name for name, _ in report.pairing] == ["protective put: +100 S, +1 P"]
    initial = assess(account(cash, {"S": 100, "P": 1}), params, level="initial")
    assert initial.requirement == 50 * price + 100 * Decimal(str(mark))  # Reg T: 50% + the put in full


def test_standard_short_butterfly_charges_the_short_spread_when_paired_as_two_verticals():
    # −1 45 C at 6.00, +2 50 C at 2.50, −1 55 C at 0.75: net credit 6.00 + 0.75 − 5.00 = 1.75;
    # Cboe: the short 45/50 spread's 500, long 50/55 spread paid, credit applied → 500 − 175 = 325
    market = one_underlying_market(
        50, L=option("call", 45, mark=6.0), M=option("call", 50, mark=2.5), H=option("call", 55, mark=0.75)
    )
    report = cboe_excess(market, {"L": -1, "M": 2, "H": -1}, Decimal(325) + 175)
    assert report.excess == 0 and report.requirement == Decimal("325.00")
    assert sorted(name for name, _ in report.pairing) == ["vertical: +1 M, −1 H", "vertical: +1 M, −1 L"]


def test_standard_pairs_whole_verticals_only_when_positions_have_fractions():
    # 2.5 long and short: two verticals ($250 each), the half of each leg at its naked rate:
    # the long 50 call paid in full (4.00 × 50 = 200), the short 45 call 20% × 48 × 50 = 480
    # (2.5 verticals in quantity units would be $625)
    market = one_underlying_market(
        48, market_fields={"quantity_decimals": 2}, L=option("call", 50, mark=4.0), S=option("call", 45, mark=6.5),
    )
    params = build_params(market, model("standard"))
    report = assess(account(0, {"L": Decimal("2.5"), "S": Decimal("-2.5")}), params)
    assert report.pairing == (("vertical: +1 L, −1 S", Decimal(2)),)
    assert report.requirement == 2 * Decimal(250) + Decimal(200) + Decimal(480)


def covered_legs(stock_mark: float | None):
    """A stock on U at 52 (marked at `stock_mark`, or at U's price without one), with a
    55 call and a 55 put on U."""
    stock = {"kind": "stock"} if stock_mark is None else {"kind": "stock", "mark": stock_mark}
    return one_underlying_market(52, S=stock, C=option("call", 55, mark=2.5), P=option("put", 55, mark=4.0))


def stock_templates(market) -> list[str]:
    params = build_params(market, model("standard"))
    return sorted(strategy.name.split(":")[0] for strategy in params.strategies if "S" in strategy.legs)


@pytest.mark.parametrize("stock_mark", [None, 52.0])
def test_standard_pairs_the_stock_with_its_options_when_it_is_priced_at_the_underlying(stock_mark):
    assert stock_templates(covered_legs(stock_mark)) == ["covered call", "covered put", "protective put"]


@pytest.mark.parametrize("stock_mark", [5.2, 51.99])
def test_standard_pairs_no_stock_with_the_options_when_it_is_marked_away_from_the_underlying(stock_mark):
    # a security listed on U at another price is not what U's options deliver
    assert stock_templates(covered_legs(stock_mark)) == []


def test_standard_charges_the_call_naked_and_the_stock_at_its_own_rate_when_the_stock_is_not_the_deliverable():
    # 100 shares at 5.20 on U at 52, short the 55 call at 2.50: 25% × 520 = 130 on the
    # stock; the call naked, max(20% × 52 − 3, 10% × 52) × 100 = 740
    report = assess(account(0, {"S": 100, "C": -1}), build_params(covered_legs(5.2), model("standard")))
    assert report.pairing == ()
    assert report.requirement == Decimal(130 + 740)
