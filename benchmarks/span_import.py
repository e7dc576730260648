"""SPAN XML import against the floor of parsing the same file with the standard library.

    python -m benchmarks.span_import             # readable table
    python -m benchmarks.span_import --json      # machine-readable
    python -m benchmarks.span_import --options 50000 --clock cpu

The file is examples/span_sp_nq.spn with its SP call repeated at N strikes (default
20,000 options). `floor_s` is `xml.etree.ElementTree.parse` of the file: one C pass that
builds the whole tree, with no entity defences and no checks. `import_s` is
`read_span_xml` (defusedxml SAX stream, every value checked, risk.json validated), timed
in the same run, so `import_over_floor` is the price of streaming safely and checking.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from zkmargin.engine.importers import read_span_xml

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "span_sp_nq.spn"
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
TARGETS = {"import <= 6 x stdlib parse": lambda r: r["import_over_floor"] <= 6}


def span_file(options: int) -> str:
    text = EXAMPLE.read_text()
    call = re.search(r"            <opt>\n.*?</opt>\n", text, re.S).group(0)
    strikes = "".join(call.replace("<k>6000</k>", f"<k>{1000 + k}</k>") for k in range(options))
    return text.replace(call, strikes, 1)


def run(options: int, clock) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.spn"
        path.write_text(span_file(options))
        start = clock()
        ElementTree.parse(path)
        floor = clock() - start
        start = clock()
        arrays = read_span_xml(path, ["SP"])
        imported = clock() - start
        size = path.stat().st_size
    return {
        "options": options,
        "contracts": len(arrays.instruments),
        "file_mb": round(size / 1e6, 2),
        "floor_s": round(floor, 3),
        "import_s": round(imported, 3),
        "import_over_floor": round(imported / floor, 2),
        "contracts_per_s": round(len(arrays.instruments) / imported),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--options", type=int, default=20_000, help="options in the generated file")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args(argv)
    result = run(args.options, CLOCKS[args.clock])
    result["targets"] = {name: check(result) for name, check in TARGETS.items()}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
