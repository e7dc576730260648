"""The demo's world: the repository's example files, the listed products, the trader, the crash."""

from __future__ import annotations

import json
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import zkmargin as zm

REPO_ROOT = Path(__file__).resolve().parents[2]
MARKET_FILE = Path("examples") / "market.json"
MODEL_FILE = Path("circuits") / "portfolio_margin.toml"

CRASH_FACTOR = 0.8
"""Every underlying price is multiplied by this in the crash."""

DEMO_UNIVERSE = (
    "XYZ",
    "XYZ 2026-12-18 95 P",
    "XYZ 2026-12-18 100 C",
    "ES 2026-12-18",
    "MES 2026-12-18",
)
"""The venue's listed products in the demo: XYZ stock, two December options, S&P 500 futures.

A proof commits to every instrument of the universe and proves one inequality per
scenario, so a short list and the 10-point portfolio-margin grid keep each proof near a
second; the last step makes dozens of them."""

TRADER = "trader-7"
TRADER_CASH = Decimal("60000")
TRADER_POSITIONS = {"XYZ": 200, "XYZ 2026-12-18 100 C": -2, "ES 2026-12-18": 1}
"""A covered call (200 XYZ shares, 2 short calls) and one long E-mini S&P 500 future."""


class DemoFilesMissing(zm.InputError):
    """The demo runs from a checkout of the repository; its example files are not there."""


def locate_repo(root: Path | None = None) -> Path:
    """The directory holding examples/ and circuits/; `DemoFilesMissing` says where it looked."""
    root = REPO_ROOT if root is None else root
    needed = (root / MARKET_FILE, root / MODEL_FILE)
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise DemoFilesMissing(
            f"the demo needs the repository's example files, missing: {', '.join(missing)}; "
            "clone the zkmargin repository and run `python -m pip install -e .` inside it"
        )
    return root


def round_up(amount: Decimal, step: Decimal) -> Decimal:
    """`amount` rounded up to a multiple of `step` (deposits are round numbers)."""
    return (amount / step).to_integral_value(rounding=ROUND_CEILING) * step


def futures_settlement(before: zm.Market, after: zm.Market, portfolio: zm.Portfolio) -> Decimal:
    """Variation margin of the portfolio's futures between two markets (negative: owed)."""
    total = Decimal(0)
    for name, quantity in portfolio.positions.items():
        instrument = before.instruments[name]
        if instrument.kind != "future":
            continue
        move = Decimal(str(after.underlyings[instrument.underlying].price)) - Decimal(
            str(before.underlyings[instrument.underlying].price)
        )
        total += Decimal(quantity) * Decimal(str(instrument.multiplier)) * move
    return total.quantize(Decimal("0.01"))


def raise_claimed_threshold(proof: zm.MarginProof, threshold: Decimal) -> zm.MarginProof:
    """The same proof file with a larger threshold written into its statement (a forgery)."""
    data = json.loads(proof.to_json())
    data["statement"]["threshold"] = str(threshold)
    return zm.MarginProof.from_json(json.dumps(data))
