"""Verification spread over processes, and the ledger's intake rate, in one run.

    python -m benchmarks.verify_spread [--json] [--accounts 1000] [--distinct 40] [--jobs 2]

Accounts per second for `verify_batch` in this process, on a pool of 1 worker process and
on a pool of `--jobs` workers, and the ratio pool(jobs) / pool(1) — the speed-up that the
extra cores buy, measured against the same chunking and serialisation costs. Then the same
for `ledger submit` (SQLite, files on disk, one row per file): proofs per second recorded.

Each rate is given twice: by wall clock, and by *CPU makespan* — this process's CPU time
plus that of the busiest worker, i.e. how long the run takes when every process has a core
of its own. On a machine shared with other work the wall-clock ratio measures the other
work; the CPU ratio is what idle cores give (it ignores memory-bandwidth contention).

The books are those of `margin_proof`'s batch case (4 instruments × 16 scenarios, pinned
accounts). `--distinct` accounts are proved; the batch repeats them up to `--accounts`
proofs (a repeated proof costs the verifier exactly what a new one does: its own random
weight, its own share of the MSM). Pools are warmed (workers started, generators loaded)
before timing; each figure is the best of `--repeat` interleaved runs. On a shared machine
the ratio is only as good as the idle cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import zkmargin as zm
from benchmarks.margin_proof import ROOT, random_book, scenario_arrays
from benchmarks.report import emit
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


def worker_cpu(pool: Executor | None) -> dict[int, float]:
    """CPU seconds used so far by each worker process of `pool` (Linux /proc; the pool's
    `_processes` is private, fine for a benchmark)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in getattr(pool, "_processes", {}) or {}:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return used


def measure(action, pool: Executor | None) -> tuple[float, float]:
    """(wall seconds, CPU makespan): this process's CPU plus the busiest worker's — the time
    the run would take on idle cores, whatever else the machine is doing."""
    before, cpu, wall = worker_cpu(pool), time.process_time(), time.perf_counter()
    action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = worker_cpu(pool)
    busiest = max((after[pid] - before.get(pid, 0.0) for pid in after), default=0.0)
    return wall, cpu + busiest


def best_rates(count: int, runs: dict, repeat: int) -> dict:
    """Per run: proofs per second by wall clock and by CPU makespan, best of `repeat`; the
    runs are interleaved so that a burst of load from elsewhere hits all of them alike."""
    best = {name: [float("inf"), float("inf")] for name in runs}
    for _ in range(repeat):
        for name, (action, pool) in runs.items():
            wall, makespan = measure(action, pool)
            best[name] = [min(best[name][0], wall), min(best[name][1], makespan)]
    return {name: {"wall": count / wall, "cpu": count / makespan} for name, (wall, makespan) in best.items()}


def checked(result) -> None:
    if not result.ok:
        raise SystemExit(f"benchmark batch failed: {result.failures[:3]}")


def warm(pool: Executor, workers: int, proofs, params) -> None:
    """Start every worker and load its generators: many one-proof chunks, so each takes some."""
    zm.verify_batch(proofs[: 6 * workers], params, executor=pool, chunk_size=1)


def verify_rates(proofs, params, pinned, jobs: int, repeat: int) -> dict:
    with ProcessPoolExecutor(1) as narrow, ProcessPoolExecutor(jobs) as wide:
        warm(narrow, 1, proofs, params)
        warm(wide, jobs, proofs, params)

        def on(pool):
            return lambda: checked(zm.verify_batch(proofs, params, commitments=pinned, executor=pool))

        runs = {"in_process": (on(None), None), "pool_1": (on(narrow), narrow), f"pool_{jobs}": (on(wide), wide)}
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

        def on(pool):
            def intake() -> None:
                ledger = Ledger(Path(scratch, f"ledger-{next(databases)}.db"))
                ledger.init()
                ledger.publish(params)
                for commitments in opened:
                    ledger.open_account(commitments)
                report = submit(ledger, [inbox], executor=pool)
                ledger.close()
                if report.count("valid") != len(proofs):
                    raise SystemExit("benchmark intake failed")

            return intake

        return best_rates(len(proofs), {"pool_1": (on(narrow), narrow), f"pool_{jobs}": (on(wide), wide)}, repeat)


def run(total: int, distinct: int, jobs: int, repeat: int) -> dict:
    params = zm.build_params(scenario_arrays(4, 16, seed=7), zm.MarginModel.load(ROOT / "circuits" / "scenario.toml"))
    made = accounts(params, distinct, jobs)
    opened = [commitments for commitments, _ in made]
    proofs = [made[n % distinct][1] for n in range(total)]
    pinned = {c.account: c for c in opened}
    verify = verify_rates(proofs, params, pinned, jobs, repeat)
    intake = intake_rates(proofs, params, opened, jobs, repeat)
    wide = f"pool_{jobs}"

    def rates(measured: dict, clock: str) -> dict:
        return {name: round(rate[clock], 1) for name, rate in measured.items()}

    return {
        "backend": groups.current_backend(),
        "accounts": total,
        "jobs": jobs,
        "load_average": round(os.getloadavg()[0], 1),
        "verify_accounts_per_s": {"wall": rates(verify, "wall"), "cpu": rates(verify, "cpu")},
        "verify_ratio": {c: round(verify[wide][c] / verify["pool_1"][c], 2) for c in ("wall", "cpu")},
        "intake_proofs_per_s": {"wall": rates(intake, "wall"), "cpu": rates(intake, "cpu")},
        "intake_ratio": {c: round(intake[wide][c] / intake["pool_1"][c], 2) for c in ("wall", "cpu")},
    }


def print_table(report: dict) -> None:
    for key, value in report.items():
        print(f"{key:>28}: {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--accounts", type=int, default=1000, help="proofs per batch")
    parser.add_argument("--distinct", type=int, default=40, help="accounts actually proved")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes of the wide pool")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (best)")
    args = parser.parse_args()
    return emit(run(args.accounts, args.distinct, args.jobs, args.repeat), args.json, print_table)


if __name__ == "__main__":
    raise SystemExit(main())
