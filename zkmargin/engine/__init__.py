"""Margin in the clear: market data, portfolios, risk arrays, pricing, margin models, params, assess.

May import: `zkmargin.errors`, `zkmargin.jsonio`, `zkmargin.units`. Never the proofs, the cli or hazmat.
"""
