"""The requirement as terms: exact addends, the level factor, rounding, and new terms plugging in."""

from decimal import Decimal
from fractions import Fraction

from tests.models.conftest import account
from tests.models.test_params import fields
from zkmargin.engine import breakdown
from zkmargin.engine.assess import assess
from zkmargin.engine.params import RiskParams


def test_report_terms_add_up_to_requirement_when_level_factor_leaves_a_fraction_of_a_cent():
    params = RiskParams(**fields(levels={"maintenance": "1", "initial": "1.15"}))
    report = assess(account(100, {"A": -3}), params, level="initial")
    # worst loss 30 cents, add-on 3 × 5 cents, level 0.15 × 45 = 6.75 cents, rounded up to 52
    assert [(t.kind, t.amount) for t in report.terms] == [
        ("scenario_group", Decimal("0.30")), ("addon", Decimal("0.15")),
        ("level", Decimal("0.0675")), ("rounding", Decimal("0.0025")),
    ]
    assert sum(t.amount for t in report.terms) == report.requirement == Decimal("0.52")
    assert report.terms[0].scenario == "up" and report.terms[1].instrument == "A"


def test_report_terms_carry_expected_shortfall_over_thirds_when_not_a_decimal():
    params = RiskParams(**fields(
        scenarios=["a", "b", "c"], pnl=[[-1, -2, -4], [0, 0, 0]], addon_short=[0, 0],
        floors=[], aggregation="expected_shortfall", es_confidence="0.5"))
    report = assess(account(0, {"A": 1}), params)
    # losses 1, 2, 4; N(1 − α) = 1.5, t = the 2nd largest = 2: ES = 2 + (4 − 2)/1.5 = 10/3 cents
    assert report.terms[0].exact == Fraction(10, 3)
    assert report.terms[0].amount == Decimal("0.033333333333333333")
    assert sum(t.amount for t in report.terms) == report.requirement == Decimal("0.04")


def test_requirement_includes_a_new_part_when_appended_to_parts(monkeypatch):
    params = RiskParams(**fields())
    book = account(100, {"A": -3})
    before = assess(book, params)

    def credit(book):
        return [breakdown.term(book, "credit", "pairing", -10)]

    monkeypatch.setattr(breakdown, "PARTS", (*breakdown.PARTS, credit))
    after = assess(book, params)
    assert after.required_fine == before.required_fine - 10
    assert ("credit", Decimal("-0.10")) in [(t.kind, t.amount) for t in after.terms]
    assert sum(t.amount for t in after.terms) == after.requirement
