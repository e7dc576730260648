"""The venue's side of the story, on its ledger: `zkmargin demo --venue`.

A venue opens its ledger, publishes params, takes accounts and deposits (a retried wire is
refused), receives the day's proofs (a stray file and a forged proof among them), calls the
accounts that sent none, sees some calls met and the rest go overdue, surveys a stress
scenario without seeing a balance, and liquidates: the liquidations move the price, the
venue publishes a new epoch, and more calls follow — the cascade. The traders' side
(assess, prove) runs here too, to make the proofs; the venue's side uses only the ledger.
"""

from __future__ import annotations

import functools
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import zkmargin as zm
from zkmargin.demo.crowd import generate_accounts
from zkmargin.demo.narration import Narrator, money
from zkmargin.demo.scenery import (
    DEMO_UNIVERSE,
    MARKET_FILE,
    MODEL_FILE,
    futures_settlement,
    locate_repo,
    raise_claimed_threshold,
)
from zkmargin.venue import intake, monitor
from zkmargin.venue.ledger import Ledger

DEFAULT_VENUE_ACCOUNTS = 12
MORNING = datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc)
DEADLINE = timedelta(hours=2)
STRESS_FACTOR = 0.9
IMPACT_PER_LIQUIDATION = 0.04
"""Each liquidated book sold into the market moves every price down 4% (illustrative)."""


def _prove(portfolio: zm.Portfolio, openings: zm.AccountOpenings, params: zm.RiskParams, backend: str) -> str | None:
    """One trader in a worker process: the proof file's text, or None when short."""
    import zkmargin.hazmat.groups as groups

    groups.use(backend)
    if not zm.assess(portfolio, params).meets:
        return None
    return zm.prove(portfolio, params, openings=openings).to_json()


