"""A portfolio split into isolated margin buckets: each its own positions and cash.

    {"account": "alice",
     "buckets": [{"name": "cross",   "cash": 25000, "positions": {"XYZ": 100, "XYZ 2026-12-18 80 P": -2}},
                 {"name": "eth-iso", "cash": 4000,  "positions": {"ETH-PERP": 3}}]}

Every bucket must meet its own requirement with its own cash: a bucket's excess never
covers another's shortfall (isolated margin). Cross margin is one bucket — a plain
portfolio.json. The file is as strict as portfolio.json (unknown keys, exact numbers,
labels) and also refuses: no bucket, more than `MAX_BUCKETS`, two buckets of one name, a
bucket without positions (its cash belongs in another bucket), and an instrument held in
two buckets (an instrument is isolated in one bucket or it is not isolated).
"""

from __future__ import annotations

import os
from typing import Annotated

import pydantic
from pydantic import Field

from zkmargin.engine.bucket_count import MAX_BUCKETS, padded_count
from zkmargin.engine.portfolio import Portfolio
from zkmargin.formats import ExactDecimal, JsonFile, Label, StrictModel
from zkmargin.jsonio import path_argument, read_json
from zkmargin.validation import quote_key, validate


class Bucket(StrictModel):
    """One isolated bucket: a name, its cash (collateral, currency units) and its positions."""

    name: Label = Field(description="Bucket name, unique in the file (never shown to the venue).")
    cash: ExactDecimal = Field(description="Collateral of this bucket in currency units; negative = debit.")
    positions: dict[Label, ExactDecimal] = Field(
        description="Instrument -> quantity in whole units (short < 0); at least one."
    )


class BucketedPortfolio(StrictModel, JsonFile):
    """portfolio.json with `buckets`: one account's isolated margin buckets.

    `load`, `from_json`, `to_json`, `save` come from `JsonFile`, read digit for digit like
    `Portfolio`. `portfolios()` gives each bucket as a `Portfolio` of the account, in order.
    """

    json_what = "portfolio JSON"
    json_exact = True
    json_private = True
    json_dump = {}

    account: Label = Field(description="Account label shown to the venue.")
    buckets: Annotated[list[Bucket], Field(min_length=1, max_length=MAX_BUCKETS)] = Field(
        description=f"Isolated buckets, 1 to {MAX_BUCKETS}; cross margin is one bucket."
    )

    @pydantic.model_validator(mode="after")
    def _isolated(self) -> "BucketedPortfolio":
        held: dict[str, str] = {}
        for bucket in self.buckets:
            if not bucket.positions:
                raise ValueError(f"buckets: bucket {bucket.name!r} holds no positions; put its cash in another bucket")
            if any(other.name == bucket.name for other in self.buckets if other is not bucket):
                raise ValueError(f"buckets: two buckets are named {bucket.name!r}")
            for instrument in bucket.positions:
                if instrument in held:
                    raise ValueError(
                        f"buckets: instrument {quote_key(instrument)} is in buckets {held[instrument]!r} and "
                        f"{bucket.name!r}; an isolated position belongs to one bucket"
                    )
                held[instrument] = bucket.name
        return self

    @property
    def names(self) -> list[str]:
        return [bucket.name for bucket in self.buckets]

    def shown_count(self, pad_to: int | None = None) -> int:
        """The bucket count a proof of this portfolio shows the verifier (`padded_count`)."""
        return padded_count(len(self.buckets), pad_to)

    def portfolios(self) -> list[Portfolio]:
        """Each bucket as a `Portfolio` of this account (cash and positions as given)."""
        return [
            Portfolio(account=self.account, cash=bucket.cash, positions=dict(bucket.positions))
            for bucket in self.buckets
        ]

    def merged(self) -> Portfolio:
        """The same book cross-margined: one portfolio with all the cash and every position."""
        positions = {name: q for bucket in self.buckets for name, q in bucket.positions.items()}
        return Portfolio(account=self.account, cash=sum(b.cash for b in self.buckets), positions=positions)

    @classmethod
    def load_any(cls, path: str | os.PathLike) -> "Portfolio | BucketedPortfolio":
        """The portfolio file at `path`: a `BucketedPortfolio` when it has `buckets`, else a `Portfolio`."""
        data = read_json(path_argument(path, "BucketedPortfolio.load_any", "BucketedPortfolio.from_json"), exact=True)
        return validate(cls if isinstance(data, dict) and "buckets" in data else Portfolio, data, str(path))
