"""The crowd of the last step: generated accounts, proved in worker processes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import zkmargin as zm
from zkmargin.demo.narration import Narrator, money

DEFAULT_ACCOUNTS = 140
"""What `zkmargin demo --fast` gets through in under a minute on two idle cores: 123 of them
can prove, two at a time, plus ~6 s for the rest of the demo. Measured 54 s before lean
circuits and 57 s after them on a host running 1.6× slower, where a lean proof took ~0.7 s
of CPU (README.md, "Performance")."""
DEFAULT_SEED = 2026


@dataclass(frozen=True)
class GeneratedAccount:
    portfolio: zm.Portfolio
    report: zm.MarginReport  # in the clear, under the params of the batch: the demo's knowledge, not the venue's


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


def shortfall_listing(accounts: Sequence[GeneratedAccount], shown: int = 4) -> str:
    """"acct-0002 (short 204.87 USD), … and 7 more" — the largest shortfalls first."""
    ranked = sorted(accounts, key=lambda account: account.report.shortfall, reverse=True)
    named = [
        f"{account.portfolio.account} (short {money(account.report.shortfall)})"
        for account in ranked[:shown]
    ]
    rest = len(ranked) - shown
    return ", ".join(named) + (f" and {rest} more" if rest > 0 else "")


def open_and_prove_all(
    portfolios: list[zm.Portfolio], params: zm.RiskParams, workers: int, narrator: Narrator
) -> list[tuple[zm.AccountCommitments, zm.MarginProof]]:
    """Open every account with the venue, then prove them all in `workers` processes."""
    opened = [zm.open_account(portfolio, params) for portfolio in portfolios]
    openings = {account_openings.account: account_openings for _, account_openings in opened}
    with narrator.progress(len(portfolios), "proving") as bar:
        proofs = zm.prove_many(
            portfolios, params, openings=openings, jobs=workers, progress=lambda done, _: bar.update(1)
        )
    return [(commitments, proof) for (commitments, _), proof in zip(opened, proofs)]
