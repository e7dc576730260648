"""Importers: a venue's own risk files read into risk.json (`RiskArrays`).

- `span_xml`: SPAN XML risk parameter files (`.spn`), one scenario group per combined
  commodity, scan ranges and the inter-commodity spread table carried along;
- `deribit_pme`: the JSON of Deribit's portfolio-margin simulation, one group per currency.

Each reads a file it does not trust: malformed, truncated or hostile input is an
`InputError` naming the element or field (and the line, where the format has lines).
"""

from __future__ import annotations

import os

from zkmargin.engine.importers.deribit_pme import read_deribit_pme
from zkmargin.engine.importers.span_xml import read_span_xml
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.errors import InputError

IMPORT_FORMATS = ("span-xml", "deribit-pme")
"""The risk file formats `import_risk_file` reads."""


def import_risk_file(
    path: str | os.PathLike, format: str, commodities: list[str] | None = None
) -> RiskArrays:
    """Read a venue's risk file as risk arrays with its scenario groups.

    `format` is one of `IMPORT_FORMATS`; `commodities` keeps only those SPAN combined
    commodities (SPAN only: a Deribit simulation already holds just one account's book).
    """
    if format == "span-xml":
        return read_span_xml(path, commodities)
    if format == "deribit-pme":
        if commodities:
            raise InputError("commodities: only a SPAN XML file has combined commodities to choose")
        return read_deribit_pme(path)
    raise InputError(f"format: unknown risk file format {format!r}; expected {' or '.join(IMPORT_FORMATS)}")


__all__ = ["IMPORT_FORMATS", "import_risk_file", "read_deribit_pme", "read_span_xml"]
