"""Lean circuit benchmark: what leaving out implied items costs the compiler, as ratios.

    python -m benchmarks.lean_compile [--json] [--instruments 100] [--scenarios 25 42 100 200]

Venue-supplied risk arrays under scenario.toml (max aggregation, every scenario in the one
group "all", as historical scenarios come): for each group size, the lean circuit's
compile time (dominance search included) over the full circuit's, timed in the same run,
and the exponent k of n^k by which the lean time grows from one size to the next (the
pair search is cubic; past `dominance.PAIR_SEARCH_BUDGET` single rows only are tried). Both
sides pay it: `prove`, and `verify` for every statement it compiles.
"""

from __future__ import annotations

import argparse
import math
from fractions import Fraction
from itertools import pairwise

from benchmarks.margin_proof import ROOT, median_seconds, scenario_arrays
from benchmarks.report import emit
from zkmargin.engine.models import MarginModel
from zkmargin.engine.params import build_params
from zkmargin.proofs.compiler import compile_circuit
from zkmargin.proofs.statement import limb_count


def run(instruments: int, sizes: list[int]) -> dict:
    model = MarginModel.load(ROOT / "circuits" / "scenario.toml")
    cases = []
    for scenarios in sizes:
        params = build_params(scenario_arrays(instruments, scenarios, seed=4), model)
        full = median_seconds(lambda p=params: compile_circuit(p, Fraction(1), 0, lean=False), 3)
        lean = median_seconds(lambda p=params: compile_circuit(p, Fraction(1), 0), 1)
        limbs = [limb_count(compile_circuit(params, Fraction(1), 0, lean=lean)) for lean in (False, True)]
        cases.append({
            "scenarios": scenarios, "full_compile_ms": round(full * 1e3, 1), "lean_compile_ms": round(lean * 1e3, 1),
            "lean_over_full": round(lean / full, 1), "full_limbs": limbs[0], "lean_limbs": limbs[1],
        })
    for smaller, larger in pairwise(cases):
        growth = larger["lean_compile_ms"] / smaller["lean_compile_ms"]
        larger["growth_exponent"] = round(math.log(growth, larger["scenarios"] / smaller["scenarios"]), 2)
    return {"case": f"{instruments} instruments × scenario.toml, one group", "cases": cases}


def print_table(report: dict) -> None:
    print("  " + report["case"])
    for case in report["cases"]:
        print("      " + ", ".join(f"{key} {value}" for key, value in case.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--instruments", type=int, default=100, help="instruments in the risk arrays")
    parser.add_argument("--scenarios", type=int, nargs="+", default=[25, 42, 100, 200], help="group sizes to compile")
    args = parser.parse_args()
    return emit(run(args.instruments, args.scenarios), args.json, print_table)


if __name__ == "__main__":
    raise SystemExit(main())
