"""Output shared by the benchmarks: `--json` prints the report, otherwise a table."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable


def emit(report: dict, as_json: bool, print_table: Callable[[dict], None]) -> int:
    """Print `report` as indented JSON or through `print_table`; the exit status."""
    if as_json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        print_table(report)
    return 0
