"""Margin proof benchmark: prove/verify time and size, as ratios to the MSM floor.

    python -m benchmarks.margin_proof [--json] [--accounts 1000] [--repeat 3]

Cases (DESIGN.md §7): 20 instruments × span.toml, 100 instruments × portfolio_margin.toml,
250-scenario expected_shortfall.toml over venue-supplied scenarios, and batch verification
of many small-book proofs against verifying them one by one. Each verification is reported
next to the MSM floor: the backend's own multi-scalar multiplication of exactly as many
points as that verification equation has, timed in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from zkmargin.hazmat import groups
from zkmargin.hazmat.groups import Point, msm
from zkmargin.hazmat.scalar import random_scalar
from zkmargin.engine.market import Market
from zkmargin.engine.models import MarginModel
from zkmargin.engine.params import build_params
from zkmargin.engine.portfolio import Portfolio
from zkmargin.proofs.prover import prove
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.proofs.circuit import LIMB_BITS
from zkmargin.proofs.statement import limb_count
from zkmargin.hazmat.range_proof_parts import decode_range_proof
from zkmargin.proofs.verifier import verify, verify_batch

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 27)


def median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def option_market(count: int, seed: int) -> Market:
    """One stock and `count − 1` listed options on it, half with marks, half model-priced."""
    rng = np.random.default_rng(seed)
    instruments = {"ACME": {"kind": "stock", "underlying": "ACME"}}
    for i in range(count - 1):
        right = "call" if i % 2 else "put"
        strike = float(80 + 5 * (i // 2 % 9))
        expiry = (AS_OF + timedelta(days=21 + 28 * (i // 18))).isoformat()
        instruments[f"ACME {expiry} {strike:g} {right[0].upper()} #{i}"] = {
            "kind": "option", "underlying": "ACME", "right": right, "strike": strike,
            "expiry": expiry, "multiplier": 100,
        }
    return Market.from_json(json.dumps({
        "as_of": AS_OF.isoformat(), "currency": "USD", "rate": 0.04,
        "underlyings": {"ACME": {"price": float(rng.uniform(95, 105)), "vol": 0.3, "asset_class": "equity"}},
        "instruments": instruments,
    }))


def random_book(universe: list[str], seed: int, held: int, cash: float) -> Portfolio:
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(universe), size=min(held, len(universe)), replace=False)
    positions = {universe[i]: int(rng.integers(-5, 6)) for i in chosen}
    return Portfolio.from_json(json.dumps({"account": f"acct-{seed}", "cash": cash, "positions": positions}))


def scenario_arrays(instruments: int, scenarios: int, seed: int) -> RiskArrays:
    rng = np.random.default_rng(seed)
    return RiskArrays.from_json(json.dumps({
        "currency": "USD",
        "scenarios": [f"day{s}" for s in range(scenarios)],
        "instruments": {
            f"FUT{i}": {"mark": 0, "multiplier": 1, "pnl": [round(float(x), 2) for x in rng.normal(0, 800, scenarios)]}
            for i in range(instruments)
        },
    }))


def msm_floor(points: int, repeat: int) -> float:
    """Seconds for one MSM of `points` random points with random full-width scalars."""
    bases = [Point.hash_to_curve(i.to_bytes(4, "big"), b"zkmargin-benchmark") for i in range(min(points, 512))]
    bases = (bases * (points // len(bases) + 1))[:points]
    scalars = [random_scalar() for _ in range(points)]
    return median_seconds(lambda: msm(scalars, bases), repeat)


def equation_points(proof, params) -> int:
    """Points in the proof's single verification equation (docs/protocol.md §6): the G and H
    of the largest part (parts share them), B, B_blinding, each part's A, S, T_1, T_2, L and
    R, and the commitments."""
    limbs = limb_count(proof.to_statement().compile(params))
    decoded = decode_range_proof(proof.range_proof_bytes, LIMB_BITS, limbs)
    parts = getattr(decoded, "parts", (decoded,))
    rounds = [len(part.ipp.L_vec) for part in parts]
    return 2 * (1 << max(rounds)) + 2 + sum(4 + 2 * k for k in rounds) + len(proof.commitments) + len(proof.limb_commitments)


def single_case(name: str, params, book: Portfolio, repeat: int) -> dict:
    proof = prove(book, params)
    verify(proof, params)  # warm the generator cache before timing
    prove_s = median_seconds(lambda: prove(book, params), repeat)
    verify_s = median_seconds(lambda: verify(proof, params), repeat)
    floor_points = equation_points(proof, params)
    floor_s = msm_floor(floor_points, repeat)
    return {
        "case": name,
        "instruments": len(params.instruments),
        "scenarios": len(params.scenarios),
        "commitments": len(proof.commitments) + len(proof.limb_commitments),
        "range_proof_bytes": proof.size,
        "proof_file_bytes": len(proof.to_json()),
        "prove_ms": round(prove_s * 1e3, 2),
        "verify_ms": round(verify_s * 1e3, 2),
        "msm_points": floor_points,
        "msm_floor_ms": round(floor_s * 1e3, 2),
        "verify_over_floor": round(verify_s / floor_s, 2),
    }


def batch_case(accounts: int, repeat: int) -> dict:
    params = build_params(scenario_arrays(4, 16, seed=7), MarginModel.load(ROOT / "circuits" / "scenario.toml"))
    proofs = [prove(random_book(params.instruments, seed, 4, 50_000), params) for seed in range(accounts)]
    verify(proofs[0], params)
    one_by_one_s = median_seconds(lambda: [verify(p, params) for p in proofs], 1)
    batch_s = median_seconds(lambda: verify_batch(proofs, params), repeat)
    return {
        "case": f"batch verify {accounts} accounts (4 instruments × 16 scenarios)",
        "accounts": accounts,
        "batch_ms": round(batch_s * 1e3, 1),
        "one_by_one_ms": round(one_by_one_s * 1e3, 1),
        "speedup": round(one_by_one_s / batch_s, 2),
    }


def run(accounts: int, repeat: int) -> dict:
    span = MarginModel.load(ROOT / "circuits" / "span.toml")
    pm = MarginModel.load(ROOT / "circuits" / "portfolio_margin.toml")
    es = MarginModel.load(ROOT / "circuits" / "expected_shortfall.toml")
    span_params = build_params(option_market(20, seed=1), span)
    pm_params = build_params(option_market(100, seed=2), pm)
    es_params = build_params(scenario_arrays(5, 250, seed=3), es)
    cases = [
        single_case("20 instruments × span.toml", span_params, random_book(span_params.instruments, 11, 8, 5e6), repeat),
        single_case("100 instruments × portfolio_margin.toml", pm_params, random_book(pm_params.instruments, 12, 30, 5e6), repeat),
        single_case("250 scenarios × expected_shortfall.toml", es_params, random_book(es_params.instruments, 13, 5, 5e6), repeat),
        batch_case(accounts, repeat),
    ]
    return {"backend": groups.current_backend(), "cases": cases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--accounts", type=int, default=1000, help="proofs in the batch case")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (median)")
    args = parser.parse_args()
    report = run(args.accounts, args.repeat)
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"backend: {report['backend']}")
    for case in report["cases"]:
        print("  " + case.pop("case"))
        for key, value in case.items():
            print(f"      {key:>20}: {value}")


if __name__ == "__main__":
    main()
