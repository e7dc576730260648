from __future__ import annotations

import json
from pathlib import Path

import pytest

from zkmargin.engine.market import Market
from zkmargin.engine.models import MarginModel
from zkmargin.engine.portfolio import Portfolio
from zkmargin.engine.risk_arrays import RiskArrays

CIRCUITS = Path(__file__).resolve().parents[2] / "circuits"
MODEL_NAMES = ["scenario", "span", "portfolio_margin", "standard", "crypto_pm", "expected_shortfall"]

# McMillan, Options as a Strategic Investment, ch. 34 (worked-examples.md §2): profit of
# one long contract per SPAN scenario, in the CME scenario order.
MCMILLAN_SCENARIOS = [
    "unchanged, vol up", "unchanged, vol down",
    "up 1/3, vol up", "up 1/3, vol down", "down 1/3, vol up", "down 1/3, vol down",
    "up 2/3, vol up", "up 2/3, vol down", "down 2/3, vol up", "down 2/3, vol down",
    "up 3/3, vol up", "up 3/3, vol down", "down 3/3, vol up", "down 3/3, vol down",
    "extreme up", "extreme down",
]
MCMILLAN_FUTURE = [0, 0, 3330, 3330, -3330, -3330, 6670, 6670, -6670, -6670,
                   10000, 10000, -10000, -10000, 7000, -7000]
MCMILLAN_CALL = [460, -610, 2640, 1730, -1270, -2340, 5210, 4540, -2540, -3430,
                 8060, 7640, -3380, -3990, 3130, -1500]


def model(name: str) -> MarginModel:
    return MarginModel.load(CIRCUITS / f"{name}.toml")


def account(cash, positions: dict) -> Portfolio:
    return Portfolio(account="test", cash=cash, positions=positions)


def mcmillan_arrays() -> RiskArrays:
    return RiskArrays.from_json(json.dumps({
        "currency": "USD",
        "scenarios": MCMILLAN_SCENARIOS,
        "instruments": {
            "SP DEC": {"mark": 0, "multiplier": 500, "pnl": MCMILLAN_FUTURE},
            "SP DEC 410 C": {"mark": 10, "multiplier": 500, "pnl": MCMILLAN_CALL},
        },
    }))


def one_underlying_market(
    price: float, asset_class: str = "equity", market_fields: dict | None = None,
    underlying_fields: dict | None = None, **instruments,
) -> Market:
    """A market with underlying "U" at `price`; `instruments` maps id → instrument fields."""
    return Market.from_json(json.dumps({
        "as_of": "2026-11-27",
        "currency": "USD",
        "rate": 0.0,
        **(market_fields or {}),
        "underlyings": {
            "U": {"price": price, "vol": 0.3, "asset_class": asset_class, **(underlying_fields or {})}
        },
        "instruments": {
            name: {"underlying": "U", **fields} for name, fields in instruments.items()
        },
    }))


def market_of(underlyings: dict[str, dict], instruments: dict[str, dict]) -> Market:
    """A market over `underlyings` (id → fields, vol 0.3 and equity unless given)."""
    return Market.from_json(json.dumps({
        "as_of": "2026-11-27",
        "currency": "USD",
        "rate": 0.0,
        "underlyings": {
            name: {"vol": 0.3, "asset_class": "equity", **fields} for name, fields in underlyings.items()
        },
        "instruments": instruments,
    }))


def option(right: str, strike: float, mark: float | None = None, expiry: str = "2026-12-18") -> dict:
    fields = {"kind": "option", "right": right, "strike": strike, "expiry": expiry, "multiplier": 100}
    if mark is not None:
        fields["mark"] = mark
    return fields


@pytest.fixture(scope="session")
def mcmillan():
    return mcmillan_arrays()
