"""The demo's middle act: the market crashes, the trader gets a margin call and meets it.

A mixin of `Walkthrough` (steps 5 to 7), using its narrator, model, market, params,
portfolio, commitments, openings and proof.
"""

from __future__ import annotations

from decimal import Decimal

import zkmargin as zm
from zkmargin.demo.narration import money
from zkmargin.demo.scenery import CRASH_FACTOR, futures_settlement, round_up


class CrashSteps:
    """`market_crashes`, `margin_call`, `trader_tops_up`: the crash and the margin call it
    brings (`margin_call` sets the walkthrough's `shortfall`, which the top-up covers)."""

    # 5 -----------------------------------------------------------------------------------

    def market_crashes(self) -> None:
        say, n = self.narrator.say, self.narrator
        self._heading(self.market_crashes, "The market falls 20%")
        before = self.market
        self.market = before.shocked(CRASH_FACTOR)
        old_params, self.params = self.params, zm.build_params(self.market, self.model)
        settlement = futures_settlement(before, self.market, self.portfolio)
        say(
            f"""Every price drops by a fifth: XYZ from
            {money(Decimal(str(before.underlyings['XYZ'].price)))} to
            {money(Decimal(str(self.market.underlyings['XYZ'].price)))}, the S&P 500 from
            {before.underlyings['SPX'].price:,.0f} to {self.market.underlyings['SPX'].price:,.0f}.
            Futures settle in cash every day, so the clearing house debits
            {money(-settlement)} of variation margin from the trader's cash. The venue moves
            that cash, so it applies the same debit to the committed balance. That amount
            is not secret, and it says more than a deposit does: it is the futures' profit
            or loss, and with public settlement prices it gives away the net futures
            position (here {money(-settlement)} = 50 × 1,200 points: one long E-mini).
            Whoever settles futures learns that much; the stock, the options and the cash
            balance stay hidden."""
        )
        n.code(
            """market = market.shocked(0.8)
            params = zm.build_params(market, model)
            commitments = commitments.deposit(settlement)   # venue; negative = a debit"""
        )
        self._move_cash(settlement)
        n.facts([("old digest", old_params.digest()), ("new digest", self.params.digest())])
        say("""The venue republishes its params. Yesterday's proof was about yesterday's
            params, so against today's it is not even judged:""")
        n.code("zm.verify(old_proof, new_params)")
        try:
            zm.verify(self.proof, self.params, commitments=self.commitments)
        except zm.WrongParams as error:
            n.facts([("WrongParams", str(error))])
        else:
            raise AssertionError("a proof made for the old params verified against the new ones")

    # 6 -----------------------------------------------------------------------------------

    def margin_call(self) -> None:
        say, n = self.narrator.say, self.narrator
        self._heading(self.margin_call, "Margin call")
        report = zm.assess(self.portfolio, self.params)
        self._report_facts(report)
        n.code("zm.prove(portfolio, params, openings=openings)")
        try:
            zm.prove(self.portfolio, self.params, openings=self.openings)
        except zm.InsufficientMargin as error:
            self.shortfall = error.shortfall
            n.facts([("InsufficientMargin", f"short by {money(error.shortfall)}")])
        else:
            raise AssertionError("the crashed account proved its margin")
        say(
            f"""The stock and the future lost value, and the account no longer meets the
            requirement. No proof can be made: the prover refuses before doing any
            cryptography, and even a prover that lied about its numbers would be caught,
            because every inequality is range-proved. The venue, seeing no fresh proof,
            issues a margin call. The trader is short by {money(self.shortfall)}."""
        )

    # 7 -----------------------------------------------------------------------------------

    def trader_tops_up(self) -> None:
        say, n = self.narrator.say, self.narrator
        self._heading(self.trader_tops_up, "The trader deposits collateral and proves again")
        deposit = round_up(self.shortfall + Decimal(1000), Decimal(5000))
        say(
            f"""The trader wires {money(deposit)}. The venue adds it to the committed cash
            balance homomorphically — Com(c) + d·B opens to c + d with the same blinding —
            without ever learning the balance. The trader proves again with the same
            openings, and the venue checks the proof against the updated commitments it
            holds, so the proof is about exactly this account."""
        )
        n.code(
            """commitments = commitments.deposit(deposit)              # venue
            portfolio = portfolio.model_copy(update={"cash": portfolio.cash + deposit})
            proof = zm.prove(portfolio, params, openings=openings)
            zm.verify(proof, params, commitments=commitments)"""
        )
        self._move_cash(deposit)
        report = zm.assess(self.portfolio, self.params)
        self.proof = zm.prove(self.portfolio, self.params, openings=self.openings)
        statement = zm.verify(self.proof, self.params, commitments=self.commitments)
        n.facts(
            [
                ("excess now", money(report.excess)),
                ("verified", f"{statement.account} meets {statement.level} under the new params"),
            ]
        )

    def _move_cash(self, amount: Decimal) -> None:
        """Money moves: the trader's cash, and the venue's commitment to it, by `amount`."""
        self.portfolio = self.portfolio.model_copy(update={"cash": self.portfolio.cash + amount})
        self.commitments = self.commitments.deposit(amount)
