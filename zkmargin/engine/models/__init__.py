"""Margin-model families: each reduces a venue's rule to the generic integer form of params.

`MarginModel.load("circuits/<model>.toml")` reads a spec; `MarginModel.terms(source)` runs
the family's code (one module per family) over a Market or RiskArrays.
"""

from zkmargin.engine.models.base import MarginTerms
from zkmargin.engine.models.spec import FAMILIES, MarginModel

__all__ = ["FAMILIES", "MarginModel", "MarginTerms"]
