"""Params built from an imported SPAN file prove and verify; the grouped requirement holds."""

from decimal import Decimal
from pathlib import Path

import pytest

import zkmargin as zm

ROOT = Path(__file__).resolve().parents[2]


def test_imported_span_params_prove_long_sp_short_nq_only_when_both_legs_funded():
    arrays = zm.import_risk_file(ROOT / "examples" / "span_sp_nq.spn", "span-xml")
    params = zm.build_params(arrays, zm.MarginModel.load(ROOT / "circuits" / "span.toml"))
    book = zm.Portfolio.load(ROOT / "examples" / "portfolio_sp_nq.json")
    # the joint-scenario requirement was $2,000; with a group per combined commodity both
    # legs' worst cases count ($22,500 + $20,500), less the file's 50% SP/NQ spread credit
    # on the smaller ($10,250): a cent less than $32,750 cannot be proved
    assert params.group_credits[0].groups == ["SP", "NQ"]
    short = book.model_copy(update={"cash": Decimal("32749.99")})
    with pytest.raises(zm.InsufficientMargin):
        zm.prove(short, params)
    funded = book.model_copy(update={"cash": Decimal(32_750)})
    statement = zm.verify(zm.prove(funded, params), params)
    assert (statement.model, statement.account) == ("span", "sp-nq-spread")
