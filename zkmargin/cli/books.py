"""Reading the trader's book for a command: the portfolio (with or without buckets) checked
against the params, and the market that prices it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import zkmargin as zm
from zkmargin.cli.common import blame


def load_book(path: Path, params: zm.RiskParams) -> zm.Portfolio | zm.BucketedPortfolio:
    """The portfolio, with or without isolated buckets, checked against the params' universe
    and fixed-point ranges (a bucket's error names the bucket)."""
    book = zm.BucketedPortfolio.load_any(path)
    if isinstance(book, zm.Portfolio):
        with blame(path):
            params.position_vector(book)
            params.cash_units(book)
        return book
    for index, (name, portfolio) in enumerate(zip(book.names, book.portfolios())):
        try:
            params.position_vector(portfolio)
            params.cash_units(portfolio)
        except zm.InputError as error:
            raise type(error)(f"{path}: buckets[{index}] ({name!r}): {error}") from None
    return book


def load_market_for(path: Path, books: Iterable[zm.Portfolio]) -> zm.Market:
    """The --market file, refused naming itself when it cannot price a position the books
    hold: the portfolio was already checked against the params, so the market is the odd one."""
    market = zm.Market.load(path)
    held = {name for book in books for name in book.positions}
    missing = sorted(held.difference(market.instruments))
    if missing:
        raise zm.InputError(
            f"{path}: lacks {', '.join(map(repr, missing[:3]))}{', …' if len(missing) > 3 else ''}, "
            "held in the portfolio; give the market.json the params were built from"
        )
    return market


def load_portfolio(path: Path, params: zm.RiskParams) -> zm.Portfolio:
    """A portfolio without buckets, for the commands that read one book."""
    book = load_book(path, params)
    if isinstance(book, zm.BucketedPortfolio):
        raise zm.InputError(
            f"{path}: has isolated buckets; this command reads one book (check and prove take buckets)"
        )
    return book
