"""Prover speed as ratios to the verifier's MSM floor, with one and two processes, in one run.

    python -m benchmarks.prover --json            # the numbers issue 14 is judged on
    python -m benchmarks.prover --quick --repeat 1   # smaller crowd, no ES case

For each case the floor is the curve backend's own multi-scalar multiplication of as many
points as the case's verification equation (random full-width scalars), timed right before
each proof (the host's speed drifts) so every ratio is of a pair measured together;
`prove_over_floor` is prove / floor on the wall clock and on CPU time (this process
plus its finished children, so a two-process proof counts both halves). With two workers
on two idle cores the wall clock is about the main process's own CPU (`own_cpu_over_floor`,
the partner works alongside); on a shared machine only the CPU ratios are steady. Proofs
are timed in a warm process (a `prove_many` worker, a long-running prover); `cold_2_workers`
is a fresh process's first proof, which also moves every generator into mcl (~100 µs each,
half in each process).

Cases: 64 aggregated 64-bit values; 20 instruments × span.toml; 250 scenarios ×
expected_shortfall.toml (each with workers = 1 and 2); a crowd of small accounts proved
with `prove_many` in one and in two processes; and the bits-used cost, a statement of
2^k + 2 limbs against one of 2^k (k = 6). The fold engine (mcl or the backend's own
multiplication, `zkmargin/hazmat/fold.py`) is reported; `ZKMARGIN_FOLD=backend` measures
without mcl.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable

import zkmargin as zm
from benchmarks.margin_proof import ROOT, equation_points, option_market, random_book, scenario_arrays
from benchmarks.range_proof import verifier_msm_points
from zkmargin.demo.crowd import DEFAULT_SEED, generate_accounts
from zkmargin.demo.scenery import DEMO_UNIVERSE, MARKET_FILE, MODEL_FILE, REPO_ROOT
from benchmarks.report import emit
from zkmargin.hazmat import fold, groups
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.groups import Point, msm
from zkmargin.hazmat.range_proof import RangeProof
from zkmargin.hazmat.range_proof_parts import create_range_proof
from zkmargin.hazmat.scalar import random_scalar
from zkmargin.hazmat.transcript import Transcript

TARGETS = {
    "64x64 prove <= 6 x floor (wall, 2 workers)": lambda r: r["aggregated_64x64"]["workers_2"]["wall_over_floor"] <= 6,
    "span prove <= 6 x floor (wall, 2 workers)": lambda r: r["span_20"]["workers_2"]["wall_over_floor"] <= 6,
    "ES prove <= 8 x floor (wall, 2 workers)": lambda r: None if "es_250" not in r else r["es_250"]["workers_2"]["wall_over_floor"] <= 8,
    "crowd 2 jobs >= 1.7 x faster": lambda r: r["crowd"]["speedup"] >= 1.7,
    "2^k + 2 limbs <= 1.25 x 2^k limbs": lambda r: r["limbs"]["ratio"] <= 1.25,
}


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process alone, and with every child it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    mine = own.ru_utime + own.ru_stime
    return mine, mine + children.ru_utime + children.ru_stime


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Median (wall, CPU of all processes, CPU of this process) seconds of `repeat` runs."""
    samples = []
    for _ in range(repeat):
        wall, (own, cpu) = time.perf_counter(), cpu_seconds()
        action()
        own_after, cpu_after = cpu_seconds()
        samples.append((time.perf_counter() - wall, cpu_after - cpu, own_after - own))
    return tuple(statistics.median(column) for column in zip(*samples))


