"""`prove_many`: prove many accounts against one params object, one process per proof.

Proving is group arithmetic that holds the GIL, so accounts are proved in worker
processes, `jobs` at a time; each proof runs in one process (with a single account, that
account's proof may use `jobs` processes itself, `prover.prove(workers=...)`). Workers are
forked where the platform allows, so they start with this process's generator cache.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor

from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio
from zkmargin.errors import InputError
from zkmargin.hazmat import groups
from zkmargin.proofs.account import AccountOpenings
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.prover import prove
from zkmargin.proofs.statement import parse_threshold
from zkmargin.validation import require_count


def default_jobs() -> int:
    """One job per core."""
    return os.cpu_count() or 1


def prove_many(
    portfolios: Iterable[Portfolio],
    params: RiskParams,
    *,
    level: str = "maintenance",
    min_excess: object = 0,
    openings: Mapping[str, AccountOpenings] | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[MarginProof]:
    """`prove` for every portfolio, in order, `jobs` processes at a time (default: one per core).

    With `openings` (account label → its `AccountOpenings`), every proof is about the
    pinned account; a portfolio without an entry is an `InputError`, raised before any
    proving. The first account that cannot be proved (e.g. `InsufficientMargin`, whose
    `account` names it) raises, as `prove` would. `progress(done, total)` is called as proofs
    complete.
    """
    portfolios = list(portfolios)
    jobs = default_jobs() if jobs is None else require_count(jobs, "prove_many: jobs")
    min_excess = parse_threshold(min_excess, "min_excess")
    pinned = [None] * len(portfolios)
    if openings is not None:
        missing = [p.account for p in portfolios if p.account not in openings]
        if missing:
            raise InputError(f"no openings for account {missing[0]!r}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
        pinned = [openings[p.account] for p in portfolios]
    one = functools.partial(_prove_one, params=params, level=level, min_excess=min_excess)
    proofs: list[MarginProof] = []
    if jobs == 1 or len(portfolios) <= 1:
        for portfolio, account_openings in zip(portfolios, pinned):
            proofs.append(one((portfolio, account_openings), workers=jobs))
            _report(progress, len(proofs), len(portfolios))
        return proofs
    backend = groups.current_backend()
    with ProcessPoolExecutor(min(jobs, len(portfolios)), initializer=groups.use, initargs=(backend,)) as pool:
        for proof in pool.map(one, zip(portfolios, pinned)):
            proofs.append(proof)
            _report(progress, len(proofs), len(portfolios))
    return proofs


def _prove_one(
    task: tuple[Portfolio, AccountOpenings | None], params: RiskParams, level: str, min_excess: object, workers: int = 1
) -> MarginProof:
    portfolio, account_openings = task
    return prove(portfolio, params, level=level, min_excess=min_excess, openings=account_openings, workers=workers)


def _report(progress: Callable[[int, int], None] | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)
