"""The walkthrough: runs end to end in fast mode, tells the story, fails clearly without files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

import zkmargin as zm
from zkmargin import demo
from zkmargin.demo import walkthrough


def test_demo_tells_whole_story_when_run_fast(invoke):
    started = time.perf_counter()
    result = invoke("demo", "--fast", "--accounts", "4")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    out = result.stdout
    for number in range(1, 11):
        assert f"Step {number} of 10" in out
    picture = Path(next(line for line in out.splitlines() if line.strip().startswith("picture")).split()[-1])
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert "instrument names in the file  0" in out
    assert "WrongParams  the proof was made for other params" in out and "InsufficientMargin  short by" in out
    assert "verified    trader-7 meets maintenance under the new params" in out
    assert "REJECTED acct-" in out
    assert "attested by clearing-firm-a (sequence 1" in out and "futures-broker-b (sequence 1" in out
    assert "margin credit for the hedge" in out
    assert elapsed < 40  # the last step's picture adds ~1 s idle, ~3 s on a loaded machine


def test_demo_leak_check_finds_a_name_only_as_a_whole_key_or_value_when_base64_contains_it():
    document = {"range_proof": "aXYZb3", "positions": {"XYZ": 3}, "account": "t"}
    assert "XYZ" in walkthrough.json_strings(document)
    assert "XYZ" not in walkthrough.json_strings({**document, "positions": {}})
    assert walkthrough.json_strings([{"a": ["b", 1, None]}]) == {"a", "b"}


@pytest.mark.slow
def test_demo_finishes_within_a_minute_when_run_full_size(invoke):
    started = time.perf_counter()
    result = invoke("demo", "--fast")
    assert result.exit_code == 0, result.output
    assert f"accounts                 {demo.DEFAULT_ACCOUNTS}" in result.stdout
    assert time.perf_counter() - started < 60


def test_demo_names_missing_files_when_run_outside_repository(tmp_path):
    with pytest.raises(zm.InputError) as caught:
        demo.locate_repo(tmp_path)
    assert str(tmp_path / "examples" / "market.json") in str(caught.value)
    assert "pip install -e ." in str(caught.value)


def test_demo_trader_meets_before_crash_and_is_short_after_when_story_built():
    walk = demo.Walkthrough(demo.Narrator(echo=lambda _line: None), accounts=1)
    walk.venue_publishes_params()
    walk.trader_checks_margin()
    assert zm.assess(walk.portfolio, walk.params).meets
    walk.commitments, walk.openings = zm.open_account(walk.portfolio, walk.params)
    walk.proof = zm.prove(walk.portfolio, walk.params, openings=walk.openings)
    walk.market_crashes()
    after = zm.assess(walk.portfolio, walk.params)
    assert not after.meets
    assert walk.portfolio.cash == demo.TRADER_CASH - Decimal(60_000)  # 1 ES × 50 × −1,200


def test_generated_accounts_repeat_and_mix_short_and_funded_when_seed_fixed():
    walk = demo.Walkthrough(demo.Narrator(echo=lambda _line: None), accounts=1)
    walk.venue_publishes_params()
    first = demo.generate_accounts(walk.market, walk.params, 60, seed=7)
    again = demo.generate_accounts(walk.market, walk.params, 60, seed=7)
    assert [a.portfolio for a in first] == [a.portfolio for a in again]
    assert {account.report.meets for account in first} == {True, False}
    for account in first:
        assert account.report == zm.assess(account.portfolio, walk.params)


def test_demo_end_of_day_calls_every_account_without_a_valid_proof_when_one_was_rejected():
    lines: list[str] = []
    walk = demo.Walkthrough(demo.Narrator(echo=lines.append), accounts=12, workers=1)
    walk.venue_publishes_params()
    walk.venue_batch_verifies()
    out = "\n".join(lines)
    short = sum(not account.report.meets for account in demo.generate_accounts(walk.market, walk.params, 12, demo.DEFAULT_SEED))
    assert short >= 1
    (row,) = [line.split("no valid proof")[1].strip() for line in lines if "no valid proof" in line and "(" in line]
    assert row == f"{short + 1} ({short} sent none, 1 rejected)"
    assert "liquidations" not in out and "% of the requirement" not in out
    assert "monitor calls --status overdue" in " ".join(out.split())


def test_demo_end_of_day_counts_in_the_singular_when_one_account():
    lines: list[str] = []
    walk = demo.Walkthrough(demo.Narrator(echo=lines.append), accounts=1, workers=1)
    walk.venue_publishes_params()
    walk.venue_batch_verifies()
    text = " ".join(" ".join(lines).split())
    assert "The venue has 1 account, with random books" in text and "on 1 core," in text
    assert "The venue verifies 1 proof in one multi-scalar multiplication" in text
    assert "No valid proof came from 1 account (0 sent none, 1 sent one that was rejected)" in text


def test_demo_picture_says_how_to_install_matplotlib_when_it_is_missing(monkeypatch):
    def missing(*_args, **_kwargs):
        raise zm.MissingExtra("plots need matplotlib")

    monkeypatch.setattr(zm, "plot_profile", missing)
    lines: list[str] = []
    walk = demo.Walkthrough(demo.Narrator(echo=lines.append), accounts=1)
    walk.venue_publishes_params()
    walk.trader_checks_margin()
    walk.trader_draws_the_book()
    assert walk.picture is None
    assert "`pip install -e '.[plot]'` installs it" in " ".join(" ".join(lines).split())


def test_example_script_runs_every_step_when_called_fast():
    root = Path(__file__).resolve().parents[2]
    # The package of this checkout, not whichever zkmargin happens to be installed.
    environment = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, str(root / "examples" / "walkthrough.py"), "--fast", "--accounts", "2"],
        capture_output=True, text=True, timeout=120, env=environment,
    )
    assert result.returncode == 0, result.stderr
    assert "Step 10 of 10" in result.stdout
    assert "The trader's final proof:" in result.stdout