@dataclass
class VenueSide:
    narrator: Narrator = field(default_factory=Narrator)
    accounts: int = DEFAULT_VENUE_ACCOUNTS
    seed: int = 2026
    workers: int = 2
    root: Path | None = None

    def __post_init__(self) -> None:
        self.root = locate_repo(self.root)
        self._scratch = tempfile.TemporaryDirectory(prefix="zkmargin-venue-")
        self.workdir = Path(self._scratch.name)
        self.ledger = Ledger(self.workdir / "zkmargin.db")
        self.model = zm.MarginModel.load(self.root / MODEL_FILE)
        self.market = zm.Market.load(self.root / MARKET_FILE).listing(DEMO_UNIVERSE)
        self.params = zm.build_params(self.market, self.model)
        self.books: dict[str, zm.Portfolio] = {}
        self.openings: dict[str, zm.AccountOpenings] = {}
        self.inboxes = 0
        self.overdue: list[str] = []

    @property
    def steps(self):
        return (self.ledger_opens, self.proofs_arrive, self.calls_go_out, self.stress_survey, self.cascade)

    def run(self) -> None:
        started = time.perf_counter()
        try:
            for number, step in enumerate(self.steps, 1):
                if number > 1:
                    self.narrator.pause()
                self.narrator.heading(number, len(self.steps), step.__doc__.strip().rstrip("."))
                step()
        finally:
            self.ledger.close()
            self._scratch.cleanup()
        self.narrator.echo("")
        self.narrator.say(f"That is the venue's day ({time.perf_counter() - started:.0f} s). See docs/venue.md.")

    # -- the traders, off stage ---------------------------------------------------------------

    def _move(self, account: str, amount: Decimal, reference: str, at: datetime) -> None:
        """Money moves: the trader's cash, and the ledger's commitment to it."""
        self.books[account] = self.books[account].model_copy(update={"cash": self.books[account].cash + amount})
        if amount > 0:
            self.ledger.deposit(account, amount, reference, now=at)
        elif amount < 0:
            self.ledger.withdraw(account, -amount, reference, now=at)

    def _traders_prove(self, params: zm.RiskParams, who: list[str], label: str) -> Path:
        """Every trader in `who` who can prove does so; the files land in a new inbox."""
        import zkmargin.hazmat.groups as groups

        self.inboxes += 1
        inbox = self.workdir / f"inbox-{self.inboxes}"
        inbox.mkdir()
        work = functools.partial(_prove, params=params, backend=groups.current_backend())
        with self.narrator.progress(len(who), label) as bar, ProcessPoolExecutor(self.workers) as pool:
            for account, text in zip(who, pool.map(work, [self.books[a] for a in who], [self.openings[a] for a in who])):
                if text is not None:
                    (inbox / f"{account}.proof.json").write_text(text)
                bar.update(1)
        return inbox

    def _submit(self, inbox: Path, at: datetime) -> intake.IntakeReport:
        report = intake.submit(self.ledger, [inbox], now=lambda: at)
        self.narrator.facts([(status, report.count(status)) for status in (intake.VALID, intake.INVALID, intake.BAD_INPUT)])
        for row in report.rows:
            if row.status != intake.VALID:
                reason = row.reason.replace(f"{inbox}/", "")
                self.narrator.facts([(f"{row.status}: {Path(row.file).name}", reason)])
        return report

    # -- the steps --------------------------------------------------------------------------

    def ledger_opens(self) -> None:
        """The venue opens its ledger and its accounts."""
        say, n = self.narrator.say, self.narrator
        self.ledger.init()
        epoch, _ = self.ledger.publish(self.params, now=MORNING)
        crowd = generate_accounts(self.market, self.params, self.accounts, self.seed)
        for generated in crowd:
            book = generated.portfolio
            commitments, self.openings[book.account] = zm.open_account(book, self.params)
            self.books[book.account] = book
            self.ledger.open_account(commitments, now=MORNING)
        say(
            f"""The venue keeps its side in a database (SQLite here; PostgreSQL by URL). It
            publishes today's params as epoch {epoch.epoch} and imports {len(crowd)} accounts:
            each trader sent the public commitments to their cash and positions."""
        )
        n.code(
            """zkmargin ledger init
            zkmargin ledger publish --params params.json
            zkmargin ledger open accounts/*.json"""
        )
        first = crowd[0].portfolio.account
        self._move(first, Decimal(25_000), "wire-0001", MORNING)
        say(f"""{first} wires {money(Decimal(25_000))}; the bank retries the message, and the
            ledger refuses the second copy by its reference instead of crediting it twice.""")
        n.code(f"zkmargin ledger deposit {first} 25000 --ref wire-0001   # twice")
        try:
            self.ledger.deposit(first, Decimal(25_000), "wire-0001", now=MORNING)
        except zm.ReplayedMovement as error:
            n.facts([("ReplayedMovement", error)])

    def proofs_arrive(self) -> None:
        """The day's proofs arrive."""
        say, n = self.narrator.say, self.narrator
        inbox = self._traders_prove(self.params, sorted(self.books), "traders proving")
        sent = sorted(inbox.iterdir())
        forged = sent[-1]
        forged.write_text(raise_claimed_threshold(zm.MarginProof.load(forged), Decimal(10**6)).to_json())
        (inbox / "desk-notes.txt").write_text("lunch order: 3 × pad thai")
        say(
            f"""{len(sent)} traders could prove and sent a proof; one of them edited the file
            to claim a bigger excess, and someone dropped a note into the inbox. Each file gets
            its own row; neither blocks the others."""
        )
        n.code("zkmargin ledger submit inbox/")
        report = self._submit(inbox, MORNING + timedelta(minutes=30))
        say(f"Accounts that sent nothing: {', '.join(report.silent) or 'none'}.")

    def calls_go_out(self) -> None:
        """Margin calls go out, are met, or go overdue."""
        say, n = self.narrator.say, self.narrator
        n.code("zkmargin monitor run --deadline 2h")
        report = monitor.run(self.ledger, DEADLINE, now=MORNING + timedelta(hours=1))
        say(f"""The venue never learns a shortfall, only a missing proof. {len(report.issued)}
            accounts get a call, for example: "{report.issued[0].request}".""" if report.issued
            else "Every account stands on a valid proof: no call.")
        answering = [call.account for call in report.issued][: max(1, len(report.issued) // 2)]
        for number, account in enumerate(answering, 1):
            shortfall = max(Decimal(0), -zm.assess(self.books[account], self.params).excess)
            self._move(account, (shortfall + 5_000).quantize(Decimal(1)), f"wire-call-{number:04d}", MORNING)
        say(f"""{len(answering)} of them wire collateral and prove again before the deadline
            (their earlier proofs, if any, were about other commitments).""")
        self._submit(self._traders_prove(self.params, answering, "called traders proving"), MORNING + timedelta(hours=2))
        late = monitor.run(self.ledger, DEADLINE, now=MORNING + timedelta(hours=3, minutes=30))
        n.code("zkmargin monitor calls --status overdue")
        calls = monitor.list_calls(self.ledger)
        n.facts([(status, sum(c.status == status for c in calls)) for status in (monitor.MET, monitor.OVERDUE)])
        self.overdue = [call.account for call in late.overdue]
        say(f"Overdue, listed for liquidation: {', '.join(self.overdue) or 'none'}.")

    def stress_survey(self) -> None:
        """A stress survey: who would survive a 10% fall?"""
        say, n = self.narrator.say, self.narrator
        stressed = zm.build_params(self.market.shocked(STRESS_FACTOR), self.model)
        n.code("zkmargin monitor stress --params stressed.json")
        monitor.stress(self.ledger, stressed, now=MORNING + timedelta(hours=4))
        standing = [a for a in sorted(self.books) if a not in self.overdue]
        self._submit(self._traders_prove(stressed, standing, "proving under stress"), MORNING + timedelta(hours=5))
        report = monitor.stress(self.ledger, stressed)
        say(f"""{len(report.proved)} of {len(self.books)} accounts can prove maintenance margin
            with every price 10% lower. The venue learns how thin the cushion is across the
            book — and not one balance.""")

    def cascade(self) -> None:
        """Liquidations move the price: a new epoch, more calls."""
        say, n = self.narrator.say, self.narrator
        factor = max(0.7, 1 - IMPACT_PER_LIQUIDATION * len(self.overdue))
        market = self.market.shocked(factor)
        for account in self.overdue:
            del self.books[account]
        for number, account in enumerate(sorted(self.books), 1):
            settlement = futures_settlement(self.market, market, self.books[account])
            self._move(account, settlement, f"vm-epoch2-{number:04d}", MORNING + timedelta(hours=6))
        self.market, self.params = market, zm.build_params(market, self.model)
        epoch, _ = self.ledger.publish(self.params, now=MORNING + timedelta(hours=6))
        say(f"""The venue liquidates the overdue accounts ({len(self.overdue)}); selling their books moves every price
            by {1 - factor:.0%}. Futures settle their variation margin, and the venue publishes
            the new params as epoch {epoch.epoch}. Every account must prove again.""")
        self._submit(self._traders_prove(self.params, sorted(self.books), "traders proving"), MORNING + timedelta(hours=7))
        report = monitor.run(self.ledger, DEADLINE, now=MORNING + timedelta(hours=8))
        called = [call.account for call in report.issued if call.account in self.books]
        n.facts([("epoch", report.epoch), ("standing", report.standing), ("new calls", len(called))])
        say(f"""{len(called)} more of the remaining accounts are called under epoch {epoch.epoch}
            (the liquidated ones, flat now, are called until the venue closes them): this is
            how a cascade shows on a venue that sees proofs, not positions.""")
