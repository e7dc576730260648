"""`zkmargin demo --venue`: the venue's day on its ledger, end to end."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_demo_venue_tells_the_ledger_story_when_run_fast(invoke):
    result = invoke("demo", "--venue", "--fast", "--accounts", "5")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for number in range(1, 6):
        assert f"Step {number} of 5" in out
    assert "ReplayedMovement  reference 'wire-0001' was already recorded" in out
    assert "invalid: acct-" in out and "bad input: desk-notes.txt" in out
    assert "prove maintenance margin for epoch 1 by 2026-12-01 17:00:00 UTC" in out
    assert "accounts can prove maintenance margin with every price 10% lower" in out
