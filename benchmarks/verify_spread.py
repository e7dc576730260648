"""Verification spread over processes, and the ledger's intake rate, in one run.

    python -m benchmarks.verify_spread [--json] [--accounts 1000] [--distinct 40] [--jobs 2]

Accounts per second for `verify_batch` in this process, on a pool of 1 worker process and
on a pool of `--jobs` workers, and the ratio pool(jobs) / pool(1) — the speed-up that the
extra cores buy, measured against the same chunking and serialisation costs. Then the same
for `ledger submit` (SQLite, files on disk, one row per file): proofs per second recorded.

The books are those of `margin_proof`'s batch case (4 instruments × 16 scenarios, pinned
accounts). `--distinct` accounts are proved; the batch repeats them up to `--accounts`
proofs (a repeated proof costs the verifier exactly what a new one does: its own random
weight, its own share of the MSM). Pools are warmed (workers started, generators loaded)
before timing; each figure is the best of `--repeat` interleaved runs. On a shared machine
the ratio is only as good as the idle cores.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import zkmargin as zm
from benchmarks.margin_proof import ROOT, random_book, scenario_arrays
from zkmargin.hazmat import groups
from zkmargin.venue.intake import submit
from zkmargin.venue.ledger import Ledger


def _open_and_prove(seed: int, params: zm.RiskParams, backend: str):
    groups.use(backend)
    book = random_book(params.instruments, seed, 4, 50_000)
    commitments, openings = zm.open_account(book, params)
    return commitments, zm.prove(book, params, openings=openings)


def accounts(params: zm.RiskParams, distinct: int, jobs: int):
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(_open_and_prove, range(distinct), [params] * distinct, [groups.current_backend()] * distinct))


def timed(action) -> float:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    if hasattr(result, "ok") and not result.ok:
        raise SystemExit(f"benchmark batch failed: {result.failures[:3]}")
    return seconds


def best_rates(count: int, runs: dict, repeat: int) -> dict:
    """Proofs per second of each run, best of `repeat`, the runs interleaved so that a burst
    of load from elsewhere on the machine hits all of them alike."""
    best = {name: float("inf") for name in runs}
    for _ in range(repeat):
        for name, action in runs.items():
            best[name] = min(best[name], timed(action))
    return {name: count / seconds for name, seconds in best.items()}


def warm(pool: Executor, workers: int, proofs, params) -> None:
    """Start every worker and load its generators: many one-proof chunks, so each takes some."""
    zm.verify_batch(proofs[: 6 * workers], params, executor=pool, chunk_size=1)


def verify_rates(proofs, params, pinned, jobs: int, repeat: int) -> dict:
    with ProcessPoolExecutor(1) as narrow, ProcessPoolExecutor(jobs) as wide:
        warm(narrow, 1, proofs, params)
        warm(wide, jobs, proofs, params)
        runs = {
            "in_process": lambda: zm.verify_batch(proofs, params, commitments=pinned),
            "pool_1": lambda: zm.verify_batch(proofs, params, commitments=pinned, executor=narrow),
            f"pool_{jobs}": lambda: zm.verify_batch(proofs, params, commitments=pinned, executor=wide),
        }
        return best_rates(len(proofs), runs, repeat)


def intake_rates(proofs, params, opened, jobs: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as scratch, ProcessPoolExecutor(1) as narrow, ProcessPoolExecutor(jobs) as wide:
        inbox = Path(scratch, "inbox")
        inbox.mkdir()
        for n, proof in enumerate(proofs):  # distinct bytes: every file is new to the ledger
            (inbox / f"proof-{n:07d}.json").write_text(proof.to_json() + " " * (n // len(opened)))
        warm(narrow, 1, proofs, params)
        warm(wide, jobs, proofs, params)
        databases = iter(range(10**6))

        def intake(pool: Executor) -> None:
            ledger = Ledger(Path(scratch, f"ledger-{next(databases)}.db"))
            ledger.init()
            ledger.publish(params)
            for commitments in opened:
                ledger.open_account(commitments)
            start = time.perf_counter()
            report = submit(ledger, [inbox], executor=pool)
            ledger.close()
            if report.count("valid") != len(proofs):
                raise SystemExit("benchmark intake failed")
            return time.perf_counter() - start

        best = {"pool_1": float("inf"), f"pool_{jobs}": float("inf")}
        for _ in range(repeat):
            best["pool_1"] = min(best["pool_1"], intake(narrow))
            best[f"pool_{jobs}"] = min(best[f"pool_{jobs}"], intake(wide))
        return {name: len(proofs) / seconds for name, seconds in best.items()}


def run(total: int, distinct: int, jobs: int, repeat: int) -> dict:
    params = zm.build_params(scenario_arrays(4, 16, seed=7), zm.MarginModel.load(ROOT / "circuits" / "scenario.toml"))
    made = accounts(params, distinct, jobs)
    opened = [commitments for commitments, _ in made]
    proofs = [made[n % distinct][1] for n in range(total)]
    pinned = {c.account: c for c in opened}
    verify = verify_rates(proofs, params, pinned, jobs, repeat)
    intake = intake_rates(proofs, params, opened, jobs, repeat)
    return {
        "backend": groups.current_backend(),
        "accounts": total,
        "jobs": jobs,
        "verify_accounts_per_s": {k: round(v, 1) for k, v in verify.items()},
        "verify_ratio": round(verify[f"pool_{jobs}"] / verify["pool_1"], 2),
        "verify_ratio_vs_in_process": round(verify[f"pool_{jobs}"] / verify["in_process"], 2),
        "intake_proofs_per_s": {k: round(v, 1) for k, v in intake.items()},
        "intake_ratio": round(intake[f"pool_{jobs}"] / intake["pool_1"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--accounts", type=int, default=1000, help="proofs per batch")
    parser.add_argument("--distinct", type=int, default=40, help="accounts actually proved")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes of the wide pool")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (best)")
    args = parser.parse_args()
    report = run(args.accounts, args.distinct, args.jobs, args.repeat)
    if args.json:
        print(json.dumps(report, indent=1))
        return
    for key, value in report.items():
        print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
