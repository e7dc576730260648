"""pyblst and pymcl against arkworks, in one run: what each wheel can do for zkmargin, and how fast.

    python -m benchmarks.backends [--json]

For each library: does it reproduce our bytes (ZCash compressed encoding, RFC 9380
hash-to-curve with our DST), does it have an MSM, and the per-call cost of the operations
the prover and verifier spend their time in (CPU time, median of 5 blocks). A wheel that is
not installed is reported as such. The conclusion is in docs/curve-backends.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from zkmargin.hazmat.generators import GENERATORS_DST
from zkmargin.hazmat.groups import Point, msm, using
from zkmargin.hazmat.scalar import random_scalar

MSG = b"zkmargin backend comparison"


def per_call_us(action, calls: int = 200) -> float:
    blocks = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(calls):
            action()
        blocks.append((time.process_time() - start) / calls * 1e6)
    return round(statistics.median(blocks), 1)


def arkworks() -> dict:
    with using("arkworks"):
        point = Point.hash_to_curve(MSG, GENERATORS_DST)
        k = random_scalar()
        bases = [Point.hash_to_curve(i.to_bytes(4, "big"), GENERATORS_DST) for i in range(1024)]
        scalars = [random_scalar() for _ in bases]
        return {
            "msm": True,
            "mul_us": per_call_us(lambda: k * point),
            "add_us": per_call_us(lambda: point + point, 2000),
            "msm_1024_us_per_point": round(per_call_us(lambda: msm(scalars, bases), 3) / 1024, 1),
            "decompress_checked_us": per_call_us(lambda: Point.from_bytes(point.to_bytes())),
        }


def pyblst(reference: bytes, generator: bytes) -> dict:
    try:
        from pyblst import BlstP1Element
    except ImportError:
        return {"installed": False}
    point = BlstP1Element().hash_to_group(MSG, GENERATORS_DST)
    k = random_scalar()
    compressed = point.compress()
    return {
        "installed": True,
        "msm": False,
        "same_hash_to_curve_and_encoding": compressed == reference,
        "mul_us": per_call_us(lambda: point.scalar_mul(k)),
        "add_us": per_call_us(lambda: point + point, 2000),
        "decompress_checked_us": per_call_us(lambda: BlstP1Element().uncompress(compressed)),
        "affine_import": False,
    }


def pymcl(reference: bytes, generator: bytes) -> dict:
    try:
        import pymcl
    except ImportError:
        return {"installed": False}
    k = pymcl.Fr(str(random_scalar()))
    point = pymcl.g1 * k
    x, y = (int(c) for c in str(point).split()[1:])
    text = f"1 {x:x} {y:x}"
    return {
        "installed": True,
        "msm": False,
        "same_hash_to_curve_and_encoding": pymcl.g1.serialize() == generator,
        "mul_us": per_call_us(lambda: point * k),
        "add_us": per_call_us(lambda: point + point, 2000),
        "affine_import_checked_us": per_call_us(lambda: pymcl.G1(text, 16)),
        "affine_export_us": per_call_us(lambda: str(point).split()),
    }


def run() -> dict:
    with using("arkworks"):
        reference = Point.hash_to_curve(MSG, GENERATORS_DST).to_bytes()
        generator = Point.generator().to_bytes()
    report = {"arkworks": arkworks(), "pyblst": pyblst(reference, generator), "pymcl": pymcl(reference, generator)}
    for name in ("pyblst", "pymcl"):
        if report[name].get("installed"):
            report[name]["mul_ratio_to_arkworks"] = round(report[name]["mul_us"] / report["arkworks"]["mul_us"], 2)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
    args = parser.parse_args(argv)
    report = run()
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        for name, figures in report.items():
            print(f"{name}: " + ", ".join(f"{key} {value}" for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
