"""The demo's end of day: the venue batch-verifies a crowd of generated accounts.

A mixin of `Walkthrough` (step 8), using its narrator, market, params and its accounts,
seed and workers.
"""

from __future__ import annotations

import time
from decimal import Decimal

import zkmargin as zm
from zkmargin.console import counted, progress_callback
from zkmargin.demo.crowd import generate_accounts, open_and_prove_all, shortfall_listing
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
        provable = [account for account in accounts if account.report.meets]
        say(
            f"""The venue has {counted(len(accounts), "account")}, with random books over the
            same listed products. Each was opened with the venue, which holds its commitments. Each
            trader proves margin on their own machine; the ones that are short cannot prove.
            (Generating the proofs here, on {counted(self.workers, "core")}, is the slow part;
            in real life every trader proves in parallel.)"""
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
            excess of at least {money(Decimal(1_000_000))}. The venue verifies
            {counted(len(proofs), "proof")} in one multi-scalar multiplication, each pinned
            to its account's commitments; when the batch fails it splits it until every bad
            proof is named. A proof holds for one circuit — the inequalities compiled from
            the params and the statement, threshold included — so the edited threshold no
            longer matches the proof:"""
        )
        n.code("result = zm.verify_batch(proofs, params, commitments=pinned, progress=callback)")
        started = time.perf_counter()
        with n.progress(len(proofs), "verifying") as bar:
            result = zm.verify_batch(
                proofs, self.params, commitments=pinned, progress=progress_callback(bar)
            )
        seconds = time.perf_counter() - started
        short = [account for account in accounts if not account.report.meets]
        rejected = {failure.account for failure in result.failures}
        called = len(short) + len(rejected)
        n.facts(
            [
                ("accounts", len(accounts)),
                ("proofs submitted", len(proofs)),
                ("valid", len(proofs) - len(result.failures)),
                ("rejected", len(result.failures)),
                ("no valid proof", f"{called} ({len(short)} sent none, {len(rejected)} rejected)"),
                (
                    "batch verified in",
                    f"{seconds:.2f} s ({1000 * seconds / len(proofs):.1f} ms per proof)",
                ),
            ]
        )
        for failure in result.failures:
            n.facts([(f"REJECTED {failure.account}", failure.reason)])
        say(
            f"""The venue learns one thing per account: whether it stands on a valid proof.
            No valid proof came from {counted(called, "account")} ({len(short)} sent none,
            {len(rejected)} sent one that was rejected); each gets a margin call, and whoever
            has not proved by the deadline shows up in `zkmargin monitor calls --status
            overdue`, the venue's liquidation list. Why an account sent no proof, the venue
            never learns."""
        )
        if short:
            say(
                f"""The demo knows, because it made up the books; each trader's own `zkmargin
                check` says by how much they are short: {shortfall_listing(short)}."""
            )
        say(
            """None of the proofs showed the venue a position: it knows which accounts meet
            their margin, and of their books only what it settles itself (step 5)."""
        )
