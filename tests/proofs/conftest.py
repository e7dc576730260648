import json
from decimal import Decimal
from pathlib import Path

import pytest

from zkmargin.jsonio import dumps
from zkmargin.engine.models import MarginModel
from zkmargin.engine.params import build_params
from zkmargin.engine.portfolio import Portfolio
from zkmargin.engine.risk_arrays import RiskArrays

ROOT = Path(__file__).resolve().parents[2]

SMALL_RISK = {
    "currency": "USD",
    "scenarios": ["up", "down", "crash", "rally"],
    "instruments": {
        "FUT": {"mark": 0, "multiplier": 1, "pnl": [1_000.0, -1_000.0, -3_000.0, 2_500.0]},
        "CALL": {"mark": 12.5, "multiplier": 100, "pnl": [600.0, -400.0, -1_000.0, 1_900.0]},
    },
}


def small_params(**changes):
    risk = json.loads(json.dumps(SMALL_RISK))
    for instrument, pnl in changes.items():
        risk["instruments"][instrument]["pnl"] = pnl
    return build_params(RiskArrays.from_json(json.dumps(risk)), MarginModel.load(ROOT / "circuits" / "scenario.toml"))


def portfolio(cash, account="alice", **positions):
    return Portfolio.from_json(dumps({"account": account, "cash": Decimal(str(cash)), "positions": positions}))


@pytest.fixture(scope="session")
def params():
    return small_params()


def forge_proof(monkeypatch, make, tamper=None):
    """The proof `make()` returns with the prover's own satisfiability checks switched off
    and the honest witness changed by `tamper(circuit, values)`: what a cheating prover
    could send."""
    from zkmargin.hazmat import range_proof as range_proof_module
    from zkmargin.proofs import prover as prover_module

    honest_assign = prover_module.assign

    def lying_assign(circuit, params, portfolio, level):
        values = honest_assign(circuit, params, portfolio, level)
        if tamper is not None:
            tamper(circuit, values)
        return values

    with monkeypatch.context() as patched:
        patched.setattr(prover_module, "assign", lying_assign)
        patched.setattr(prover_module, "_require_satisfied", lambda *args: None)
        patched.setattr(range_proof_module, "_check_witness", lambda *args: None)
        return make()
