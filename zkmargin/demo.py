"""The narrated walkthrough behind `zkmargin demo` and examples/walkthrough.py.

A venue publishes margin parameters; a trader with a covered call and a futures position
checks margin in the clear, proves it, and the venue verifies without seeing a position.
The market then falls 20%: the venue republishes, the old proof stops verifying, the trader
cannot prove any more (margin call), deposits collateral — which the venue adds to the
committed balance without learning the balance — and proves again. Finally the venue
batch-verifies a few hundred generated accounts and names the ones that failed.

Each step is a method of `Walkthrough`, so the CLI runs them all and the example script
calls them one by one. Only the public API (`import zkmargin as zm`) is used.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import random
import textwrap
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import click

import zkmargin as zm

REPO_ROOT = Path(__file__).resolve().parent.parent
MARKET_FILE = Path("examples") / "market.json"
MODEL_FILE = Path("circuits") / "portfolio_margin.toml"

CRASH_FACTOR = 0.8
"""Every underlying price is multiplied by this in the crash."""

DEFAULT_ACCOUNTS = 100
DEFAULT_SEED = 2026
LIQUIDATION_FRACTION = Decimal("0.5")
"""An account short of margin whose equity is below this fraction of the requirement is
liquidated rather than called (an illustrative house rule, not part of any model)."""

DEMO_UNIVERSE = (
    "XYZ",
    "XYZ 2026-12-18 95 P",
    "XYZ 2026-12-18 100 C",
    "ES 2026-12-18",
    "MES 2026-12-18",
)
"""The venue's listed products in the demo: XYZ stock, two December options, S&P 500 futures.

