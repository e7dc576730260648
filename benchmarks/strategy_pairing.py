"""Strategy pairing benchmark: a `standard` proof with pairing witnesses against naked-only.

    python -m benchmarks.strategy_pairing [--json] [--repeat 3]

One 60-instrument market (6 underlyings, each a stock, 5 calls and 4 puts of one expiry)
and one book holding covered calls, verticals, straddles and iron condors on it. The same
book is proved twice in the same run: with the params as `build_params` makes them
(strategy templates, pairing witnesses) and with the templates removed (every leg naked,
today's proof). The figure of merit is the ratio of the two prove times (issue 12: < 2);
`padded_limbs` is what the range proof pays for (each part padded to a power of two,
hazmat/range_proof_parts.py), so `padded_ratio` is the ratio a quiet machine approaches.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.margin_proof import AS_OF, median_seconds
from benchmarks.report import emit
from zkmargin.engine.assess import assess
from zkmargin.engine.market import Market
from zkmargin.engine.models import MarginModel
from zkmargin.engine.params import build_params
from zkmargin.engine.portfolio import Portfolio
from zkmargin.hazmat import groups
from zkmargin.hazmat.range_proof import padded_party_count
from zkmargin.hazmat.range_proof_parts import part_sizes
from zkmargin.proofs.prover import prove
from zkmargin.proofs.statement import Statement, limb_count
from zkmargin.proofs.verifier import verify

ROOT = Path(__file__).resolve().parents[1]
UNDERLYINGS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]
CALLS = (100, 105, 110, 115, 120)
PUTS = (80, 85, 90, 95)


def market() -> Market:
    expiry = "2026-12-18"
    underlyings, instruments = {}, {}
    for u in UNDERLYINGS:
        underlyings[u] = {"price": 100.0, "vol": 0.3, "asset_class": "equity"}
        instruments[u] = {"kind": "stock", "underlying": u}
        for right, strikes in (("call", CALLS), ("put", PUTS)):
            for strike in strikes:
                instruments[f"{u} {strike} {right[0].upper()}"] = {
                    "kind": "option", "underlying": u, "right": right, "strike": strike,
                    "expiry": expiry, "multiplier": 100,
                }
    return Market.from_json(json.dumps({
        "as_of": AS_OF.isoformat(), "currency": "USD", "rate": 0.04,
        "underlyings": underlyings, "instruments": instruments,
    }))


def book() -> Portfolio:
    positions: dict[str, int] = {}
    for n, u in enumerate(UNDERLYINGS):
        shape = n % 3
        if shape == 0:  # covered calls and a call vertical
            positions |= {u: 300, f"{u} 110 C": -3, f"{u} 105 C": 2, f"{u} 115 C": -2}
        elif shape == 1:  # iron condor
            positions |= {f"{u} 85 P": 4, f"{u} 90 P": -4, f"{u} 110 C": -4, f"{u} 115 C": 4}
        else:  # short strangle
            positions |= {f"{u} 120 C": -2, f"{u} 80 P": -2}
    return Portfolio(account="bench", cash=2_000_000, positions=positions)


def case(name: str, params, portfolio: Portfolio, repeat: int) -> dict:
    proof = prove(portfolio, params)
    verify(proof, params)
    circuit = Statement.for_params(params, portfolio.account, "maintenance").compile(params)
    return {
        "case": name,
        "strategies": len(params.strategies),
        "variables": len(circuit.variables),
        "limbs": limb_count(circuit),
        "padded_limbs": sum(padded_party_count(size) for size in part_sizes(limb_count(circuit))),
        "requirement": str(assess(portfolio, params).requirement),
        "prove_s": median_seconds(lambda: prove(portfolio, params), repeat),
    }


def run(repeat: int) -> dict:
    paired = build_params(market(), MarginModel.load(ROOT / "circuits" / "standard.toml"))
    naked = paired.model_copy(update={"strategies": []})
    portfolio = book()
    cases = [case("naked only", naked, portfolio, repeat), case("pairing witnesses", paired, portfolio, repeat)]
    return {
        "backend": groups.current_backend(),
        "instruments": len(paired.instruments),
        "cases": cases,
        "prove_ratio": round(cases[1]["prove_s"] / cases[0]["prove_s"], 2),
        "padded_ratio": round(cases[1]["padded_limbs"] / cases[0]["padded_limbs"], 2),
    }


def print_table(report: dict) -> None:
    print(f"backend: {report['backend']}, {report['instruments']} instruments")
    for item in report["cases"]:
        print(f"  {item['case']}: " + ", ".join(f"{k} {v}" for k, v in item.items() if k != "case"))
    print(f"  prove time ratio (pairing / naked): {report['prove_ratio']}, padded limbs: {report['padded_ratio']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (median)")
    args = parser.parse_args()
    return emit(run(args.repeat), args.json, print_table)


if __name__ == "__main__":
    raise SystemExit(main())
