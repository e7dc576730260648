"""portfolio.json: the trader's secret — collateral and positions.

    {"account": "alice", "cash": 1000.00, "positions": {"XYZ 2026-12-18 80 P": -1}}

`cash` is the collateral in the market's currency (negative for a debit balance); a
quantity is the number of whole units held (negative = short, zero allowed, fractional when
the market's `quantity_decimals` allows it). Both are kept as exact `Decimal`s read from the
JSON digits, never via a float, so `0.1` BTC is exactly one tenth when it becomes an integer.

In Python, build one with keywords: `Portfolio(account="alice", cash=1000,
positions={"XYZ": 100})`; ints, Decimals and floats (through `repr`) are accepted and kept
exact; strings ("1000") and booleans are refused, as in the file, with the same one-line
`InputError` (`Portfolio: cash: expected a number (got '1000')`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pydantic import Field

from zkmargin.errors import UnknownInstrument
from zkmargin.formats import ExactDecimal, JsonFile, Label, StrictModel
from zkmargin.validation import did_you_mean, quote_key
from zkmargin.units import to_fixed


class Portfolio(StrictModel, JsonFile):
    """portfolio.json: an account's collateral (`cash`) and positions (instrument → quantity).

    `load`, `from_json`, `to_json`, `save` and `json_schema` come from `JsonFile`: numbers are
    read and written digit for digit, and a new file is readable by its owner only.
    """

    json_what = "portfolio JSON"
    json_exact = True
    json_private = True
    json_dump = {}

    account: Label = Field(description="Account label shown to the venue.")
    cash: ExactDecimal = Field(description="Collateral in currency units; negative = debit.")
    positions: dict[Label, ExactDecimal] = Field(
        default_factory=dict, description="Instrument -> quantity in whole units (short < 0)."
    )

    def check_universe(self, instrument_ids: Sequence[str]) -> None:
        """`UnknownInstrument` naming the first position outside `instrument_ids`."""
        universe = set(instrument_ids)
        for instrument_id in self.positions:
            if instrument_id not in universe:
                raise UnknownInstrument(
                    f"positions[{quote_key(instrument_id)}]: unknown instrument {instrument_id!r} "
                    f"(not in the market / risk parameters){did_you_mean(instrument_id, instrument_ids)}"
                )

    def quantity_vector(
        self, instrument_ids: Sequence[str], quantity_scale: int, bits: int = 63
    ) -> list[int]:
        """Quantities in quantity units (whole units × `quantity_scale`) over `instrument_ids`.

        Instruments without a position get 0. A position outside the universe is
        `UnknownInstrument`; one that is not a multiple of 1/quantity_scale is an
        `InputError`; one outside [−2^bits, 2^bits) is `FixedPointOverflow`.
        """
        self.check_universe(instrument_ids)
        return [
            to_fixed(
                self.positions.get(instrument_id, Decimal(0)),
                quantity_scale,
                rounding="exact",
                bits=bits,
                what=f"positions[{quote_key(instrument_id)}]",
            )
            for instrument_id in instrument_ids
        ]

    def cash_fixed(self, money_scale: int, bits: int = 63) -> int:
        """Cash in money units, rounded down (the account is never credited a fraction more)."""
        return to_fixed(self.cash, money_scale, rounding="down", bits=bits, what="cash")
