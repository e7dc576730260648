"""Range proof timings against the backend's own MSM floor.

    python -m benchmarks.range_proof            # readable table
    python -m benchmarks.range_proof --json     # machine-readable
    python -m benchmarks.range_proof --clock cpu  # process CPU time: steadier on a busy machine

Cases: one 64-bit value; 16 and 64 aggregated 64-bit values; a batch of 100 single proofs
verified together against one by one; and the single case on the pure-Python backend.
Each figure is the median of a few runs. The floor is the backend's multi-scalar
multiplication of the verifier's size (2nm + 2·log2(nm) + m + 6 points, random scalars),
timed in the same run, so verify/floor is the overhead of everything but that MSM.
Verification times start from a decoded proof and 48-byte commitments (which the verifier
decodes); `decode_ms` is RangeProof.from_bytes on its own. Everything runs on one thread,
so on a shared machine `--clock cpu` gives what the wall clock would show on an idle one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from benchmarks.report import emit
from zkmargin.hazmat import groups
from zkmargin.hazmat.generators import BulletproofGens, PedersenGens
from zkmargin.hazmat.range_proof import RangeProof
from zkmargin.hazmat.scalar import random_scalar
from zkmargin.hazmat.transcript import Transcript

LABEL = b"zkmargin benchmark"
N_BITS = 64
BATCH_SIZE = 100

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = CLOCKS["wall"]

TARGETS = {
    "single prove_ms <= 50": lambda r: r["single"]["prove_ms"] <= 50,
    "single verify <= 1.5 x floor": lambda r: r["single"]["verify_over_floor"] <= 1.5,
    "64x64 prove_ms <= 3000": lambda r: r["aggregated_64"]["prove_ms"] <= 3000,
    "64x64 verify_ms <= 200": lambda r: r["aggregated_64"]["verify_ms"] <= 200,
    "batch of 100 speedup >= 3": lambda r: r["batch_100"]["speedup"] >= 3,
}


def median_ms(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = _clock()
        action()
        samples.append((_clock() - start) * 1e3)
    return round(statistics.median(samples), 3)


def verifier_msm_points(n: int, m: int) -> int:
    nm = n * (1 << (m - 1).bit_length())
    return 2 * nm + 2 * (nm.bit_length() - 1) + m + 6


def msm_floor_ms(points: int, bp_gens: BulletproofGens, repeats: int) -> float:
    """The active backend's own MSM over `points` distinct bases with random scalars."""
    backend = groups.backend()
    everything = bp_gens.G(bp_gens.gens_capacity, bp_gens.party_capacity) + bp_gens.H(bp_gens.gens_capacity, bp_gens.party_capacity)
    bases = [p.raw for p in everything[:points]]
    scalars = [random_scalar() for _ in bases]
    return median_ms(lambda: backend.msm(scalars, bases), repeats)


def prove(bp_gens, pc_gens, m, label=LABEL):
    values = [random_scalar() % (1 << N_BITS) for _ in range(m)]
    blindings = [random_scalar() for _ in range(m)]
    return RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(label), values, blindings, N_BITS)


def aggregated_case(m: int, bp_gens, pc_gens, prove_repeats: int, verify_repeats: int) -> dict:
    made, commitments = prove(bp_gens, pc_gens, m)
    encoded = made.to_bytes()
    proof = RangeProof.from_bytes(encoded)  # a verifier starts from bytes; decoding is timed on its own
    points = verifier_msm_points(N_BITS, m)
    result = {
        "n": N_BITS,
        "m": m,
        "prove_ms": median_ms(lambda: prove(bp_gens, pc_gens, m), prove_repeats),
        "verify_ms": median_ms(
            lambda: RangeProof.verify_multiple(proof, bp_gens, pc_gens, Transcript(LABEL), commitments, N_BITS),
            verify_repeats,
        ),
        "decode_ms": median_ms(lambda: RangeProof.from_bytes(encoded), verify_repeats),
        "msm_points": points,
        "msm_floor_ms": msm_floor_ms(points, bp_gens, verify_repeats),
        "proof_bytes": len(encoded),
    }
    result["verify_over_floor"] = round(result["verify_ms"] / result["msm_floor_ms"], 3)
    return result


