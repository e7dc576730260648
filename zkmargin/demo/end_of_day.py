"""The demo's end of day: the venue batch-verifies a crowd of generated accounts.

A mixin of `Walkthrough` (step 8), using its narrator, market, params and its accounts,
seed and workers.
"""

from __future__ import annotations

import time
from decimal import Decimal

import zkmargin as zm
from zkmargin.console import progress_callback
from zkmargin.demo.crowd import (
    LIQUIDATION_FRACTION,
    generate_accounts,
    open_and_prove_all,
    shortfall_listing,
)
from zkmargin.demo.narration import money
from zkmargin.demo.scenery import raise_claimed_threshold


class EndOfDayStep:
    """`venue_batch_verifies`: every generated account that can prove does, one proof is
    forged, and the venue verifies them all in one batch and names the bad one."""

    # 8 -----------------------------------------------------------------------------------

    def venue_batch_verifies(self) -> None:
        say, n = self.narrator.say, self.narrator
        self._heading(self.venue_batch_verifies, "End of day: the venue checks every account")
        accounts = generate_accounts(self.market, self.params, self.accounts, self.seed)
        provable = [account for account in accounts if account.verdict == "proves"]
        say(
            f"""{len(accounts)} accounts hold random books over the same listed products.
            Each was opened with the venue, which holds its commitments. Each trader proves
            margin on their own machine; the ones that are short cannot prove. (Generating
            the proofs here, on {self.workers} core(s), is the slow part; in real life
            every trader proves in parallel.)"""
        )
        opened = open_and_prove_all(
            [account.portfolio for account in provable], self.params, self.workers, self.narrator
        )
        pinned = {commitments.account: commitments for commitments, _ in opened}
        proofs = [proof for _, proof in opened]
        tampered = len(proofs) - 1
        proofs[tampered] = raise_claimed_threshold(proofs[tampered], Decimal(1_000_000))
        say(
            f"""One trader ({proofs[tampered].account}) edited their proof file to claim an
            excess of at least {money(Decimal(1_000_000))}. The venue verifies all
            {len(proofs)} proofs in one multi-scalar multiplication, each pinned to its
            account's commitments; when the batch fails it splits it until every bad proof
            is named."""
        )
        n.code("result = zm.verify_batch(proofs, params, commitments=pinned, progress=callback)")
        started = time.perf_counter()
        with n.progress(len(proofs), "verifying") as bar:
            result = zm.verify_batch(
                proofs, self.params, commitments=pinned, progress=progress_callback(bar)
            )
        seconds = time.perf_counter() - started
        calls = [a for a in accounts if a.verdict == "margin call"]
        liquidations = [a for a in accounts if a.verdict == "liquidate"]
        n.facts(
            [
                ("accounts", len(accounts)),
                ("proofs submitted", len(proofs)),
                ("valid", len(proofs) - len(result.failures)),
                ("rejected", len(result.failures)),
                ("margin calls (no proof)", len(calls)),
                ("liquidations (no proof)", len(liquidations)),
                (
                    "batch verified in",
                    f"{seconds:.2f} s ({1000 * seconds / len(proofs):.1f} ms per proof)",
                ),
            ]
        )
        for failure in result.failures:
            n.facts([(f"REJECTED {failure.account}", failure.reason)])
        say(
            f"""The venue learns only that {len(calls) + len(liquidations)} accounts sent no
            proof. The shortfalls below come from each trader's own `zkmargin check`, shown
            here for the story; they never reach the venue."""
        )
        for verdict, group in (("margin calls", calls), ("liquidations", liquidations)):
            if group:
                say(f"{verdict.capitalize()}: {shortfall_listing(group)}.")
        say(
            f"""Accounts whose equity is below {LIQUIDATION_FRACTION:.0%} of the requirement
            are liquidated; the others get a margin call. The venue knows which accounts
            proved their margin and which did not, and still has not seen a single
            position."""
        )
