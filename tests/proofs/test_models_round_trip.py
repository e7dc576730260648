"""Every margin model of circuits/ proves and verifies on the example books."""

from decimal import Decimal
from pathlib import Path

import pytest

import zkmargin as zm
from zkmargin.hazmat import groups

ROOT = Path(__file__).resolve().parents[2]


def load_params(market: str, model: str) -> zm.RiskParams:
    source = (zm.RiskArrays if market.startswith("risk") else zm.Market).load(ROOT / "examples" / market)
    return zm.build_params(source, zm.MarginModel.load(ROOT / "circuits" / f"{model}.toml"))


def funded(portfolio: zm.Portfolio, params: zm.RiskParams, level: str) -> zm.Portfolio:
    """The book with just enough cash to meet `level` (one cent less would fail)."""
    report = zm.assess(portfolio, params, level=level)
    return portfolio.model_copy(update={"cash": portfolio.cash - report.excess})


CASES = [
    ("market.json", "scenario", "portfolio_covered_call.json"),
    ("market.json", "span", "portfolio_hedged.json"),
    ("market.json", "portfolio_margin", "portfolio_short_strangle.json"),
    ("market.json", "standard", "portfolio_covered_call.json"),
    ("market_crypto.json", "crypto_pm", "portfolio_crypto.json"),
    ("risk_spx.json", "expected_shortfall", None),
    ("risk_spx.json", "scenario", None),
]


@pytest.mark.parametrize("market, model, book", CASES)
@pytest.mark.parametrize("level", ["maintenance", "initial"])
def test_models_prove_and_verify_when_book_is_exactly_funded(market, model, book, level):
    params = load_params(market, model)
    if book is None:  # risk arrays: long 1 future, short 1 call (McMillan's covered write)
        positions = dict(zip(params.instruments, [-1, 1]))
        portfolio = zm.Portfolio(account="mcmillan", cash=0, positions=positions)
    else:
        portfolio = zm.Portfolio.load(ROOT / "examples" / book)
    portfolio = funded(portfolio, params, level)
    assert zm.assess(portfolio, params, level=level).excess == 0
    statement = zm.verify(zm.prove(portfolio, params, level=level), params)
    assert (statement.model, statement.level) == (params.model, level)
    short = portfolio.model_copy(update={"cash": portfolio.cash - Decimal("0.01")})
    with pytest.raises(zm.InsufficientMargin):
        zm.prove(short, params, level=level)


def spx_long_one():
    """A one-position book over the McMillan risk arrays, funded exactly."""
    params = load_params("risk_spx.json", "scenario")
    portfolio = funded(zm.Portfolio(account="x", cash=0, positions={params.instruments[1]: 1}), params, "maintenance")
    return params, portfolio


def test_proof_verifies_across_backends_when_made_with_arkworks_and_checked_with_py_ecc():
    params, portfolio = spx_long_one()
    with groups.using("arkworks"):
        proof = zm.prove(portfolio, params)
    with groups.using("py_ecc"):
        assert zm.verify(zm.MarginProof.from_json(proof.to_json()), params).account == "x"
        tampered = proof.model_copy(update={"statement": proof.statement.model_copy(update={"account": "y"})})
        with pytest.raises(zm.InvalidProof):
            zm.verify(tampered, params)


def test_proof_verifies_across_backends_when_made_with_py_ecc_and_checked_with_arkworks():
    params, portfolio = spx_long_one()
    with groups.using("py_ecc"):
        proof = zm.prove(portfolio, params)
    with groups.using("arkworks"):
        assert zm.verify(proof, params).account == "x"
