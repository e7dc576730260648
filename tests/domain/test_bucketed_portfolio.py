"""portfolio.json with `buckets`: as strict as a plain portfolio, and isolated by construction."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from zkmargin.engine.bucket_count import MAX_BUCKETS
from zkmargin.engine.buckets import BucketedPortfolio
from zkmargin.engine.portfolio import Portfolio
from zkmargin.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def bucket(name, cash=100, **positions):
    return {"name": name, "cash": cash, "positions": positions or {"XYZ": 1}}


def text(*buckets, **top):
    return json.dumps({"account": "alice", "buckets": list(buckets), **top})


def test_bucketed_portfolio_reads_each_bucket_as_a_portfolio_when_valid():
    book = BucketedPortfolio.from_json(
        '{"account": "alice", "buckets": [{"name": "a", "cash": 0.10, "positions": {"XYZ": 1.5}},'
        ' {"name": "b", "cash": -20, "positions": {"ES 2026-12-18": -1}}]}'
    )
    assert book.names == ["a", "b"]
    first, second = book.portfolios()
    assert first == Portfolio(account="alice", cash=Decimal("0.10"), positions={"XYZ": Decimal("1.5")})
    assert (second.account, second.cash, second.positions) == ("alice", Decimal(-20), {"ES 2026-12-18": Decimal(-1)})


@pytest.mark.parametrize("document, reason", [
    (text(), "buckets: List should have at least 1 item"),
    (text(bucket("a"), bucket("a", SPX=1)), "two buckets are named 'a'"),
    (text(bucket("a", XYZ=1), bucket("b", XYZ=-1)), 'instrument "XYZ" is in buckets \'a\' and \'b\''),
    (json.dumps({"account": "alice", "buckets": [{"name": "a", "cash": 5, "positions": {}}]}),
     "bucket 'a' holds no positions"),
    (json.dumps({"account": "alice", "buckets": [{"name": "a", "positions": {"XYZ": 1}}]}), r"buckets\[0\].cash: Field required"),
    (json.dumps({"account": "alice", "buckets": [{**bucket("a"), "margin": "isolated"}]}),
     r"buckets\[0\].margin: Extra inputs are not permitted"),
    (text(bucket("a"), cash=100), "cash: Extra inputs are not permitted"),
    (text(bucket("")), r"buckets\[0\].name"),
    (text(bucket("a", cash="100")), r"buckets\[0\].cash"),
    (text(*[bucket(f"b{i}", **{f"I{i}": 1}) for i in range(MAX_BUCKETS + 1)]), "at most 64 items"),
    ('{"account": "alice", "buckets": [{"name": "a", "name": "b", "cash": 1, "positions": {"XYZ": 1}}]}',
     "duplicate key 'name'"),
])
def test_bucketed_portfolio_refuses_with_the_field_named_when_the_file_is_wrong(document, reason):
    with pytest.raises(InputError, match=reason):
        BucketedPortfolio.from_json(document)


def test_load_any_reads_plain_and_bucketed_files_when_either_is_given(tmp_path):
    plain = BucketedPortfolio.load_any(ROOT / "examples" / "portfolio.json")
    assert type(plain) is Portfolio and plain.cash == Decimal("1000.00")
    buckets = BucketedPortfolio.load_any(ROOT / "examples" / "portfolio_buckets.json")
    assert type(buckets) is BucketedPortfolio and buckets.names == ["equities", "index", "crude"]
    path = tmp_path / "p.json"
    path.write_text(text(bucket("a", XYZ=1), bucket("b", XYZ=2)))
    with pytest.raises(InputError, match=f"{path}: buckets: instrument"):
        BucketedPortfolio.load_any(path)
    path.write_text('{"account": "alice", "cash": 1, "positions": {}, "bucket": []}')
    with pytest.raises(InputError, match="bucket: Extra inputs are not permitted"):
        BucketedPortfolio.load_any(path)


def test_merged_adds_the_cash_and_keeps_every_position_when_cross_margined():
    book = BucketedPortfolio.from_json(text(bucket("a", cash=-10.5, XYZ=2), bucket("b", cash=30, SPX=-1, ES=3)))
    assert book.merged() == Portfolio(
        account="alice", cash=Decimal("19.5"), positions={"XYZ": Decimal(2), "SPX": Decimal(-1), "ES": Decimal(3)})
