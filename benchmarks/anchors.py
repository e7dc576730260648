"""Anchors benchmark: what signatures and attestation sums add to verification, as ratios.

    python -m benchmarks.anchors [--json] [--repeat 20]

On the 20-instrument span.toml case of benchmarks.margin_proof: the params signature check
(Ed25519 verify + params digest), one attestation check (Ed25519 verify + universe digest),
the per-instrument sums of two attestations compared with the proof's commitments, and a
whole anchored verification (signed params, policy, two attestations) against the plain one,
all timed in the same run.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

import zkmargin as zm
from benchmarks.margin_proof import ROOT, median_seconds, option_market, random_book
from benchmarks.report import emit
from zkmargin.proofs.attested import summed_commitments


def run(repeat: int) -> dict:
    now = datetime.now(timezone.utc)
    venue, custodian_a, custodian_b = zm.new_key("venue-a", "params"), zm.new_key("custodian-a", "custody"), zm.new_key("custodian-b", "custody")
    trust = zm.Trust([venue.public(), custodian_a.public(), custodian_b.public()])
    unsigned = zm.build_params(option_market(20, seed=1), zm.MarginModel.load(ROOT / "circuits" / "span.toml"))
    params = zm.sign_params(unsigned, venue, epoch=1, valid_from=now - timedelta(minutes=1), valid_for=timedelta(days=1))
    book = random_book(params.instruments, 11, 8, 5e6)
    names = sorted(book.positions)
    half = {name: book.positions[name] for name in names[: len(names) // 2]}
    rest = {name: book.positions[name] for name in names[len(names) // 2:]}
    pairs = [
        zm.attest(custodian_a, params, zm.Portfolio(account=book.account, cash=book.cash, positions=half), sequence=1, time=now),
        zm.attest(custodian_b, params, zm.Portfolio(account=book.account, cash=0, positions=rest), sequence=1, time=now),
    ]
    summed = zm.attested_book(pairs, params)
    attested = zm.prove(summed.portfolio, params, openings=summed.openings, attestations=summed.attestations)
    plain = zm.prove(book, unsigned)
    policy = zm.Policy(trust=trust, attested_only=True, required_custodians={"custodian-a", "custodian-b"})
    zm.verify(attested, params, policy=policy)  # warm caches
    zm.verify(plain, unsigned)
    attestations = [a for a, _ in pairs]
    params_check = median_seconds(lambda: zm.check_params(params, trust), repeat)
    attestation_check = median_seconds(lambda: attestations[0].check(params, trust), repeat)
    sums = median_seconds(lambda: summed_commitments(attestations, params), repeat)
    plain_verify = median_seconds(lambda: zm.verify(plain, unsigned), repeat)
    anchored_verify = median_seconds(lambda: zm.verify(attested, params, policy=policy), repeat)
    return {
        "case": "20 instruments × span.toml, two attestations",
        "params_signature_check_us": round(params_check * 1e6, 1),
        "attestation_check_us": round(attestation_check * 1e6, 1),
        "two_attestation_sums_us": round(sums * 1e6, 1),
        "plain_verify_ms": round(plain_verify * 1e3, 2),
        "anchored_verify_ms": round(anchored_verify * 1e3, 2),
        "anchored_over_plain": round(anchored_verify / plain_verify, 3),
        "signatures_over_plain_verify": round((params_check + 2 * attestation_check) / plain_verify, 4),
    }


def print_table(report: dict) -> None:
    print("  " + report["case"])
    for key, value in report.items():
        if key != "case":
            print(f"      {key:>30}: {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--repeat", type=int, default=20, help="timed repetitions (median)")
    args = parser.parse_args()
    return emit(run(args.repeat), args.json, print_table)


if __name__ == "__main__":
    raise SystemExit(main())