def floor(points: int) -> Callable[[], object]:
    """The backend's MSM of `points` points with random scalars (bases repeat every 1,024: same
    cost), made ready once; time the returned call."""
    bases = [Point.hash_to_curve(i.to_bytes(4, "big"), b"zkmargin-benchmark") for i in range(min(points, 1024))]
    bases = (bases * (points // len(bases) + 1))[:points]
    scalars = [random_scalar() for _ in range(points)]
    return lambda: msm(scalars, bases)


def ratios(prove: Callable[[int], object], points: int, repeat: int) -> dict:
    """Floor, then prove with 1 and 2 workers in a warm process; "cold" is the first 2-worker
    proof with no mcl twins yet, as a one-off `zkmargin prove` runs it (generators loaded).

    This host's speed drifts by up to 1.6× over minutes (the same MSM took 180 ms in one run
    and 262 ms in the next), so each repetition times the floor right before its proof and
    the ratios are the medians of those pairs; the times shown are medians too."""
    prove(1)  # load the generators
    fold.forget_twins()
    floor_msm = floor(points)
    cold_floor = timed(floor_msm, 1)[1]
    cold_wall, _, cold_own = timed(lambda: prove(2), 1)
    prove(1)  # warm: every later repetition finds the twins
    pairs = {1: [], 2: []}
    for _ in range(repeat):
        for workers in (1, 2):
            pairs[workers].append((timed(floor_msm, 1), timed(lambda: prove(workers), 1)))
    floors = [floor_time for runs in pairs.values() for floor_time, _ in runs]
    result = {
        "msm_points": points,
        "floor_wall_ms": round(statistics.median(f[0] for f in floors) * 1e3, 1),
        "floor_cpu_ms": round(statistics.median(f[1] for f in floors) * 1e3, 1),
        "cold_2_workers": {"prove_wall_ms": round(cold_wall * 1e3, 1), "own_cpu_over_floor": round(cold_own / cold_floor, 2)},
    }
    for workers, runs in pairs.items():
        result[f"workers_{workers}"] = {
            "prove_wall_ms": round(statistics.median([t[0] for _, t in runs]) * 1e3, 1),
            "prove_cpu_ms": round(statistics.median([t[1] for _, t in runs]) * 1e3, 1),
            "wall_over_floor": round(statistics.median([t[0] / f[0] for f, t in runs]), 2),
            "cpu_over_floor": round(statistics.median([t[1] / f[1] for f, t in runs]), 2),
            # The main process's share: with the partner on its own idle core, about the wall clock.
            "own_cpu_over_floor": round(statistics.median([t[2] / f[1] for f, t in runs]), 2),
        }
    return result


def range_case(n: int, m: int, repeat: int) -> dict:
    bp_gens, pc_gens = BulletproofGens(n, m), PedersenGens()
    values = [random_scalar() % (1 << n) for _ in range(m)]
    blindings = [random_scalar() for _ in range(m)]

    def prove(workers: int) -> object:
        return RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(b"bench"), values, blindings, n, workers=workers)

    return {"case": f"{m} x {n}-bit range proof", **ratios(prove, verifier_msm_points(n, m), repeat)}


def margin_case(name: str, params: zm.RiskParams, book: zm.Portfolio, repeat: int) -> dict:
    points = equation_points(zm.prove(book, params, workers=1), params)
    return {"case": name, **ratios(lambda workers: zm.prove(book, params, workers=workers), points, repeat)}


def crowd_case(accounts: int) -> dict:
    """The demo's crowd: generated accounts over the demo's params, proved in 1 and 2 processes."""
    market = zm.Market.load(REPO_ROOT / MARKET_FILE).listing(DEMO_UNIVERSE)
    params = zm.build_params(market, zm.MarginModel.load(REPO_ROOT / MODEL_FILE))
    provable = [a.portfolio for a in generate_accounts(market, params, accounts, DEFAULT_SEED) if a.report.meets]
    points = equation_points(zm.prove(provable[0], params, workers=1), params)  # also warms the workers' caches
    floor_cpu = timed(floor(points), 3)[1]
    one = timed(lambda: zm.prove_many(provable, params, jobs=1), 1)
    two = timed(lambda: zm.prove_many(provable, params, jobs=2), 1)
    return {
        "case": f"prove_many over {len(provable)} demo accounts",
        "proofs": len(provable),
        # One account's proof against the MSM floor of its own verification (CPU, same run):
        # times the floor on idle cores, the demo's per-account cost there.
        "msm_points": points,
        "floor_cpu_ms": round(floor_cpu * 1e3, 1),
        "proof_cpu_over_floor": round(one[1] / len(provable) / floor_cpu, 2),
        "jobs_1_wall_s": round(one[0], 2),
        "jobs_2_wall_s": round(two[0], 2),
        "jobs_1_cpu_s": round(one[1], 2),
        "jobs_2_cpu_s": round(two[1], 2),
        "speedup": round(one[0] / two[0], 2),
        "proofs_per_minute_2_jobs": round(60 * len(provable) / two[0]),
    }


def limbs_case(k: int, repeat: int) -> dict:
    """Proving 2^k + 2 limbs of 32 bits against 2^k, as the margin prover does (split in parts)."""
    n = 32
    times = {}
    for m in (1 << k, (1 << k) + 2):
        bp_gens, pc_gens = BulletproofGens(n, 2 * m), PedersenGens()
        values = [random_scalar() % (1 << n) for _ in range(m)]
        blindings = [random_scalar() for _ in range(m)]
        times[m] = timed(lambda: create_range_proof(bp_gens, pc_gens, Transcript(b"bench"), values, blindings, n), repeat)[1]
    small, large = sorted(times)
    return {
        "case": f"{large} limbs against {small} (32-bit, one process, CPU)",
        f"limbs_{small}_cpu_ms": round(times[small] * 1e3, 1),
        f"limbs_{large}_cpu_ms": round(times[large] * 1e3, 1),
        "ratio": round(times[large] / times[small], 2),
    }


def run(repeat: int, crowd_accounts: int, include_es: bool) -> dict:
    span_params = zm.build_params(option_market(20, seed=1), zm.MarginModel.load(ROOT / "circuits" / "span.toml"))
    report = {
        "backend": groups.current_backend(),
        "fold_engine": fold.current_engine(),
        "aggregated_64x64": range_case(64, 64, repeat),
        "span_20": margin_case("20 instruments × span.toml", span_params, random_book(span_params.instruments, 11, 8, 5e6), repeat),
    }
    if include_es:
        es_params = zm.build_params(scenario_arrays(5, 250, seed=3), zm.MarginModel.load(ROOT / "circuits" / "expected_shortfall.toml"))
        report["es_250"] = margin_case(
            "250 scenarios × expected_shortfall.toml", es_params, random_book(es_params.instruments, 13, 5, 5e6), repeat
        )
    report["crowd"] = crowd_case(crowd_accounts)
    report["limbs"] = limbs_case(6, repeat)
    # None: the case was not run (--quick leaves out expected shortfall), so nothing is claimed.
    report["targets"] = {name: None if (met := test(report)) is None else bool(met) for name, test in TARGETS.items()}
    return report


def print_table(report: dict) -> None:
    print(f"backend {report['backend']}, fold engine {report['fold_engine']}")
    header = f"{'case':<42}{'floor ms':>10}{'w':>3}{'prove ms':>10}{'wall/floor':>11}{'cpu/floor':>10}{'own cpu/floor':>14}"
    print(header)
    print("-" * len(header))
    for key in ("aggregated_64x64", "span_20", "es_250"):
        if key not in report:
            continue
        case = report[key]
        for workers in (1, 2):
            row = case[f"workers_{workers}"]
            print(
                f"{case['case'] if workers == 1 else '':<42}{case['floor_wall_ms'] if workers == 1 else '':>10}{workers:>3}"
                f"{row['prove_wall_ms']:>10}{row['wall_over_floor']:>11}{row['cpu_over_floor']:>10}{row['own_cpu_over_floor']:>14}"
            )
    crowd, limbs = report["crowd"], report["limbs"]
    print(f"\n{crowd['case']}: {crowd['jobs_1_wall_s']} s in one process, {crowd['jobs_2_wall_s']} s in two ({crowd['speedup']}x);"
          f" one proof is {crowd['proof_cpu_over_floor']}x its MSM floor (CPU)")
    print(f"{limbs['case']}: {limbs['ratio']}x")
    for name, met in report["targets"].items():
        print(f"target {name}: {'not run' if met is None else 'met' if met else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions per figure (median)")
    parser.add_argument("--quick", action="store_true", help="40 crowd accounts, no ES case")
    args = parser.parse_args(argv)
    return emit(run(args.repeat, 40 if args.quick else 120, include_es=not args.quick), args.json, print_table)


if __name__ == "__main__":
    sys.exit(main())