A proof commits to every instrument of the universe and proves one inequality per
scenario, so a short list and the 10-point portfolio-margin grid keep each proof near a
second; the last step makes dozens of them."""

TRADER = "trader-7"
TRADER_CASH = Decimal("60000")
TRADER_POSITIONS = {"XYZ": 200, "XYZ 2026-12-18 100 C": -2, "ES 2026-12-18": 1}
"""A covered call (200 XYZ shares, 2 short calls) and one long E-mini S&P 500 future."""


class DemoFilesMissing(zm.InputError):
    """The demo runs from a checkout of the repository; its example files are not there."""


def locate_repo(root: Path | None = None) -> Path:
    """The directory holding examples/ and circuits/; `DemoFilesMissing` says where it looked."""
    root = REPO_ROOT if root is None else root
    needed = (root / MARKET_FILE, root / MODEL_FILE)
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise DemoFilesMissing(
            f"the demo needs the repository's example files, missing: {', '.join(missing)}; "
            "clone the zkmargin repository and run `python -m pip install -e .` inside it"
        )
    return root


# ---------------------------------------------------------------------------------------------
# narration


@dataclass
class Narrator:
    """Prints the story: step headings, wrapped paragraphs, indented facts, pauses."""

    pause_seconds: float = 0.0
    width: int = 88
    echo: Callable[[str], None] = click.echo

    def heading(self, number: int, total: int, title: str) -> None:
        self.echo("")
        self.echo(click.style(f"Step {number} of {total} · {title}", bold=True))
        self.echo(click.style("─" * min(self.width, len(title) + 14), dim=True))

    def say(self, text: str) -> None:
        self.echo(textwrap.fill(" ".join(text.split()), width=self.width))

    def facts(self, rows: Sequence[tuple[str, Any]]) -> None:
        label_width = max(len(label) for label, _ in rows)
        for label, value in rows:
            self.echo(f"    {label.ljust(label_width)}  {value}")

    def code(self, text: str) -> None:
        for line in inspect.cleandoc(text).splitlines():
            self.echo(click.style(f"    >>> {line}", fg="cyan"))

    def pause(self) -> None:
        if self.pause_seconds:
            time.sleep(self.pause_seconds)

    def progress(self, length: int, label: str) -> Any:
        return click.progressbar(length=length, label=f"    {label}", show_pos=True, width=30)


def format_money(amount: Decimal, currency: str) -> str:
    """`amount` with thousands separators and at least cents, never fewer digits than it has."""
    places = max(2, -int(amount.as_tuple().exponent))
    return f"{amount:,.{places}f} {currency}".rstrip()


def money(amount: Decimal, currency: str = "USD") -> str:
    return format_money(amount, currency)


def progress_callback(bar: Any) -> Callable[[int, int], None]:
    """Adapt verify_batch's `progress(done, total)` to click's incremental progress bar."""
    shown = 0

    def progress(done: int, _total: int) -> None:
        nonlocal shown
        if done > shown:
            bar.update(done - shown)
            shown = done

    return progress


def round_up(amount: Decimal, step: Decimal) -> Decimal:
    """`amount` rounded up to a multiple of `step` (deposits are round numbers)."""
    return (amount / step).to_integral_value(rounding=ROUND_CEILING) * step


# ---------------------------------------------------------------------------------------------
# the generated accounts of the last step


@dataclass(frozen=True)
class GeneratedAccount:
    portfolio: zm.Portfolio
    report: zm.MarginReport  # in the clear, under the params of the batch

    @property
    def verdict(self) -> str:
        if self.report.meets:
            return "proves"
        floor = self.report.requirement * LIQUIDATION_FRACTION
        return "liquidate" if self.report.equity < floor else "margin call"


def generate_accounts(
    market: zm.Market, params: zm.RiskParams, count: int, seed: int
) -> list[GeneratedAccount]:
    """`count` random small books over the params' universe, most with enough collateral.

    The cash of each book is set from its requirement so that about 85% of accounts carry a
    cushion, 10% are a little short and 5% are far short: the same seed, the same accounts.
    """
    rng = random.Random(seed)
    universe = list(params.instruments)
    accounts = []
    for number in range(1, count + 1):
        positions = {
            instrument: _random_quantity(rng, market.instruments[instrument].kind)
            for instrument in rng.sample(universe, rng.randint(1, 3))
        }
        name = f"acct-{number:04d}"
        unfunded = zm.assess(
            zm.Portfolio(account=name, cash=Decimal(0), positions=positions), params
        )
        cushion = _random_cushion(rng)
        target = max(unfunded.requirement, Decimal(1000)) * (1 + cushion)
        cash = (target - unfunded.equity).quantize(Decimal(1), rounding=ROUND_CEILING)
        portfolio = zm.Portfolio(account=name, cash=cash, positions=positions)
        accounts.append(GeneratedAccount(portfolio, zm.assess(portfolio, params)))
    return accounts


def _random_quantity(rng: random.Random, kind: str) -> int:
    sign = rng.choice((1, -1))
    if kind == "stock":  # round lots
        return sign * 100 * rng.randint(1, 5)
    return sign * rng.randint(1, 4)


def _random_cushion(rng: random.Random) -> Decimal:
    draw = rng.random()
    if draw < 0.05:
        low, high = -0.9, -0.6
    elif draw < 0.15:
        low, high = -0.4, -0.02
    else:
        low, high = 0.05, 1.0
    return Decimal(str(round(rng.uniform(low, high), 3)))


def _open_and_prove(
    portfolio: zm.Portfolio, params: zm.RiskParams, backend: str
) -> tuple[zm.AccountCommitments, zm.MarginProof]:
    """One generated trader: open the account with the venue, then prove (a worker process)."""
    from zkmargin.hazmat import groups

    groups.use(backend)
    commitments, openings = zm.open_account(portfolio, params)
    return commitments, zm.prove(portfolio, params, openings=openings)


# ---------------------------------------------------------------------------------------------
# the story


@dataclass
class Walkthrough:
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
        self.market = listed_market(full, DEMO_UNIVERSE)
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

    def _move_cash(self, amount: Decimal) -> None:
        """Money moves: the trader's cash, and the venue's commitment to it, by `amount`."""
        self.portfolio = self.portfolio.model_copy(update={"cash": self.portfolio.cash + amount})
        self.commitments = self.commitments.deposit(amount)

    def _report_facts(self, report: zm.MarginReport) -> None:
        self.narrator.facts(
            [
                ("equity", money(report.equity)),
                ("requirement", money(report.requirement)),
                ("excess", money(report.excess)),
                ("binding scenario", report.binding),
            ]
        )

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
        text = self.proof.to_json()
        leaked = [name for name in self.params.instruments if name in text]
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
            that cash, so it applies the same debit to the committed balance — it learns the
            amount of the cash movement, as with any deposit, not the book behind it."""
        )
        n.code(
            """market = market.shocked(0.8)
            params = zm.build_params(market, model)
            commitments = commitments.deposit(settlement)   # venue; negative = a debit"""
        )
        self._move_cash(settlement)
        n.facts([("old digest", old_params.digest()), ("new digest", self.params.digest())])
        say("""The venue republishes its params. Yesterday's proof was about yesterday's
            params, so it no longer verifies:""")
        n.code("zm.verify(old_proof, new_params)")
        try:
            zm.verify(self.proof, self.params, commitments=self.commitments)
        except zm.InvalidProof as error:
            n.facts([("InvalidProof", error.reason)])
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
        opened = self._open_and_prove_all([account.portfolio for account in provable])
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

    def _open_and_prove_all(
        self, portfolios: list[zm.Portfolio]
    ) -> list[tuple[zm.AccountCommitments, zm.MarginProof]]:
        from zkmargin.hazmat import groups

        work = functools.partial(
            _open_and_prove, params=self.params, backend=groups.current_backend()
        )
        results = []
        with self.narrator.progress(len(portfolios), "proving") as bar:
            with ProcessPoolExecutor(self.workers) as pool:
                for result in pool.map(work, portfolios):
                    results.append(result)
                    bar.update(1)
        return results


