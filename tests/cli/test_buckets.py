"""`check`, `prove`, `verify` and `verify-batch` with a portfolio of isolated buckets.

Under the shared portfolio-margin params, XYZ ×100 needs 1,425.00 (worth 9,500.00), the
short XYZ call 883.23 (owing 105.00) and the MES future 2,400.00. BUCKETS funds each
bucket on its own (excess 75.00, 11.77 and 0.00); SPLIT_SHORT holds the same total cash,
−4,600, which meets the whole book cross-margined, but leaves the stock bucket 25.00 short.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pytest

import zkmargin as zm
from tests.cli.conftest import write_portfolio


def buckets(stock_cash: int, call_cash: int, mes_cash: int) -> dict:
    return {"account": "alice", "buckets": [
        {"name": "stock", "cash": stock_cash, "positions": {"XYZ": 100}},
        {"name": "call", "cash": call_cash, "positions": {"XYZ 2026-12-18 100 C": -1}},
        {"name": "mes", "cash": mes_cash, "positions": {"MES 2026-12-18": 1}},
    ]}


BUCKETS = buckets(-8000, 1000, 2400)
SPLIT_SHORT = buckets(-8100, 1000, 2500)


@pytest.fixture(scope="module")
def bucket_proof(shared, tmp_path_factory):
    """BUCKETS proved once (padded to 4) against the shared signed params."""
    root = tmp_path_factory.mktemp("buckets")
    (root / "buckets.json").write_text(json.dumps(BUCKETS))
    params = zm.RiskParams.load(shared / "params.json")
    zm.prove(zm.BucketedPortfolio.load(root / "buckets.json"), params).save(root / "buckets.proof.json")
    return root


@pytest.fixture
def here(workdir, bucket_proof):
    for path in bucket_proof.iterdir():
        shutil.copy(path, workdir / path.name)
    (workdir / "split.json").write_text(json.dumps(SPLIT_SHORT))
    return workdir


def test_check_reports_each_buckets_requirement_equity_and_excess_when_all_meet(invoke, here):
    result = invoke("check", "--params", "params.json", "--portfolio", "buckets.json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("account alice: 3 isolated buckets, each must meet its own requirement with "
                        "its own cash (a proof shows 4)")
    assert lines[2].split() == ["stock", "1,500.00", "1,425.00", "75.00", "meets"]
    assert lines[3].split() == ["call", "895.00", "883.23", "11.77", "meets"]
    assert lines[4].split() == ["mes", "2,400.00", "2,400.00", "0.00", "meets"]
    assert [line for line in lines if line.startswith("── bucket")] == [
        "── bucket stock ──", "── bucket call ──", "── bucket mes ──"]
    assert lines[-1] == "ALL 3 buckets MEET their requirements."


def test_check_exits_1_naming_the_short_bucket_when_the_same_cash_would_pass_cross_margined(invoke, here):
    cross = {"XYZ": 100, "XYZ 2026-12-18 100 C": -1, "MES 2026-12-18": 1}
    write_portfolio(here / "cross.json", "alice", -4600, cross)
    assert invoke("check", "--params", "params.json", "--portfolio", "cross.json").exit_code == 0
    result = invoke("check", "--params", "params.json", "--portfolio", "split.json")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[2].split() == ["stock", "1,400.00", "1,425.00", "-25.00", "SHORT", "by", "25.00"]
    assert result.stdout.splitlines()[5] == (
        "cross-margined, the same book needs 3,720.33 USD against equity 4,795.00 USD: excess 1,074.67 USD, "
        "would meet (information only: the buckets are isolated)")
    assert result.stdout.splitlines()[-1] == (
        "SHORT by 25.00 USD in all: stock 25.00 USD — deposit into each short bucket "
        "(another bucket's excess does not count).")


def test_check_json_lists_every_bucket_report_when_asked(invoke, here):
    result = invoke("check", "--params", "params.json", "--portfolio", "split.json", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert list(document) == ["account", "model", "level", "currency", "params_digest", "meets",
                              "shortfall", "buckets_shown", "cross", "buckets"]
    cross = document["cross"]
    assert [Decimal(cross[name]) for name in ("equity", "requirement", "excess")] == [4795, Decimal("3720.33"), Decimal("1074.67")]
    assert cross["meets"] is True
    assert (document["meets"], Decimal(document["shortfall"]), document["buckets_shown"]) == (False, 25, 4)
    params = zm.RiskParams.load("params.json")
    reports = [zm.assess(p, params) for p in zm.BucketedPortfolio.load("split.json").portfolios()]
    assert [(r.equity, r.requirement, r.excess, r.meets) for r in reports] == [
        (Decimal("1400.00"), Decimal("1425.00"), -25, False), (Decimal("895.00"), Decimal("883.23"), Decimal("11.77"), True),
        (Decimal("2500.00"), Decimal("2400.00"), 100, True)]
    rows = [(b["bucket"], b["equity"], b["requirement"], b["excess"], b["meets"], b["binding"]) for b in document["buckets"]]
    assert rows == [(name, str(r.equity), str(r.requirement), str(r.excess), r.meets, r.binding)
                    for name, r in zip(["stock", "call", "mes"], reports)]


@pytest.mark.parametrize("change, message", [
    (lambda d: d["buckets"][1]["positions"].update({"XYZ": 1}), "instrument \"XYZ\" is in buckets 'stock' and 'call'"),
    (lambda d: d["buckets"][2]["positions"].update({"ZZZ": 1}), "buckets[2] ('mes'): positions[\"ZZZ\"]: unknown instrument"),
    (lambda d: d["buckets"][1].update({"name": "stock"}), "two buckets are named 'stock'"),
    (lambda d: d["buckets"][0].update({"positions": {}}), "bucket 'stock' holds no positions"),
])
def test_check_exits_2_with_one_line_when_the_bucket_file_is_wrong(invoke, here, change, message):
    data = json.loads(json.dumps(BUCKETS))
    change(data)
    (here / "bad.json").write_text(json.dumps(data))
    result = invoke("check", "--params", "params.json", "--portfolio", "bad.json")
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.splitlines()) == 1


def test_check_exits_2_when_what_if_is_asked_of_buckets(invoke, here):
    result = invoke("check", "--params", "params.json", "--portfolio", "buckets.json", "--what-if", "deposit 5")
    assert result.exit_code == 2
    assert "--what-if takes a portfolio without buckets" in result.stderr


@pytest.mark.parametrize("command", [
    ("account", "open", "--params", "params.json", "--portfolio", "buckets.json", "-o", "a.json", "--openings", "o.json"),
    ("attest", "--key", "c.key.json", "--params", "params.json", "--portfolio", "buckets.json", "--sequence", "1",
     "-o", "a.json", "--openings", "o.json"),
], ids=["account open", "attest"])
def test_one_book_commands_exit_2_when_given_a_portfolio_with_buckets(invoke, here, command):
    invoke("keys", "new", "--issuer", "custodian-c", "--role", "custody", "-o", "c.key.json", "--public", "c.pub.json")
    result = invoke(*command)
    assert result.exit_code == 2
    assert "has isolated buckets; this command reads one book" in result.stderr
    assert not (here / "a.json").exists()


def test_prove_writes_a_padded_bucket_proof_that_verify_states_when_buckets_meet(invoke, here):
    result = invoke("prove", "--params", "params.json", "--portfolio", "buckets.json", "-o", "p.json",
                    "--pad-buckets", "8", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["buckets"] == 8
    verified = invoke("verify", "--params", "params.json", "p.json")
    assert verified.exit_code == 0, verified.output
    assert "meets the maintenance requirement of portfolio_margin in each of 8 isolated buckets" in verified.stdout
    as_json = json.loads(invoke("verify", "--params", "params.json", "p.json", "--json").stdout)
    assert as_json["buckets"] == 8


def test_prove_text_says_how_many_buckets_the_venue_sees_when_not_padded_further(invoke, here):
    result = invoke("prove", "--params", "params.json", "--portfolio", "buckets.json", "-o", "p.json")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(
        "; 3 isolated buckets, each meeting its own requirement (the venue sees 4)")


def test_prove_exits_1_naming_the_short_bucket_and_writes_nothing_when_one_bucket_is_short(invoke, here):
    result = invoke("prove", "--params", "params.json", "--portfolio", "split.json", "-o", "p.json")
    assert result.exit_code == 1
    assert "is short by 25.00 USD in all (bucket 'stock': account 'alice' is short by 25.00 USD" in result.stderr
    assert not (here / "p.json").exists()


def test_prove_exits_2_when_buckets_do_not_add_up_to_the_pinned_account(invoke, here):
    # alice's account file pins another book than buckets.json splits
    result = invoke("prove", "--params", "params.json", "--portfolio", "buckets.json", "-o", "p.json",
                    "--openings", "alice.openings.json", "--commitments", "alice.account.json")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "the buckets' cash c does not open the pinned commitments" in result.stderr
    alone = invoke("prove", "--params", "params.json", "--portfolio", "buckets.json", "-o", "p.json",
                   "--commitments", "alice.account.json")
    assert alone.exit_code == 2 and "--commitments goes with --portfolio and its --openings" in alone.stderr


def test_verify_exits_1_when_a_bucket_proof_does_not_add_up_to_the_pinned_commitments(invoke, here):
    result = invoke("verify", "--params", "params.json", "--commitments", "alice.account.json", "buckets.proof.json")
    assert result.exit_code == 1
    assert "the 4 buckets' committed cash does not add up to what the venue holds for 'alice': it moved" in result.stderr


def test_verify_batch_shows_the_bucket_count_beside_cross_margin_proofs_when_mixed(invoke, here):
    result = invoke("verify-batch", "--params", "params.json", "buckets.proof.json", "bob.proof.json", "--json")
    assert result.exit_code == 0, result.output
    statements = json.loads(result.stdout)["statements"]
    assert [(s["account"], s["buckets"]) for s in statements] == [("alice", 4), ("bob", 1)]
    text = invoke("verify-batch", "--params", "params.json", "buckets.proof.json", "bob.proof.json")
    rows = [line.split() for line in text.stdout.splitlines() if "self-declared" in line]
    assert sorted(row[-2:] for row in rows) == [["1", "1"], ["4", "1"]]


def test_prove_bucket_total_matches_the_sum_of_bucket_shortfalls_when_several_are_short(invoke, here):
    (here / "poor.json").write_text(json.dumps(buckets(-8100, 990, 2300)))
    result = invoke("prove", "--params", "params.json", "--portfolio", "poor.json", "-o", "p.json", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    # stock: 1,400 against 1,425; call: 885 against 883.23 (meets); mes: 2,300 against 2,400
    assert Decimal(document["shortfall"]) == Decimal("125.00")
    assert "bucket 'stock'" in document["reason"] and "bucket 'mes'" in document["reason"]
    assert "bucket 'call'" not in document["reason"]


def test_schema_prints_the_bucket_file_schema_when_asked_for_portfolio_buckets(invoke):
    result = invoke("schema", "portfolio-buckets")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["properties"]["buckets"]["maxItems"] == 64
    assert set(document["$defs"]["Bucket"]["required"]) == {"name", "cash", "positions"}


def test_check_gives_each_bucket_its_own_greeks_when_the_market_is_given(invoke, here):
    result = invoke("check", "--params", "params.json", "--portfolio", "buckets.json", "--market", "market.json", "--json")
    assert result.exit_code == 0, result.output
    held = [[p["instrument"] for p in b["greeks"]["positions"]] for b in json.loads(result.stdout)["buckets"]]
    assert held == [["XYZ"], ["XYZ 2026-12-18 100 C"], ["MES 2026-12-18"]]
