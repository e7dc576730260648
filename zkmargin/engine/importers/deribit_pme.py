"""Deribit portfolio-margin simulation (`private/pme/simulate`) JSON → risk.json.

The fields read (the JSON-RPC response, or its `result` object alone):

    result.model_params.general.buckets_count       n: price buckets each side of unchanged
    result.model_params.general.vol_scenarios_count v: volatility scenarios per price bucket
    result.model_params.general.timestamp           ms since the epoch (optional: as_of)
    result.model_params.currency.<ccy>.pnl_offset   must be 0 (see below)
    result.initial_risk_vectors.<instrument>        {"standard": [(2n+1)·v], "extended": [e]}
    result.portfolio.position.<instrument>          the position the vectors were computed for
    result.index_price.<coin>_usd                   USD per coin
    result.ticker.<instrument>.mark_price           for the value of a non-future

`standard` runs over the spot × vol grid, price bucket by price bucket from the largest
fall to the largest rise (v vol scenarios each); `extended` is the table of far moves.
Unlike SPAN, the vectors are profit-positive, and they are the P&L of the HELD position, in
the settlement currency: the coin for inverse instruments (`BTC-PERPETUAL`,
`BTC-27DEC26-70000-C`), USDC/USDT for linear ones (`BTC_USDC-PERPETUAL`). So one long unit's
P&L in USD is vector / position × (index price for inverse, 1 for linear: a stablecoin is
taken at one dollar). A unit is one coin of size (Deribit sizes positions in the base
currency), so `quantity_decimals` is 4.

Groups: Deribit margins each currency's portfolio on its own, so every coin (the name's part
before "-" and "_") is a scenario group of (2n+1)·v + e scenarios named
"BTC price -4/4, vol 1/3" … "BTC extended 8/8", in which only that coin's instruments move.

Not reproduced, each never lowering the requirement: the extended dampener (it only shrinks
an extended loss; here the extended loss counts in full) and the delta/roll shocks and open
orders margin (add-ons of the account, not of the scenarios). `pnl_offset` shifts every
scenario of a currency; a non-zero one is refused rather than silently dropped.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.errors import InputError
from zkmargin.jsonio import read_json
from zkmargin.validation import named_kind, quote_key, validate

QUANTITY_DECIMALS = 4
POSITION_SIZES = (1e-9, 1e12)
"""The sizes a held position may have: divided by 1e308 the vectors round to a P&L of 0, an
instrument with no risk."""

VECTOR_FIELDS = ("standard", "extended")


class Reader:
    """Field access with the JSON path named in every error."""

    def __init__(self, what: str) -> None:
        self.what = what

    def fail(self, path: str, problem: str) -> InputError:
        return InputError(f"{self.what}: {path}: {problem}")

    def field(self, obj: dict, key: str, path: str) -> Any:
        if key not in obj:
            raise self.fail(f"{path}{member(key)}", "missing")
        return obj[key]

    def object(self, obj: dict, key: str, path: str) -> dict:
        value = self.field(obj, key, path)
        if not isinstance(value, dict):
            raise self.fail(f"{path}{member(key)}", f"expected an object, got {type(value).__name__}")
        return value

    def number(self, obj: dict, key: str, path: str) -> float:
        value = self.field(obj, key, path)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(f"{path}{member(key)}", f"expected a number, got {value!r}")
        return float(value)

    def count(self, obj: dict, key: str, path: str) -> int:
        value = self.field(obj, key, path)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
            raise self.fail(f"{path}{member(key)}", f"expected a whole number 1…100, got {value!r}")
        return value

    def vector(self, obj: dict, key: str, path: str, length: int | None) -> list[float]:
        value = self.field(obj, key, path)
        where = f"{path}{member(key)}"
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list of numbers, got {type(value).__name__}")
        if length is not None and len(value) != length:
            raise self.fail(where, f"has {len(value)} values, expected {length}")
        for index, entry in enumerate(value):
            if isinstance(entry, bool) or not isinstance(entry, (int, float)):
                raise self.fail(f"{where}[{index}]", f"expected a number, got {entry!r}")
        return [float(entry) for entry in value]


def member(key: str) -> str:
    return f".{key}" if key.isidentifier() else f"[{quote_key(key)}]"


def read_deribit_pme(path: str | os.PathLike) -> RiskArrays:
    """The risk arrays of a Deribit `private/pme/simulate` response, one group per coin."""
    what = str(path)
    data = read_json(Path(path), what)
    reader = Reader(what)
    if not isinstance(data, dict):
        raise InputError(f"{what}: expected a JSON object (the pme/simulate response)")
    if (kind := named_kind(data)) is not None:
        raise InputError(f"{what}: is {kind}, not a Deribit pme/simulate response")
    root = "result" if "result" in data else "(top level)"
    result = reader.object(data, "result", "") if "result" in data else data
    params = reader.object(result, "model_params", root)
    general = reader.object(params, "general", f"{root}.model_params")
    buckets = reader.count(general, "buckets_count", f"{root}.model_params.general")
    vols = reader.count(general, "vol_scenarios_count", f"{root}.model_params.general")
    for currency, settings in reader.object(params, "currency", f"{root}.model_params").items():
        path = f"{root}.model_params.currency{member(currency)}"
        if isinstance(settings, dict) and "pnl_offset" in settings:
            if reader.number(settings, "pnl_offset", path) != 0:
                raise reader.fail(f"{path}.pnl_offset", "a non-zero P&L offset is not supported "
                                  "(it shifts every scenario of the currency)")
    vectors = reader.object(result, "initial_risk_vectors", root)
    if not vectors:
        raise reader.fail(f"{root}.initial_risk_vectors", "no instruments")
    positions = reader.object(reader.object(result, "portfolio", root), "position", f"{root}.portfolio")
    index_prices = reader.object(result, "index_price", root)
    tickers = reader.object(result, "ticker", root)
    standard_length = (2 * buckets + 1) * vols
    extended_length: int | None = None
    rows: dict[str, tuple[str, list[float], float]] = {}
    for instrument, pair in vectors.items():
        path = f"{root}.initial_risk_vectors{member(instrument)}"
        if not isinstance(pair, dict):
            raise reader.fail(path, f"expected an object, got {type(pair).__name__}")
        unknown = next((key for key in pair if key not in VECTOR_FIELDS), None)
        if unknown is not None:
            raise reader.fail(f"{path}{member(unknown)}", "unknown field (expected standard and extended)")
        standard = reader.vector(pair, "standard", path, standard_length)
        extended = reader.vector(pair, "extended", path, extended_length)
        extended_length = len(extended)
        coin, linear, kind = describe(instrument, reader, path)
        position = reader.number(positions, instrument, f"{root}.portfolio.position")
        if position == 0:
            raise reader.fail(f"{root}.portfolio.position{member(instrument)}",
                              "is 0: the vectors are per position, so a unit's P&L cannot be derived")
        if not POSITION_SIZES[0] <= abs(position) <= POSITION_SIZES[1]:
            raise reader.fail(f"{root}.portfolio.position{member(instrument)}",
                              f"{position:g} is outside {POSITION_SIZES[0]:g}…{POSITION_SIZES[1]:g}: a unit's P&L "
                              "(the vectors divided by it) would vanish or overflow")
        to_usd = 1.0 if linear else reader.number(index_prices, f"{coin.lower()}_usd", f"{root}.index_price")
        if to_usd <= 0:
            raise reader.fail(f"{root}.index_price.{coin.lower()}_usd", f"must be > 0, got {to_usd:g}")
        unit = [value / position * to_usd for value in standard + extended]
        check_direction(reader, path, kind, unit, standard_length - vols)
        value = 0.0
        if kind != "future":
            ticker = reader.object(tickers, instrument, f"{root}.ticker")
            mark = reader.number(ticker, "mark_price", f"{root}.ticker{member(instrument)}")
            if mark < 0:
                raise reader.fail(f"{root}.ticker{member(instrument)}.mark_price", f"must be ≥ 0, got {mark:g}")
            value = mark * to_usd
        rows[instrument] = (coin, unit, value)
    return layout(rows, buckets, vols, extended_length or 0, general, reader, root)


def describe(instrument: str, reader: Reader, path: str) -> tuple[str, bool, str]:
    """(coin, linear?, kind) from a Deribit instrument name."""
    parts = instrument.split("-")
    coin, _, quote = parts[0].partition("_")
    if not coin.isalnum() or not coin.isupper():
        raise reader.fail(path, f"cannot tell the currency of instrument {instrument!r}")
    if len(parts) == 4 and parts[3] in ("C", "P"):
        kind = "call" if parts[3] == "C" else "put"
    elif len(parts) == 2:
        kind = "future"
    elif len(parts) == 1 and quote:
        kind = "spot"
    else:
        raise reader.fail(path, f"unknown instrument kind of {instrument!r}")
    return coin, bool(quote), kind


def check_direction(reader: Reader, path: str, kind: str, unit: list[float], last_bucket: int) -> None:
    # One long future, spot coin or call gains more when the price rises to its top bucket
    # than when it falls to the bottom one (same vol scenario); a long put the other way.
    # Vectors that say otherwise were negated (loss-positive) or belong to another position.
    fall, rise = unit[0], unit[last_bucket]
    wrong = fall > rise if kind != "put" else rise > fall
    if wrong:
        raise reader.fail(f"{path}.standard", f"one long {kind} would make {max(fall, rise):g} USD where "
                          "it should lose: the vector's sign does not match the position (Deribit "
                          "vectors are profit-positive)")


def layout(rows: dict[str, tuple[str, list[float], float]], buckets: int, vols: int, extended: int,
           general: dict, reader: Reader, root: str) -> RiskArrays:
    """One block of scenarios per coin; other coins' instruments carry 0 there."""
    coins = sorted({coin for coin, _, _ in rows.values()})
    names = [f"price {b - buckets:+d}/{buckets}, vol {v + 1}/{vols}"
             for b in range(2 * buckets + 1) for v in range(vols)]
    names += [f"extended {k + 1}/{extended}" for k in range(extended)]
    width = len(names)
    instruments = {}
    for instrument, (coin, unit, value) in rows.items():
        pnl = [0.0] * (width * len(coins))
        block = coins.index(coin)
        pnl[block * width:(block + 1) * width] = unit
        instruments[instrument] = {"mark": value, "multiplier": 1.0, "pnl": pnl}
    as_of = None
    if "timestamp" in general:
        stamp = reader.number(general, "timestamp", f"{root}.model_params.general")
        try:
            as_of = datetime.fromtimestamp(stamp / 1000, tz=timezone.utc).date().isoformat()
        except (OverflowError, OSError, ValueError):
            raise reader.fail(f"{root}.model_params.general.timestamp", f"{stamp:g} is not a time") from None
    return validate(RiskArrays, {
        "currency": "USD",
        "scenarios": [f"{coin} {name}" for coin in coins for name in names],
        "scenario_groups": [coin for coin in coins for _ in names],
        "instruments": instruments,
        "quantity_decimals": QUANTITY_DECIMALS,
        "as_of": as_of,
    }, reader.what)