def group_listing(report: zm.MarginReport) -> str:
    return ", ".join(f"{group} {money(loss)}" for group, loss in report.group_losses if loss)


def shortfall_listing(accounts: Sequence[GeneratedAccount], shown: int = 4) -> str:
    """"acct-0002 (short 204.87 USD), … and 7 more" — the largest shortfalls first."""
    ranked = sorted(accounts, key=lambda account: account.report.shortfall, reverse=True)
    named = [
        f"{account.portfolio.account} (short {money(account.report.shortfall)})"
        for account in ranked[:shown]
    ]
    rest = len(ranked) - shown
    return ", ".join(named) + (f" and {rest} more" if rest > 0 else "")


def listed_market(market: zm.Market, instruments: Sequence[str]) -> zm.Market:
    """`market` restricted to `instruments` and the underlyings they reference."""
    data = json.loads(market.to_json())
    data["instruments"] = {name: data["instruments"][name] for name in instruments}
    used = {spec["underlying"] for spec in data["instruments"].values()}
    data["underlyings"] = {name: spec for name, spec in data["underlyings"].items() if name in used}
    return zm.Market.from_json(json.dumps(data), "listed market")


def futures_settlement(before: zm.Market, after: zm.Market, portfolio: zm.Portfolio) -> Decimal:
    """Variation margin of the portfolio's futures between two markets (negative: owed)."""
    total = Decimal(0)
    for name, quantity in portfolio.positions.items():
        instrument = before.instruments[name]
        if instrument.kind != "future":
            continue
        move = Decimal(str(after.underlyings[instrument.underlying].price)) - Decimal(
            str(before.underlyings[instrument.underlying].price)
        )
        total += Decimal(quantity) * Decimal(str(instrument.multiplier)) * move
    return total.quantize(Decimal("0.01"))


def raise_claimed_threshold(proof: zm.MarginProof, threshold: Decimal) -> zm.MarginProof:
    """The same proof file with a larger threshold written into its statement (a forgery)."""
    data = json.loads(proof.to_json())
    data["statement"]["threshold"] = str(threshold)
    return zm.MarginProof.from_json(json.dumps(data))


def run(
    *, fast: bool = False, accounts: int = DEFAULT_ACCOUNTS, seed: int = DEFAULT_SEED
) -> Walkthrough:
    """Run every step of the walkthrough, narrated on stdout; `fast` skips the pauses."""
    walkthrough = Walkthrough(
        Narrator(pause_seconds=0.0 if fast else 1.5), accounts=accounts, seed=seed
    )
    walkthrough.run()
    return walkthrough
