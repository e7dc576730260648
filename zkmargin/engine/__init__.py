"""Margin in the clear: market data, portfolios, risk arrays, pricing, margin models, params, assess.

May import: the foundations (`zkmargin.errors`, `jsonio`, `formats`, `files`, `validation`, `units`, …). Never the
proofs, the cli or hazmat.
"""