def batch_case(bp_gens, pc_gens, repeats: int) -> dict:
    proofs = []
    for k in range(BATCH_SIZE):
        label = LABEL + k.to_bytes(4, "big")
        proof, commitments = prove(bp_gens, pc_gens, 1, label)
        proofs.append((RangeProof.from_bytes(proof.to_bytes()), label, commitments))

    def batched():
        RangeProof.verify_batch(
            [(proof, Transcript(label), commitments, N_BITS) for proof, label, commitments in proofs], bp_gens, pc_gens
        )

    def one_by_one():
        for proof, label, commitments in proofs:
            RangeProof.verify_multiple(proof, bp_gens, pc_gens, Transcript(label), commitments, N_BITS)

    points = 2 * N_BITS + 2 + BATCH_SIZE * (verifier_msm_points(N_BITS, 1) - 2 * N_BITS - 2)
    result = {
        "n": N_BITS,
        "proofs": BATCH_SIZE,
        "batch_verify_ms": median_ms(batched, repeats),
        "one_by_one_ms": median_ms(one_by_one, repeats),
        "msm_points": points,
        "msm_floor_ms": msm_floor_ms(points, bp_gens, repeats),
    }
    result["speedup"] = round(result["one_by_one_ms"] / result["batch_verify_ms"], 2)
    result["verify_over_floor"] = round(result["batch_verify_ms"] / result["msm_floor_ms"], 3)
    return result


def run(clock: str = "wall") -> dict:
    global _clock
    _clock = CLOCKS[clock]
    pc_gens = PedersenGens()
    bp_gens = BulletproofGens(N_BITS, 64)
    bp_gens.G(N_BITS, 64), bp_gens.H(N_BITS, 64)  # load the generators before timing
    report = {
        "backend": groups.current_backend(),
        "clock": clock,
        "single": aggregated_case(1, bp_gens, pc_gens, prove_repeats=7, verify_repeats=15),
        "aggregated_16": aggregated_case(16, bp_gens, pc_gens, prove_repeats=3, verify_repeats=5),
        "aggregated_64": aggregated_case(64, bp_gens, pc_gens, prove_repeats=3, verify_repeats=5),
        "batch_100": batch_case(bp_gens, pc_gens, repeats=3),
    }
    if "py_ecc" in groups.available_backends() and report["backend"] != "py_ecc":
        with groups.using("py_ecc"):
            slow = BulletproofGens(N_BITS, 1)
            slow.G(N_BITS, 1), slow.H(N_BITS, 1)
            py_ecc_single = aggregated_case(1, slow, PedersenGens(), prove_repeats=3, verify_repeats=3)
        py_ecc_single["backend"] = "py_ecc"
        py_ecc_single["prove_ratio_to_default"] = round(py_ecc_single["prove_ms"] / report["single"]["prove_ms"], 1)
        py_ecc_single["verify_ratio_to_default"] = round(py_ecc_single["verify_ms"] / report["single"]["verify_ms"], 1)
        report["py_ecc_single"] = py_ecc_single
    if report["backend"] == "arkworks":
        report["targets"] = {name: bool(test(report)) for name, test in TARGETS.items()}
    return report


def print_table(report: dict) -> None:
    print(f"backend: {report['backend']}, {report['clock']} clock")
    header = f"{'case':<16}{'prove ms':>10}{'verify ms':>11}{'decode ms':>11}{'MSM pts':>9}{'floor ms':>10}{'ratio':>7}{'bytes':>7}"
    print(header)
    print("-" * len(header))
    for key in ("single", "aggregated_16", "aggregated_64", "py_ecc_single"):
        if key not in report:
            continue
        case = report[key]
        print(
            f"{key:<16}{case['prove_ms']:>10.1f}{case['verify_ms']:>11.2f}{case['decode_ms']:>11.2f}"
            f"{case['msm_points']:>9}{case['msm_floor_ms']:>10.2f}{case['verify_over_floor']:>7.2f}{case['proof_bytes']:>7}"
        )
    batch = report["batch_100"]
    print(
        f"\nbatch of {batch['proofs']} single proofs: {batch['batch_verify_ms']:.1f} ms batched vs "
        f"{batch['one_by_one_ms']:.1f} ms one by one ({batch['speedup']}x); "
        f"one MSM of {batch['msm_points']} points takes {batch['msm_floor_ms']:.1f} ms"
    )
    if "py_ecc_single" in report:
        case = report["py_ecc_single"]
        print(f"py_ecc vs {report['backend']}: prove {case['prove_ratio_to_default']}x, verify {case['verify_ratio_to_default']}x")
    for name, passed in report.get("targets", {}).items():
        print(f"target {name}: {'met' if passed else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="wall time (default) or process CPU time")
    args = parser.parse_args(argv)
    return emit(run(args.clock), args.json, print_table)


if __name__ == "__main__":
    sys.exit(main())
