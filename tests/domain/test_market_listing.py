"""Market.listing: a venue's smaller product list, as the demo and the walkthrough use it."""

from __future__ import annotations

from pathlib import Path

import pytest

import zkmargin as zm

MARKET = Path(__file__).resolve().parents[2] / "examples" / "market.json"


def test_listing_keeps_the_named_instruments_and_their_underlyings_when_given_a_subset() -> None:
    market = zm.Market.load(MARKET)
    listed = market.listing(["XYZ 2026-12-18 100 C", "ES 2026-12-18"])
    assert listed.instrument_ids() == ["ES 2026-12-18", "XYZ 2026-12-18 100 C"]
    assert listed.underlying_ids() == ["SPX", "XYZ"]
    assert listed.instruments["XYZ 2026-12-18 100 C"] == market.instruments["XYZ 2026-12-18 100 C"]
    assert listed.marks()["ES 2026-12-18"] == market.marks()["ES 2026-12-18"]


@pytest.mark.parametrize(("names", "complaint"), [(["XYZ", "NOPE"], "unknown instrument 'NOPE'"), ([], "at least one")])
def test_listing_raises_input_error_when_an_instrument_is_unknown_or_none_is_named(names: list[str], complaint: str) -> None:
    with pytest.raises(zm.InputError, match=complaint):
        zm.Market.load(MARKET).listing(names)


def test_listing_suggests_the_dated_name_when_given_a_future_root_symbol() -> None:
    with pytest.raises(zm.InputError, match=r"unknown instrument 'MES'; did you mean 'MES 2026-12-18'\?"):
        zm.Market.load(MARKET).listing(["MES"])
