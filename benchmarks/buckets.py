"""Isolated buckets benchmark: what B buckets in one proof cost against one bucket, as ratios.

    python -m benchmarks.buckets [--json] [--repeat 3] [--workers 1]

On the 20-instrument span.toml case of benchmarks.margin_proof, one book of 8 positions
proved as 1 bucket (cross margin) and split into 2, 4 and 8 isolated buckets (one
position or more each, every bucket funded), all in the same run: prove and verify time
and range-proof size of each, over the one-bucket figures. The circuit is B copies, so
prove and verify are expected near B×, the proof size logarithmic. Each bucket proof is
also made for a pinned account (the venue's commitments to the merged book): the extra
work is the split check, the blinding split and, at the verifier, adding up B commitments
per variable, so pinned over unpinned is expected near 1.
"""

from __future__ import annotations

import argparse

from benchmarks.margin_proof import ROOT, median_seconds, option_market, random_book
from benchmarks.report import emit
import zkmargin as zm

BUCKETS = (1, 2, 4, 8)


def split(book: zm.Portfolio, count: int) -> zm.BucketedPortfolio:
    """`book`'s positions dealt round-robin into `count` buckets, each with all of the cash."""
    names = sorted(book.positions)
    return zm.BucketedPortfolio.model_validate({
        "account": book.account,
        "buckets": [
            {"name": f"b{k}", "cash": book.cash, "positions": {n: book.positions[n] for n in names[k::count]}}
            for k in range(count)
        ],
    })


def run(repeat: int, workers: int) -> dict:
    params = zm.build_params(option_market(20, seed=1), zm.MarginModel.load(ROOT / "circuits" / "span.toml"))
    book = random_book(params.instruments, 11, 8, 5e6)
    rows = {}
    for count in BUCKETS:
        portfolio = book if count == 1 else split(book, count)
        proof = zm.prove(portfolio, params, workers=workers)
        zm.verify(proof, params)  # warm the circuit and generator caches
        rows[count] = {
            "prove_s": median_seconds(lambda: zm.prove(portfolio, params, workers=workers), repeat),
            "verify_s": median_seconds(lambda: zm.verify(proof, params), repeat),
            "size": proof.size,
            "commitments": len(proof.commitments),
        }
        if count > 1:
            held, openings = zm.open_account(portfolio.merged(), params)
            pinned = dict(openings=openings, commitments=held, workers=workers)
            proof = zm.prove(portfolio, params, **pinned)
            rows[count]["pinned_prove_s"] = median_seconds(lambda: zm.prove(portfolio, params, **pinned), repeat)
            rows[count]["pinned_verify_s"] = median_seconds(lambda: zm.verify(proof, params, commitments=held), repeat)
    one = rows[1]
    return {
        "case": f"20 instruments × span.toml, 8 positions, workers={workers}",
        "one_bucket": {"prove_s": round(one["prove_s"], 3), "verify_s": round(one["verify_s"], 3),
                       "size": one["size"], "commitments": one["commitments"]},
        **{
            f"buckets_{count}": {
                "prove_over_one": round(row["prove_s"] / one["prove_s"], 2),
                "verify_over_one": round(row["verify_s"] / one["verify_s"], 2),
                "size_over_one": round(row["size"] / one["size"], 3),
                "commitments_over_one": round(row["commitments"] / one["commitments"], 2),
                "pinned_prove_over_unpinned": round(row["pinned_prove_s"] / row["prove_s"], 2),
                "pinned_verify_over_unpinned": round(row["pinned_verify_s"] / row["verify_s"], 2),
            }
            for count, row in rows.items()
            if count > 1
        },
    }


def print_table(report: dict) -> None:
    print("  " + report.pop("case"))
    for key, value in report.items():
        print(f"      {key:>12}: {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (median)")
    parser.add_argument("--workers", type=int, default=1, help="processes each proof may use")
    args = parser.parse_args()
    return emit(run(args.repeat, args.workers), args.json, print_table)


if __name__ == "__main__":
    raise SystemExit(main())
