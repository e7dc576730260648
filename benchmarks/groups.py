"""Curve backend speeds: MSM of the verifier's size, decompression, hashing, generator cache.

    python -m benchmarks.groups [--json] [--quick]

Generator timings use a fresh temporary cache directory: "cold" derives every point by
hash-to-curve and writes the cache file, "warm" is a new process's view (empty memory,
file present). py_ecc's cold 2×65536 would take minutes, so py_ecc only times the
warm load of that size, from the file the arkworks run wrote (the format is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
import time

from zkmargin.hazmat import generators
from zkmargin.hazmat.generators import BulletproofGens
from zkmargin.hazmat.groups import Point, available_backends, msm, using
from zkmargin.hazmat.scalar import ORDER

VERIFIER_MSM_SIZE = 147  # one 64-bit range proof: 2·64 + 2·6 + 7 points


def per_call_ms(action, budget_s: float = 1.0, max_calls: int = 2000) -> float:
    action()
    calls, start = 0, time.perf_counter()
    while calls < max_calls and (calls == 0 or time.perf_counter() - start < budget_s):
        action()
        calls += 1
    return (time.perf_counter() - start) / calls * 1e3


def group_ops(backend_name: str) -> dict[str, float]:
    with using(backend_name):
        points = [Point.hash_to_curve(k.to_bytes(4, "big"), b"zkmargin-bench") for k in range(VERIFIER_MSM_SIZE)]
        scalars = [secrets.randbelow(ORDER) for _ in points]
        encoded = points[1].to_bytes()
        return {
            "msm_147_ms": per_call_ms(lambda: msm(scalars, points)),
            "decompress_ms": per_call_ms(lambda: Point.from_bytes(encoded)),
            "hash_to_curve_ms": per_call_ms(lambda: Point.hash_to_curve(b"abc", b"zkmargin-bench")),
            "scalar_mul_ms": per_call_ms(lambda: scalars[0] * points[0]),
        }


def time_generators(backend_name: str, n: int) -> float:
    with using(backend_name):
        generators._chains.clear()
        start = time.perf_counter()
        gens = BulletproofGens(n, 1)
        gens.G(n, 1)
        gens.H(n, 1)
        return time.perf_counter() - start


def generator_cache(backend_name: str, n: int, directory: str, cold: bool) -> dict[str, float]:
    os.environ["ZKMARGIN_CACHE_DIR"] = directory
    results = {}
    if cold:
        results[f"cold_2x{n}_s"] = time_generators(backend_name, n)
    results[f"warm_2x{n}_s"] = time_generators(backend_name, n)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="skip the 2×65536 generator case")
    args = parser.parse_args()
    backends = available_backends()
    report: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as root:
        for name in backends:
            report[name] = group_ops(name)
            report[name].update(generator_cache(name, 4096, os.path.join(root, name), cold=True))
            if not args.quick:
                # the first backend derives the big vectors; the others load its file
                shared = os.path.join(root, "shared")
                report[name].update(generator_cache(name, 65536, shared, cold=name == backends[0]))
    if len(backends) == 2:
        fast, slow = (report[name] for name in backends)
        report["ratio_py_ecc_to_arkworks"] = {key: slow[key] / fast[key] for key in slow if key in fast}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, figures in report.items():
        print(name)
        for key, value in figures.items():
            print(f"  {key:<20} {value:10.4f}")


if __name__ == "__main__":
    main()
