"""The narrated walkthrough behind `zkmargin demo` and examples/walkthrough.py.

A venue publishes margin parameters; a trader with a covered call and a futures position
checks margin in the clear, proves it, and the venue verifies without seeing a position.
The market then falls 20%: the venue republishes, the old proof stops verifying, the trader
cannot prove any more (margin call), deposits collateral — which the venue adds to the
committed balance without learning the balance — and proves again. Finally the venue
batch-verifies a few hundred generated accounts and names the ones that failed.

Each step is a method of `Walkthrough`, so the CLI runs them all and the example script
calls them one by one. This module holds the class and the first act, steps 1 to 4; the
crash and the margin call (5 to 7) are `CrashSteps` in crash.py, the end of day's batch (8)
is `EndOfDayStep` in end_of_day.py, the cross-venue credit (9) is `CrossVenue` in
cross_venue.py and the trader's picture (10) is `PictureStep` in picture.py. Only the public
API (`import zkmargin as zm`) is used.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import zkmargin as zm
from zkmargin.demo.crash import CrashSteps
from zkmargin.demo.cross_venue import CrossVenue
from zkmargin.demo.crowd import DEFAULT_ACCOUNTS, DEFAULT_SEED
from zkmargin.demo.end_of_day import EndOfDayStep
from zkmargin.demo.narration import Narrator, money
from zkmargin.demo.picture import PictureStep
from zkmargin.demo.scenery import (
    DEMO_UNIVERSE,
    MARKET_FILE,
    MODEL_FILE,
    TRADER,
    TRADER_CASH,
    TRADER_POSITIONS,
    locate_repo,
)


@dataclass
class Walkthrough(CrashSteps, EndOfDayStep, PictureStep):
    """The demo's state and its steps, in order; call `run()` or the steps one by one."""

    narrator: Narrator = field(default_factory=Narrator)
    accounts: int = DEFAULT_ACCOUNTS
    seed: int = DEFAULT_SEED
    root: Path | None = None
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))

    def __post_init__(self) -> None:
        self.root = locate_repo(self.root)
        self.model = zm.MarginModel.load(self.root / MODEL_FILE)
        self.market: zm.Market | None = None
        self.params: zm.RiskParams | None = None
        self.portfolio: zm.Portfolio | None = None
        self.commitments: zm.AccountCommitments | None = None
        self.openings: zm.AccountOpenings | None = None
        self.proof: zm.MarginProof | None = None
        self.shortfall = Decimal(0)

    @property
    def steps(self) -> tuple[Callable[[], None], ...]:
        return (
            self.venue_publishes_params,
            self.trader_checks_margin,
            self.trader_proves,
            self.venue_verifies,
            self.market_crashes,
            self.margin_call,
            self.trader_tops_up,
            self.venue_batch_verifies,
            CrossVenue(self).cross_venue_credit,
            self.trader_draws_the_book,
        )

    def run(self) -> None:
        started = time.perf_counter()
        for step in self.steps:
            step()
        self.narrator.echo("")
        self.narrator.say(
            f"That is the whole story ({time.perf_counter() - started:.0f} s). "
            "Next: README.md shows how to check, prove and verify your own portfolio; "
            "docs/walkthrough.md repeats these steps with the library calls."
        )

    def _heading(self, step: Callable[[], None], title: str) -> None:
        number = [s.__name__ for s in self.steps].index(step.__name__) + 1
        if number > 1:
            self.narrator.pause()
        self.narrator.heading(number, len(self.steps), title)

    # 1 -----------------------------------------------------------------------------------

    def venue_publishes_params(self) -> None:
        say, n = self.narrator.say, self.narrator
        self._heading(self.venue_publishes_params, "The venue publishes its margin parameters")
        full = zm.Market.load(self.root / MARKET_FILE)
        self.market = full.listing(DEMO_UNIVERSE)
        self.params = zm.build_params(self.market, self.model)
        say(
            f"""A venue lists XYZ stock, two of its December options and the E-mini and Micro
            S&P 500 futures. It takes today's market data ({MARKET_FILE}) and its margin
            model ({MODEL_FILE}: FINRA Rule 4210(g) portfolio margin — each underlying is
            moved to 10 equidistant prices, ±15% for a stock and +6%/−8% for a high-cap
            index like the S&P 500; the worst loss of each underlying counts, and they add
            up) and publishes the result: for each instrument, its value and its profit or
            loss in every scenario. Everything here is public, and the digest names it."""
        )
        n.code(
            """market = zm.Market.load("examples/market.json")
            model = zm.MarginModel.load("circuits/portfolio_margin.toml")
            params = zm.build_params(market, model)"""
        )
        n.facts(
            [
                ("model", self.params.model),
                ("instruments", len(self.params.instruments)),
                ("scenarios", len(self.params.scenarios)),
                ("XYZ price", money(Decimal(str(self.market.underlyings["XYZ"].price)))),
                ("S&P 500", f"{self.market.underlyings['SPX'].price:,.0f}"),
                ("params digest", self.params.digest()),
            ]
        )

    # 2 -----------------------------------------------------------------------------------

    def trader_checks_margin(self) -> None:
        say, n = self.narrator.say, self.narrator
        self._heading(self.trader_checks_margin, "A trader checks margin, in the clear")
        self.portfolio = zm.Portfolio(account=TRADER, cash=TRADER_CASH, positions=TRADER_POSITIONS)
        say(
            f"""{TRADER} holds 200 XYZ shares with 2 December 100 calls written against them
            (a covered call), one long E-mini S&P 500 future, and {money(TRADER_CASH)} in
            cash. This book is the trader's secret. On their own machine they compute the
            margin exactly as the venue would."""
        )
        n.code("report = zm.assess(portfolio, params)")
        report = zm.assess(self.portfolio, self.params)
        self._report_facts(report)
        say(
            f"""The requirement adds up the worst loss of each underlying ({group_listing(report)});
            the largest comes from "{report.binding}". Equity exceeds the requirement by
            {money(report.excess)}, so the trader can prove it."""
        )

    def _report_facts(self, report: zm.MarginReport) -> None:
        self.narrator.facts([
            ("equity", money(report.equity)), ("requirement", money(report.requirement)),
            ("excess", money(report.excess)), ("binding scenario", report.binding),
        ])

    # 3 -----------------------------------------------------------------------------------

    def trader_proves(self) -> None:
        say, n = self.narrator.say, self.narrator
        self._heading(self.trader_proves, "The trader proves it, without showing the book")
        say(
            """First the account is opened: the trader commits to the cash and to the
            quantity of every listed instrument (zeros included) with Pedersen commitments,
            hands the commitments to the venue and keeps the openings (random blinding
            factors) secret. Then the proof: one aggregated Bulletproof that every
            inequality of the margin statement holds between the committed numbers."""
        )
        n.code(
            """commitments, openings = zm.open_account(portfolio, params)
            proof = zm.prove(portfolio, params, openings=openings)"""
        )
        self.commitments, self.openings = zm.open_account(self.portfolio, self.params)
        started = time.perf_counter()
        self.proof = zm.prove(self.portfolio, self.params, openings=self.openings)
        n.facts(
            [
                ("proved in", f"{time.perf_counter() - started:.2f} s"),
                ("range proof", f"{self.proof.size:,} bytes"),
                ("proof file", f"{len(self.proof.to_json()):,} bytes of JSON"),
            ]
        )

    # 4 -----------------------------------------------------------------------------------

    def venue_verifies(self) -> None:
        say, n = self.narrator.say, self.narrator
        self._heading(self.venue_verifies, "The venue verifies — and this is all it sees")
        in_the_file = json_strings(json.loads(self.proof.to_json()))
        leaked = [name for name in self.params.instruments if name in in_the_file]
        say(
            """The proof file states what it proves: the level (maintenance, the margin an
            open position must keep; initial, for opening one, can be higher) and the
            threshold (the least excess over the requirement; zero here)."""
        )
        n.facts(
            [
                ("account", self.proof.account),
                ("model / level", f"{self.proof.model} / {self.proof.level}"),
                ("threshold", money(self.proof.threshold)),
                ("params digest", self.proof.params_digest),
                ("commitments", f"{len(self.proof.commitments)} (48-byte points)"),
                ("range proof", f"{self.proof.size:,} bytes"),
                ("instrument names in the file", len(leaked)),
            ]
        )
        say(
            """No quantity, no instrument, no equity, no requirement: the file holds
            commitments that look random and a proof. The venue checks it against its own
            params, pinned to the commitments it received when the account was opened."""
        )
        n.code("statement = zm.verify(proof, params, commitments=commitments)")
        started = time.perf_counter()
        statement = zm.verify(self.proof, self.params, commitments=self.commitments)
        say(
            f"""VALID in {1000 * (time.perf_counter() - started):.0f} ms: account
            {statement.account} meets the {statement.level} requirement of {statement.model}
            with excess ≥ {money(statement.threshold)}. That one sentence is what the venue
            learns."""
        )



def group_listing(report: zm.MarginReport) -> str:
    return ", ".join(f"{group} {money(loss)}" for group, loss in report.group_losses if loss)


def run(
    *, fast: bool = False, accounts: int = DEFAULT_ACCOUNTS, seed: int = DEFAULT_SEED
) -> Walkthrough:
    """Run every step of the walkthrough, narrated on stdout; `fast` skips the pauses."""
    walkthrough = Walkthrough(
        Narrator(pause_seconds=0.0 if fast else 1.5), accounts=accounts, seed=seed
    )
    walkthrough.run()
    return walkthrough


def json_strings(document: object) -> set[str]:
    """Every key and string value of a parsed JSON document: where a name would leak.

    A name is looked for as a whole string, not inside one: "XYZ" turns up by chance in
    one base64 encoded proof in about forty."""
    if isinstance(document, dict):
        return set(document).union(*(json_strings(value) for value in document.values()))
    if isinstance(document, list):
        return set().union(*(json_strings(value) for value in document))
    return {document} if isinstance(document, str) else set()
